"""Mutation testing (docs/testing.md): ``just mutate`` changes the code one small step at a
time, runs the tests that exercise it, and reports the changes no test noticed.

- SQL (``queries/``): our own mutator below, one mutant per operator site; each mutant
  runs, in a copy of the tree, the tests that read its file (found by one recorded run
  of the clean tests), fastest first, with ``-x``.
- Python (``engine/``, ``snapshot/normalise.py``): mutmut 3, in a copy of the tree.

The report goes between the ``<!-- mutate -->`` markers of docs/testing.md.

With ``-p tools.mutate`` this module is also the pytest plugin of mutant runs: Hypothesis
derandomized (the same examples on every run) and without shrinking (a failure is all
a mutant run needs).
"""

from __future__ import annotations

import argparse
import ast
import itertools
import json
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
REPORT = ROOT / "docs" / "testing.md"
BEGIN, END = "<!-- mutate -->", "<!-- /mutate -->"

# The tests that exercise each area. Update these when the tests move; a run can
# override them with ``--tests AREA=PATH,PATH``.
ENGINE_TESTS = (
    "tests/engine/test_queries.py",
    "tests/engine/test_engine_filters.py",
    "tests/engine/test_engine_data.py",
    "tests/engine/test_engine_performance.py",
    "tests/engine/test_engine_partenaire.py",
    "tests/engine/test_engine_users.py",
    "tests/engine/test_engine_evaluation.py",
    "tests/engine/test_engine_invest.py",
    "tests/engine/test_engine_paths.py",
    "tests/engine/test_engine_view.py",
    "tests/engine/test_engine_analyst.py",
    "tests/engine/test_engine_serving.py",
    "tests/engine/test_engine_swap.py",
    "tests/engine/test_engine_properties.py",
    "tests/api/test_api_hand.py",
)
# The swap tests compare the engine with itself: blind to a changed answer, they would
# only add half a minute to every surviving SQL mutant.
QUERIES_TESTS = tuple(t for t in ENGINE_TESTS if t != "tests/engine/test_engine_swap.py")
NORMALISE_TESTS = (
    "tests/snapshot/test_normalise_rules.py",
    "tests/snapshot/test_normalise.py",
    "tests/snapshot/test_normalise_mutants.py",
)

# Every mutant run: no cache written into the tree, and this module as a plugin.
PLUGINS = ("-p", "no:cacheprovider", "-p", "tools.mutate")
PYTEST_ARGS = ("-q", "--tb=short", *PLUGINS)
# A mutant's tests may take this many times the clean run's, plus this many seconds,
# before it counts as killed by a timeout: the machine is shared, the margin wide.
TIMEOUT_FACTOR, TIMEOUT_MARGIN = 4, 60
# DuckDB's words for a statement it cannot even plan: such a mutant is "invalid".
INVALID_SQL = re.compile(r"Parser Error|Binder Error|Catalog Error")
# Log lines say nothing the tests could check; mutmut leaves them alone.
PYTHON_SKIPPED_LINES = (r"^\s*log\.\w+\(",)

# Example tests first; Hypothesis's property tests (marked "hypothesis" by its plugin)
# only for the mutants that survive them, as they take a minute a mutant.
STAGES = ("examples", "properties")
STAGE_MARKS = {"examples": "not hypothesis", "properties": "hypothesis"}

KILLED, TIMEOUT, INVALID, SURVIVED, NO_TESTS = (
    "killed",
    "timeout",
    "invalid",
    "survived",
    "no tests",
)
CAUGHT = (KILLED, TIMEOUT, INVALID)


@dataclass(frozen=True)
class Area:
    name: str
    kind: str  # "sql" (our mutator) or "python" (mutmut)
    globs: tuple[str, ...]
    tests: tuple[str, ...]
    only: tuple[str, ...] = ()  # if given, only the files matching one of these globs

    def files(self) -> list[str]:
        found = {p.relative_to(ROOT).as_posix() for g in self.globs for p in ROOT.glob(g)}
        return sorted(f for f in found if not self.only or any(fnmatch(f, o) for o in self.only))


AREAS = (
    Area("queries", "sql", ("queries/*.sql", "queries/build/*.sql"), QUERIES_TESTS),
    Area("engine", "python", ("engine/*.py",), ENGINE_TESTS),
    Area("normalise", "python", ("snapshot/normalise.py",), NORMALISE_TESTS),
)


@dataclass
class Mutant:
    area: str
    path: str
    line: int
    change: str
    text: str = ""  # the whole mutated file (SQL only)
    status: str = ""
    stage: str = ""  # the tests that ran last: examples, or properties for survivors


# ---------------------------------------------------------------------------- SQL

TOKEN = re.compile(
    r"""
    (?P<space>\s+)
    | (?P<comment>--[^\n]*|/\*.*?\*/)
    | (?P<string>'(?:[^']|'')*')
    | (?P<quoted>"(?:[^"]|"")*")
    | (?P<placeholder>\{!?\w+\})
    | (?P<number>\d+(?:\.\d+)?)
    | (?P<word>\$?\w+)
    | (?P<op><=|>=|<>|!=|==|->>|->|=>|::|//|\|\||<<|>>|.)
    """,
    re.VERBOSE | re.DOTALL,
)

COMPARISONS = {"<": "<=", "<=": "<", ">": ">=", ">=": ">", "=": "<>", "<>": "=", "!=": "="}
ARITHMETIC = {"+": "-", "-": "+", "*": "/", "/": "*", "//": "/", "&": "|", "|": "&"}
KEYWORD_SWAPS = {"AND": "OR", "OR": "AND", "TRUE": "FALSE", "FALSE": "TRUE"}
JOIN_SWAPS = {"SEMI": "ANTI", "ANTI": "SEMI"}
FUNCTION_SWAPS = {
    "min": "max",
    "max": "min",
    "arg_min": "arg_max",
    "arg_max": "arg_min",
    "min_by": "max_by",
    "max_by": "min_by",
    "greatest": "least",
    "least": "greatest",
    "bool_or": "bool_and",
    "bool_and": "bool_or",
    "first": "last",
    "last": "first",
}
FALLBACKS = {"coalesce", "ifnull"}  # the last argument is the default
ROUNDINGS = {"round", "floor", "ceil", "ceiling", "trunc"}
OUTER_JOINS = {"LEFT", "RIGHT", "FULL"}
OPENERS, CLOSERS = "([{", ")]}"
# Words after which a + - * / is a sign or a star, not an operator between two values.
KEYWORDS = {
    "SELECT", "DISTINCT", "ALL", "FROM", "WHERE", "AND", "OR", "NOT", "ON", "BY", "WHEN",
    "THEN", "ELSE", "CASE", "IN", "IS", "AS", "HAVING", "JOIN", "UNION", "LIMIT", "OFFSET",
    "BETWEEN", "RETURN", "INTERVAL", "EXCLUDE", "REPLACE", "USING", "FILTER", "OVER",
}  # fmt: skip
# Words that end the key list of an ORDER BY at its own depth.
ORDER_END = {
    "LIMIT", "OFFSET", "ROWS", "RANGE", "GROUPS", "UNION", "EXCEPT", "INTERSECT", "FETCH",
    "WINDOW", "QUALIFY",
}  # fmt: skip
DIRECTIONS = {"ASC": "DESC", "DESC": "ASC"}
TYPES_WITH_SIZE = {"DECIMAL", "NUMERIC", "VARCHAR", "CHAR"}


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    start: int
    end: int
    depth: int  # brackets open around the token (a bracket counts as outside itself)

    @property
    def upper(self) -> str:
        return self.text.upper() if self.kind == "word" else ""


@dataclass(frozen=True)
class Edit:
    start: int
    end: int
    new: str
    label: str = ""  # how the report names the change, if not old -> new


def sql_tokens(sql: str) -> list[Token]:
    """The tokens of ``sql`` that mean something: no white space, no comment."""
    found, depth = [], 0
    for match in TOKEN.finditer(sql):
        kind, text = match.lastgroup or "op", match.group()
        if kind in ("space", "comment"):
            continue
        if kind == "op" and text in CLOSERS:
            depth -= 1
        found.append(Token(kind, text, match.start(), match.end(), depth))
        if kind == "op" and text in OPENERS:
            depth += 1
    return found


def _closing(tokens: Sequence[Token], i: int) -> int:
    """The index of the bracket closing the one at ``i``: the next token at its depth."""
    return next(j for j in range(i + 1, len(tokens)) if tokens[j].depth == tokens[i].depth)


def _ends_value(token: Token) -> bool:
    if token.kind in ("number", "string", "quoted", "placeholder"):
        return True
    if token.kind == "word":
        return token.upper not in KEYWORDS
    return token.text in CLOSERS


def _args(tokens: Sequence[Token], opener: int) -> list[tuple[int, int]]:
    """The (first, last) token indices of each top-level argument of a call."""
    close, depth = _closing(tokens, opener), tokens[opener].depth + 1
    commas = [
        j for j in range(opener + 1, close) if tokens[j].depth == depth and tokens[j].text == ","
    ]
    bounds = [opener, *commas, close]
    return [(a + 1, b - 1) for a, b in itertools.pairwise(bounds) if b - 1 >= a + 1]


def _between_and(tokens: Sequence[Token], i: int) -> bool:
    """Is the AND at ``i`` the one of ``x BETWEEN a AND b``?"""
    for j in range(i - 1, -1, -1):
        t = tokens[j]
        if t.depth < tokens[i].depth:
            return False
        if t.depth == tokens[i].depth and (
            t.upper in ("BETWEEN", "AND", "OR", "WHERE", "ON", "WHEN", "THEN", "SELECT")
            or t.text == ","
        ):
            return t.upper == "BETWEEN"
    return False


def _inert_number(tokens: Sequence[Token], i: int) -> bool:
    """Is the number at ``i`` one whose value changes nothing: a type's size
    (``DECIMAL(18, 0)``) or the row of ``EXISTS (SELECT 1``?"""
    opener = next((j for j in range(i - 1, -1, -1) if tokens[j].depth < tokens[i].depth), None)
    if opener and tokens[opener - 1].upper in TYPES_WITH_SIZE:
        return True
    return [t.text.upper() for t in tokens[max(0, i - 3) : i]] == ["EXISTS", "(", "SELECT"]


def _swaps(tokens: Sequence[Token]) -> Iterator[Edit]:
    """One token for another: comparisons, arithmetic, AND/OR, TRUE/FALSE, constants,
    min/max and their kin, SEMI/ANTI joins."""
    for i, t in enumerate(tokens):
        before = tokens[i - 1] if i else None
        after = tokens[i + 1] if i + 1 < len(tokens) else None
        new = None
        if t.kind == "op" and t.text in COMPARISONS:
            new = COMPARISONS[t.text]
        elif t.kind == "op" and t.text in ARITHMETIC and before and _ends_value(before):
            if not (t.text == "*" and after and after.text in (")", ",")):
                new = ARITHMETIC[t.text]
        elif t.kind == "number" and t.text.isdigit() and not _inert_number(tokens, i):
            new = str(int(t.text) + 1)
        elif t.upper in KEYWORD_SWAPS and not (t.upper == "AND" and _between_and(tokens, i)):
            new = _same_case(t.text, KEYWORD_SWAPS[t.upper])
        elif t.upper in JOIN_SWAPS and after and after.upper == "JOIN":
            new = _same_case(t.text, JOIN_SWAPS[t.upper])
        elif t.kind == "word" and t.text.lower() in FUNCTION_SWAPS and after and after.text == "(":
            new = _same_case(t.text, FUNCTION_SWAPS[t.text.lower()])
        if new is not None:
            yield Edit(t.start, t.end, new)


def _same_case(old: str, new: str) -> str:
    return new.upper() if old.isupper() else new.lower()


def _drops_and_adds(tokens: Sequence[Token]) -> Iterator[Edit]:
    """Words dropped or added: NOT, IS [NOT], DISTINCT, outer joins, UNION [ALL]."""
    for i, t in enumerate(tokens):
        after = tokens[i + 1] if i + 1 < len(tokens) else None
        before = tokens[i - 1] if i else None
        if t.upper == "NOT" and after and after.upper != "MATERIALIZED":
            yield Edit(t.start, after.start, "")
        elif t.upper == "IS" and after and after.upper != "NOT":
            yield Edit(t.start, t.end, f"{t.text} {_same_case(t.text, 'NOT')}")
        elif t.upper == "DISTINCT" and after and not (before and before.upper in ("IS", "NOT")):
            end = after
            if after.upper == "ON" and tokens[i + 2].text == "(":
                end = tokens[_closing(tokens, i + 2) + 1]
            yield Edit(t.start, end.start, "")
        elif t.upper in OUTER_JOINS and after and after.upper in ("JOIN", "OUTER"):
            join = after if after.upper == "JOIN" else tokens[i + 2]
            yield Edit(t.start, join.start, "")
        elif t.upper == "UNION" and after and not _distinct_union_follows(tokens, i):
            if after.upper == "ALL":
                yield Edit(t.end, after.end, "")
            else:
                yield Edit(t.start, t.end, f"{t.text} {_same_case(t.text, 'ALL')}")


def _distinct_union_follows(tokens: Sequence[Token], i: int) -> bool:
    """Does a plain UNION come later in the chain of the UNION at ``i``? It removes every
    duplicate, so whether the earlier ones keep theirs (ALL) changes nothing."""
    for j in range(i + 1, len(tokens) - 1):
        t = tokens[j]
        if t.depth < tokens[i].depth or t.text == ";":
            return False
        if t.depth == tokens[i].depth and t.upper == "UNION" and tokens[j + 1].upper != "ALL":
            return True
    return False


def _calls(tokens: Sequence[Token], sql: str) -> Iterator[Edit]:
    """A fallback's default dropped (coalesce(x, d) -> x); a rounding dropped."""
    for i, t in enumerate(tokens[:-1]):
        name = t.text.lower() if t.kind == "word" else ""
        if tokens[i + 1].text != "(" or name not in FALLBACKS | ROUNDINGS:
            continue
        args = _args(tokens, i + 1)
        if not args:
            continue
        close = _closing(tokens, i + 1)
        first, last = args[0]
        kept = "(" + sql[tokens[first].start : tokens[last].end] + ")"
        if name in ROUNDINGS:
            yield Edit(t.start, tokens[close].end, kept, f"drop `{t.text}(…)`")
        elif len(args) >= 2:
            default = " ".join(sql[tokens[args[-1][0]].start : tokens[args[-1][1]].end].split())
            label = f"drop the default `{_short(default, 30)}` of `{t.text}`"
            if len(args) == 2:
                yield Edit(t.start, tokens[close].end, kept, label)
            else:
                yield Edit(tokens[args[-2][1]].end, tokens[close].start, "", label)


def _order_keys(tokens: Sequence[Token], sql: str) -> Iterator[Edit]:
    """Each ORDER BY key the other way round (ASC <-> DESC, none -> DESC); NULLS FIRST
    <-> NULLS LAST."""
    for i, t in enumerate(tokens[:-1]):
        if not (t.upper == "ORDER" and tokens[i + 1].upper == "BY") or _stores(tokens, i):
            continue
        depth, key = t.depth, []
        for u in tokens[i + 2 :]:
            end = u.depth < depth or (
                u.depth == depth and (u.upper in ORDER_END or u.text in (",", ";"))
            )
            if end:
                yield from _flip_key(key, sql)
                if u.text != ",":
                    break
                key = []
            else:
                key.append(u)
        else:
            yield from _flip_key(key, sql)


def _stores(tokens: Sequence[Token], i: int) -> bool:
    """Is the ORDER BY at ``i`` the one of a CREATE TABLE ... AS SELECT, which sets the
    order rows are stored in (for speed), not any answer?"""
    if tokens[i].depth:
        return False
    start = max((j + 1 for j in range(i) if tokens[j].text == ";"), default=0)
    return tokens[start].upper == "CREATE"


def _flip_key(key: Sequence[Token], sql: str) -> Iterator[Edit]:
    words = [u.upper for u in key]
    if len(key) > 2 and words[-2] == "NULLS":
        other = "LAST" if words[-1] == "FIRST" else "FIRST"
        yield Edit(key[-1].start, key[-1].end, _same_case(key[-1].text, other))
        key = key[:-2]
    if not key:
        return
    last = key[-1]
    if last.upper in DIRECTIONS:
        yield Edit(last.start, last.end, _same_case(last.text, DIRECTIONS[last.upper]))
    else:
        expression = _short(" ".join(sql[key[0].start : last.end].split()), 40)
        yield Edit(last.end, last.end, " DESC", f"ORDER BY `{expression}` → `{expression} DESC`")


def sql_mutants(area: str, path: str, sql: str) -> list[Mutant]:
    """One mutant per operator site of ``sql`` (the text of ``path``)."""
    tokens = sql_tokens(sql)
    edits = [
        *_swaps(tokens),
        *_drops_and_adds(tokens),
        *_calls(tokens, sql),
        *_order_keys(tokens, sql),
    ]
    mutants = []
    for e in sorted(edits, key=lambda e: (e.start, e.end, e.new)):
        line = sql.count("\n", 0, e.start) + 1
        mutants.append(
            Mutant(area, path, line, _describe(sql, e), sql[: e.start] + e.new + sql[e.end :])
        )
    return mutants


def _describe(sql: str, e: Edit) -> str:
    if e.label:
        return e.label
    old = " ".join(sql[e.start : e.end].split())
    new = " ".join(e.new.split())
    if not old:  # an insertion: name the word it follows
        before = sql[: e.start].split()[-1]
        old, new = before, before + " " + new
    return f"`{_short(old)}` → `{_short(new)}`" if new else f"drop `{_short(old)}`"


def _short(text: str, width: int = 60) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


# ------------------------------------------------------------------ pytest plugin


def pytest_configure(config: Any) -> None:
    from hypothesis import Phase, settings

    settings.register_profile(
        "mutate",
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.reuse, Phase.generate],
    )
    settings.load_profile("mutate")


class Recorder:
    """For each test: how long it took and which watched files it read, itself or
    through its fixtures (a module-wide fixture reads once, for every test using it)."""

    def __init__(self, root: Path, watched: Iterable[str]) -> None:
        self.root, self.watched = root, set(watched)
        self.reads: set[str] = set()
        self.by_fixture: dict[str, set[str]] = {}
        self.tests: dict[str, dict[str, Any]] = {}
        sys.addaudithook(self._audit)

    def _audit(self, event: str, args: tuple[Any, ...]) -> None:
        if event != "open" or not isinstance(args[0], str | os.PathLike):
            return
        name = os.fspath(args[0])
        if isinstance(name, str) and name.endswith(".sql"):
            path = Path(name).resolve()
            if path.is_relative_to(self.root):
                relative = path.relative_to(self.root).as_posix()
                if relative in self.watched:
                    self.reads.add(relative)

    @pytest.hookimpl(wrapper=True)
    def pytest_fixture_setup(self, fixturedef: Any) -> Iterator[Any]:
        outer, self.reads = self.reads, set()
        try:
            return (yield)
        finally:
            self.by_fixture.setdefault(fixturedef.argname, set()).update(self.reads)
            self.reads = outer | self.reads

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_protocol(self, item: Any) -> Iterator[Any]:
        _clear_caches(self.root)  # so that each test reads what it needs again
        self.reads = set()
        start = time.perf_counter()
        try:
            return (yield)
        finally:
            files = set(self.reads)
            for name in item.fixturenames:
                files |= self.by_fixture.get(name, set())
            seconds = time.perf_counter() - start
            stage = STAGES[1] if item.get_closest_marker("hypothesis") else STAGES[0]
            self.tests[item.nodeid] = {"seconds": seconds, "files": sorted(files), "stage": stage}


def _ours(root: Path) -> Iterator[tuple[str, Any]]:
    for name, module in list(sys.modules.items()):
        path = getattr(module, "__file__", None)
        if path and Path(path).resolve().is_relative_to(root):
            yield name, module


def _clear_caches(root: Path) -> None:
    for _, module in _ours(root):
        for value in vars(module).values():
            if callable(getattr(value, "cache_clear", None)) and not isinstance(value, type):
                value.cache_clear()


# ------------------------------------------------------------------------ workers


def serve(root: Path, warm_up: Sequence[str]) -> None:
    """A worker in one copy of the tree: imports what the tests import once, then runs
    each job read on stdin in a fork of itself and answers on stdout."""
    answers = os.fdopen(os.dup(1), "w", buffering=1)
    quiet = os.open(os.devnull, os.O_WRONLY)
    os.dup2(quiet, 1)
    os.dup2(quiet, 2)
    pytest.main(["--collect-only", *PYTEST_ARGS, *warm_up])
    answers.write("ready\n")
    for line in sys.stdin:
        job = json.loads(line)
        answers.write(json.dumps(_run_job(root, job)) + "\n")


def _run_job(root: Path, job: dict[str, Any]) -> dict[str, Any]:
    log = root / ".mutate.log"
    target = root / job["path"] if job.get("path") else None
    original = target.read_text(encoding="utf-8") if target else ""
    start = time.monotonic()
    try:
        if target:
            target.write_text(job["text"], encoding="utf-8")
        pid = os.fork()
        if pid == 0:  # the child: the tests, then out
            code = 3
            try:
                out = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
                os.dup2(out, 1)
                os.dup2(out, 2)
                _clear_caches(root)  # the SQL is read anew, from the mutated file
                signal.alarm(job["timeout"])
                plugins = [Recorder(root, job["watch"])] if job.get("watch") else []
                code = int(pytest.main(["-x", *PYTEST_ARGS, *job["tests"]], plugins=plugins))
                if plugins:
                    stats = {"tests": plugins[0].tests}
                    (root / ".mutate.stats").write_text(json.dumps(stats), encoding="utf-8")
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
    finally:
        if target:
            target.write_text(original, encoding="utf-8")
    answer: dict[str, Any] = {"seconds": time.monotonic() - start}
    if os.WIFSIGNALED(status):
        answer["status"] = TIMEOUT if os.WTERMSIG(status) == signal.SIGALRM else KILLED
        return answer
    code = os.WEXITSTATUS(status)
    text = log.read_text(encoding="utf-8", errors="replace")
    if code in (4, 5) or (code and not target):
        answer["error"] = f"pytest exit code {code}:\n{text[-3000:]}"
    elif code == 0:
        answer["status"] = SURVIVED
    else:
        answer["status"] = INVALID if INVALID_SQL.search(text) else KILLED
    if job.get("watch") and code == 0:
        answer["stats"] = json.loads((root / ".mutate.stats").read_text(encoding="utf-8"))
    return answer


class Worker:
    """The orchestrator's handle on one ``serve`` process."""

    def __init__(self, root: Path, warm_up: Sequence[str]) -> None:
        env = dict(os.environ, PYTHONPATH=str(root))
        self.process = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--serve", str(root), *warm_up],
            cwd=root,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        if self._read() != "ready":
            raise SystemExit(f"the worker in {root} did not start")

    def _read(self) -> str:
        assert self.process.stdout is not None
        return self.process.stdout.readline().strip()

    def ask(self, job: dict[str, Any]) -> dict[str, Any]:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(job) + "\n")
        self.process.stdin.flush()
        answer = json.loads(self._read())
        if "error" in answer:
            raise SystemExit(f"tests could not run for {job.get('path')}: {answer['error']}")
        return answer

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait()


def copy_tree(destination: Path) -> Path:
    """The files of the work tree (tracked, or new and not ignored) under ``destination``."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination / name)
    return destination


def run_sql(area: Area, scratch: Path, jobs: int, properties: bool, say: Any) -> list[Mutant]:
    """Each mutant against the example tests that read its file, then each survivor
    against the property tests that read it."""
    files = area.files()
    mutants = [m for path in files for m in sql_mutants(area.name, path, _text(path))]
    say(f"{area.name}: {len(mutants)} mutants in {len(files)} files; recording the clean run")
    workers = [Worker(copy_tree(scratch / f"sql-{i}"), area.tests) for i in range(jobs)]
    marks = [] if properties else ["-m", STAGE_MARKS[STAGES[0]]]
    try:
        clean = workers[0].ask({"tests": [*marks, *area.tests], "watch": files, "timeout": 3600})
        tests: dict[str, dict[str, Any]] = clean["stats"]["tests"]
        say(f"{area.name}: the clean run took {clean['seconds']:.0f} s")
        for stage in STAGES if properties else STAGES[:1]:
            readers = {
                path: sorted(
                    (t for t, s in tests.items() if path in s["files"] and s["stage"] == stage),
                    key=lambda t: tests[t]["seconds"],
                )
                for path in files
            }
            for path, chosen in readers.items():
                seconds = sum(tests[t]["seconds"] for t in chosen)
                say(f"  {stage}: {path} is read by {len(chosen)} tests ({seconds:.0f} s)")
            alive = [m for m in mutants if m.status in ("", SURVIVED, NO_TESTS)]
            todo = [(m, readers[m.path]) for m in alive if readers[m.path]]
            for m in alive:
                m.status = m.status or NO_TESTS
            say(f"{area.name}: {len(todo)} mutants against the {stage} tests")
            _run_jobs(workers, todo, tests, stage, say)
    finally:
        for worker in workers:
            worker.close()
    return mutants


def _run_jobs(
    workers: Sequence[Worker],
    todo: Sequence[tuple[Mutant, list[str]]],
    tests: dict[str, dict[str, Any]],
    stage: str,
    say: Any,
) -> None:
    """Each (mutant, tests) of ``todo`` on the first free worker."""
    waiting: queue.Queue[tuple[Mutant, list[str]]] = queue.Queue()
    for item in todo:
        waiting.put(item)
    progress = Counter[str]()
    lock = threading.Lock()
    errors: list[BaseException] = []

    def work(worker: Worker) -> None:
        while not errors:
            try:
                m, chosen = waiting.get_nowait()
            except queue.Empty:
                return
            try:
                budget = sum(tests[t]["seconds"] for t in chosen)
                answer = worker.ask(
                    {
                        "path": m.path,
                        "text": m.text,
                        "tests": chosen,
                        "timeout": int(TIMEOUT_FACTOR * budget + TIMEOUT_MARGIN),
                    }
                )
            except BaseException as error:  # re-raised by the main thread
                errors.append(error)
                return
            m.status, m.stage = answer["status"], stage
            with lock:
                progress[m.status] += 1
                if m.status == SURVIVED:
                    say(f"  survived: {m.path}:{m.line} {m.change} ({answer['seconds']:.0f} s)")
                if sum(progress.values()) % 25 == 0 or sum(progress.values()) == len(todo):
                    say(f"  {sum(progress.values())}/{len(todo)} {dict(progress)}")

    threads = [threading.Thread(target=work, args=(w,)) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


# ------------------------------------------------------------------------- Python


def run_python(
    areas: Sequence[Area], scratch: Path, jobs: int, properties: bool, say: Any
) -> list[Mutant]:
    """mutmut over the areas' files in a copy of the tree: each mutant against the example
    tests that call its function, then each survivor against the property tests that do.
    mutmut finds those tests itself, so one run serves all areas."""
    root = copy_tree(scratch / "python")
    files = [path for area in areas for path in area.files()]
    tests = list(dict.fromkeys(t for area in areas for t in area.tests))
    config = {
        "source_paths": files,
        "also_copy": sorted({Path(p).parts[0] for p in _listed(root)} - {"tests"}),
        "pytest_add_cli_args_test_selection": tests,
        "do_not_mutate_patterns": list(PYTHON_SKIPPED_LINES),
    }
    pyproject = (root / "pyproject.toml").read_text(encoding="utf-8")
    statuses: dict[str, tuple[str, str]] = {}  # mutant -> (status, stage)
    for stage in STAGES if properties else STAGES[:1]:
        names = [n for n, (s, _) in statuses.items() if s in (SURVIVED, NO_TESTS)]
        if stage != STAGES[0] and not (names and _any_test(root, tests, stage)):
            break
        arguments = {"pytest_add_cli_args": [*PLUGINS, "-m", STAGE_MARKS[stage]]}
        table = "".join(f"{k} = {json.dumps(v)}\n" for k, v in (config | arguments).items())
        (root / "pyproject.toml").write_text(f"{pyproject}\n[tool.mutmut]\n{table}")
        say(f"python: mutmut, {stage} tests, {len(names) or 'all'} mutants of {len(files)} files")
        found = _mutmut(root, names, jobs)
        for name, status in found.items():
            if name in names and status == NO_TESTS:
                continue  # no property test calls it: the examples' verdict stands
            if not names or name in names:
                statuses[name] = (status, stage)
    diffs = _mutmut_diffs(root, [n for n, (s, _) in statuses.items() if s not in CAUGHT])
    by_module = {_module(p): (p, a) for a in areas for p in a.files()}
    at_import = {p: _import_time_functions(_text(p)) for p in files}
    mutants = []
    for name, (status, stage) in statuses.items():
        module = re.match(r"(.*?)\.x[_ǁ]", name)
        path, area = by_module[module.group(1) if module else name]
        line, change = _locate(path, name, diffs.get(name, ""))
        if status == SURVIVED and _function_path(name)[0] in at_import[path]:
            # mutmut forks its mutant runs after the import: no test runs this mutant.
            status, change = NO_TESTS, f"{change} (the function runs only at import)"
        mutants.append(Mutant(area.name, path, line, change, status=status, stage=stage))
    return mutants


def _import_time_functions(source: str) -> set[str]:
    """The module's functions that run while it is imported: called by a statement of
    the module (or a class body), or by such a function, directly (not from a lambda)."""
    tree = ast.parse(source)
    functions = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
    scopes = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)

    def calls(nodes: Iterable[ast.AST]) -> set[str]:
        found, todo = set(), list(nodes)
        while todo:
            node = todo.pop()
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                found.add(node.func.id)
            todo += [c for c in ast.iter_child_nodes(node) if not isinstance(c, scopes)]
        return found & set(functions)

    statements = [n for n in tree.body if not isinstance(n, scopes)]
    classes = [c for c in tree.body if isinstance(c, ast.ClassDef)]
    statements += [b for c in classes for b in c.body if not isinstance(b, scopes)]
    reached, todo = set(), list(calls(statements))
    while todo:
        name = todo.pop()
        if name not in reached:
            reached.add(name)
            todo += calls(functions[name].body)
    return reached


def _mutmut(root: Path, names: Sequence[str], jobs: int) -> dict[str, str]:
    """Run mutmut (on ``names`` only, if given); every mutant's status."""
    mutmut = Path(sys.executable).with_name("mutmut")
    with (root / "mutmut.log").open("a") as log:
        run = subprocess.run(
            [mutmut, "run", "--max-children", str(jobs), *names], cwd=root, stdout=log, stderr=log
        )
    if run.returncode:
        tail = (root / "mutmut.log").read_text(errors="replace")[-3000:]
        raise SystemExit(f"mutmut failed ({run.returncode}):\n{tail}")
    listing = subprocess.run(
        [mutmut, "results", "--all", "true"], cwd=root, check=True, capture_output=True, text=True
    ).stdout
    found = dict(re.findall(r"^\s*(\S+): (.+)$", listing, re.MULTILINE))
    wanted = set(names) or set(found)
    return {name: _python_status(status) for name, status in found.items() if name in wanted}


def _any_test(root: Path, tests: Sequence[str], stage: str) -> bool:
    """Does ``tests`` hold any test of ``stage``?"""
    collect = [sys.executable, "-m", "pytest", "--collect-only", "-q", *PLUGINS]
    listed = subprocess.run(
        [*collect, "-m", STAGE_MARKS[stage], *tests],
        cwd=root,
        env=dict(os.environ, PYTHONPATH=str(root)),
        capture_output=True,
    )
    return listed.returncode == 0


def _module(path: str) -> str:
    return path.removesuffix(".py").removesuffix("/__init__").replace("/", ".")


def _text(path: str) -> str:
    return (ROOT / path).read_text(encoding="utf-8")


def _listed(root: Path) -> list[str]:
    return [p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()]


MUTMUT_STATUSES = {
    "killed": KILLED,
    "segfault": KILLED,
    "timeout": TIMEOUT,
    "survived": SURVIVED,
    "suspicious": SURVIVED,
    "no tests": NO_TESTS,
}


def _python_status(status: str) -> str:
    if status not in MUTMUT_STATUSES:
        raise SystemExit(f"mutmut left a mutant {status}: the run did not finish")
    return MUTMUT_STATUSES[status]


# ``mutmut show`` for many mutants in one process (it takes a second to start).
SHOW = """
import json, sys
from mutmut.__main__ import find_mutant, get_diff_for_mutant
names = json.load(sys.stdin)
print(json.dumps({n: get_diff_for_mutant(n, path=find_mutant(n).path) for n in names}))
"""


def _mutmut_diffs(root: Path, names: Sequence[str]) -> dict[str, str]:
    if not names:
        return {}
    shown = subprocess.run(
        [sys.executable, "-c", SHOW],
        cwd=root,
        input=json.dumps(list(names)),
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(shown.stdout)


def _locate(path: str, name: str, diff: str) -> tuple[int, str]:
    """The line of ``path`` that mutant ``name`` changes, and the change."""
    removed = [
        line[1:]
        for line in diff.splitlines()
        if line.startswith("-") and not line.startswith("---")
    ]
    added = [
        line[1:]
        for line in diff.splitlines()
        if line.startswith("+") and not line.startswith("+++")
    ]
    change = f"`{_short(' '.join(removed).strip())}` → `{_short(' '.join(added).strip())}`"
    source = (ROOT / path).read_text(encoding="utf-8")
    start = _function_line(source, name)
    lines = source.splitlines()
    for number in range(start, len(lines) + 1):  # a method's diff is dedented: strip
        if removed and lines[number - 1].strip() == removed[0].strip():
            return number, change
    return start, change


def _function_path(name: str) -> list[str]:
    """The class and function names a mutmut mutant name points to."""
    mangled = re.sub(r"__mutmut_\d+$", "", name.rsplit(".", 1)[-1])
    if mangled.startswith("xǁ"):  # a method: xǁClassǁname
        return mangled.removeprefix("xǁ").split("ǁ")
    return [mangled.removeprefix("x_")]  # a function: x_name


def _function_line(source: str, name: str) -> int:
    """The first line of the function a mutmut mutant name points to."""
    parts = _function_path(name)
    scope: list[ast.stmt] = ast.parse(source).body
    found: ast.AST | None = None
    for part in parts:
        found = next(
            (n for n in scope if isinstance(n, ast.ClassDef | ast.FunctionDef) and n.name == part),
            None,
        )
        if found is None:
            return 1
        scope = found.body
    assert isinstance(found, ast.ClassDef | ast.FunctionDef)
    return min([found.lineno, *(d.lineno for d in found.decorator_list)])


# ------------------------------------------------------------------------- report


@dataclass
class Run:
    mutants: list[Mutant]
    areas: Sequence[Area]
    seconds: float
    jobs: int
    properties: bool
    commit: str = field(default_factory=lambda: _git("rev-parse", "--short", "HEAD"))
    branch: str = field(default_factory=lambda: _git("rev-parse", "--abbrev-ref", "HEAD"))


def _git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout.strip()


def _rate(caught: int, total: int) -> str:
    return f"{100 * caught / total:.1f} %" if total else "-"


SUMMARY = (
    "| area | last run | minutes | mutants | killed | by properties | timeout | invalid"
    " | survived | no tests | kill rate | without invalid |"
)
ALIVE = "| where | change | status |"


def report(run: Run, previous: str) -> str:
    """The report section: this run's areas, and the rows of ``previous`` (the section
    as it was) for the areas this run left alone."""
    ran = {a.name for a in run.areas}
    stages = "examples, properties" if run.properties else "examples"
    when = f"{datetime.now(UTC):%Y-%m-%d}, `{run.branch}` at `{run.commit}`, {stages}"
    rows = [line for line in previous.splitlines() if _row_area(line) not in ("", *ran)]
    for area in run.areas:
        ours = [m for m in run.mutants if m.area == area.name]
        n = Counter(m.status for m in ours)
        late = sum(m.status == KILLED and m.stage == STAGES[1] for m in ours)
        caught = n[KILLED] + n[TIMEOUT] + n[INVALID]
        rates = f"{_rate(caught, len(ours))} | {_rate(caught - n[INVALID], len(ours) - n[INVALID])}"
        rows.append(
            f"| {area.name} | {when} | {run.seconds / 60:.1f} | {len(ours)} | {n[KILLED]}"
            f" | {late} | {n[TIMEOUT]} | {n[INVALID]} | {n[SURVIVED]} | {n[NO_TESTS]} | {rates} |"
        )
        for m in ours:
            if m.status in (SURVIVED, NO_TESTS):
                change = m.change.replace("|", "\\|")
                rows.append(f"| `{m.path}:{m.line}` | {change} | {m.status} |")
    summary = sorted((r for r in rows if not r.startswith("| `")), key=_area_order)
    alive = sorted((r for r in rows if r.startswith("| `")), key=_place)
    return "\n".join(
        [
            f"Written by `just mutate`, {run.jobs} mutants at a time; minutes are those of"
            " the run that last covered the area.",
            "",
            SUMMARY,
            "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
            *summary,
            "",
            f"Mutants no test noticed ({len(alive)}):",
            "",
            ALIVE,
            "| --- | --- | --- |",
            *alive,
        ]
    )


def _row_area(line: str) -> str:
    """The area a row of the report belongs to; "" for any other line."""
    cells = line.split(" | ")
    if not line.startswith("| ") or line in (SUMMARY, ALIVE) or line.startswith("| ---"):
        return ""
    first = cells[0].removeprefix("| ")
    if first.startswith("`"):
        path = first.strip("`").rsplit(":", 1)[0]
        return next((a.name for a in AREAS if any(fnmatch(path, g) for g in a.globs)), "")
    return first


def _area_order(row: str) -> int:
    return [a.name for a in AREAS].index(_row_area(row))


def _place(row: str) -> tuple[str, int, str]:
    path, _, line = row.split("`")[1].rpartition(":")
    return path, int(line), row


def write_report(run: Run) -> str:
    document = REPORT.read_text(encoding="utf-8")
    head, _, rest = document.partition(BEGIN)
    previous, _, tail = rest.partition(END)
    text = report(run, previous)
    REPORT.write_text(f"{head}{BEGIN}\n{text}\n{END}{tail}", encoding="utf-8")
    return text


# --------------------------------------------------------------------------- main


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="just mutate", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--area",
        action="append",
        choices=[a.name for a in AREAS],
        help="only this area (repeatable; default: all)",
    )
    parser.add_argument(
        "--tests",
        action="append",
        default=[],
        metavar="AREA=PATH,PATH",
        help="run these tests for AREA instead of the usual ones",
    )
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="GLOB",
        help="only the files matching GLOB, e.g. 'queries/data.sql' (repeatable)",
    )
    parser.add_argument("--jobs", type=int, default=2, help="mutants at a time (default 2)")
    parser.add_argument(
        "--properties",
        action="store_true",
        help="then run the property tests against the survivors (a minute a mutant)",
    )
    parser.add_argument("--list", action="store_true", help="list the SQL mutants and stop")
    parser.add_argument(
        "--no-report",
        action="store_true",
        help="leave docs/testing.md alone (so does --only)",
    )
    return parser.parse_args(argv)


def chosen_areas(args: argparse.Namespace) -> list[Area]:
    overrides = dict(item.split("=", 1) for item in args.tests)
    unknown = set(overrides) - {a.name for a in AREAS}
    if unknown:
        raise SystemExit(f"--tests names an unknown area: {', '.join(sorted(unknown))}")
    areas = [
        replace(
            a,
            tests=tuple(overrides.get(a.name, ",".join(a.tests)).split(",")),
            only=tuple(args.only),
        )
        for a in AREAS
        if not args.area or a.name in args.area
    ]
    return [a for a in areas if a.files()]


def main(argv: Sequence[str]) -> None:
    if argv[:1] == ["--serve"]:
        serve(Path(argv[1]), argv[2:])
        return
    args = parse_args(argv)
    areas = chosen_areas(args)
    if args.list:
        for area in (a for a in areas if a.kind == "sql"):
            for path in area.files():
                for m in sql_mutants(area.name, path, _text(path)):
                    print(f"{m.path}:{m.line} {m.change}")
        return

    def say(message: str) -> None:
        print(f"[{time.monotonic() - start:6.0f} s] {message}", flush=True)

    start = time.monotonic()
    properties = args.properties
    mutants: list[Mutant] = []
    with tempfile.TemporaryDirectory(prefix="mutate-") as scratch:
        for area in (a for a in areas if a.kind == "sql"):
            mutants += run_sql(area, Path(scratch), args.jobs, properties, say)
        python = [a for a in areas if a.kind == "python"]
        if python:
            mutants += run_python(python, Path(scratch), args.jobs, properties, say)
    run = Run(mutants, areas, time.monotonic() - start, args.jobs, properties)
    if args.no_report or args.only:  # a part of an area is no area's figure
        print(report(run, ""))
    else:
        print(write_report(run))


if __name__ == "__main__":
    main(sys.argv[1:])
