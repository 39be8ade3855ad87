# `just` (the default) runs what CI runs: the set-up, the linters, then the whole test suite.
default: setup lint test

# What the tests need (Chromium, HAProxy, MariaDB, Redis): installed (as root, apt-get) and
# started if need be, or one line saying what is missing; quick when all is there
setup:
    python tools/setup.py

# ruff, formatting, the type checker, and the import contracts that keep the layers honest
lint:
    ruff check .
    ruff format --check .
    mypy
    lint-imports

test *ARGS: setup
    pytest {{ARGS}}

# Snapshot extraction from a 1M-visit messy MariaDB database (docs/benchmarks.md)
bench-snapshot *ARGS:
    python bench/bench_snapshot.py {{ARGS}}

# The API under wrk on ~1M demo contacts, cached and uncached (docs/benchmarks.md)
bench-api *ARGS:
    python bench/bench_api.py {{ARGS}}

# Every endpoint, uncached, on demo data at 1M and 10M contact rows (docs/benchmarks.md)
bench-engine *ARGS:
    python bench/bench_engine.py {{ARGS}}

# `visites serve` on its serving database: start, RSS, hot swap, file vs in-memory (docs/benchmarks.md)
bench-serve *ARGS:
    python bench/bench_serve.py {{ARGS}}

# Bytes of each endpoint's answer raw, gzipped and in brotli, on the demo snapshot (docs/benchmarks.md)
bench-compression *ARGS:
    python bench/bench_compression.py {{ARGS}}

# `visites sql` streaming a whole table per format: peak RSS at 100k and 1M rows (docs/benchmarks.md)
bench-sql *ARGS:
    python bench/bench_sql.py {{ARGS}}

# api/examples.json: the OpenAPI examples, the default demo's answers (tools/openapi_examples.py)
openapi-examples:
    python tools/openapi_examples.py

# `visites follow` behind a CRM writing 50 visits/s: freshness, CPU, RSS (docs/benchmarks.md)
bench-follow *ARGS:
    python bench/bench_follow.py {{ARGS}}

# Mutation testing of queries/, engine/ and snapshot/normalise.py; report in docs/testing.md
mutate *ARGS:
    python tools/mutate.py {{ARGS}}
