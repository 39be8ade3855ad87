"""Property tests: every block of the six endpoints, labels and order included, against
the independent model of engine_model.py, on small random CRMs (random codes, labels
that sort otherwise than their codes, missing labels, names and roles, NULLs, unknown
users and partners, group visits, duplicate rows, any id_responsable graph, cycles
included, dates around a new year's midnight) under random filters that set any of
their endpoint's fields, and under a token's scope for /invest."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal as D
from pathlib import Path
from typing import Any, TypeVar

import msgspec
from engine_model import Model
from engine_snapshot import general_path_only, publish, write_snapshot
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import Engine, EvaluationFilter, InvestFilter, SnapshotView, VisiteFilter

F = TypeVar("F", VisiteFilter, EvaluationFilter, InvestFilter)

USERS = range(1, 7)
FIRST_DAY = date(2024, 12, 20)  # day 11 is 2024-12-31, day 12 is 2025-01-01
codes = st.sampled_from  # a code from a small pool, so that groups collide

# Labels that sort otherwise than their codes (RE2 before RE1, VI3 first), twice the
# same label (VI1, VI2), accents after z, and codes without a label (RE3, SP2, ET9, CA9,
# SC9, TI9, CI9).
CODIFICATION = [
    ("ET1", "Privé", "ETPR"), ("ET2", "Public", "ETPU"), ("RE1", "Sud", "REGI"),
    ("RE2", "Nord", "REGI"), ("VI1", "Centre", "VILL"), ("VI2", "Centre", "VILL"),
    ("VI3", "Anfa", "VILL"), ("GA1", "Zeta", "GAMM"), ("GA2", "Alpha", "GAMM"),
    ("SP1", "Éclat", "SPEC"), ("CA1", "Qualité", "CATE"), ("CA2", "Accueil", "CATE"),
    ("SC1", "Écoute", "SCAT"), ("SC2", "argument", "SCAT"), ("TI1", "Matériel", "TINV"),
    ("TI2", "Congrès", "TINV"), ("CI1", "Formation", "CINV"),
]  # fmt: skip


def days_from_start(draw: st.DrawFn) -> int:
    # Often the last day of a year or the first of the next.
    return draw(st.integers(0, 40) | st.sampled_from([11, 12]))


@st.composite
def moments(draw: st.DrawFn) -> datetime | None:
    """A visit's or an evaluation's time: often midnight, the first second of a day."""
    if draw(st.booleans()) and draw(st.booleans()):
        return None
    moment = datetime.combine(FIRST_DAY + timedelta(days_from_start(draw)), datetime.min.time())
    return moment + timedelta(hours=draw(st.sampled_from([0, 9, 23])))


@st.composite
def days(draw: st.DrawFn) -> date:
    return FIRST_DAY + timedelta(days_from_start(draw))


@st.composite
def crms(draw: st.DrawFn) -> dict[str, list[dict[str, Any]]]:
    users = [
        {"id_utilisateur": u, "id_responsable": draw(st.sampled_from([None, 99, *USERS])),
         # names collide (ties by id) or are missing (they rank last)
         "nom_utilisateur": draw(codes(["Zed", "Alaoui", "Émile", None])),
         "prenom_utilisateur": draw(codes(["A", None])),
         "role": draw(codes(["DEL", "del", "SUP", None]))}
        for u in USERS
    ]  # fmt: skip
    partners = [
        {"id_partenaire": p, "nom_partenaire": "X",
         "code_potentiel": draw(codes([None, "A", "B"])),
         "code_statut_partenaire": draw(codes([None, "VALI", "ATTE"])),
         "code_type_etablissement": draw(codes([None, "ET1", "ET2", "ET9"])),
         "code_gamme": draw(codes([None, "GA1", "GA2"])),
         "code_specialite": draw(codes([None, "SP1", "SP2"])),
         "code_region_partenaire": draw(codes([None, "RE1", "RE2", "RE3"]))}
        for p in range(100, 100 + draw(st.integers(2, 4)))
    ]  # fmt: skip
    visits = [
        {"id_visite": v, "id_utilisateur": draw(st.sampled_from([*USERS, 50])),
         "id_responsable": draw(st.sampled_from([None, 1, 2])),
         "code_type_visite": draw(codes(["PLAN", "HOPL", "AUTR"])),
         "type_visite": draw(codes([None, "S", "G"])),
         "flag_accompagnee": draw(codes([None, "N", "O"])),
         "date_visite": draw(moments())}
        for v in range(1, draw(st.integers(4, 14)) + 1)
    ]  # fmt: skip
    partner_ids = [p["id_partenaire"] for p in partners] + [999]
    rows = draw(st.lists(
        st.fixed_dictionaries({
            "id_visite": st.sampled_from([v["id_visite"] for v in visits]),
            "id_partenaire": st.sampled_from(partner_ids),
            "code_region_partenaire": codes([None, "RE1", "RE2", "RE3"]),
            "code_ville_partenaire": codes([None, "VI1", "VI2", "VI3"]),
            "code_type_partenaire": codes([None, "MEDE", "PHAR"]),
            "code_gamme_partenaire": codes([None, "GA1", "GA2"]),
            "code_specialite_partenaire": codes([None, "SP1", "SP2"]),
        }),
        min_size=3,
        max_size=20,
    ))  # fmt: skip
    evaluations = [
        {"id": e, "id_createur": draw(st.sampled_from([*USERS, 77])),
         "id_utilisateur_evalue": draw(st.sampled_from([*USERS, 50])),
         "points_obtenu": draw(codes([None, D("10.00"), D("12.50"), D("7.75")])),
         "points_total": D("20.00"), "date_integration": draw(moments())}
        for e in range(1, draw(st.integers(1, 5)) + 1)
    ]  # fmt: skip
    details = [
        {"id": n, "id_evaluation": draw(st.sampled_from([e["id"] for e in evaluations] + [404])),
         "code_categorie": draw(codes([None, "CA1", "CA2", "CA9"])),
         "code_sous_categorie": draw(codes([None, "SC1", "SC2", "SC9"])),
         "point_obtenu": draw(codes([None, D("1.00"), D("2.50"), D("3.25")])),
         "point_sur": D("5.00")}
        for n in range(1, draw(st.integers(2, 8)) + 1)
    ]  # fmt: skip
    business_cases = [
        {"id_business_case": b, "id_partenaire": draw(st.sampled_from(partner_ids)),
         "id_responsable": draw(st.sampled_from([None, 99, *USERS])),
         "code_statut_bc": draw(codes([None, "VALI", "REAL"])),
         "code_type_investissement": draw(codes([None, "TI1", "TI2", "TI9"])),
         "code_categorie_investissement": draw(codes([None, "CI1", "CI9"])),
         "budget": draw(codes([None, D("0.01"), D("100.00"), D("250.55")])),
         "date_realisation": draw(st.none() | days())}
        for b in range(1, draw(st.integers(2, 5)) + 1)
    ]  # fmt: skip
    return {
        "tab_par_codification": [
            {"code_codification": c, "libelle_codification": label, "type_codification": kind}
            for c, label, kind in CODIFICATION
        ],
        "tab_utilisateur": users,
        "tab_partenaire": partners,
        "tab_visite": visits,
        "tab_partenaire_visite": rows,
        "tab_evaluation": evaluations,
        "tab_evaluation_detailed": details,
        "tab_partenaire_bc": business_cases,
    }


# Every field of every filter, with values that hit rows, and some that match nothing.
PERIOD: dict[str, st.SearchStrategy[Any]] = {
    "annee": st.sampled_from([2024, 2025]),
    "mois": st.sampled_from([12, 1, 6]),
    "start_date": days(),
    "end_date": days(),
}
FIELDS: dict[type, dict[str, st.SearchStrategy[Any]]] = {
    VisiteFilter: {
        "id_responsable": st.sampled_from([*USERS, 99, 50]),
        "id_utilisateur": st.sampled_from([*USERS, 50]),
        "gamme": st.sampled_from(["GA1", "GA2", " GA1 "]),
        "region": st.sampled_from(["RE1", "RE2", "RE3"]),
        **PERIOD,
    },
    EvaluationFilter: {
        "id_utilisateur": st.sampled_from([*USERS, 50]),
        "id_responsable": st.sampled_from([*USERS, 99]),
        "code_categorie": st.sampled_from(["CA1", "CA2", "CA9"]),
        **PERIOD,
    },
    InvestFilter: {
        "id_responsable": st.sampled_from([*USERS, 99]),
        "id_partenaire": st.sampled_from([100, 101, 999]),
        "id_business_case": st.sampled_from([1, 2, 3]),
        "code_type_investissement": st.sampled_from(["TI1", "TI2", "TI9"]),
        "region": st.sampled_from(["RE1", "RE2", "RE3"]),
        **PERIOD,
    },
}


def test_the_strategies_cover_every_field_of_every_filter() -> None:
    for filter_type, fields in FIELDS.items():
        assert set(fields) == set(filter_type.__struct_fields__), filter_type


@st.composite
def filters(draw: st.DrawFn, filter_type: type[F]) -> F:
    """A filter setting one to three of its fields (more would rarely keep a row)."""
    fields = FIELDS[filter_type]
    names = draw(st.lists(st.sampled_from(sorted(fields)), unique=True, min_size=1, max_size=3))
    values = {name: draw(fields[name]) for name in names}
    if "start_date" in values and "end_date" in values:
        values["start_date"], values["end_date"] = sorted(
            (values["start_date"], values["end_date"])
        )
    return filter_type(**values)


# ------------------------------------------------------------------ the tests


def settled(value: Any) -> Any:
    """Floats to 9 decimals: a mean may differ in its last bit with the order of sums."""
    if isinstance(value, float):
        return round(value, 9)
    if isinstance(value, dict):
        return {k: settled(v) for k, v in value.items()}
    if isinstance(value, list):
        return [settled(v) for v in value]
    return value


def agree(
    view: SnapshotView, endpoint: str, f: Any, expected: Any, scope: int | None = None
) -> None:
    got = msgspec.to_builtins(view.answer(endpoint, f, scope=scope))
    assert settled(got) == settled(expected), (endpoint, f, scope)


CONTACT_FIELDS = {"gamme", "region"}  # the visit filter's fields that split visits
VISIT_ENDPOINTS: dict[str, Callable[[Model, VisiteFilter], Any]] = {
    "data": Model.data,
    "performance": Model.performance,
    "partenaire": Model.partenaire,
    "users": Model.users,
}


def check_visits(view: SnapshotView, model: Model, f: VisiteFilter) -> None:
    # A filter of gamme and region only takes the fast path of /partenaire and /users
    # (the load's masks), a filter without them that of /performance and /users (visits
    # per user and day), any other the general path (docs/engine.md). Forced down the
    # general path, a filter that has a fast one must give the same answers.
    fields = {name for name in f.__struct_fields__ if getattr(f, name) is not None}
    fast = not (fields & CONTACT_FIELDS and fields - CONTACT_FIELDS)
    for endpoint, answer in VISIT_ENDPOINTS.items():
        expected = answer(model, f)
        agree(view, endpoint, f, expected)
        if fast:
            with general_path_only():
                agree(view, endpoint, f, expected)


@settings(max_examples=15, deadline=None)
@given(
    crm=crms(),
    visite=st.lists(filters(VisiteFilter), min_size=1, max_size=2),
    evaluation=st.lists(filters(EvaluationFilter), min_size=1, max_size=3),
    invest=st.lists(
        st.tuples(filters(InvestFilter), st.none() | st.sampled_from([*USERS, 99])),
        min_size=1,
        max_size=3,
    ),
)
def test_every_answer_matches_the_model(
    crm: dict[str, list[dict[str, Any]]],
    visite: Sequence[VisiteFilter],
    evaluation: Sequence[EvaluationFilter],
    invest: Sequence[tuple[InvestFilter, int | None]],
) -> None:
    model = Model(crm)
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        write_snapshot(data_dir, "random", crm)
        publish(data_dir, "random")
        engine = Engine.open(data_dir)
        try:
            with engine.lease() as view:
                # Every example also asks for everything, and for 2024: the year that
                # ends among its dates, so that its last day and the next year's first
                # are there to tell apart.
                for f in [VisiteFilter(), VisiteFilter(annee=2024), *visite]:
                    check_visits(view, model, f)
                for e in [EvaluationFilter(), EvaluationFilter(annee=2024), *evaluation]:
                    agree(view, "evaluation", e, model.evaluation(e))
                for i, scope in [(InvestFilter(), None), (InvestFilter(annee=2024), None), *invest]:
                    agree(view, "invest", i, model.invest(i, scope), scope=scope)
                for r in [*USERS, 50, 99]:
                    for u in [*USERS, 50]:
                        assert view.in_team(r, u) is model.in_team(r, u), (r, u)
        finally:
            engine.close()


def test_masks_of_a_partner_and_a_user_split_by_gamme_and_region() -> None:
    # One user meets one partner under two gammes in one region and under one gamme in
    # two regions, rows in either order: a mask read under the wrong filter shape
    # would miss the partner (user) under one of these filters.
    met = [("RE1", "GA1"), ("RE1", "GA2"), ("RE2", "GA1")]
    for order in (met, met[::-1]):
        crm = {
            "tab_utilisateur": [{"id_utilisateur": 1, "id_responsable": None, "role": "DEL"}],
            "tab_partenaire": [{"id_partenaire": 100, "code_statut_partenaire": "VALI"}],
            "tab_visite": [
                {"id_visite": v, "id_utilisateur": 1, "id_responsable": None,
                 "code_type_visite": "PLAN", "type_visite": "S", "flag_accompagnee": "N",
                 "date_visite": datetime(2024, 1, v)}
                for v in (1, 2)
            ],
            "tab_partenaire_visite": [
                {"id_visite": v, "id_partenaire": 100, "code_region_partenaire": region,
                 "code_gamme_partenaire": gamme}
                for v in (1, 2)
                for region, gamme in order
            ],
        }  # fmt: skip
        with tempfile.TemporaryDirectory() as tmp:
            write_snapshot(Path(tmp), "split", crm)
            publish(Path(tmp), "split")
            engine = Engine.open(Path(tmp))
            try:
                with engine.lease() as view:
                    for gamme in (None, "GA1", "GA2"):
                        for region in (None, "RE1", "RE2"):
                            f = VisiteFilter(gamme=gamme, region=region)
                            check_visits(view, Model(crm), f)
            finally:
                engine.close()
