"""A realistic synthetic CRM: the eight source tables of a Moroccan pharmaceutical sales force.

``generate`` returns the tables exactly as the MySQL extraction reads them (the raw Arrow
schemas of ``snapshot.tables``: text, dates and times as MySQL prints them). It is
deterministic from its seed and vectorised end to end (numpy draws, pyarrow takes), so the
same call gives the same tables at 2,000 or 7,000,000 visits, and a million visits take
seconds. ``messy=True`` then injects every fault the source schema warns about, each on a
small share of rows (see ``snapshot.demo.faults.MESSY_FAULTS``), so that the normalisation
has something to count.

Each step lives in its own module, in the order ``generate`` calls them: ``world`` (the
codification and the calendar), ``partenaires``, ``force`` (the sales force and its
portfolios), ``activity`` (visites, evaluations, business cases), then ``faults``. They
share one random generator, drawn from in that order: moving a draw changes the tables.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pyarrow as pa

from snapshot.demo.activity import (
    business_cases,
    evaluations,
    group_portfolios,
    partenaire_visite_table,
    partenaires_met,
    plan_agenda,
    portfolio_owner,
    visite_table,
)
from snapshot.demo.faults import make_messy
from snapshot.demo.force import assign_portfolios, sales_force, utilisateur_table
from snapshot.demo.partenaires import partenaire_count, partenaire_table, place_partenaires
from snapshot.demo.reference import MESSY_MIN_VISITS, REGIONS
from snapshot.demo.world import calendar, codification
from snapshot.tables import TABLES

# What `visites demo` and a first `visites serve` generate unless told otherwise.
DEFAULT_VISITS = 200_000
DEFAULT_SEED = 42


def generate(
    visits: int = DEFAULT_VISITS, seed: int = DEFAULT_SEED, messy: bool = False
) -> dict[str, pa.Table]:
    """The eight source tables, keyed by table name, each in its raw schema.

    ``visits`` rows in tab_visite exactly; everything else scales with it (one partner per
    ~12 visits, one rep per ~150 partners). Same arguments, same tables. ``messy=True``
    soils the very tables ``messy=False`` gives for the same seed (``MESSY_FAULTS``), so a
    normalisation can be checked against the clean truth.
    """
    if visits < 1:
        raise ValueError("visits must be at least 1")
    if messy and visits < MESSY_MIN_VISITS:
        raise ValueError(f"messy data needs at least {MESSY_MIN_VISITS} visits to host every fault")
    rng = np.random.Generator(np.random.PCG64(seed))
    ref = codification()
    cal = calendar()
    partenaires = place_partenaires(rng, ref, cal, partenaire_count(visits))
    force = sales_force(rng, cal, np.bincount(partenaires.region, minlength=len(REGIONS)))
    partenaires = replace(partenaires, owner=assign_portfolios(rng, partenaires, force))
    agenda = plan_agenda(rng, cal, force, visits)
    owner = portfolio_owner(rng, force, agenda.delegue)
    size, visite, partenaire = partenaires_met(rng, group_portfolios(partenaires, force.n), owner)
    evaluation, detail = evaluations(rng, cal, force, ref)
    tables = {
        "tab_par_codification": ref.table(),
        "tab_utilisateur": utilisateur_table(force),
        "tab_partenaire": partenaire_table(rng, ref, partenaires),
        "tab_visite": visite_table(rng, cal, force, agenda, size),
        "tab_partenaire_visite": partenaire_visite_table(
            ref, partenaires, agenda, visite, partenaire
        ),
        "tab_evaluation": evaluation,
        "tab_evaluation_detailed": detail,
        "tab_partenaire_bc": business_cases(rng, cal, force, ref, partenaires),
    }
    if messy:
        tables = make_messy(rng, tables)
    return {t.name: tables[t.name] for t in TABLES}
