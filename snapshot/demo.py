"""A realistic synthetic CRM: the eight source tables of a Moroccan pharmaceutical sales force.

``generate`` returns the tables exactly as the MySQL extraction reads them (the raw Arrow
schemas of ``snapshot.tables``: text, dates and times as MySQL prints them). It is
deterministic from its seed and vectorised end to end (numpy draws, pyarrow takes), so the
same call gives the same tables at 2,000 or 7,000,000 visits, and a million visits take
seconds. ``messy=True`` then injects every fault the source schema warns about, each on a
small share of rows (see ``MESSY_FAULTS``), so that the normalisation has something to count.
``take_demo_snapshot`` publishes them through the snapshot job, with no MySQL involved.

The calendar is fixed (``FIRST_DAY`` .. ``LAST_DAY``) rather than taken from today, so that
a seed names one data set forever.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from snapshot.job import Prepare, Progress, take_snapshot
from snapshot.manifest import Manifest, Source
from snapshot.tables import BY_NAME, TABLES, Kind

# What `visites demo` and a first `visites serve` generate unless told otherwise.
DEFAULT_VISITS = 200_000
DEFAULT_SEED = 42

# ---------------------------------------------------------------------------------------
# Reference data: what a Moroccan pharmaceutical CRM actually holds.
# ---------------------------------------------------------------------------------------

# The 12 official regions in their official order, with their population (millions, 2024
# census) and main cities (population in thousands), so partners land where people live.
REGIONS: tuple[tuple[str, float, tuple[tuple[str, int], ...]], ...] = (
    (
        "Tanger-Tétouan-Al Hoceïma",
        4.03,
        (
            ("Tanger", 1275),
            ("Tétouan", 420),
            ("Ksar El Kébir", 130),
            ("Larache", 125),
            ("Fnideq", 80),
            ("Al Hoceïma", 60),
            ("Ouazzane", 60),
            ("Chefchaouen", 45),
        ),
    ),
    (
        "L'Oriental",
        2.29,
        (
            ("Oujda", 560),
            ("Nador", 170),
            ("Berkane", 110),
            ("Taourirt", 110),
            ("Guercif", 90),
            ("Jerada", 45),
            ("Bouarfa", 30),
        ),
    ),
    (
        "Fès-Meknès",
        4.47,
        (
            ("Fès", 1260),
            ("Meknès", 630),
            ("Taza", 150),
            ("Sefrou", 80),
            ("Azrou", 55),
            ("El Hajeb", 40),
            ("Taounate", 40),
            ("Ifrane", 30),
        ),
    ),
    (
        "Rabat-Salé-Kénitra",
        5.13,
        (
            ("Salé", 980),
            ("Rabat", 515),
            ("Kénitra", 500),
            ("Témara", 420),
            ("Khémisset", 135),
            ("Sidi Slimane", 95),
            ("Sidi Kacem", 80),
            ("Skhirat", 60),
        ),
    ),
    (
        "Béni Mellal-Khénifra",
        2.53,
        (
            ("Béni Mellal", 200),
            ("Khouribga", 200),
            ("Khénifra", 120),
            ("Fquih Ben Salah", 100),
            ("Kasba Tadla", 45),
            ("Azilal", 30),
        ),
    ),
    (
        "Casablanca-Settat",
        7.69,
        (
            ("Casablanca", 3220),
            ("Mohammédia", 420),
            ("El Jadida", 200),
            ("Settat", 145),
            ("Berrechid", 140),
            ("Bouskoura", 105),
            ("Benslimane", 60),
            ("Sidi Bennour", 55),
        ),
    ),
    (
        "Marrakech-Safi",
        4.89,
        (
            ("Marrakech", 1000),
            ("Safi", 310),
            ("Ben Guerir", 90),
            ("Essaouira", 80),
            ("El Kelâa des Sraghna", 80),
            ("Youssoufia", 70),
            ("Chichaoua", 25),
        ),
    ),
    (
        "Drâa-Tafilalet",
        1.66,
        (
            ("Errachidia", 95),
            ("Ouarzazate", 75),
            ("Midelt", 60),
            ("Tinghir", 45),
            ("Zagora", 40),
            ("Erfoud", 30),
        ),
    ),
    (
        "Souss-Massa",
        3.02,
        (
            ("Agadir", 460),
            ("Aït Melloul", 190),
            ("Inezgane", 140),
            ("Oulad Teïma", 100),
            ("Taroudant", 80),
            ("Tiznit", 75),
            ("Biougra", 40),
        ),
    ),
    (
        "Guelmim-Oued Noun",
        0.45,
        (("Guelmim", 120), ("Tan-Tan", 75), ("Sidi Ifni", 20), ("Assa", 15)),
    ),
    (
        "Laâyoune-Sakia El Hamra",
        0.45,
        (("Laâyoune", 220), ("Es-Semara", 65), ("Boujdour", 50), ("Tarfaya", 10)),
    ),
    (
        "Dakhla-Oued Ed-Dahab",
        0.22,
        (("Dakhla", 140), ("Aousserd", 5), ("Bir Gandouz", 5)),
    ),
)
# Each regional director covers one zone (indexes into REGIONS).
ZONES: tuple[tuple[int, ...], ...] = ((0, 1, 2), (3, 4, 5), (6, 7, 8, 9, 10, 11))

PHARMACIEN = "Pharmacien d'officine"
# Specialities with the share of doctors who practise them.
SPECIALITES: tuple[tuple[str, int], ...] = (
    ("Médecin généraliste", 380),
    ("Cardiologue", 50),
    ("Médecin interniste", 30),
    ("Endocrinologue", 30),
    ("Néphrologue", 15),
    ("Gastro-entérologue", 30),
    ("Chirurgien viscéral", 20),
    ("Pédiatre", 60),
    ("Dermatologue", 40),
    ("Gynécologue-obstétricien", 70),
    ("Pneumologue", 25),
    ("Oto-rhino-laryngologiste", 30),
    ("Rhumatologue", 20),
    ("Traumatologue-orthopédiste", 30),
    (PHARMACIEN, 0),
)
# Product ranges ("gammes"), their weight in the portfolio and the specialities they target.
# Every gamme is also promoted to general practitioners and pharmacies.
GAMMES: tuple[tuple[str, int, tuple[str, ...]], ...] = (
    ("Cardiologie", 20, ("Cardiologue", "Médecin interniste", "Néphrologue")),
    ("Diabétologie", 18, ("Endocrinologue", "Médecin interniste", "Néphrologue")),
    ("Gastro-entérologie", 12, ("Gastro-entérologue", "Chirurgien viscéral")),
    ("Pédiatrie", 12, ("Pédiatre",)),
    ("Dermatologie", 10, ("Dermatologue",)),
    ("Gynécologie", 12, ("Gynécologue-obstétricien",)),
    ("Pneumologie et ORL", 9, ("Pneumologue", "Oto-rhino-laryngologiste", "Pédiatre")),
    ("Rhumatologie", 7, ("Rhumatologue", "Traumatologue-orthopédiste")),
)
GENERALISTE = "Médecin généraliste"

# Establishment types: label, codification type (ETPR private / ETPU public), share of doctors.
ETABLISSEMENTS: tuple[tuple[str, str, int], ...] = (
    ("Cabinet privé", "ETPR", 58),
    ("Clinique", "ETPR", 12),
    ("Pharmacie d'officine", "ETPR", 0),
    ("CHU", "ETPU", 7),
    ("Hôpital régional", "ETPU", 8),
    ("Hôpital provincial", "ETPU", 7),
    ("Centre de santé", "ETPU", 8),
)
PHARMACIE = 2  # index of "Pharmacie d'officine" above

# Evaluation grid: categories and their sub-categories with the points each is marked on
# (they add up to 100, the header's points_total).
GRILLE: tuple[tuple[str, tuple[tuple[str, int], ...]], ...] = (
    (
        "Connaissances scientifiques",
        (
            ("Maîtrise des produits", 10),
            ("Connaissance des pathologies", 8),
            ("Veille concurrentielle", 5),
        ),
    ),
    (
        "Techniques de vente",
        (
            ("Ouverture et découverte", 7),
            ("Argumentation", 9),
            ("Traitement des objections", 7),
            ("Conclusion et engagement", 6),
        ),
    ),
    (
        "Organisation du secteur",
        (
            ("Respect du planning", 8),
            ("Couverture du ciblage", 8),
            ("Gestion des échantillons", 4),
        ),
    ),
    ("Reporting CRM", (("Saisie des visites", 6), ("Qualité des comptes rendus", 5))),
    (
        "Savoir-être",
        (("Présentation", 5), ("Esprit d'équipe", 6), ("Ponctualité", 6)),
    ),
)
POINTS_TOTAL = 100

CATEGORIES_INVESTISSEMENT = ("Scientifique", "Promotionnel", "Institutionnel", "Matériel médical")
# Investment types: label, usual category (index above), share, median budget in MAD.
TYPES_INVESTISSEMENT: tuple[tuple[str, int, int, int], ...] = (
    ("Congrès médical", 0, 30, 25_000),
    ("Formation médicale continue", 0, 20, 12_000),
    ("Équipement de cabinet", 3, 12, 40_000),
    ("Sponsoring d'événement", 2, 10, 30_000),
    ("Étude observationnelle", 0, 6, 60_000),
    ("Matériel promotionnel", 1, 15, 5_000),
    ("Abonnement revue scientifique", 0, 7, 3_000),
)

NOMS = (
    "Alaoui", "El Amrani", "Bennani", "Berrada", "Tazi", "El Fassi", "Chraïbi", "Lahlou",
    "El Idrissi", "Benjelloun", "Cherkaoui", "Ouazzani", "Sebti", "Kettani", "Benkirane",
    "Lamrani", "El Khatib", "Bouzidi", "Naciri", "Ziani", "Hajji", "Belhaj", "Mansouri",
    "Rachidi", "Aït Ahmed", "Aït Taleb", "Ouhaddou", "Amellal", "Boukhari", "Essaïdi",
    "Zahraoui", "El Ouafi", "Benchekroun", "Skalli", "Filali", "Guessous", "Jaïdi",
    "Moussaoui", "Mernissi", "Naji", "Bakkali", "Raïss", "Tahiri", "Belkadi", "Laraki",
    "Mekouar", "Slaoui", "Benabdallah", "Harrak", "El Yacoubi", "Chaoui", "Daoudi",
    "Lahbabi", "Kadiri", "Sefrioui", "Zniber", "Bouazza", "Ouchen", "Tounsi", "Nejjar",
    "El Ghazouani", "Benmoussa", "Hakimi", "Amrani Joutei", "Ouali", "Zerhouni",
)  # fmt: skip
PRENOMS = (
    "Mohammed", "Ahmed", "Youssef", "Omar", "Karim", "Hamza", "Mehdi", "Amine", "Saïd",
    "Rachid", "Hicham", "Khalid", "Mustapha", "Abdelilah", "Abdellah", "Nabil", "Anas",
    "Ayoub", "Ismaïl", "Driss", "Hassan", "Brahim", "Younès", "Zakaria", "Soufiane",
    "Tarik", "Adil", "Jawad", "Fatima Zahra", "Khadija", "Salma", "Imane", "Meryem",
    "Nadia", "Samira", "Houda", "Sanaa", "Hanane", "Siham", "Laïla", "Zineb", "Asmae",
    "Ghita", "Kawtar", "Loubna", "Ihssane", "Hajar", "Naïma", "Souad", "Btissam", "Aïcha",
    "Chaïmae", "Najat", "Rajae", "Oumaïma", "Yasmine",
)  # fmt: skip
PHARMACIES = (
    "Al Amal", "Ennour", "Al Farah", "Atlas", "Ibn Sina", "Al Andalous", "Essalam",
    "Al Wahda", "Al Massira", "Annahda", "Al Qods", "Assafa", "Al Fath", "Ibn Rochd",
    "Al Majd", "Al Kawtar", "Ennakhil", "Al Yasmine", "Centrale", "du Marché", "de la Gare",
    "Hassania", "Al Inbiaâ", "Errahma", "Dar Salam", "de l'Hôpital",
)  # fmt: skip

# Codes without a codification label: fixed enumerations of the CRM.
POTENTIELS = ("A", "B", "C")
STATUTS_PARTENAIRE = ("VALI", "ATTE", "REJE")
TYPES_PARTENAIRE = ("MEDE", "PHAR")
TYPES_VISITE = ("PLAN", "HOPL")
STATUTS_VISITE = ("CLOT", "REAL", "ANNU")
FLAGS = ("N", "O")
FORMES_VISITE = ("S", "G")  # type_visite: simple or group
STATUTS_BC = ("VALI", "ENCO", "ANNU", "REAL")
ROLES = ("DIR", "DR", "SUP", "DEL")  # national director, regional director, supervisor, rep
DIR, DR, SUP, DEL = range(4)

# ---------------------------------------------------------------------------------------
# Sizes and rates (why these numbers: an ordinary mid-size laboratory's field force).
# ---------------------------------------------------------------------------------------

VISITS_PER_PARTNER = 12  # about one partner per 12 visits over three years
MIN_PARTNERS = 300
PARTNERS_PER_REP = 150
REPS_PER_SUP = 7
MESSY_MIN_VISITS = 100  # below this some tables are too small to host every fault

FIRST_DAY = np.datetime64("2024-01-01")
LAST_DAY = np.datetime64("2026-11-20")
MONTH_FACTOR = np.array([1.0, 1.05, 1.1, 1.05, 1.0, 0.95, 0.75, 0.35, 1.1, 1.25, 1.2, 0.85])
WEEKDAY_FACTOR = np.array([1.0, 1.05, 1.05, 1.0, 0.8, 0.04, 0.0])  # Monday first
RAMADAN = (("2024-03-11", "2024-04-09"), ("2025-03-02", "2025-03-30"), ("2026-02-19", "2026-03-19"))
RAMADAN_FACTOR = 0.6
# Public holidays: national ones by month-day, religious ones (lunar) by date.
HOLIDAYS_EVERY_YEAR = ("01-01", "01-11", "01-14", "05-01", "07-30", "08-14", "08-20", "08-21",
                       "11-06", "11-18")  # fmt: skip
HOLIDAYS_LUNAR = (
    "2024-04-10", "2024-04-11", "2024-06-17", "2024-06-18", "2024-07-08", "2024-09-16",
    "2024-09-17", "2025-03-31", "2025-04-01", "2025-06-07", "2025-06-08", "2025-06-27",
    "2025-09-05", "2025-09-06", "2025-10-31", "2026-03-20", "2026-03-21", "2026-05-27",
    "2026-05-28", "2026-06-17", "2026-08-26", "2026-08-27", "2026-10-31",
)  # fmt: skip

# ---------------------------------------------------------------------------------------
# Small vectorised helpers.
# ---------------------------------------------------------------------------------------


def _cumul(weights: np.ndarray) -> np.ndarray:
    """[0, w0, w0+w1, ...] in int64: the ticket ranges `_draw` picks from."""
    return np.concatenate(([0], np.cumsum(weights, dtype=np.int64)))


def _draw(
    rng: np.random.Generator, cumul: np.ndarray, start: np.ndarray, stop: np.ndarray
) -> np.ndarray:
    """For each row an index in [start, stop) drawn with probability ∝ its integer weight.

    One ticket per row inside the row's own range of the cumulated weights, so thousands of
    different segments (a rep's portfolio, a rep's working days) are drawn in one call; a
    weight of 0 (a Sunday) is never drawn. Every segment must weigh more than 0.
    """
    ticket = rng.integers(cumul[start], cumul[stop])
    return np.searchsorted(cumul, ticket, side="right") - 1


def _pick(rng: np.random.Generator, n: int, probabilities: Sequence[float]) -> np.ndarray:
    """n category indexes drawn with the given probabilities (normalised here)."""
    p = np.asarray(probabilities, dtype=np.float64)
    return rng.choice(len(p), size=n, p=p / p.sum())


def _strings(values: Sequence[str], index: np.ndarray, null: np.ndarray | None = None) -> pa.Array:
    """values[index] as an Arrow string array; rows where `null` is set are NULL."""
    taken = pa.array(index.astype(np.int32), mask=null)
    return pa.array(values, pa.string()).take(taken)


def _datetimes(seconds: np.ndarray) -> pa.Array:
    """Seconds since the epoch printed the MySQL way: 'YYYY-MM-DD HH:MM:SS'."""
    return pa.array(seconds.astype("datetime64[s]"), pa.timestamp("s")).cast(pa.string())


def _dates(days: np.ndarray) -> pa.Array:
    """Days since the epoch printed as 'YYYY-MM-DD'."""
    return pa.array(days.astype(np.int32), pa.date32()).cast(pa.string())


def _times(seconds: np.ndarray) -> pa.Array:
    """Seconds since midnight printed as 'HH:MM:SS'."""
    return pa.array(seconds.astype(np.int32), pa.time32("s")).cast(pa.string())


def _decimals(cents: np.ndarray, type_: pa.DataType, null: np.ndarray | None = None) -> pa.Array:
    """Exact DECIMAL values from integer cents, built straight into Arrow's 128-bit layout
    (low word, then the sign-extended high word), so no float ever rounds a budget."""
    cents = cents.astype(np.int64)
    words = np.stack([cents, cents >> 63], axis=1).ravel()
    validity = None
    if null is not None and null.any():
        validity = pa.py_buffer(np.packbits(~null, bitorder="little"))
    return pa.Array.from_buffers(type_, len(cents), [validity, pa.py_buffer(words)])


def _table(name: str, columns: dict[str, pa.Array]) -> pa.Table:
    """A source table in its raw schema, columns in schema order."""
    schema = BY_NAME[name].raw_schema()
    return pa.Table.from_arrays([columns[f.name] for f in schema], schema=schema)


def _epoch_day(day: np.ndarray) -> np.ndarray:
    """Calendar index (0 = FIRST_DAY) to days since 1970-01-01."""
    return day + FIRST_DAY.astype(np.int64)


# ---------------------------------------------------------------------------------------
# Codification: every labelled code, and where each reference item sits in it.
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Referentiel:
    codes: list[str]
    labels: list[str]
    types: list[str]
    region: np.ndarray  # codification row of each region
    city: np.ndarray  # codification row of each city (all regions, in order)
    city_region: np.ndarray  # region index of each city
    city_weight: np.ndarray  # population, the weight of a city among its region's
    region_cities: np.ndarray  # [start, stop) of each region's cities, shape (12, 2)
    gamme: np.ndarray
    specialite: np.ndarray
    etablissement: np.ndarray
    categorie: np.ndarray  # one row per evaluation category
    sous_categorie: np.ndarray  # one row per sub-category, grid order
    sous_categorie_parent: np.ndarray  # category index of each sub-category
    type_investissement: np.ndarray
    categorie_investissement: np.ndarray

    def table(self) -> pa.Table:
        return _table(
            "tab_par_codification",
            {
                "code_codification": pa.array(self.codes, pa.string()),
                "libelle_codification": pa.array(self.labels, pa.string()),
                "type_codification": pa.array(self.types, pa.string()),
            },
        )


def _referentiel() -> _Referentiel:
    """Number every reference item with its prefix (RE00001, VI00001, ...)."""
    codes: list[str] = []
    labels: list[str] = []
    types: list[str] = []

    def add(prefix: str, kind: str | Sequence[str], names: Sequence[str]) -> np.ndarray:
        start = len(codes)
        kinds = [kind] * len(names) if isinstance(kind, str) else list(kind)
        codes.extend(f"{prefix}{i:05d}" for i in range(1, len(names) + 1))
        labels.extend(names)
        types.extend(kinds)
        return np.arange(start, len(codes))

    cities = [(c, w, r) for r, (_, _, cs) in enumerate(REGIONS) for c, w in cs]
    bounds = np.cumsum([0] + [len(cs) for _, _, cs in REGIONS])
    grid = [(s, p, c) for c, (_, subs) in enumerate(GRILLE) for s, p in subs]
    return _Referentiel(
        codes=codes,
        labels=labels,
        types=types,
        region=add("RE", "REGI", [r for r, _, _ in REGIONS]),
        city=add("VI", "VILL", [c for c, _, _ in cities]),
        city_region=np.array([r for _, _, r in cities]),
        city_weight=np.array([w for _, w, _ in cities]),
        region_cities=np.stack([bounds[:-1], bounds[1:]], axis=1),
        gamme=add("GA", "GAMM", [g for g, _, _ in GAMMES]),
        specialite=add("SP", "SPEC", [s for s, _ in SPECIALITES]),
        etablissement=add(
            "ET", [t for _, t, _ in ETABLISSEMENTS], [e for e, _, _ in ETABLISSEMENTS]
        ),
        categorie=add("CE", "CATE", [c for c, _ in GRILLE]),
        sous_categorie=add("SEV", "SCAT", [s for s, _, _ in grid]),
        sous_categorie_parent=np.array([c for _, _, c in grid]),
        type_investissement=add("TI", "TINV", [t for t, _, _, _ in TYPES_INVESTISSEMENT]),
        categorie_investissement=add("CI", "CINV", list(CATEGORIES_INVESTISSEMENT)),
    )


# ---------------------------------------------------------------------------------------
# Calendar: how much field work each day sees.
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Calendar:
    days: int
    weight: np.ndarray  # relative field activity of each day; 0 on Sundays and holidays
    cumul: np.ndarray

    def draw(self, rng: np.random.Generator, first: np.ndarray, last: np.ndarray) -> np.ndarray:
        """A working day in [first, last] per row, busy days more likely."""
        return _draw(rng, self.cumul, first, last + 1)


def _calendar() -> _Calendar:
    """Weekdays, a dead August, a slow Ramadan, a busy autumn and no work on holidays."""
    days = np.arange(FIRST_DAY, LAST_DAY + 1)
    weekday = (days.astype(np.int64) + 3) % 7  # 1970-01-01 was a Thursday
    month = days.astype("datetime64[M]").astype(np.int64) % 12
    factor = MONTH_FACTOR[month] * WEEKDAY_FACTOR[weekday]
    for start, end in RAMADAN:
        factor[(days >= np.datetime64(start)) & (days <= np.datetime64(end))] *= RAMADAN_FACTOR
    years = range(int(str(FIRST_DAY)[:4]), int(str(LAST_DAY)[:4]) + 1)
    national = [f"{year}-{month_day}" for year in years for month_day in HOLIDAYS_EVERY_YEAR]
    holidays = np.array([*national, *HOLIDAYS_LUNAR], dtype="datetime64[D]")
    factor[np.isin(days, holidays)] = 0.0
    weight = np.round(factor * 1000).astype(np.int64)
    return _Calendar(days=len(days), weight=weight, cumul=_cumul(weight))


# ---------------------------------------------------------------------------------------
# Partners.
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Partenaires:
    n: int
    region: np.ndarray  # region index (today)
    city: np.ndarray  # city index (today)
    pharmacie: np.ndarray  # bool: PHAR, else MEDE
    gamme: np.ndarray  # gamme index
    specialite: np.ndarray  # speciality index
    etablissement: np.ndarray
    potentiel: np.ndarray
    statut: np.ndarray
    old_city: np.ndarray  # city before a move (== city when the partner never moved)
    moved_day: np.ndarray  # visits before this calendar day saw old_city (0: never moved)
    owner: np.ndarray  # force position of the rep whose portfolio holds the partner

    @property
    def visit_weight(self) -> np.ndarray:
        """How often reps come back: A partners monthly, C a couple of times a year."""
        potentiel = np.array([9, 4, 2])[self.potentiel]
        statut = np.array([4, 2, 1])[self.statut]
        return potentiel * statut


def _partner_count(visits: int) -> int:
    return max(MIN_PARTNERS, round(visits / VISITS_PER_PARTNER))


def _gamme_pairs() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Every valid (gamme, speciality) pair with its weight among doctors and pharmacies.

    A specialist is split evenly over the gammes that target it; general practitioners and
    pharmacies are split by each gamme's weight in the portfolio.
    """
    spec_index = {s: i for i, (s, _) in enumerate(SPECIALITES)}
    spec_weight = dict(SPECIALITES)
    targeted = {s: sum(s in t for _, _, t in GAMMES) for s, _ in SPECIALITES}
    total_share = sum(share for _, share, _ in GAMMES)
    gammes, specs, doctors, pharmacies = [], [], [], []
    for g, (_, share, targets) in enumerate(GAMMES):
        for s in (*targets, GENERALISTE, PHARMACIEN):
            gammes.append(g)
            specs.append(spec_index[s])
            if s == GENERALISTE:
                doctors.append(spec_weight[s] * share / total_share)
            else:
                doctors.append(spec_weight[s] / max(targeted[s], 1))
            pharmacies.append(share if s == PHARMACIEN else 0)
    return np.array(gammes), np.array(specs), np.array(doctors), np.array(pharmacies)


def _partenaires(
    rng: np.random.Generator, ref: _Referentiel, cal: _Calendar, n: int
) -> _Partenaires:
    """Doctors and pharmacies where people live, with consistent gamme and speciality."""
    region = _pick(rng, n, [p for _, p, _ in REGIONS])
    city = _draw(rng, _cumul(ref.city_weight), *ref.region_cities[region].T)
    pharmacie = rng.random(n) < 0.25
    gammes, specs, doctors, pharmacies = _gamme_pairs()
    pair = np.where(pharmacie, _pick(rng, n, pharmacies), _pick(rng, n, doctors))
    etablissement = np.where(pharmacie, PHARMACIE, _pick(rng, n, [w for _, _, w in ETABLISSEMENTS]))
    old_city, moved_day = _moves(rng, ref, cal, region, city)
    return _Partenaires(
        n=n,
        region=region,
        city=city,
        pharmacie=pharmacie,
        gamme=gammes[pair],
        specialite=specs[pair],
        etablissement=etablissement,
        potentiel=_pick(rng, n, [0.12, 0.33, 0.55]),
        statut=_pick(rng, n, [0.88, 0.08, 0.04]),
        old_city=old_city,
        moved_day=moved_day,
        owner=np.zeros(n, dtype=np.int64),
    )


def _moves(
    rng: np.random.Generator,
    ref: _Referentiel,
    cal: _Calendar,
    region: np.ndarray,
    city: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """3% of partners moved during the period: mostly within their region, a few from afar.

    Visits before the move keep the old city (and region) in tab_partenaire_visite.
    """
    n = len(city)
    moved = rng.random(n) < 0.03
    start, stop = ref.region_cities[region].T
    size = stop - start
    near = start + (city - start + rng.integers(1, size)) % size
    far_region = (region + rng.integers(1, len(REGIONS), n)) % len(REGIONS)
    far = _draw(rng, _cumul(ref.city_weight), *ref.region_cities[far_region].T)
    old_city = np.where(moved, np.where(rng.random(n) < 0.85, near, far), city)
    moved_day = np.where(moved, rng.integers(30, cal.days - 30, n), 0)
    return old_city, moved_day


def _partner_table(rng: np.random.Generator, ref: _Referentiel, p: _Partenaires) -> pa.Table:
    n = p.n
    nom = pc.if_else(
        pa.array(p.pharmacie),
        pc.binary_join_element_wise(
            "Pharmacie ", _strings(PHARMACIES, rng.integers(0, len(PHARMACIES), n)), ""
        ),
        _strings(NOMS, rng.integers(0, len(NOMS), n)),
    )
    codes = ref.codes
    return _table(
        "tab_partenaire",
        {
            "id_partenaire": pa.array(np.arange(1, n + 1, dtype=np.int32)),
            "nom_partenaire": nom,
            # A pharmacy is a business: it has no first name.
            "prenom_partenaire": _strings(PRENOMS, rng.integers(0, len(PRENOMS), n), p.pharmacie),
            "code_potentiel": _strings(POTENTIELS, p.potentiel),
            "code_type_etablissement": _strings(codes, ref.etablissement[p.etablissement]),
            "code_statut_partenaire": _strings(STATUTS_PARTENAIRE, p.statut),
            "code_gamme": _strings(codes, ref.gamme[p.gamme]),
            "code_specialite": _strings(codes, ref.specialite[p.specialite]),
            "code_type_partenaire": _strings(TYPES_PARTENAIRE, p.pharmacie.astype(np.int64)),
            "code_region_partenaire": _strings(codes, ref.region[p.region]),
            "code_ville_partenaire": _strings(codes, ref.city[p.city]),
        },
    )


# ---------------------------------------------------------------------------------------
# The sales force: DIR -> regional directors (DR) -> supervisors (SUP) -> reps (DEL).
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Force:
    """One entry per user; a user's id is its position + 1 (positions follow date_creation)."""

    role: np.ndarray  # index into ROLES
    manager: np.ndarray  # position of the manager, -1 at the top
    previous_manager: np.ndarray  # manager before change_day (== manager when unchanged)
    change_day: np.ndarray
    region: np.ndarray  # region index of a SUP or DEL, -1 above
    created: np.ndarray  # date_creation, seconds since the epoch
    first_day: np.ndarray  # first calendar day the user can visit
    last_day: np.ndarray  # last one (earlier for reps who left the company)
    activity: np.ndarray  # relative visits per working day; 0 for those who never visit
    skill: np.ndarray  # evaluation level in [0, 1]
    nom: np.ndarray
    prenom: np.ndarray

    @property
    def n(self) -> int:
        return len(self.role)

    def manager_on(self, user: np.ndarray, day: np.ndarray) -> np.ndarray:
        """The manager each user had on that day (reps sometimes change supervisor)."""
        before = day < self.change_day[user]
        return np.where(before, self.previous_manager[user], self.manager[user])

    def reordered(self, order: np.ndarray) -> _Force:
        """The same force with positions permuted (manager pointers follow)."""
        rank = np.empty_like(order)
        rank[order] = np.arange(len(order))

        def follow(pointer: np.ndarray) -> np.ndarray:
            return np.where(pointer >= 0, rank[np.maximum(pointer, 0)], -1)

        moved = {name: getattr(self, name)[order] for name in self.__dataclass_fields__}
        moved["manager"] = follow(moved["manager"])
        moved["previous_manager"] = follow(moved["previous_manager"])
        return _Force(**moved)


def _reps_per_region(partners_per_region: np.ndarray) -> np.ndarray:
    """About one rep per 150 partners, shared by largest remainder; never more reps than
    partners in a region, so every portfolio holds at least one partner."""
    total = int(partners_per_region.sum())
    n_reps = max(3, round(total / PARTNERS_PER_REP))
    quota = n_reps * partners_per_region / total
    reps = np.floor(quota).astype(np.int64)
    by_remainder = np.argsort(-(quota - reps), kind="stable")
    by_remainder = by_remainder[partners_per_region[by_remainder] > 0]
    reps[by_remainder[: n_reps - reps.sum()]] += 1
    return np.minimum(reps, partners_per_region)


def _hierarchy(rng: np.random.Generator, reps: np.ndarray, cal: _Calendar) -> dict[str, np.ndarray]:
    """Role, manager and region of each user, top first: one DIR, one DR per zone, then per
    region its SUPs (one per 7 reps) and its reps. A few reps changed supervisor lately."""
    role, manager, region = [np.array([DIR])], [np.array([-1])], [np.array([-1])]
    role.append(np.full(len(ZONES), DR))
    manager.append(np.zeros(len(ZONES), dtype=np.int64))
    region.append(np.full(len(ZONES), -1))
    previous: list[np.ndarray] = [np.array([-1]), np.full(len(ZONES), -1)]
    size = 1 + len(ZONES)
    for r, k in enumerate(reps):
        if k == 0:
            continue
        s = -(-k // REPS_PER_SUP)
        zone = next(z for z, members in enumerate(ZONES) if r in members)
        sups = size + np.arange(s)
        current = sups[np.arange(k) % s]
        changed = (rng.random(k) < 0.06) & (s > 1)
        role += [np.full(s, SUP), np.full(k, DEL)]
        manager += [np.full(s, 1 + zone), current]
        previous += [np.full(s, 1 + zone), np.where(changed, sups[(np.arange(k) + 1) % s], current)]
        region += [np.full(s, r), np.full(k, r)]
        size += s + k
    previous_manager = np.concatenate(previous)
    manager_now = np.concatenate(manager)
    change_day = np.where(previous_manager != manager_now, rng.integers(60, cal.days - 60, size), 0)
    return {
        "role": np.concatenate(role),
        "manager": manager_now,
        "previous_manager": previous_manager,
        "change_day": change_day,
        "region": np.concatenate(region),
    }


def _creation(rng: np.random.Generator, role: np.ndarray, cal: _Calendar) -> np.ndarray:
    """date_creation (epoch seconds, office hours): managers for years; most reps before the
    period, a third hired during it, a few just hired (no visit yet)."""
    n = len(role)
    origin = np.datetime64("2015-01-05").astype(np.int64)
    before = int(FIRST_DAY.astype(np.int64) - origin)
    cohort = _pick(rng, n, [0.62, 0.36, 0.02])
    cohort[np.flatnonzero(role == DEL)[:1]] = 0  # at least one rep active from day one
    rep_day = np.select(
        [cohort == 0, cohort == 1],
        [origin + rng.integers(365, before, n), _epoch_day(rng.integers(0, cal.days - 45, n))],
        _epoch_day(rng.integers(cal.days - 12, cal.days, n)),
    )
    day = np.select(
        [role == DIR, role == DR, role == SUP],
        [
            origin + rng.integers(0, 60, n),
            origin + rng.integers(30, 1200, n),
            origin + rng.integers(200, before, n),
        ],
        rep_day,
    )
    return day * 86400 + rng.integers(8 * 3600 + 1800, 17 * 3600 + 1800, n)


def _force_de_vente(
    rng: np.random.Generator, cal: _Calendar, partners_per_region: np.ndarray
) -> _Force:
    tree = _hierarchy(rng, _reps_per_region(partners_per_region), cal)
    role = tree["role"]
    n = len(role)
    created = _creation(rng, role, cal)
    created_day = created // 86400 - FIRST_DAY.astype(np.int64)
    first_day = np.clip(created_day + 7, 0, cal.days - 1)
    fresh = created_day >= cal.days - 15
    last_day = np.full(n, cal.days - 1)
    # A few reps left the company: they stay in tab_utilisateur but stop visiting.
    can_leave = (role == DEL) & (first_day + 90 < cal.days - 30)
    leaves = can_leave & (rng.random(n) < 0.06)
    leave_day = rng.integers(np.minimum(first_day + 90, cal.days - 31), cal.days - 30)
    last_day = np.where(leaves, leave_day, last_day)
    activity = np.where((role == DEL) & ~fresh, rng.lognormal(0.0, 0.3, n), 0.0)
    force = _Force(
        **tree,
        created=created,
        first_day=first_day,
        last_day=last_day,
        activity=activity,
        skill=np.clip(rng.beta(6, 3, n), 0.35, 0.95),
        nom=rng.integers(0, len(NOMS), n),
        prenom=rng.integers(0, len(PRENOMS), n),
    )
    return force.reordered(np.argsort(created, kind="stable"))


def _user_table(force: _Force) -> pa.Table:
    return _table(
        "tab_utilisateur",
        {
            "id_utilisateur": pa.array(np.arange(1, force.n + 1, dtype=np.int32)),
            "id_responsable": pa.array(
                (force.manager + 1).astype(np.int32), mask=force.manager < 0
            ),
            "nom_utilisateur": _strings(NOMS, force.nom),
            "prenom_utilisateur": _strings(PRENOMS, force.prenom),
            "role": _strings(ROLES, force.role),
            "date_creation": _datetimes(force.created),
        },
    )


def _assign_portfolios(rng: np.random.Generator, p: _Partenaires, force: _Force) -> np.ndarray:
    """Each partner belongs to one rep of its region (of its zone, when the region has none),
    dealt round-robin so that portfolios are even."""
    reps = np.flatnonzero(force.role == DEL)
    owner = np.empty(p.n, dtype=np.int64)
    for r, zone in ((r, z) for z, members in enumerate(ZONES) for r in members):
        members = rng.permutation(np.flatnonzero(p.region == r))
        local = reps[force.region[reps] == r]
        if len(local) == 0:
            local = reps[np.isin(force.region[reps], ZONES[zone])]
        if len(local) == 0:
            local = reps
        owner[members] = local[np.arange(len(members)) % len(local)]
    return owner


# ---------------------------------------------------------------------------------------
# Visits and the partners met.
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Portefeuilles:
    """Partners grouped by owner rep and, inside a portfolio, by city (so that the partners
    of a group visit, taken next to each other, share a city)."""

    order: np.ndarray  # partner indexes, sorted by (owner, city)
    start: np.ndarray  # per force position: its portfolio is order[start:stop]
    stop: np.ndarray
    cumul: np.ndarray  # cumulated visit weights along `order`


def _portefeuilles(p: _Partenaires, n_users: int) -> _Portefeuilles:
    order = np.lexsort((p.city, p.owner))
    owners = p.owner[order]
    users = np.arange(n_users)
    return _Portefeuilles(
        order=order,
        start=np.searchsorted(owners, users, side="left"),
        stop=np.searchsorted(owners, users, side="right"),
        cumul=_cumul(p.visit_weight[order]),
    )


@dataclass(frozen=True)
class _Agenda:
    """Visit-level draws, already in time order (so id_visite grows with date_visite)."""

    rep: np.ndarray  # the rep whose sector the visit belongs to
    visitor: np.ndarray  # who recorded it: the rep, or its supervisor
    day: np.ndarray
    minute: np.ndarray  # start, minutes after midnight


def _agenda(rng: np.random.Generator, cal: _Calendar, force: _Force, n: int) -> _Agenda:
    """Who visits when: busier reps and longer careers get more visits; 5% of visits are
    made by the rep's supervisor, on the rep's sector."""
    reps = np.flatnonzero(force.role == DEL)
    working = cal.cumul[force.last_day[reps] + 1] - cal.cumul[force.first_day[reps]]
    rep = reps[_pick(rng, n, force.activity[reps] * working)]
    day = cal.draw(rng, force.first_day[rep], force.last_day[rep])
    visitor = np.where(rng.random(n) < 0.05, force.manager_on(rep, day), rep)
    minute = _start_minutes(rng, day)
    order = np.argsort(day * 1440 + minute, kind="stable")
    return _Agenda(rep=rep[order], visitor=visitor[order], day=day[order], minute=minute[order])


def _start_minutes(rng: np.random.Generator, day: np.ndarray) -> np.ndarray:
    """Working hours: morning round 10:30, afternoon consultations round 16:00; Saturday is
    morning only and Friday afternoon starts after the prayer."""
    n = len(day)
    weekday = (_epoch_day(day) + 3) % 7
    morning = (rng.random(n) < 0.58) | (weekday == 5)
    am = np.clip(rng.normal(630, 55, n), 510, 750)
    pm = np.clip(rng.normal(960, 65, n), 870, 1110)
    pm = np.where(weekday == 4, np.maximum(pm, 900), pm)
    return np.where(morning, am, pm).astype(np.int64)


def _portfolio_owner(rng: np.random.Generator, force: _Force, rep: np.ndarray) -> np.ndarray:
    """Whose portfolio a visit draws from: the rep's own (87%), a colleague's in the same
    region (10%, covering a sector) or one in the same zone (3%)."""
    reps = np.flatnonzero(force.role == DEL)
    zone_of = np.zeros(len(REGIONS), dtype=np.int64)
    for z, members in enumerate(ZONES):
        zone_of[list(members)] = z
    n = len(rep)
    choice = rng.random(n)
    owner = rep.copy()
    for key, share_low, share_high in (
        (force.region, 0.87, 0.97),
        (zone_of[force.region], 0.97, 1.0),
    ):
        by_key = reps[np.argsort(key[reps], kind="stable")]
        bounds = np.searchsorted(key[by_key], np.arange(len(REGIONS) + 1))
        lo, hi = bounds[key[rep]], bounds[key[rep] + 1]
        colleague = by_key[lo + (rng.random(n) * (hi - lo)).astype(np.int64)]
        owner = np.where((choice >= share_low) & (choice < share_high), colleague, owner)
    return owner


def _partners_met(
    rng: np.random.Generator, pf: _Portefeuilles, owner: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """How many partners each visit met (1% none, simple visits one, group visits 2-4), and
    who: a partner drawn by visit weight, plus its next neighbours in the portfolio for a
    group visit (distinct partners, same city). Returns (size, visit of row, partner)."""
    n = len(owner)
    start, stop = pf.start[owner], pf.stop[owner]
    size = np.minimum(
        _pick(rng, n, [0.01, 0.72, 0.27 * 0.50, 0.27 * 0.30, 0.27 * 0.20]), stop - start
    )
    anchor = _draw(rng, pf.cumul, start, stop)
    visit = np.repeat(np.arange(n), size)
    rank = np.arange(len(visit)) - np.repeat(np.cumsum(size) - size, size)
    first = start[visit]
    position = first + (anchor[visit] - first + rank) % (stop - start)[visit]
    return size, visit, pf.order[position]


def _visit_table(
    rng: np.random.Generator, cal: _Calendar, force: _Force, a: _Agenda, size: np.ndarray
) -> pa.Table:
    n = len(a.day)
    sup = force.role[a.visitor] == SUP
    planned = rng.random(n) < 0.75
    recent = a.day >= cal.days - 21
    statut = np.where(recent, _pick(rng, n, [0.1, 0.9, 0]), _pick(rng, n, [0.78, 0.22, 0]))
    statut = np.where(planned & (rng.random(n) < 0.05), 2, statut)
    accompanied = rng.random(n) < np.where(sup, 0.9, 0.07)
    duration = 15 + np.minimum(45, rng.gamma(2.0, 8.0, n).astype(np.int64) + 10 * (size >= 2))
    start = _epoch_day(a.day) * 86400 + a.minute * 60
    return _table(
        "tab_visite",
        {
            "id_visite": pa.array(np.arange(1, n + 1, dtype=np.int32)),
            "id_utilisateur": pa.array((a.visitor + 1).astype(np.int32)),
            "id_responsable": pa.array((force.manager_on(a.visitor, a.day) + 1).astype(np.int32)),
            "code_type_visite": _strings(TYPES_VISITE, (~planned).astype(np.int64)),
            "code_statut_visite": _strings(STATUTS_VISITE, statut),
            "flag_accompagnee": _strings(FLAGS, accompanied.astype(np.int64)),
            "date_visite": _datetimes(start),
            "heure_fin_visite": _times((a.minute + duration) * 60),
            "type_visite": _strings(FORMES_VISITE, (size >= 2).astype(np.int64)),
        },
    )


def _partner_visit_table(
    ref: _Referentiel, p: _Partenaires, a: _Agenda, visit: np.ndarray, partner: np.ndarray
) -> pa.Table:
    """The partner's attributes as they were on the visit day (old city before a move)."""
    city = np.where(a.day[visit] < p.moved_day[partner], p.old_city[partner], p.city[partner])
    codes = ref.codes
    return _table(
        "tab_partenaire_visite",
        {
            "id_visite": pa.array((visit + 1).astype(np.int32)),
            "id_partenaire": pa.array((partner + 1).astype(np.int32)),
            "code_region_partenaire": _strings(codes, ref.region[ref.city_region[city]]),
            "code_ville_partenaire": _strings(codes, ref.city[city]),
            "code_type_partenaire": _strings(
                TYPES_PARTENAIRE, p.pharmacie[partner].astype(np.int64)
            ),
            "code_gamme_partenaire": _strings(codes, ref.gamme[p.gamme[partner]]),
            "code_specialite_partenaire": _strings(codes, ref.specialite[p.specialite[partner]]),
        },
    )


# ---------------------------------------------------------------------------------------
# Evaluations: each rep (and supervisor) marked by its manager every quarter.
# ---------------------------------------------------------------------------------------


def _quarter_ends(cal: _Calendar) -> np.ndarray:
    """Calendar days closing a quarter, with time left to integrate its evaluations."""
    years = range(int(str(FIRST_DAY)[:4]), int(str(LAST_DAY)[:4]) + 1)
    ends = np.array(
        [f"{y}-{md}" for y in years for md in ("03-31", "06-30", "09-30", "12-31")],
        dtype="datetime64[D]",
    )
    day = (ends - FIRST_DAY).astype(np.int64)
    return day[(day >= 45) & (day + 25 < cal.days)]


def _evaluations(
    rng: np.random.Generator, cal: _Calendar, force: _Force, ref: _Referentiel
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
    user, closing = marked[who], quarters[quarter]
    m = len(user)
    creator = force.manager_on(user, closing)
    skip = (force.role[user] == DEL) & (rng.random(m) < 0.06)
    creator = np.where(skip, force.manager[creator], creator)
    day = cal.draw(rng, closing + 1, np.minimum(closing + 25, cal.days - 1))
    seconds = _epoch_day(day) * 86400 + rng.integers(9 * 3600, 18 * 3600, m)
    order = np.argsort(seconds, kind="stable")
    user, creator, closing, seconds = user[order], creator[order], closing[order], seconds[order]
    detail, header_cents = _evaluation_details(rng, ref, force.skill[user], closing)
    header = _table(
        "tab_evaluation",
        {
            "id": pa.array(np.arange(1, m + 1, dtype=np.int32)),
            "id_createur": pa.array((creator + 1).astype(np.int32)),
            "id_utilisateur_evalue": pa.array((user + 1).astype(np.int32)),
            "points_obtenu": _decimals(header_cents, pa.decimal128(6, 2)),
            "points_total": _decimals(np.full(m, POINTS_TOTAL * 100), pa.decimal128(6, 2)),
            "date_integration": _datetimes(seconds),
        },
    )
    return header, detail


def _evaluation_details(
    rng: np.random.Generator, ref: _Referentiel, skill: np.ndarray, closing: np.ndarray
) -> tuple[pa.Table, np.ndarray]:
    """One row per grid item, marked in half points around the user's level (which improves
    a little with time); the header score is their exact sum."""
    m = len(skill)
    on = np.array([points for _, items in GRILLE for _, points in items])
    k = len(on)
    level = np.clip(skill + 0.04 * closing / 365 + rng.normal(0, 0.06, m), 0.3, 0.98)
    item = np.tile(np.arange(k), m)
    evaluation = np.repeat(np.arange(m), k)
    share = np.clip(level[evaluation] + rng.normal(0, 0.1, m * k), 0.1, 1.0)
    cents = np.round(share * on[item] * 2).astype(np.int64) * 50
    table = _table(
        "tab_evaluation_detailed",
        {
            "id": pa.array(np.arange(1, m * k + 1, dtype=np.int32)),
            "id_evaluation": pa.array((evaluation + 1).astype(np.int32)),
            "code_categorie": _strings(ref.codes, ref.categorie[ref.sous_categorie_parent[item]]),
            "code_sous_categorie": _strings(ref.codes, ref.sous_categorie[item]),
            "point_obtenu": _decimals(cents, pa.decimal128(6, 2)),
            "point_sur": _decimals(on[item] * 100, pa.decimal128(6, 2)),
        },
    )
    return table, cents.reshape(m, k).sum(axis=1)


# ---------------------------------------------------------------------------------------
# Business cases: investment budgets for a few percent of partners, mostly A potential.
# ---------------------------------------------------------------------------------------


def _business_cases(
    rng: np.random.Generator, cal: _Calendar, force: _Force, ref: _Referentiel, p: _Partenaires
) -> pa.Table:
    chance = np.array([0.14, 0.05, 0.012])[p.potentiel] * (p.statut != 2)
    has = rng.random(p.n) < chance
    if has.sum() < 5:  # tiny data sets still get a few
        has[rng.choice(p.n, 5, replace=False)] = True
    chosen = np.flatnonzero(has)
    partner = np.repeat(chosen, 1 + _pick(rng, len(chosen), [68, 20, 8, 4]))
    m = len(partner)
    owner = p.owner[partner]
    responsable = np.where(rng.random(m) < 0.75, owner, force.manager[owner])
    kind = _pick(rng, m, [share for _, _, share, _ in TYPES_INVESTISSEMENT])
    usual = np.array([c for _, c, _, _ in TYPES_INVESTISSEMENT])
    categorie = np.where(
        rng.random(m) < 0.85, usual[kind], rng.integers(0, len(CATEGORIES_INVESTISSEMENT), m)
    )
    statut = _pick(rng, m, [0.30, 0.20, 0.15, 0.35])
    median = np.array([b for _, _, _, b in TYPES_INVESTISSEMENT])[kind]
    mad = np.clip(rng.lognormal(np.log(median), 0.6), 1_000, 800_000)
    cents = np.where(rng.random(m) < 0.7, np.round(mad / 500) * 50_000, np.round(mad * 100))
    # A budget still being negotiated may not be set yet; planned dates may lie ahead.
    no_budget = (statut == 1) & (rng.random(m) < 0.3)
    day = rng.integers(0, cal.days, m) + np.where(statut == 1, rng.integers(0, 120, m), 0)
    order = np.argsort(day, kind="stable")
    return _table(
        "tab_partenaire_bc",
        {
            "id_business_case": pa.array(np.arange(1, m + 1, dtype=np.int32)),
            "id_partenaire": pa.array((partner[order] + 1).astype(np.int32)),
            "id_responsable": pa.array((responsable[order] + 1).astype(np.int32)),
            "code_statut_bc": _strings(STATUTS_BC, statut[order]),
            "code_type_investissement": _strings(ref.codes, ref.type_investissement[kind[order]]),
            "code_categorie_investissement": _strings(
                ref.codes, ref.categorie_investissement[categorie[order]]
            ),
            "budget": _decimals(
                cents[order].astype(np.int64), pa.decimal128(12, 2), no_budget[order]
            ),
            "date_realisation": _dates(_epoch_day(day[order])),
        },
    )


# ---------------------------------------------------------------------------------------
# The whole CRM.
# ---------------------------------------------------------------------------------------


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
    ref = _referentiel()
    cal = _calendar()
    partners = _partenaires(rng, ref, cal, _partner_count(visits))
    force = _force_de_vente(rng, cal, np.bincount(partners.region, minlength=len(REGIONS)))
    partners = replace(partners, owner=_assign_portfolios(rng, partners, force))
    agenda = _agenda(rng, cal, force, visits)
    owner = _portfolio_owner(rng, force, agenda.rep)
    size, visit, partner = _partners_met(rng, _portefeuilles(partners, force.n), owner)
    evaluation, detail = _evaluations(rng, cal, force, ref)
    tables = {
        "tab_par_codification": ref.table(),
        "tab_utilisateur": _user_table(force),
        "tab_partenaire": _partner_table(rng, ref, partners),
        "tab_visite": _visit_table(rng, cal, force, agenda, size),
        "tab_partenaire_visite": _partner_visit_table(ref, partners, agenda, visit, partner),
        "tab_evaluation": evaluation,
        "tab_evaluation_detailed": detail,
        "tab_partenaire_bc": _business_cases(rng, cal, force, ref, partners),
    }
    if messy:
        tables = _make_messy(rng, tables)
    return {t.name: tables[t.name] for t in TABLES}


# ---------------------------------------------------------------------------------------
# Messy mode: the faults of a real CRM, each on a small share of rows.
# ---------------------------------------------------------------------------------------

ZERO_DATETIME = "0000-00-00 00:00:00"
ZERO_DATE = "0000-00-00"
# CHAR(1) columns: MySQL cannot store a code padded with spaces there (it would truncate it).
ONE_CHARACTER = frozenset({("tab_visite", "flag_accompagnee"), ("tab_visite", "type_visite")})


class _Soiler:
    """Applies faults to the tables. Each fault gets rows of its own in a column (disjoint
    slices of one uniform draw per column), so no fault hides another and each stays
    countable; every fault gets at least `minimum` rows, however small the table."""

    def __init__(self, rng: np.random.Generator, tables: dict[str, pa.Table]) -> None:
        self.rng = rng
        self.tables = dict(tables)
        self._lots: dict[tuple[str, str], np.ndarray] = {}
        self._taken: dict[tuple[str, str], float] = {}

    def lots(self, table: str, column: str) -> np.ndarray:
        key = (table, column)
        if key not in self._lots:
            self._lots[key] = self.rng.random(self.tables[table].num_rows)
        return self._lots[key]

    def rows(self, table: str, column: str, share: float, minimum: int = 1) -> np.ndarray:
        """A boolean mask of fresh rows for one fault on one column."""
        lots = self.lots(table, column)
        low = self._taken.get((table, column), 0.0)
        high = low + share
        self._taken[(table, column)] = high
        mask = (lots >= low) & (lots < high)
        missing = minimum - int(mask.sum())
        free = np.flatnonzero(lots >= high)
        if missing > 0 and len(free):
            extra = self.rng.choice(free, min(missing, len(free)), replace=False)
            lots[extra] = low
            mask[extra] = True
        return mask

    def keep(self, table: str, column: str, mask: np.ndarray) -> None:
        """Shield rows from later faults on this column (a cycle, an already NULL value)."""
        self.lots(table, column)[mask] = -1.0

    def column(self, table: str, column: str) -> pa.Array:
        return self.tables[table].column(column).combine_chunks()

    def numpy(self, table: str, column: str) -> np.ndarray:
        return self.column(table, column).to_numpy(zero_copy_only=False)

    def put(self, table: str, column: str, mask: np.ndarray, values: pa.Array | pa.Scalar) -> None:
        """Replace the masked rows (in row order) by `values`, or by one scalar."""
        t = self.tables[table]
        i = t.schema.get_field_index(column)
        new = pc.replace_with_mask(self.column(table, column), pa.array(mask), values)
        self.tables[table] = t.set_column(i, t.schema.field(i), new)

    def reshape(self, table: str, new: pa.Table) -> None:
        """Replace a table by one with other rows; only before any fault drew rows in it."""
        assert not any(t == table for t, _ in self._lots), f"{table} already has faults"
        self.tables[table] = new.combine_chunks()


def _columns(kinds: set[Kind], nullable: bool | None = None) -> list[tuple[str, str]]:
    """(table, column) of every source column of these kinds (and nullability)."""
    return [
        (t.name, c.name)
        for t in TABLES
        for c in t.columns
        if c.kind in kinds and (nullable is None or c.nullable == nullable)
    ]


def _share(n: int, share: float) -> int:
    return max(1, round(n * share))


def _deleted_users(s: _Soiler) -> None:
    """Visits recorded by user accounts deleted since (ids past the last user)."""
    last = int(pc.max(s.tables["tab_utilisateur"].column("id_utilisateur")).as_py())
    mask = s.rows("tab_visite", "id_utilisateur", 0.003)
    ghosts = last + 1 + s.rng.integers(0, 3, int(mask.sum()))
    s.put("tab_visite", "id_utilisateur", mask, pa.array(ghosts.astype(np.int32)))


def _deleted_partners(s: _Soiler) -> None:
    """Partners deleted from tab_partenaire though visits and business cases point at them."""
    ids = s.numpy("tab_partenaire", "id_partenaire")
    visited = np.unique(s.numpy("tab_partenaire_visite", "id_partenaire"))
    invested = np.unique(s.numpy("tab_partenaire_bc", "id_partenaire"))
    gone = np.concatenate(
        [
            s.rng.choice(invested, 1),
            s.rng.choice(visited, _share(len(ids), 0.005), replace=False),
        ]
    )
    s.reshape("tab_partenaire", s.tables["tab_partenaire"].filter(pa.array(~np.isin(ids, gone))))


def _orphan_partner_visits(s: _Soiler) -> None:
    """Partner rows left behind by visits deleted from tab_visite."""
    met = s.tables["tab_partenaire_visite"]
    k = _share(met.num_rows, 0.003)
    extra = met.take(pa.array(s.rng.integers(0, met.num_rows, k)))
    last = int(pc.max(s.tables["tab_visite"].column("id_visite")).as_py())
    deleted = (last + 1 + s.rng.integers(0, 3 * k, k)).astype(np.int32)
    extra = extra.set_column(0, met.schema.field(0), pa.array(deleted))
    s.reshape("tab_partenaire_visite", pa.concat_tables([met, extra]))


def _orphan_evaluation_details(s: _Soiler) -> None:
    """Evaluation headers deleted while their detail rows stayed."""
    ids = s.numpy("tab_evaluation", "id")
    detailed = np.unique(s.numpy("tab_evaluation_detailed", "id_evaluation"))
    gone = s.rng.choice(detailed, _share(len(ids), 0.01), replace=False)
    s.reshape("tab_evaluation", s.tables["tab_evaluation"].filter(pa.array(~np.isin(ids, gone))))


def _missing_labels(s: _Soiler) -> None:
    """Codes the data use but tab_par_codification lacks: a city whose row was deleted, and
    codes that were never declared."""
    cities = pc.value_counts(s.column("tab_partenaire_visite", "code_ville_partenaire"))
    rarest = cities.field("values")[int(np.argmin(cities.field("counts").to_numpy()))]
    codification = s.tables["tab_par_codification"]
    s.reshape(
        "tab_par_codification",
        codification.filter(pc.not_equal(codification.column("code_codification"), rarest)),
    )
    for table, column, code, share in (
        ("tab_partenaire", "code_ville_partenaire", "VI09999", 0.002),
        ("tab_partenaire_visite", "code_gamme_partenaire", "GA00099", 0.001),
        ("tab_evaluation_detailed", "code_sous_categorie", "SEV09999", 0.002),
        ("tab_partenaire_bc", "code_type_investissement", "TI00099", 0.01),
    ):
        s.put(table, column, s.rows(table, column, share), pa.scalar(code))


def _responsable_cycles(s: _Soiler) -> None:
    """Two supervisors managing each other, and a rep managing itself."""
    ids = s.numpy("tab_utilisateur", "id_utilisateur")
    role = s.numpy("tab_utilisateur", "role")
    pool = np.flatnonzero(role == ROLES[SUP])
    if len(pool) < 2:
        pool = np.flatnonzero((role == ROLES[SUP]) | (role == ROLES[DR]))
    a, b = s.rng.choice(pool, 2, replace=False)
    c = s.rng.choice(np.flatnonzero(role == ROLES[DEL]))
    rows = np.array([a, b, c])
    values = np.array([ids[b], ids[a], ids[c]], dtype=np.int32)
    order = np.argsort(rows)
    mask = np.isin(np.arange(len(ids)), rows)
    s.put("tab_utilisateur", "id_responsable", mask, pa.array(values[order]))
    s.keep("tab_utilisateur", "id_responsable", mask)


def _role_case(s: _Soiler) -> None:
    """Roles typed by hand: 'del', 'Sup '."""
    mask = s.rows("tab_utilisateur", "role", 0.1, minimum=2)
    roles = s.column("tab_utilisateur", "role").filter(pa.array(mask))
    titled = pc.binary_join_element_wise(pc.utf8_capitalize(roles), " ", "")
    lower = pa.array(np.arange(len(roles)) % 2 == 0)
    s.put("tab_utilisateur", "role", mask, pc.if_else(lower, pc.utf8_lower(roles), titled))


def _code_spaces(s: _Soiler) -> None:
    """Stray spaces around codes, in every code column that can hold them: ' B',
    'RE00003 ', ' GA00002 '."""
    for table, column in _columns({Kind.CODE}):
        if (table, column) in ONE_CHARACTER:
            continue
        mask = s.rows(table, column, 0.01)
        codes = s.column(table, column).filter(pa.array(mask))
        style = np.arange(len(codes)) % 3
        left = pa.array(np.where(style != 1, " ", ""))
        right = pa.array(np.where(style != 0, " ", ""))
        s.put(table, column, mask, pc.binary_join_element_wise(left, codes, right, ""))


def _empty_strings(s: _Soiler) -> None:
    """'' where a code or a label is expected (never in the codification key)."""
    columns = [c for c in _columns({Kind.CODE}) if c[0] != "tab_par_codification"]
    for table, column in [*columns, ("tab_par_codification", "libelle_codification")]:
        s.put(table, column, s.rows(table, column, 0.005), pa.scalar(""))


def _unknown_codes(s: _Soiler) -> None:
    """Values outside the CRM's enumerations."""
    for table, column, code in (
        ("tab_visite", "code_type_visite", "XXXX"),
        ("tab_visite", "flag_accompagnee", "X"),
        ("tab_partenaire", "code_potentiel", "D"),
        ("tab_partenaire", "code_type_partenaire", "AUTR"),
        ("tab_partenaire_visite", "code_type_partenaire", "AUTR"),
    ):
        s.put(table, column, s.rows(table, column, 0.002), pa.scalar(code))


def _nulls(s: _Soiler) -> None:
    """NULL in every nullable id, code, score and budget column, on rows not NULL already."""
    for table, column in _columns({Kind.ID, Kind.CODE, Kind.SCORE, Kind.MONEY}, nullable=True):
        s.keep(table, column, s.column(table, column).is_null().to_numpy(zero_copy_only=False))
        field = s.tables[table].schema.field(column)
        s.put(table, column, s.rows(table, column, 0.005), pa.scalar(None, field.type))


_DATES = (
    ("tab_visite", "date_visite", ZERO_DATETIME, 0.002),
    ("tab_evaluation", "date_integration", ZERO_DATETIME, 0.01),
    ("tab_utilisateur", "date_creation", ZERO_DATETIME, 0.02),
    ("tab_partenaire_bc", "date_realisation", ZERO_DATE, 0.02),
)


def _zero_dates(s: _Soiler) -> None:
    """MySQL's zero dates, as left by old imports."""
    for table, column, zero, share in _DATES:
        s.put(table, column, s.rows(table, column, share), pa.scalar(zero))


def _null_dates(s: _Soiler) -> None:
    """Dates never filled in."""
    for table, column, _, share in (*_DATES, ("tab_visite", "heure_fin_visite", None, 0.002)):
        s.put(table, column, s.rows(table, column, share), pa.scalar(None, pa.string()))


# Applied in this order: the faults that add or remove rows come before those that soil values.
_FAULTS: tuple[tuple[str, Callable[[_Soiler], None]], ...] = (
    ("deleted_users", _deleted_users),
    ("deleted_partners", _deleted_partners),
    ("orphan_partner_visits", _orphan_partner_visits),
    ("orphan_evaluation_details", _orphan_evaluation_details),
    ("missing_labels", _missing_labels),
    ("responsable_cycles", _responsable_cycles),
    ("role_case", _role_case),
    ("code_spaces", _code_spaces),
    ("empty_strings", _empty_strings),
    ("unknown_codes", _unknown_codes),
    ("nulls", _nulls),
    ("zero_dates", _zero_dates),
    ("null_dates", _null_dates),
)
MESSY_FAULTS: tuple[str, ...] = tuple(name for name, _ in _FAULTS)


def _make_messy(rng: np.random.Generator, tables: dict[str, pa.Table]) -> dict[str, pa.Table]:
    soiler = _Soiler(rng, tables)
    for _, fault in _FAULTS:
        fault(soiler)
    return soiler.tables


def take_demo_snapshot(
    data_dir: Path,
    *,
    visits: int,
    seed: int,
    messy: bool = False,
    keep: int = 5,
    batch_rows: int = 50_000,
    progress: Progress = lambda *_: None,
    prepare: Prepare | None = None,
) -> Manifest:
    """Publish a snapshot of generated CRM data: no MySQL involved (``prepare``: as
    for ``take_snapshot``)."""
    tables = generate(visits=visits, seed=seed, messy=messy)
    return take_snapshot(
        data_dir,
        Source(kind="demo", seed=seed, visits=visits, messy=messy),
        lambda table: tables[table.name].to_batches(max_chunksize=batch_rows),
        keep=keep,
        progress=progress,
        prepare=prepare,
    )
