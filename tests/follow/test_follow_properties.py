"""The property of `visites follow`: whatever random inserts, updates and deletes are
committed across the eight tables while it follows (messy values: spaces, empty
strings, zero, invalid and implausible dates, odd times, role case, orphans that come
and go, hierarchy changes, codes that collide once trimmed), once it has caught up every
table of its snapshot equals a fresh full snapshot's row for row, every quality count
is the same, and the six endpoints answer the same under random filters."""

from __future__ import annotations

import datetime as dt
import time
from decimal import Decimal as D
from typing import Any

import msgspec
from follow_crm import (
    EVERYTHING,
    Crm,
    assert_same_answers,
    assert_same_tables,
    following,
    fresh_snapshot,
    wait_caught_up,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine import EvaluationFilter, InvestFilter, VisiteFilter
from snapshot.tables import TABLES, Column, Kind, Table
from tools.mariadb import PrivateMariaDB

TODAY = dt.datetime.now(dt.UTC).date()
USERS = [1, 2, 3, 4, 5, 6]
PARTNERS = [100, 101, 102, 103]
VISITS = list(range(1, 13))
EVALUATIONS = [1, 2, 3, 4]

# Ids a column draws from: existing rows mostly, and some that exist nowhere (orphans,
# unknown users and partners); keys of the table itself collide with existing ones.
IDS: dict[str, list[int]] = {
    "id_utilisateur": [*USERS, 50],
    "id_responsable": [*USERS, 99],
    "id_createur": [*USERS, 77],
    "id_utilisateur_evalue": [*USERS, 50],
    "id_partenaire": [*PARTNERS, 999],
    "id_visite": [*VISITS, 13, 14],
    "id_evaluation": [*EVALUATIONS, 404],
    "id": [1, 2, 3, 4, 5, 6, 7],
    "id_business_case": [1, 2, 3, 4],
}
# Codes by the codification type that labels them; CA9, TI9... have no label.
CODES: dict[str, list[str]] = {
    "REGI": ["RE1", "RE2", "RE3"],
    "VILL": ["VI1", "VI2"],
    "GAMM": ["GA1", "GA2"],
    "SPEC": ["SP1", "SP2"],
    "ETPR": ["ET1", "ET2", "ET9"],
    "CATE": ["CA1", "CA2", "CA9"],
    "SCAT": ["SC1", "SC9"],
    "TINV": ["TI1", "TI9"],
    "CINV": ["CI1"],
}
OTHER_CODES = ["VALI", "ATTE", "S", "G", "N", "O", "X"]
LABELS = [
    ("RE1", "Sud", "REGI"), ("RE2", "Nord", "REGI"), ("VI1", "Centre", "VILL"),
    ("GA1", "Zeta", "GAMM"), ("GA2", "Alpha", "GAMM"), ("SP1", "Éclat", "SPEC"),
    ("ET1", "Privé", "ETPR"), ("ET2", "Public", "ETPU"), ("CA1", "Qualité", "CATE"),
    ("SC1", "Écoute", "SCAT"), ("TI1", "Congrès", "TINV"), ("CI1", "Formation", "CINV"),
]  # fmt: skip
DATETIMES = [
    None, "2024-12-31 23:00:00", "2025-01-01 00:00:00", "2025-06-15 09:30:00",
    "0000-00-00 00:00:00", "9999-12-31 23:59:59", "1000-01-01 00:00:00",
    "2024-02-30 10:00:00", "1989-12-31 23:59:59",
    f"{TODAY + dt.timedelta(days=366)} 12:00:00", f"{TODAY + dt.timedelta(days=367)} 00:00:00",
]  # fmt: skip
DATES = [None, "2025-01-01", "0000-00-00", "9999-12-31", "1000-01-01", "2025-00-10",
         str(TODAY + dt.timedelta(days=366)), str(TODAY + dt.timedelta(days=367))]  # fmt: skip
TIMES = [None, "10:00:00", "00:00:00", "25:00:00", "-01:02:03", "838:59:59"]
TEXTS = ["Alaoui", " Émile ", "", "  ", "Zed", "O'Neil", 'a"b']
ROLES = ["DEL", "del", " Del ", "SUP", "sup ", "DIR", ""]
SCORES = [None, D("0.00"), D("12.50"), D("-3.25"), D("9999.99")]
MONEY = [None, D("0.01"), D("250.55"), D("1234567.89")]


def spaced(values: list[str]) -> st.SearchStrategy[str]:
    """A code as it is, or with stray spaces, or empty."""
    code = st.sampled_from(values)
    return code | code.map(lambda c: f" {c}") | code.map(lambda c: f"{c} ") | st.just("")


def value(column: Column) -> st.SearchStrategy[Any]:
    kinds: dict[Kind, st.SearchStrategy[Any]] = {
        Kind.ID: st.sampled_from(IDS.get(column.name, USERS)),
        Kind.TEXT: st.sampled_from(TEXTS),
        Kind.ROLE: st.sampled_from(ROLES),
        Kind.DATETIME: st.sampled_from(DATETIMES),
        Kind.DATE: st.sampled_from(DATES),
        Kind.TIME: st.sampled_from(TIMES),
        Kind.SCORE: st.sampled_from(SCORES),
        Kind.MONEY: st.sampled_from(MONEY),
    }
    if column.kind is Kind.CODE:
        pool = list(column.domain) or [c for t in column.labelled_by for c in CODES.get(t, [])]
        drawn = spaced(pool or OTHER_CODES)
    else:
        drawn = kinds[column.kind]
    if column.nullable:
        return drawn | st.none()
    return drawn.filter(lambda v: v is not None)


def rows(table: Table) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({c.name: value(c) for c in table.columns})


# An operation: (insert, table, row) | (update, table, which row, new values) |
# (delete, table, which row). "Which row" is an index into the table's rows at the time.
FOLLOWED = st.sampled_from(TABLES)


@st.composite
def operations(draw: st.DrawFn) -> tuple[str, Table, Any, Any]:
    table = draw(FOLLOWED)
    kind = draw(st.sampled_from(["insert", "insert", "update", "update", "delete"]))
    if kind == "insert":
        return kind, table, None, draw(rows(table))
    which = draw(st.integers(0, 30))
    if kind == "delete":
        return kind, table, which, None
    names = draw(st.lists(st.sampled_from(table.column_names), min_size=1, max_size=3, unique=True))
    changes = {
        name: draw(value(next(c for c in table.columns if c.name == name))) for name in names
    }
    return kind, table, which, changes


transactions = st.lists(
    st.tuples(
        st.lists(operations(), min_size=1, max_size=4),
        st.sampled_from([False, False, False, True]),  # rolled back, sometimes
        st.sampled_from([0.0, 0.0, 0.02, 0.15]),  # pause after it, while the follower publishes
    ),
    min_size=1,
    max_size=12,
)


def initial_rows() -> dict[str, list[tuple[Any, ...]]]:
    """A small CRM to start from, messy already (orphans, cycles, spaces, zero dates)."""
    return {
        "tab_par_codification": [*LABELS, (" RE1", "Sud bis", "REGI")],
        "tab_utilisateur": [
            (1, None, "Alaoui", "A", "DIR", "2019-03-04 08:15:00"),
            (2, 1, "Zed", "B", "SUP", "0000-00-00 00:00:00"),
            (3, 2, " Émile", "C", "del", None),
            (4, 5, "Alaoui", "D", "DEL", None),
            (5, 4, "Nour", "E", " DEL", "9999-12-31 23:59:59"),
        ],
        "tab_partenaire": [
            (100, "Tazi", None, "A", "ET1", "VALI", "GA1", "SP1", "MEDE", "RE1", "VI1"),
            (101, "Bennani", "Y", " B", "ET2", "ATTE", "GA2", None, "PHAR", "RE2 ", None),
            (102, "Idrissi", None, "D", "ET9", None, " GA1", "SP2", "XXXX", "RE3", "VI2"),
        ],
        "tab_visite": [
            (
                v,
                1 + v % 5,
                2,
                "PLAN" if v % 3 else " HOPL",
                None,
                "N" if v % 2 else "O",
                DATETIMES[v % len(DATETIMES)],
                TIMES[v % len(TIMES)],
                "S" if v % 4 else "G",
            )
            for v in range(1, 10)
        ],
        "tab_partenaire_visite": [
            (v, PARTNERS[v % 4], "RE1" if v % 2 else " RE2", "VI1", "MEDE", "GA1", "SP1")
            for v in [1, 1, 2, 3, 3, 5, 8, 13, 14]
        ],
        "tab_evaluation": [
            (1, 2, 3, D("12.50"), D("20.00"), "2025-01-02 10:00:00"),
            (2, 1, 4, None, D("20.00"), "0000-00-00 00:00:00"),
        ],
        "tab_evaluation_detailed": [
            (1, 1, "CA1", "SC1", D("2.50"), D("5.00")),
            (2, 1, " CA2", None, None, D("5.00")),
            (3, 404, "CA1", "SC9", D("1.00"), D("5.00")),
        ],
        "tab_partenaire_bc": [
            (1, 100, 2, "VALI", "TI1", "CI1", D("250.55"), "2025-01-01"),
            (2, 999, None, None, " TI9", None, None, "0000-00-00"),
        ],
    }


def execute(crm: Crm, plan: list[tuple[list[tuple[str, Table, Any, Any]], bool, float]]) -> None:
    """Run each transaction of ``plan`` on the CRM, committed or rolled back, pausing
    after each as the plan says."""
    with crm.connect() as connection:
        connection.autocommit(False)
        with connection.cursor() as cursor:
            for ops, rollback, pause in plan:
                for op in ops:
                    _execute(cursor, *op)
                connection.rollback() if rollback else connection.commit()
                time.sleep(pause)


def _execute(cursor: Any, kind: str, table: Table, which: int | None, values: Any) -> None:
    if kind == "insert":
        marks = ", ".join(["%s"] * len(values))
        cursor.execute(f"INSERT IGNORE INTO {table.name} VALUES ({marks})", list(values.values()))
        return
    key = f"`{table.key}`"
    cursor.execute(f"SELECT count(*) FROM {table.name}")
    (count,) = cursor.fetchone()
    if not count:
        return
    cursor.execute(
        f"SELECT {key} FROM {table.name} ORDER BY {key} LIMIT 1 OFFSET %s", (which % count,)
    )
    found = cursor.fetchone()
    # A table without a primary key (tab_partenaire_visite) changes one of the key's rows.
    one = "" if table.key_unique else " LIMIT 1"
    if kind == "delete":
        cursor.execute(f"DELETE FROM {table.name} WHERE {key} = %s{one}", found)
    else:
        sets = ", ".join(f"`{name}` = %s" for name in values)
        cursor.execute(
            f"UPDATE IGNORE {table.name} SET {sets} WHERE {key} = %s{one}",
            [*values.values(), *found],
        )


# Random filters over the values above, for every endpoint.
PERIOD = {
    "annee": st.sampled_from([2024, 2025]),
    "mois": st.sampled_from([1, 6, 12]),
    "start_date": st.sampled_from([dt.date(2024, 12, 31), dt.date(2025, 1, 1)]),
    "end_date": st.sampled_from([dt.date(2025, 1, 1), dt.date(2025, 12, 31)]),
}
FIELDS: dict[type[msgspec.Struct], dict[str, st.SearchStrategy[Any]]] = {
    VisiteFilter: {
        "id_responsable": st.sampled_from([1, 2, 4, 99]),
        "id_utilisateur": st.sampled_from(USERS),
        "gamme": st.sampled_from(["GA1", "GA2"]),
        "region": st.sampled_from(["RE1", "RE2", "RE3"]),
        **PERIOD,
    },
    EvaluationFilter: {
        "id_utilisateur": st.sampled_from(USERS),
        "id_responsable": st.sampled_from([1, 2]),
        "code_categorie": st.sampled_from(["CA1", "CA2"]),
        **PERIOD,
    },
    InvestFilter: {
        "id_responsable": st.sampled_from([1, 2, 99]),
        "id_partenaire": st.sampled_from([100, 999]),
        "region": st.sampled_from(["RE1", "RE2"]),
        "code_type_investissement": st.sampled_from(["TI1", "TI9"]),
        **PERIOD,
    },
}
ENDPOINTS = {
    VisiteFilter: ["data", "performance", "partenaire", "users"],
    EvaluationFilter: ["evaluation"],
    InvestFilter: ["invest"],
}


@st.composite
def questions(draw: st.DrawFn) -> tuple[str, msgspec.Struct]:
    kind = draw(st.sampled_from(list(FIELDS)))
    names = draw(st.lists(st.sampled_from(sorted(FIELDS[kind])), max_size=2, unique=True))
    values = {name: draw(FIELDS[kind][name]) for name in names}
    if "start_date" in values and "end_date" in values:
        values["start_date"], values["end_date"] = sorted(
            (values["start_date"], values["end_date"])
        )
    return draw(st.sampled_from(ENDPOINTS[kind])), kind(**values)


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(plan=transactions, asked=st.lists(questions(), min_size=4, max_size=8))
def test_the_followed_snapshot_equals_a_fresh_one(
    mariadb: PrivateMariaDB, tmp_path_factory: Any, plan: Any, asked: Any
) -> None:
    crm = Crm(mariadb)
    try:
        for name, values in initial_rows().items():
            crm.insert(name, values)
        followed, fresh = tmp_path_factory.mktemp("followed"), tmp_path_factory.mktemp("fresh")
        with following(crm, followed) as log:
            execute(crm, plan)
            wait_caught_up(followed, crm)
        # One full snapshot, at the start: every change after it came from the stream.
        assert [m for m in log if m.startswith("taking a full snapshot")] == [
            "taking a full snapshot: no snapshot is published yet"
        ]
        fresh_snapshot(crm, fresh)
        assert_same_tables(followed, fresh)
        assert_same_answers(followed, fresh, [*EVERYTHING, *asked])
    finally:
        crm.drop()
