"""The synthetic CRM: determinism, schemas, realism, every messy fault, and the MySQL load.

Every expectation is computed here from the tables themselves (or from the product's
rules), not read back from the generator's own bookkeeping.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from decimal import Decimal

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from helpers import mysql_connect

from snapshot import demo
from snapshot.demo_mysql import load_into_mysql
from snapshot.tables import BY_NAME, TABLES

Tables = dict[str, pa.Table]

ZERO_DATETIME = "0000-00-00 00:00:00"
ZERO_DATE = "0000-00-00"
# Codes that tab_par_codification labels, and the type their label must have.
LABELLED: dict[tuple[str, str], set[str]] = {
    ("tab_partenaire", "code_type_etablissement"): {"ETPR", "ETPU"},
    ("tab_partenaire", "code_gamme"): {"GAMM"},
    ("tab_partenaire", "code_specialite"): {"SPEC"},
    ("tab_partenaire", "code_region_partenaire"): {"REGI"},
    ("tab_partenaire", "code_ville_partenaire"): {"VILL"},
    ("tab_partenaire_visite", "code_region_partenaire"): {"REGI"},
    ("tab_partenaire_visite", "code_ville_partenaire"): {"VILL"},
    ("tab_partenaire_visite", "code_gamme_partenaire"): {"GAMM"},
    ("tab_partenaire_visite", "code_specialite_partenaire"): {"SPEC"},
    ("tab_evaluation_detailed", "code_categorie"): {"CATE"},
    ("tab_evaluation_detailed", "code_sous_categorie"): {"SCAT"},
    ("tab_partenaire_bc", "code_type_investissement"): {"TINV"},
    ("tab_partenaire_bc", "code_categorie_investissement"): {"CINV"},
}
# The CRM's enumerations (schema comments and product contract).
ENUMERATIONS: dict[tuple[str, str], set[str]] = {
    ("tab_visite", "code_type_visite"): {"PLAN", "HOPL"},
    ("tab_visite", "flag_accompagnee"): {"N", "O"},
    ("tab_visite", "type_visite"): {"S", "G"},
    ("tab_partenaire", "code_potentiel"): {"A", "B", "C"},
    ("tab_partenaire", "code_type_partenaire"): {"MEDE", "PHAR"},
    ("tab_partenaire", "code_statut_partenaire"): {"VALI", "ATTE", "REJE"},
    ("tab_partenaire_visite", "code_type_partenaire"): {"MEDE", "PHAR"},
    ("tab_partenaire_bc", "code_statut_bc"): {"VALI", "ENCO", "ANNU", "REAL"},
}
PREFIXES = {
    "REGI": "RE",
    "VILL": "VI",
    "GAMM": "GA",
    "SPEC": "SP",
    "ETPR": "ET",
    "ETPU": "ET",
    "CATE": "CE",
    "SCAT": "SEV",
    "TINV": "TI",
    "CINV": "CI",
}


@pytest.fixture(scope="module")
def clean() -> Tables:
    return demo.generate(3000, seed=11)


@pytest.fixture(scope="module")
def messy() -> Tables:
    return demo.generate(3000, seed=11, messy=True)


@pytest.fixture(scope="module")
def large() -> Tables:
    """Big enough for shares and ratios to settle."""
    return demo.generate(60_000, seed=3)


def values(tables: Tables, table: str, column: str) -> list:
    return tables[table].column(column).to_pylist()


def ids(tables: Tables, table: str, column: str) -> set[int]:
    return set(values(tables, table, column))


def labels(tables: Tables) -> dict[str, tuple[str, str]]:
    """code -> (label, type), codes and types trimmed."""
    t = tables["tab_par_codification"]
    return {
        c.strip(): (label, kind.strip())
        for c, label, kind in zip(
            t.column("code_codification").to_pylist(),
            t.column("libelle_codification").to_pylist(),
            t.column("type_codification").to_pylist(),
            strict=True,
        )
    }


def timestamps(tables: Tables) -> pa.Array:
    """date_visite parsed (zero or NULL dates give NULL)."""
    text = tables["tab_visite"].column("date_visite")
    valid = pc.if_else(pc.equal(text, ZERO_DATETIME), pa.scalar(None, pa.string()), text)
    return pc.strptime(valid, format="%Y-%m-%d %H:%M:%S", unit="s")


def managers(tables: Tables) -> dict[int, int | None]:
    return dict(
        zip(
            values(tables, "tab_utilisateur", "id_utilisateur"),
            values(tables, "tab_utilisateur", "id_responsable"),
            strict=True,
        )
    )


def on_a_cycle(tree: dict[int, int | None]) -> set[int]:
    """Users whose own chain of id_responsable comes back to them."""
    looping = set()
    for user in tree:
        seen, current = set(), tree[user]
        while current is not None and current in tree and current not in seen:
            if current == user:
                looping.add(user)
                break
            seen.add(current)
            current = tree[current]
    return looping


def depth(tree: dict[int, int | None], user: int) -> int:
    levels, current = 1, tree[user]
    while current is not None:
        levels, current = levels + 1, tree[current]
    return levels


# ---------------------------------------------------------------------------------------
# Determinism, shape, size.
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("messy_mode", [False, True])
def test_same_seed_gives_the_same_tables(messy_mode: bool) -> None:
    first = demo.generate(1500, seed=5, messy=messy_mode)
    again = demo.generate(1500, seed=5, messy=messy_mode)
    other = demo.generate(1500, seed=6, messy=messy_mode)
    assert all(first[name].equals(again[name]) for name in BY_NAME)
    assert not first["tab_visite"].equals(other["tab_visite"])
    assert not first["tab_partenaire"].equals(other["tab_partenaire"])


@pytest.mark.parametrize("which", ["clean", "messy"])
def test_tables_have_the_raw_schemas(which: str, request: pytest.FixtureRequest) -> None:
    tables: Tables = request.getfixturevalue(which)
    assert list(tables) == [t.name for t in TABLES]
    for name, table in tables.items():
        assert table.schema.equals(BY_NAME[name].raw_schema()), name
        for field in table.schema:
            if not field.nullable:
                assert table.column(field.name).null_count == 0, (name, field.name)


@pytest.mark.parametrize(
    ("visits", "messy_mode"), [(1, False), (137, False), (100, True), (2345, True)]
)
def test_visit_count_is_exact(visits: int, messy_mode: bool) -> None:
    table = demo.generate(visits, seed=1, messy=messy_mode)["tab_visite"]
    assert table.num_rows == visits
    assert sorted(table.column("id_visite").to_pylist()) == list(range(1, visits + 1))


def test_sizes_are_refused_when_too_small() -> None:
    with pytest.raises(ValueError):
        demo.generate(0)
    with pytest.raises(ValueError):
        demo.generate(10, messy=True)


def test_everything_scales_with_visits(large: Tables) -> None:
    partners = large["tab_partenaire"].num_rows
    assert 60_000 / 15 <= partners <= 60_000 / 10
    contacts = large["tab_partenaire_visite"].num_rows
    assert 1.2 <= contacts / 60_000 <= 1.7
    small = demo.generate(500, seed=1)
    assert small["tab_partenaire"].num_rows >= 300


# ---------------------------------------------------------------------------------------
# Clean data: consistent and complete.
# ---------------------------------------------------------------------------------------


def test_simple_visits_meet_one_partner_and_group_visits_two_to_four(clean: Tables) -> None:
    rows = Counter(values(clean, "tab_partenaire_visite", "id_visite"))
    pairs = Counter(
        zip(
            values(clean, "tab_partenaire_visite", "id_visite"),
            values(clean, "tab_partenaire_visite", "id_partenaire"),
            strict=True,
        )
    )
    assert max(pairs.values()) == 1, "a partner met twice in one visit"
    kinds = dict(
        zip(
            values(clean, "tab_visite", "id_visite"),
            values(clean, "tab_visite", "type_visite"),
            strict=True,
        )
    )
    without = [v for v in kinds if rows[v] == 0]
    assert 0 < len(without) <= 0.03 * len(kinds)
    for visit, kind in kinds.items():
        if rows[visit]:
            assert (kind == "S" and rows[visit] == 1) or (kind == "G" and 2 <= rows[visit] <= 4)
        else:
            assert kind == "S"
    group_share = sum(k == "G" for k in kinds.values()) / len(kinds)
    assert 0.1 < group_share < 0.4


def test_every_code_has_a_label_of_the_right_type(clean: Tables) -> None:
    dictionary = labels(clean)
    codes = values(clean, "tab_par_codification", "code_codification")
    assert len(codes) == len(set(codes))
    for code, (label, kind) in dictionary.items():
        assert label and label == label.strip()
        assert code.startswith(PREFIXES[kind]) and code[len(PREFIXES[kind]) :].isdigit()
    for (table, column), kinds in LABELLED.items():
        for code in set(values(clean, table, column)):
            assert code in dictionary, (table, column, code)
            assert dictionary[code][1] in kinds, (table, column, code)


def test_enumerations_hold_only_known_codes(clean: Tables) -> None:
    for (table, column), allowed in ENUMERATIONS.items():
        assert set(values(clean, table, column)) <= allowed, (table, column)
    statuses = set(values(clean, "tab_visite", "code_statut_visite"))
    assert {"CLOT", "REAL", "ANNU"} <= statuses
    roles = set(values(clean, "tab_utilisateur", "role"))
    assert {"DIR", "SUP", "DEL"} <= roles


def test_the_twelve_regions_and_their_cities(clean: Tables) -> None:
    dictionary = labels(clean)
    regions = sorted(label for label, kind in dictionary.values() if kind == "REGI")
    assert regions == sorted(
        [
            "Tanger-Tétouan-Al Hoceïma",
            "L'Oriental",
            "Fès-Meknès",
            "Rabat-Salé-Kénitra",
            "Béni Mellal-Khénifra",
            "Casablanca-Settat",
            "Marrakech-Safi",
            "Drâa-Tafilalet",
            "Souss-Massa",
            "Guelmim-Oued Noun",
            "Laâyoune-Sakia El Hamra",
            "Dakhla-Oued Ed-Dahab",
        ]
    )
    for region, _, cities in demo.REGIONS:
        assert 3 <= len(cities) <= 8, region


def test_region_and_city_gamme_and_speciality_agree(large: Tables) -> None:
    """Each row's city lies in its region; each speciality is one its gamme targets (or a
    generalist / a pharmacist, whom every gamme visits); pharmacists are the PHAR partners."""
    dictionary = labels(large)
    region_of = {city: region for region, _, cities in demo.REGIONS for city, _ in cities}
    targets = {g: {*specs, demo.GENERALISTE, demo.PHARMACIEN} for g, _, specs in demo.GAMMES}
    columns = {
        "tab_partenaire": ("code_gamme", "code_specialite"),
        "tab_partenaire_visite": ("code_gamme_partenaire", "code_specialite_partenaire"),
    }
    for table, (gamme, speciality) in columns.items():
        t = large[table]
        rows = set(
            zip(
                *(
                    t.column(c).to_pylist()
                    for c in (
                        "code_region_partenaire",
                        "code_ville_partenaire",
                        gamme,
                        speciality,
                        "code_type_partenaire",
                    )
                ),
                strict=True,
            )
        )
        for region, city, g, spec, kind in rows:
            assert region_of[dictionary[city][0]] == dictionary[region][0]
            assert dictionary[spec][0] in targets[dictionary[g][0]]
            assert (dictionary[spec][0] == demo.PHARMACIEN) == (kind == "PHAR")


def test_some_partners_moved_since_their_visits(large: Tables) -> None:
    today = dict(
        zip(
            values(large, "tab_partenaire", "id_partenaire"),
            values(large, "tab_partenaire", "code_ville_partenaire"),
            strict=True,
        )
    )
    met = zip(
        values(large, "tab_partenaire_visite", "id_partenaire"),
        values(large, "tab_partenaire_visite", "code_ville_partenaire"),
        strict=True,
    )
    moved = Counter(today[p] != city for p, city in met)
    assert 0 < moved[True] < 0.05 * (moved[True] + moved[False])


def test_partners_are_mostly_validated_doctors_with_few_a(large: Tables) -> None:
    potential = Counter(values(large, "tab_partenaire", "code_potentiel"))
    assert potential["A"] < potential["B"] < potential["C"]
    status = Counter(values(large, "tab_partenaire", "code_statut_partenaire"))
    assert status["VALI"] > 0.8 * large["tab_partenaire"].num_rows
    kind = Counter(values(large, "tab_partenaire", "code_type_partenaire"))
    assert 0 < kind["PHAR"] < kind["MEDE"]


def test_about_one_rep_per_150_partners(large: Tables) -> None:
    reps = sum(r == "DEL" for r in values(large, "tab_utilisateur", "role"))
    partners = large["tab_partenaire"].num_rows
    assert 1 / 200 <= reps / partners <= 1 / 100


def test_management_tree_is_acyclic_and_deep(large: Tables) -> None:
    tree = managers(large)
    role = dict(zip(tree, values(large, "tab_utilisateur", "role"), strict=True))
    assert all(m is None or m in tree for m in tree.values())
    assert not on_a_cycle(tree)
    assert [u for u, m in tree.items() if m is None] == [u for u, r in role.items() if r == "DIR"]
    assert max(depth(tree, u) for u in tree) >= 3
    assert all(role[tree[u]] == "SUP" for u in tree if role[u] == "DEL")
    names = values(large, "tab_utilisateur", "nom_utilisateur")
    assert any(
        not n.isascii() for n in names + values(large, "tab_utilisateur", "prenom_utilisateur")
    )
    created = sorted(values(large, "tab_utilisateur", "date_creation"))
    assert int(created[-1][:4]) - int(created[0][:4]) >= 5


def test_visits_by_reps_of_their_own_region_with_their_manager(large: Tables) -> None:
    tree = managers(large)
    role = dict(zip(tree, values(large, "tab_utilisateur", "role"), strict=True))
    visits = large["tab_visite"]
    visitor = dict(
        zip(
            visits.column("id_visite").to_pylist(),
            visits.column("id_utilisateur").to_pylist(),
            strict=True,
        )
    )
    by_role = Counter(role[u] for u in visitor.values())
    assert by_role["DEL"] > 0.9 * visits.num_rows and by_role["SUP"] > 0
    # The visit's id_responsable is the visitor's manager (now, or before a team change).
    same = sum(
        tree[u] == m
        for u, m in zip(
            visits.column("id_utilisateur").to_pylist(),
            visits.column("id_responsable").to_pylist(),
            strict=True,
        )
    )
    assert same > 0.95 * visits.num_rows
    # A rep's sector: most of its contacts lie in one region.
    regions: dict[int, Counter] = {}
    met = large["tab_partenaire_visite"]
    for v, region in zip(
        met.column("id_visite").to_pylist(),
        met.column("code_region_partenaire").to_pylist(),
        strict=True,
    ):
        regions.setdefault(visitor[v], Counter())[region] += 1
    home = sum(c.most_common(1)[0][1] for c in regions.values()) / met.num_rows
    assert home > 0.85


def test_visits_fall_on_working_days_and_hours(large: Tables) -> None:
    start = timestamps(large)
    assert start.null_count == 0
    weekday = Counter(pc.day_of_week(start).to_pylist())  # Monday = 0
    assert weekday[6] == 0
    assert 0 < weekday[5] < 0.02 * len(start)
    hours = pc.hour(start)
    assert pc.min(hours).as_py() >= 8 and pc.max(hours).as_py() <= 18
    end = pc.strptime(
        pc.binary_join_element_wise(
            pc.strftime(start, "%Y-%m-%d"), large["tab_visite"].column("heure_fin_visite"), " "
        ),
        format="%Y-%m-%d %H:%M:%S",
        unit="s",
    )
    minutes = pc.divide(pc.cast(pc.subtract(end, start), pa.int64()), 60)
    assert pc.min(minutes).as_py() >= 15 and pc.max(minutes).as_py() <= 60
    years = pc.year(start)
    assert pc.max(years).as_py() - pc.min(years).as_py() == 2


def test_visits_follow_the_seasons(large: Tables) -> None:
    month = Counter(pc.month(timestamps(large)).to_pylist())
    assert month[8] < 0.5 * month[10]
    assert month[10] > sum(month.values()) / 12
    planned = Counter(values(large, "tab_visite", "code_type_visite"))
    assert 0.7 < planned["PLAN"] / large["tab_visite"].num_rows < 0.8
    flag = Counter(values(large, "tab_visite", "flag_accompagnee"))
    assert 0 < flag["O"] < flag["N"]


def test_evaluations_are_quarterly_and_add_up(large: Tables) -> None:
    header = large["tab_evaluation"]
    detail = large["tab_evaluation_detailed"]
    totals: Counter = Counter()
    on: Counter = Counter()
    for e, got, out_of in zip(
        detail.column("id_evaluation").to_pylist(),
        detail.column("point_obtenu").to_pylist(),
        detail.column("point_sur").to_pylist(),
        strict=True,
    ):
        assert Decimal(0) <= got <= out_of
        totals[e] += got
        on[e] += out_of
    for e, got, out_of in zip(
        header.column("id").to_pylist(),
        header.column("points_obtenu").to_pylist(),
        header.column("points_total").to_pylist(),
        strict=True,
    ):
        assert got == totals[e] and out_of == on[e] == Decimal(100)
    pairs = Counter(
        zip(
            detail.column("id_evaluation").to_pylist(),
            detail.column("code_sous_categorie").to_pylist(),
            strict=True,
        )
    )
    assert max(pairs.values()) == 1
    tree = managers(large)
    role = dict(zip(tree, values(large, "tab_utilisateur", "role"), strict=True))
    rank = {"DIR": 0, "DR": 1, "SUP": 2, "DEL": 3}
    creators = list(
        zip(
            header.column("id_createur").to_pylist(),
            header.column("id_utilisateur_evalue").to_pylist(),
            strict=True,
        )
    )
    assert all(rank[role[c]] < rank[role[u]] for c, u in creators)
    by_manager = sum(c in (tree[u], tree[tree[u]]) for c, u in creators)
    assert by_manager > 0.95 * len(creators)
    evaluated = Counter(role[u] for _, u in creators)
    assert evaluated["DEL"] > evaluated["SUP"] > 0
    per_user = Counter(header.column("id_utilisateur_evalue").to_pylist())
    assert max(per_user.values()) <= 4 * 3  # at most quarterly over three years


def test_business_cases_budgets(large: Tables) -> None:
    bc = large["tab_partenaire_bc"]
    per_partner = Counter(bc.column("id_partenaire").to_pylist())
    assert 0.01 < len(per_partner) / large["tab_partenaire"].num_rows < 0.1
    assert any(n >= 2 for n in per_partner.values()) and max(per_partner.values()) <= 4
    budgets = [b for b in bc.column("budget").to_pylist() if b is not None]
    assert bc.column("budget").null_count > 0
    assert min(budgets) >= 1000 and 100_000 < max(budgets) < 1_000_000
    assert all(b == b.quantize(Decimal("0.01")) for b in budgets)
    assert set(values(large, "tab_partenaire_bc", "code_statut_bc")) == {
        "VALI",
        "ENCO",
        "ANNU",
        "REAL",
    }


@pytest.mark.parametrize("which", ["clean", "large"])
def test_clean_data_has_no_fault(which: str, request: pytest.FixtureRequest) -> None:
    tables: Tables = request.getfixturevalue(which)
    for fault, check in CHECKS.items():
        found = check(tables)
        assert not any(found.values()), (fault, found)


# ---------------------------------------------------------------------------------------
# Messy data: each fault, checked on its own.
# ---------------------------------------------------------------------------------------


def code_columns(table: str) -> list[str]:
    from snapshot.tables import Kind

    return [c.name for c in BY_NAME[table].columns if c.kind is Kind.CODE]


def count_spaces(t: Tables) -> dict[str, int]:
    families = {
        "tab_visite": ["code_type_visite", "code_statut_visite"],  # the others are CHAR(1)
        "tab_partenaire_visite": code_columns("tab_partenaire_visite"),
        "tab_partenaire": code_columns("tab_partenaire"),
        "tab_par_codification": ["code_codification", "type_codification"],
        "tab_partenaire_bc": code_columns("tab_partenaire_bc"),
        "tab_evaluation_detailed": code_columns("tab_evaluation_detailed"),
    }
    return {
        table: sum(v is not None and v != v.strip() for c in columns for v in values(t, table, c))
        for table, columns in families.items()
    }


def count_empty(t: Tables) -> dict[str, int]:
    found = {
        table: sum(v == "" for c in code_columns(table) for v in values(t, table, c))
        for table in (
            "tab_visite",
            "tab_partenaire_visite",
            "tab_partenaire",
            "tab_partenaire_bc",
            "tab_evaluation_detailed",
        )
    }
    found["libelle_codification"] = values(t, "tab_par_codification", "libelle_codification").count(
        ""
    )
    return found


def count_role_case(t: Tables) -> dict[str, int]:
    return {"role": sum(r != r.upper() for r in values(t, "tab_utilisateur", "role"))}


def count_missing_labels(t: Tables) -> dict[str, int]:
    known = set(labels(t))
    found: Counter = Counter()
    for table, column in LABELLED:
        found[table] += sum(
            1
            for v in values(t, table, column)
            if v is not None and v.strip() and v.strip() not in known
        )
    return dict(found)


def count_orphan_partner_visits(t: Tables) -> dict[str, int]:
    visits = ids(t, "tab_visite", "id_visite")
    return {"rows": sum(v not in visits for v in values(t, "tab_partenaire_visite", "id_visite"))}


def count_orphan_details(t: Tables) -> dict[str, int]:
    headers = ids(t, "tab_evaluation", "id")
    return {
        "rows": sum(e not in headers for e in values(t, "tab_evaluation_detailed", "id_evaluation"))
    }


def count_deleted_users(t: Tables) -> dict[str, int]:
    users = ids(t, "tab_utilisateur", "id_utilisateur")
    return {"visits": sum(u not in users for u in values(t, "tab_visite", "id_utilisateur"))}


def count_deleted_partners(t: Tables) -> dict[str, int]:
    partners = ids(t, "tab_partenaire", "id_partenaire")
    return {
        table: sum(p not in partners for p in values(t, table, "id_partenaire"))
        for table in ("tab_partenaire_visite", "tab_partenaire_bc")
    }


DATES = (
    ("tab_visite", "date_visite", ZERO_DATETIME),
    ("tab_evaluation", "date_integration", ZERO_DATETIME),
    ("tab_utilisateur", "date_creation", ZERO_DATETIME),
    ("tab_partenaire_bc", "date_realisation", ZERO_DATE),
)


def count_zero_dates(t: Tables) -> dict[str, int]:
    return {column: values(t, table, column).count(zero) for table, column, zero in DATES}


def count_null_dates(t: Tables) -> dict[str, int]:
    return {column: t[table].column(column).null_count for table, column, _ in DATES}


def count_cycles(t: Tables) -> dict[str, int]:
    tree = managers(t)
    return {
        "self": sum(u == m for u, m in tree.items()),
        "longer": len({u for u in on_a_cycle(tree) if tree[u] != u}),
    }


def count_nulls(t: Tables) -> dict[str, int]:
    roles = values(t, "tab_utilisateur", "role")
    managerless = values(t, "tab_utilisateur", "id_responsable")
    found = {
        "tab_utilisateur.id_responsable": sum(
            m is None and r.strip().upper() != "DIR"
            for m, r in zip(managerless, roles, strict=True)
        )
    }
    for table, column in (
        ("tab_visite", "id_responsable"),
        ("tab_visite", "flag_accompagnee"),
        ("tab_visite", "type_visite"),
        ("tab_visite", "code_statut_visite"),
        ("tab_partenaire_visite", "code_gamme_partenaire"),
        ("tab_partenaire", "code_potentiel"),
        ("tab_partenaire_bc", "code_statut_bc"),
        ("tab_evaluation", "points_obtenu"),
        ("tab_evaluation_detailed", "point_obtenu"),
    ):
        found[f"{table}.{column}"] = t[table].column(column).null_count
    return found


def count_unknown_codes(t: Tables) -> dict[str, int]:
    found = {}
    for (table, column), allowed in ENUMERATIONS.items():
        if column in {"type_visite", "code_statut_partenaire"} or table == "tab_partenaire_bc":
            continue  # no unknown value is injected there
        found[f"{table}.{column}"] = sum(
            v is not None and v.strip() not in allowed | {""} for v in values(t, table, column)
        )
    return found


CHECKS: dict[str, Callable[[Tables], dict[str, int]]] = {
    "code_spaces": count_spaces,
    "empty_strings": count_empty,
    "role_case": count_role_case,
    "missing_labels": count_missing_labels,
    "orphan_partner_visits": count_orphan_partner_visits,
    "orphan_evaluation_details": count_orphan_details,
    "deleted_users": count_deleted_users,
    "deleted_partners": count_deleted_partners,
    "zero_dates": count_zero_dates,
    "null_dates": count_null_dates,
    "responsable_cycles": count_cycles,
    "nulls": count_nulls,
    "unknown_codes": count_unknown_codes,
}


def test_every_declared_fault_has_a_check() -> None:
    assert set(demo.MESSY_FAULTS) == set(CHECKS)
    assert len(demo.MESSY_FAULTS) == len(set(demo.MESSY_FAULTS))


@pytest.mark.parametrize("fault", demo.MESSY_FAULTS)
def test_messy_data_has_each_fault_everywhere_on_few_rows(fault: str, messy: Tables) -> None:
    found = CHECKS[fault](messy)
    assert all(found.values()), found


def test_messy_data_are_the_clean_data_with_few_rows_soiled(clean: Tables, messy: Tables) -> None:
    """Same seed: the messy tables are the clean ones, a small share of rows changed (in the
    big tables: a small one gets one row per fault at least)."""
    for name in ("tab_visite", "tab_partenaire_visite", "tab_evaluation_detailed"):
        before = clean[name].to_pylist()
        after = messy[name].to_pylist()[: len(before)]
        changed = sum(a != b for a, b in zip(before, after, strict=True))
        assert 0 < changed < 0.1 * len(before), name


def test_roles_in_the_wrong_case_look_like_typing(messy: Tables) -> None:
    odd = {r for r in values(messy, "tab_utilisateur", "role") if r != r.upper()}
    assert all(r.strip().upper() in {"DIR", "DR", "SUP", "DEL"} for r in odd)
    assert any(r == r.lower() for r in odd) and any(r != r.strip() for r in odd)


# ---------------------------------------------------------------------------------------
# MySQL round trip.
# ---------------------------------------------------------------------------------------


def as_text(table: pa.Table) -> Counter:
    """Every row as a tuple of MySQL-printed strings (NULL as None), as a multiset."""
    columns = [c.cast(pa.string()).to_pylist() for c in table.columns]
    return Counter(zip(*columns, strict=True))


def test_load_creates_the_eight_tables_even_when_empty(mysql_database: str) -> None:
    load_into_mysql({}, mysql_database)
    load_into_mysql({}, mysql_database)  # again: the tables are replaced, not duplicated
    with mysql_connect(mysql_database) as connection, connection.cursor() as cursor:
        cursor.execute("SHOW TABLES")
        assert sorted(name for (name,) in cursor.fetchall()) == sorted(BY_NAME)


def test_messy_tables_round_trip_through_mysql(mysql_database: str) -> None:
    tables = demo.generate(2000, seed=9, messy=True)
    load_into_mysql(tables, mysql_database)
    with mysql_connect(mysql_database) as connection, connection.cursor() as cursor:
        for name, table in tables.items():
            cursor.execute(f"SELECT COUNT(*) FROM `{name}`")
            assert cursor.fetchone()[0] == table.num_rows, name
            printed = ", ".join(f"CAST(`{c}` AS CHAR)" for c in table.column_names)
            cursor.execute(f"SELECT {printed} FROM `{name}`")
            assert Counter(cursor.fetchall()) == as_text(table), name

        codification = tables["tab_par_codification"].to_pylist()
        accented = next(r for r in codification if r["libelle_codification"].startswith("Tanger-"))
        cursor.execute(
            "SELECT libelle_codification FROM tab_par_codification WHERE code_codification = %s",
            (accented["code_codification"],),
        )
        assert cursor.fetchone()[0] == "Tanger-Tétouan-Al Hoceïma"

        visits = tables["tab_visite"].to_pylist()
        zero = next(v["id_visite"] for v in visits if v["date_visite"] == ZERO_DATETIME)
        cursor.execute(
            "SELECT CAST(date_visite AS CHAR) FROM tab_visite WHERE id_visite = %s", (zero,)
        )
        assert cursor.fetchone()[0] == ZERO_DATETIME

        cases = tables["tab_partenaire_bc"].to_pylist()
        priced = next(c for c in cases if c["budget"] is not None and c["budget"] % 1)
        unpriced = next(c for c in cases if c["budget"] is None)
        cursor.execute(
            "SELECT id_business_case, budget FROM tab_partenaire_bc "
            "WHERE id_business_case IN (%s, %s)",
            (priced["id_business_case"], unpriced["id_business_case"]),
        )
        read = dict(cursor.fetchall())
        assert read == {
            priced["id_business_case"]: priced["budget"],
            unpriced["id_business_case"]: None,
        }


def test_load_escapes_tabs_newlines_backslashes(mysql_database: str) -> None:
    tricky = [
        "tab\there",
        "new\nline",
        "carriage\rreturn",
        "back\\slash",
        "\\N",
        "N",
        "",
        "Fès\t\\n",
    ]
    schema = BY_NAME["tab_par_codification"].raw_schema()
    table = pa.table(
        {
            "code_codification": [f"T{i}" for i in range(len(tricky))],
            "libelle_codification": tricky,
            "type_codification": ["TEST"] * len(tricky),
        },
        schema=schema,
    )
    visits = pa.table(
        {
            "id_visite": [1, 2],
            "id_utilisateur": [7, 8],
            "id_responsable": [None, 3],
            "code_type_visite": ["PLAN", "\\"],
            "code_statut_visite": [None, ""],
            "flag_accompagnee": ["O", None],
            "date_visite": [ZERO_DATETIME, None],
            "heure_fin_visite": ["09:30:00", None],
            "type_visite": [None, "G"],
        },
        schema=BY_NAME["tab_visite"].raw_schema(),
    )
    load_into_mysql({"tab_par_codification": table, "tab_visite": visits}, mysql_database)
    with mysql_connect(mysql_database) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT code_codification, libelle_codification FROM tab_par_codification")
        assert dict(cursor.fetchall()) == {f"T{i}": text for i, text in enumerate(tricky)}
        printed = ", ".join(f"CAST(`{c}` AS CHAR)" for c in visits.column_names)
        cursor.execute(f"SELECT {printed} FROM tab_visite")
        assert Counter(cursor.fetchall()) == as_text(visits)
        cursor.execute("SELECT COUNT(*) FROM tab_partenaire")
        assert cursor.fetchone()[0] == 0


def test_load_refuses_unknown_tables(mysql_database: str) -> None:
    with pytest.raises(ValueError, match="not source tables"):
        load_into_mysql({"tab_inconnue": pa.table({"x": [1]})}, mysql_database)
