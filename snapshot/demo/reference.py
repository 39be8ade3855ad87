"""Reference data: what a Moroccan pharmaceutical CRM actually holds, and the sizes and rates
of an ordinary mid-size laboratory's field force. The generator draws every table from these.

The calendar is fixed (``FIRST_DAY`` .. ``LAST_DAY``) rather than taken from today, so that
a seed names one data set forever.
"""

from __future__ import annotations

import numpy as np

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

PHARMACIST = "Pharmacien d'officine"
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
    (PHARMACIST, 0),
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
GENERAL_PRACTITIONER = "Médecin généraliste"

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
PHARMACY = 2  # index of "Pharmacie d'officine" above

# Evaluation grid: categories and their sub-categories with the points each is marked on
# (they add up to 100, the header's points_total).
EVALUATION_GRID: tuple[tuple[str, tuple[tuple[str, int], ...]], ...] = (
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

LAST_NAMES = (
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
FIRST_NAMES = (
    "Mohammed", "Ahmed", "Youssef", "Omar", "Karim", "Hamza", "Mehdi", "Amine", "Saïd",
    "Rachid", "Hicham", "Khalid", "Mustapha", "Abdelilah", "Abdellah", "Nabil", "Anas",
    "Ayoub", "Ismaïl", "Driss", "Hassan", "Brahim", "Younès", "Zakaria", "Soufiane",
    "Tarik", "Adil", "Jawad", "Fatima Zahra", "Khadija", "Salma", "Imane", "Meryem",
    "Nadia", "Samira", "Houda", "Sanaa", "Hanane", "Siham", "Laïla", "Zineb", "Asmae",
    "Ghita", "Kawtar", "Loubna", "Ihssane", "Hajar", "Naïma", "Souad", "Btissam", "Aïcha",
    "Chaïmae", "Najat", "Rajae", "Oumaïma", "Yasmine",
)  # fmt: skip
PHARMACY_NAMES = (
    "Al Amal", "Ennour", "Al Farah", "Atlas", "Ibn Sina", "Al Andalous", "Essalam",
    "Al Wahda", "Al Massira", "Annahda", "Al Qods", "Assafa", "Al Fath", "Ibn Rochd",
    "Al Majd", "Al Kawtar", "Ennakhil", "Al Yasmine", "Centrale", "du Marché", "de la Gare",
    "Hassania", "Al Inbiaâ", "Errahma", "Dar Salam", "de l'Hôpital",
)  # fmt: skip

# Codes without a codification label: fixed enumerations of the CRM.
POTENTIELS = ("A", "B", "C")
PARTENAIRE_STATUSES = ("VALI", "ATTE", "REJE")
PARTENAIRE_TYPES = ("MEDE", "PHAR")
VISITE_TYPES = ("PLAN", "HOPL")
VISITE_STATUSES = ("CLOT", "REAL", "ANNU")
FLAGS = ("N", "O")
VISITE_SHAPES = ("S", "G")  # type_visite: simple or group
BUSINESS_CASE_STATUSES = ("VALI", "ENCO", "ANNU", "REAL")
ROLES = ("DIR", "DR", "SUP", "DEL")  # national director, regional director, supervisor, rep
DIR, DR, SUP, DEL = range(4)

# ---------------------------------------------------------------------------------------
# Sizes and rates (why these numbers: an ordinary mid-size laboratory's field force).
# ---------------------------------------------------------------------------------------

VISITES_PER_PARTENAIRE = 12  # about one partner per 12 visits over three years
MIN_PARTENAIRES = 300
PARTENAIRES_PER_DELEGUE = 150
DELEGUES_PER_SUP = 7
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
