"""The partenaires: doctors and pharmacies where people live, each with a gamme and a
speciality that agree, a potentiel and a status; a few moved during the period."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from snapshot.demo.arrays import cumulate, draw, pick, source_table, strings
from snapshot.demo.reference import (
    ETABLISSEMENTS,
    FIRST_NAMES,
    GAMMES,
    GENERAL_PRACTITIONER,
    LAST_NAMES,
    MIN_PARTENAIRES,
    PARTENAIRE_STATUSES,
    PARTENAIRE_TYPES,
    PHARMACIST,
    PHARMACY,
    PHARMACY_NAMES,
    POTENTIELS,
    REGIONS,
    SPECIALITES,
    VISITES_PER_PARTENAIRE,
)
from snapshot.demo.world import Calendar, Codification


@dataclass(frozen=True)
class Partenaires:
    n: int
    region: np.ndarray  # region index (today)
    ville: np.ndarray  # city index (today)
    pharmacy: np.ndarray  # bool: PHAR, else MEDE
    gamme: np.ndarray  # gamme index
    specialite: np.ndarray  # speciality index
    etablissement: np.ndarray
    potentiel: np.ndarray
    status: np.ndarray
    old_ville: np.ndarray  # city before a move (== city when the partner never moved)
    moved_day: np.ndarray  # visits before this calendar day saw old_ville (0: never moved)
    owner: np.ndarray  # force position of the rep whose portfolio holds the partner

    @property
    def visite_weight(self) -> np.ndarray:
        """How often reps come back: A partners monthly, C a couple of times a year."""
        potentiel = np.array([9, 4, 2])[self.potentiel]
        status = np.array([4, 2, 1])[self.status]
        return potentiel * status


def partenaire_count(visits: int) -> int:
    return max(MIN_PARTENAIRES, round(visits / VISITES_PER_PARTENAIRE))


def _gamme_pairs() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Every valid (gamme, speciality) pair with its weight among doctors and pharmacies.

    A specialist is split evenly over the gammes that target it; general practitioners and
    pharmacies are split by each gamme's weight in the portfolio.
    """
    specialite_index = {s: i for i, (s, _) in enumerate(SPECIALITES)}
    specialite_weight = dict(SPECIALITES)
    targeted = {s: sum(s in t for _, _, t in GAMMES) for s, _ in SPECIALITES}
    total_share = sum(share for _, share, _ in GAMMES)
    gammes, specialites, doctors, pharmacies = [], [], [], []
    for g, (_, share, targets) in enumerate(GAMMES):
        for s in (*targets, GENERAL_PRACTITIONER, PHARMACIST):
            gammes.append(g)
            specialites.append(specialite_index[s])
            if s == GENERAL_PRACTITIONER:
                doctors.append(specialite_weight[s] * share / total_share)
            else:
                doctors.append(specialite_weight[s] / max(targeted[s], 1))
            pharmacies.append(share if s == PHARMACIST else 0)
    return np.array(gammes), np.array(specialites), np.array(doctors), np.array(pharmacies)


def place_partenaires(
    rng: np.random.Generator, ref: Codification, cal: Calendar, n: int
) -> Partenaires:
    """Doctors and pharmacies where people live, with consistent gamme and speciality."""
    region = pick(rng, n, [p for _, p, _ in REGIONS])
    ville = draw(rng, cumulate(ref.ville_weight), *ref.region_villes[region].T)
    pharmacy = rng.random(n) < 0.25
    gammes, specialites, doctors, pharmacies = _gamme_pairs()
    pair = np.where(pharmacy, pick(rng, n, pharmacies), pick(rng, n, doctors))
    etablissement = np.where(pharmacy, PHARMACY, pick(rng, n, [w for _, _, w in ETABLISSEMENTS]))
    old_ville, moved_day = _moves(rng, ref, cal, region, ville)
    return Partenaires(
        n=n,
        region=region,
        ville=ville,
        pharmacy=pharmacy,
        gamme=gammes[pair],
        specialite=specialites[pair],
        etablissement=etablissement,
        potentiel=pick(rng, n, [0.12, 0.33, 0.55]),
        status=pick(rng, n, [0.88, 0.08, 0.04]),
        old_ville=old_ville,
        moved_day=moved_day,
        owner=np.zeros(n, dtype=np.int64),
    )


def _moves(
    rng: np.random.Generator,
    ref: Codification,
    cal: Calendar,
    region: np.ndarray,
    ville: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """3% of partners moved during the period: mostly within their region, a few from afar.

    Visits before the move keep the old city (and region) in tab_partenaire_visite.
    """
    n = len(ville)
    moved = rng.random(n) < 0.03
    start, stop = ref.region_villes[region].T
    size = stop - start
    near = start + (ville - start + rng.integers(1, size)) % size
    far_region = (region + rng.integers(1, len(REGIONS), n)) % len(REGIONS)
    far = draw(rng, cumulate(ref.ville_weight), *ref.region_villes[far_region].T)
    old_ville = np.where(moved, np.where(rng.random(n) < 0.85, near, far), ville)
    moved_day = np.where(moved, rng.integers(30, cal.days - 30, n), 0)
    return old_ville, moved_day


def partenaire_table(rng: np.random.Generator, ref: Codification, p: Partenaires) -> pa.Table:
    n = p.n
    name = pc.if_else(
        pa.array(p.pharmacy),
        pc.binary_join_element_wise(
            "Pharmacie ", strings(PHARMACY_NAMES, rng.integers(0, len(PHARMACY_NAMES), n)), ""
        ),
        strings(LAST_NAMES, rng.integers(0, len(LAST_NAMES), n)),
    )
    codes = ref.codes
    return source_table(
        "tab_partenaire",
        {
            "id_partenaire": pa.array(np.arange(1, n + 1, dtype=np.int32)),
            "nom_partenaire": name,
            # A pharmacy is a business: it has no first name.
            "prenom_partenaire": strings(
                FIRST_NAMES, rng.integers(0, len(FIRST_NAMES), n), p.pharmacy
            ),
            "code_potentiel": strings(POTENTIELS, p.potentiel),
            "code_type_etablissement": strings(codes, ref.etablissement[p.etablissement]),
            "code_statut_partenaire": strings(PARTENAIRE_STATUSES, p.status),
            "code_gamme": strings(codes, ref.gamme[p.gamme]),
            "code_specialite": strings(codes, ref.specialite[p.specialite]),
            "code_type_partenaire": strings(PARTENAIRE_TYPES, p.pharmacy.astype(np.int64)),
            "code_region_partenaire": strings(codes, ref.region[p.region]),
            "code_ville_partenaire": strings(codes, ref.ville[p.ville]),
        },
    )
