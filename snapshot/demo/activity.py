"""What the force does over the period: visites and the partenaires each one met, quarterly
evaluations, and business cases."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from snapshot.demo.arrays import (
    cumulate,
    dates,
    datetimes,
    decimals,
    draw,
    epoch_day,
    pick,
    source_table,
    strings,
    times,
)
from snapshot.demo.force import Force
from snapshot.demo.partenaires import Partenaires
from snapshot.demo.reference import (
    BUSINESS_CASE_STATUSES,
    CATEGORIES_INVESTISSEMENT,
    DEL,
    EVALUATION_GRID,
    FIRST_DAY,
    FLAGS,
    LAST_DAY,
    PARTENAIRE_TYPES,
    POINTS_TOTAL,
    REGIONS,
    SUP,
    TYPES_INVESTISSEMENT,
    VISITE_SHAPES,
    VISITE_STATUSES,
    VISITE_TYPES,
    ZONES,
)
from snapshot.demo.world import Calendar, Codification

# ---------------------------------------------------------------------------------------
# Visits and the partners met.
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Portfolios:
    """Partners grouped by owner rep and, inside a portfolio, by city (so that the partners
    of a group visit, taken next to each other, share a city)."""

    order: np.ndarray  # partner indexes, sorted by (owner, city)
    start: np.ndarray  # per force position: its portfolio is order[start:stop]
    stop: np.ndarray
    cumulative: np.ndarray  # cumulated visit weights along `order`


def group_portfolios(p: Partenaires, n_utilisateurs: int) -> Portfolios:
    order = np.lexsort((p.ville, p.owner))
    owners = p.owner[order]
    utilisateurs = np.arange(n_utilisateurs)
    return Portfolios(
        order=order,
        start=np.searchsorted(owners, utilisateurs, side="left"),
        stop=np.searchsorted(owners, utilisateurs, side="right"),
        cumulative=cumulate(p.visite_weight[order]),
    )


@dataclass(frozen=True)
class Agenda:
    """Visit-level draws, already in time order (so id_visite grows with date_visite)."""

    delegue: np.ndarray  # the rep whose sector the visit belongs to
    visitor: np.ndarray  # who recorded it: the rep, or its supervisor
    day: np.ndarray
    minute: np.ndarray  # start, minutes after midnight


def plan_agenda(rng: np.random.Generator, cal: Calendar, force: Force, n: int) -> Agenda:
    """Who visits when: busier reps and longer careers get more visits; 5% of visits are
    made by the rep's supervisor, on the rep's sector."""
    delegues = np.flatnonzero(force.role == DEL)
    working = (
        cal.cumulative[force.last_day[delegues] + 1] - cal.cumulative[force.first_day[delegues]]
    )
    delegue = delegues[pick(rng, n, force.activity[delegues] * working)]
    day = cal.draw(rng, force.first_day[delegue], force.last_day[delegue])
    visitor = np.where(rng.random(n) < 0.05, force.responsable_on(delegue, day), delegue)
    minute = _start_minutes(rng, day)
    order = np.argsort(day * 1440 + minute, kind="stable")
    return Agenda(
        delegue=delegue[order], visitor=visitor[order], day=day[order], minute=minute[order]
    )


def _start_minutes(rng: np.random.Generator, day: np.ndarray) -> np.ndarray:
    """Working hours: morning round 10:30, afternoon consultations round 16:00; Saturday is
    morning only and Friday afternoon starts after the prayer."""
    n = len(day)
    weekday = (epoch_day(day) + 3) % 7
    morning = (rng.random(n) < 0.58) | (weekday == 5)
    am = np.clip(rng.normal(630, 55, n), 510, 750)
    pm = np.clip(rng.normal(960, 65, n), 870, 1110)
    pm = np.where(weekday == 4, np.maximum(pm, 900), pm)
    return np.where(morning, am, pm).astype(np.int64)


def portfolio_owner(rng: np.random.Generator, force: Force, delegue: np.ndarray) -> np.ndarray:
    """Whose portfolio a visit draws from: the rep's own (87%), a colleague's in the same
    region (10%, covering a sector) or one in the same zone (3%)."""
    delegues = np.flatnonzero(force.role == DEL)
    zone_of = np.zeros(len(REGIONS), dtype=np.int64)
    for z, members in enumerate(ZONES):
        zone_of[list(members)] = z
    n = len(delegue)
    choice = rng.random(n)
    owner = delegue.copy()
    for key, share_low, share_high in (
        (force.region, 0.87, 0.97),
        (zone_of[force.region], 0.97, 1.0),
    ):
        by_key = delegues[np.argsort(key[delegues], kind="stable")]
        bounds = np.searchsorted(key[by_key], np.arange(len(REGIONS) + 1))
        lo, hi = bounds[key[delegue]], bounds[key[delegue] + 1]
        colleague = by_key[lo + (rng.random(n) * (hi - lo)).astype(np.int64)]
        owner = np.where((choice >= share_low) & (choice < share_high), colleague, owner)
    return owner


def partenaires_met(
    rng: np.random.Generator, pf: Portfolios, owner: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """How many partners each visit met (1% none, simple visits one, group visits 2-4), and
    who: a partner drawn by visit weight, plus its next neighbours in the portfolio for a
    group visit (distinct partners, same city). Returns (size, visit of row, partner)."""
    n = len(owner)
    start, stop = pf.start[owner], pf.stop[owner]
    size = np.minimum(
        pick(rng, n, [0.01, 0.72, 0.27 * 0.50, 0.27 * 0.30, 0.27 * 0.20]), stop - start
    )
    anchor = draw(rng, pf.cumulative, start, stop)
    visite = np.repeat(np.arange(n), size)
    rank = np.arange(len(visite)) - np.repeat(np.cumsum(size) - size, size)
    first = start[visite]
    position = first + (anchor[visite] - first + rank) % (stop - start)[visite]
    return size, visite, pf.order[position]


def visite_table(
    rng: np.random.Generator, cal: Calendar, force: Force, a: Agenda, size: np.ndarray
) -> pa.Table:
    n = len(a.day)
    sup = force.role[a.visitor] == SUP
    planned = rng.random(n) < 0.75
    recent = a.day >= cal.days - 21
    status = np.where(recent, pick(rng, n, [0.1, 0.9, 0]), pick(rng, n, [0.78, 0.22, 0]))
    status = np.where(planned & (rng.random(n) < 0.05), 2, status)
    accompanied = rng.random(n) < np.where(sup, 0.9, 0.07)
    duration = 15 + np.minimum(45, rng.gamma(2.0, 8.0, n).astype(np.int64) + 10 * (size >= 2))
    start = epoch_day(a.day) * 86400 + a.minute * 60
    return source_table(
        "tab_visite",
        {
            "id_visite": pa.array(np.arange(1, n + 1, dtype=np.int32)),
            "id_utilisateur": pa.array((a.visitor + 1).astype(np.int32)),
            "id_responsable": pa.array(
                (force.responsable_on(a.visitor, a.day) + 1).astype(np.int32)
            ),
            "code_type_visite": strings(VISITE_TYPES, (~planned).astype(np.int64)),
            "code_statut_visite": strings(VISITE_STATUSES, status),
            "flag_accompagnee": strings(FLAGS, accompanied.astype(np.int64)),
            "date_visite": datetimes(start),
            "heure_fin_visite": times((a.minute + duration) * 60),
            "type_visite": strings(VISITE_SHAPES, (size >= 2).astype(np.int64)),
        },
    )


def partenaire_visite_table(
    ref: Codification, p: Partenaires, a: Agenda, visite: np.ndarray, partenaire: np.ndarray
) -> pa.Table:
    """The partner's attributes as they were on the visit day (old city before a move)."""
    ville = np.where(
        a.day[visite] < p.moved_day[partenaire], p.old_ville[partenaire], p.ville[partenaire]
    )
    codes = ref.codes
    return source_table(
        "tab_partenaire_visite",
        {
            "id_visite": pa.array((visite + 1).astype(np.int32)),
            "id_partenaire": pa.array((partenaire + 1).astype(np.int32)),
            "code_region_partenaire": strings(codes, ref.region[ref.ville_region[ville]]),
            "code_ville_partenaire": strings(codes, ref.ville[ville]),
            "code_type_partenaire": strings(
                PARTENAIRE_TYPES, p.pharmacy[partenaire].astype(np.int64)
            ),
            "code_gamme_partenaire": strings(codes, ref.gamme[p.gamme[partenaire]]),
            "code_specialite_partenaire": strings(codes, ref.specialite[p.specialite[partenaire]]),
        },
    )


# ---------------------------------------------------------------------------------------
# Evaluations: each rep (and supervisor) marked by its manager every quarter.
# ---------------------------------------------------------------------------------------


def _quarter_ends(cal: Calendar) -> np.ndarray:
    """Calendar days closing a quarter, with time left to integrate its evaluations."""
    years = range(int(str(FIRST_DAY)[:4]), int(str(LAST_DAY)[:4]) + 1)
    ends = np.array(
        [f"{y}-{md}" for y in years for md in ("03-31", "06-30", "09-30", "12-31")],
        dtype="datetime64[D]",
    )
    day = (ends - FIRST_DAY).astype(np.int64)
    return day[(day >= 45) & (day + 25 < cal.days)]


def evaluations(
    rng: np.random.Generator, cal: Calendar, force: Force, ref: Codification
) -> tuple[pa.Table, pa.Table]:
    """Quarterly evaluations of users in post for the whole quarter (7% skipped), integrated
    in the 25 days after it; 6% of reps are marked by their director instead."""
    quarters = _quarter_ends(cal)
    marked = np.flatnonzero((force.role == SUP) | (force.role == DEL))
    eligible = (force.first_day[marked, None] <= quarters[None, :] - 45) & (
        force.last_day[marked, None] >= quarters[None, :]
    )
    eligible &= rng.random(eligible.shape) >= 0.07
    who, quarter = np.nonzero(eligible)
    utilisateur, closing = marked[who], quarters[quarter]
    m = len(utilisateur)
    creator = force.responsable_on(utilisateur, closing)
    skip = (force.role[utilisateur] == DEL) & (rng.random(m) < 0.06)
    creator = np.where(skip, force.responsable[creator], creator)
    day = cal.draw(rng, closing + 1, np.minimum(closing + 25, cal.days - 1))
    seconds = epoch_day(day) * 86400 + rng.integers(9 * 3600, 18 * 3600, m)
    order = np.argsort(seconds, kind="stable")
    utilisateur, creator, closing, seconds = (
        utilisateur[order],
        creator[order],
        closing[order],
        seconds[order],
    )
    detail, header_cents = _evaluation_details(rng, ref, force.skill[utilisateur], closing)
    header = source_table(
        "tab_evaluation",
        {
            "id": pa.array(np.arange(1, m + 1, dtype=np.int32)),
            "id_createur": pa.array((creator + 1).astype(np.int32)),
            "id_utilisateur_evalue": pa.array((utilisateur + 1).astype(np.int32)),
            "points_obtenu": decimals(header_cents, pa.decimal128(6, 2)),
            "points_total": decimals(np.full(m, POINTS_TOTAL * 100), pa.decimal128(6, 2)),
            "date_integration": datetimes(seconds),
        },
    )
    return header, detail


def _evaluation_details(
    rng: np.random.Generator, ref: Codification, skill: np.ndarray, closing: np.ndarray
) -> tuple[pa.Table, np.ndarray]:
    """One row per grid item, marked in half points around the user's level (which improves
    a little with time); the header score is their exact sum."""
    m = len(skill)
    on = np.array([points for _, items in EVALUATION_GRID for _, points in items])
    k = len(on)
    level = np.clip(skill + 0.04 * closing / 365 + rng.normal(0, 0.06, m), 0.3, 0.98)
    item = np.tile(np.arange(k), m)
    evaluation = np.repeat(np.arange(m), k)
    share = np.clip(level[evaluation] + rng.normal(0, 0.1, m * k), 0.1, 1.0)
    cents = np.round(share * on[item] * 2).astype(np.int64) * 50
    table = source_table(
        "tab_evaluation_detailed",
        {
            "id": pa.array(np.arange(1, m * k + 1, dtype=np.int32)),
            "id_evaluation": pa.array((evaluation + 1).astype(np.int32)),
            "code_categorie": strings(ref.codes, ref.categorie[ref.sous_categorie_parent[item]]),
            "code_sous_categorie": strings(ref.codes, ref.sous_categorie[item]),
            "point_obtenu": decimals(cents, pa.decimal128(6, 2)),
            "point_sur": decimals(on[item] * 100, pa.decimal128(6, 2)),
        },
    )
    return table, cents.reshape(m, k).sum(axis=1)


# ---------------------------------------------------------------------------------------
# Business cases: investment budgets for a few percent of partners, mostly A potential.
# ---------------------------------------------------------------------------------------


def business_cases(
    rng: np.random.Generator, cal: Calendar, force: Force, ref: Codification, p: Partenaires
) -> pa.Table:
    chance = np.array([0.14, 0.05, 0.012])[p.potentiel] * (p.status != 2)
    has = rng.random(p.n) < chance
    if has.sum() < 5:  # tiny data sets still get a few
        has[rng.choice(p.n, 5, replace=False)] = True
    chosen = np.flatnonzero(has)
    partenaire = np.repeat(chosen, 1 + pick(rng, len(chosen), [68, 20, 8, 4]))
    m = len(partenaire)
    owner = p.owner[partenaire]
    responsable = np.where(rng.random(m) < 0.75, owner, force.responsable[owner])
    kind = pick(rng, m, [share for _, _, share, _ in TYPES_INVESTISSEMENT])
    usual = np.array([c for _, c, _, _ in TYPES_INVESTISSEMENT])
    categorie = np.where(
        rng.random(m) < 0.85, usual[kind], rng.integers(0, len(CATEGORIES_INVESTISSEMENT), m)
    )
    status = pick(rng, m, [0.30, 0.20, 0.15, 0.35])
    median = np.array([b for _, _, _, b in TYPES_INVESTISSEMENT])[kind]
    mad = np.clip(rng.lognormal(np.log(median), 0.6), 1_000, 800_000)
    cents = np.where(rng.random(m) < 0.7, np.round(mad / 500) * 50_000, np.round(mad * 100))
    # A budget still being negotiated may not be set yet; planned dates may lie ahead.
    no_budget = (status == 1) & (rng.random(m) < 0.3)
    day = rng.integers(0, cal.days, m) + np.where(status == 1, rng.integers(0, 120, m), 0)
    order = np.argsort(day, kind="stable")
    return source_table(
        "tab_partenaire_bc",
        {
            "id_business_case": pa.array(np.arange(1, m + 1, dtype=np.int32)),
            "id_partenaire": pa.array((partenaire[order] + 1).astype(np.int32)),
            "id_responsable": pa.array((responsable[order] + 1).astype(np.int32)),
            "code_statut_bc": strings(BUSINESS_CASE_STATUSES, status[order]),
            "code_type_investissement": strings(ref.codes, ref.type_investissement[kind[order]]),
            "code_categorie_investissement": strings(
                ref.codes, ref.categorie_investissement[categorie[order]]
            ),
            "budget": decimals(
                cents[order].astype(np.int64), pa.decimal128(12, 2), no_budget[order]
            ),
            "date_realisation": dates(epoch_day(day[order])),
        },
    )
