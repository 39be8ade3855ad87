# `just` (the default) runs what CI runs: the linters, then the whole test suite.
default: lint test

# ruff, formatting, and the import contracts that keep the layers honest
lint:
    ruff check .
    ruff format --check .
    lint-imports

test *ARGS:
    pytest {{ARGS}}

# Snapshot extraction from a 1M-visit messy MariaDB database (docs/benchmarks.md)
bench-snapshot *ARGS:
    python bench/bench_snapshot.py {{ARGS}}
