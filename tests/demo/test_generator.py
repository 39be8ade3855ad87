"""The synthetic CRM's generator: determinism, schemas, sizes, and clean data that is
consistent and realistic.

Every expectation is computed here from the tables themselves (or from the product's
rules), not read back from the generator's own bookkeeping.
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from demo_tables import (
    ENUMERATIONS,
    LABELLED,
    ZERO_DATETIME,
    Tables,
    labels,
    managers,
    on_a_cycle,
    values,
)

from snapshot.demo.generator import generate
from snapshot.demo.reference import GAMMES, GENERAL_PRACTITIONER, PHARMACIST, REGIONS
from snapshot.tables import BY_NAME, TABLES

# The codification's prefix of each code type.
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


def timestamps(tables: Tables) -> pa.Array:
    """date_visite parsed (zero or NULL dates give NULL)."""
    text = tables["tab_visite"].column("date_visite")
    valid = pc.if_else(pc.equal(text, ZERO_DATETIME), pa.scalar(None, pa.string()), text)
    return pc.strptime(valid, format="%Y-%m-%d %H:%M:%S", unit="s")


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
    first = generate(1500, seed=5, messy=messy_mode)
    again = generate(1500, seed=5, messy=messy_mode)
    other = generate(1500, seed=6, messy=messy_mode)
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
    table = generate(visits, seed=1, messy=messy_mode)["tab_visite"]
    assert table.num_rows == visits
    assert sorted(table.column("id_visite").to_pylist()) == list(range(1, visits + 1))


def test_sizes_are_refused_when_too_small() -> None:
    with pytest.raises(ValueError):
        generate(0)
    with pytest.raises(ValueError):
        generate(10, messy=True)


def test_everything_scales_with_visits(large: Tables) -> None:
    partners = large["tab_partenaire"].num_rows
    assert 60_000 / 15 <= partners <= 60_000 / 10
    contacts = large["tab_partenaire_visite"].num_rows
    assert 1.2 <= contacts / 60_000 <= 1.7
    small = generate(500, seed=1)
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
    for region, _, cities in REGIONS:
        assert 3 <= len(cities) <= 8, region


def test_region_and_city_gamme_and_speciality_agree(large: Tables) -> None:
    """Each row's city lies in its region; each speciality is one its gamme targets (or a
    generalist / a pharmacist, whom every gamme visits); pharmacists are the PHAR partners."""
    dictionary = labels(large)
    region_of = {city: region for region, _, cities in REGIONS for city, _ in cities}
    targets = {g: {*specs, GENERAL_PRACTITIONER, PHARMACIST} for g, _, specs in GAMMES}
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
            assert (dictionary[spec][0] == PHARMACIST) == (kind == "PHAR")


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
