"""An independent model of the six endpoints: every answer computed in plain Python over
a CRM's rows (table name -> list of dicts, as a snapshot stores them) straight from
SPEC §4 to §7, with none of the engine's SQL, masks or derived tables. Obvious and slow
on purpose: the property tests compare the engine's answers with its answers.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from engine import EvaluationFilter, InvestFilter, VisiteFilter

Row = dict[str, Any]
Crm = Mapping[str, Sequence[Mapping[str, Any]]]

PLANNING = {"PLAN": "planifiees", "HOPL": "non_planifiees"}
TYPE_PARTENAIRE = {"MEDE": "medicales", "PHAR": "pharmaceutiques"}
ETABLISSEMENT = {"ETPR": "privees", "ETPU": "publiques"}  # by codification type
TYPE_VISITE = {"S": "simple", "G": "groupe"}
FLAG = {"N": "indiviuel", "O": "en_double"}


def percentage(part: int, total: int) -> float:
    """The exact share, rounded half-up to 2 decimals (SPEC §4)."""
    share = Decimal(100 * part) / Decimal(total)
    return float(share.quantize(Decimal("0.01"), ROUND_HALF_UP))


def mean(values: Iterable[Decimal | None]) -> float | None:
    kept = [v for v in values if v is not None]
    return float(sum(kept) / len(kept)) if kept else None


def budget(values: Iterable[Decimal | None]) -> float:
    """NULL budgets ignored, all NULL sums to 0 (SPEC §4)."""
    return float(sum((v for v in values if v is not None), Decimal(0)))


def day(value: datetime | date | None) -> date | None:
    """Date filters compare calendar dates (SPEC §3)."""
    return value.date() if isinstance(value, datetime) else value


def in_period(value: datetime | date | None, f: Any) -> bool:
    """annee, mois, start_date and end_date of ``f`` on one date; NULL is in no period."""
    if all(getattr(f, k) is None for k in ("annee", "mois", "start_date", "end_date")):
        return True
    d = day(value)
    return (
        d is not None
        and (f.annee is None or d.year == f.annee)
        and (f.mois is None or d.month == f.mois)
        and (f.start_date is None or d >= f.start_date)
        and (f.end_date is None or d <= f.end_date)
    )


class Model:
    def __init__(self, crm: Crm) -> None:
        self.crm = crm
        codification = crm.get("tab_par_codification", [])
        self.labels = {c["code_codification"]: c["libelle_codification"] for c in codification}
        self.kinds = {c["code_codification"]: c["type_codification"] for c in codification}
        self.utilisateurs = {u["id_utilisateur"]: u for u in crm.get("tab_utilisateur", [])}
        self.partenaires = {p["id_partenaire"]: p for p in crm.get("tab_partenaire", [])}

    # -------------------------------------------------------------- shared terms

    def label(self, code: str) -> str:
        return self.labels.get(code, code)  # SPEC §3: a missing label is the code

    def by_label(self, codes: Iterable[str]) -> list[str]:
        """Labelled lists sort by label, then code, in code-point order (SPEC §4)."""
        return sorted(codes, key=lambda c: (self.label(c), c))

    def name(self, user: int) -> str | None:
        """nom + ' ' + prenom; a missing part is left out, both missing is no name."""
        row = self.utilisateurs.get(user, {})
        parts = [p for p in (row.get("nom_utilisateur"), row.get("prenom_utilisateur")) if p]
        return " ".join(parts) or None

    def role(self, user: int) -> str | None:
        role = self.utilisateurs.get(user, {}).get("role")
        return role.upper() if role else None

    def by_name(self, user: int) -> tuple[bool, str, int]:
        """Users sort by name, a missing name last, then by id (SPEC §4)."""
        name = self.name(user)
        return (name is None, name or "", user)

    def ranked(self, counts: Mapping[int, int], most_first: bool) -> list[Row]:
        """Five users by count, ties by name, then id."""

        def order(u: int) -> tuple[int, tuple[bool, str, int]]:
            return (-counts[u] if most_first else counts[u], self.by_name(u))

        return [
            {"id_utilisateur": u, "delegue": self.name(u), "nombre_visites": counts[u]}
            for u in sorted(counts, key=order)[:5]
        ]

    def team(self, responsable: int) -> set[int]:
        """responsable and every user whose chain reaches it; a cycle ends a chain."""
        members = {responsable}
        for user in self.utilisateurs:
            seen, current = {user}, self.utilisateurs[user]["id_responsable"]
            while current is not None and current not in seen:
                if current == responsable:
                    members.add(user)
                seen.add(current)
                current = self.utilisateurs.get(current, {}).get("id_responsable")
        return members

    def in_team(self, responsable: int, user: int) -> bool:
        return user in self.team(responsable)

    # --------------------------------------------------------------- visit rows

    def visit_rows(self) -> list[Row]:
        """SPEC §4: tab_visite LEFT JOIN tab_partenaire_visite, with the partner's
        current potential, status and establishment."""
        met: dict[int, list[Mapping[str, Any]]] = defaultdict(list)
        for row in self.crm.get("tab_partenaire_visite", []):
            met[row["id_visite"]].append(row)
        out = []
        for visit in self.crm.get("tab_visite", []):
            for row in met[visit["id_visite"]] or [{}]:
                partner = self.partenaires.get(row.get("id_partenaire"), {})
                out.append(
                    {
                        **visit,
                        "id_partenaire": row.get("id_partenaire"),
                        **{k: row.get(k) for k in (
                            "code_region_partenaire", "code_ville_partenaire",
                            "code_type_partenaire", "code_gamme_partenaire",
                            "code_specialite_partenaire",
                        )},
                        **{k: partner.get(k) for k in (
                            "code_potentiel", "code_statut_partenaire", "code_type_etablissement",
                        )},
                    }
                )  # fmt: skip
        return out

    def kept(self, f: VisiteFilter) -> list[Row]:
        members = self.team(f.id_responsable) if f.id_responsable is not None else None
        return [
            r
            for r in self.visit_rows()
            if (members is None or r["id_utilisateur"] in members)
            and (f.id_utilisateur is None or r["id_utilisateur"] == f.id_utilisateur)
            and (f.gamme is None or r["code_gamme_partenaire"] == f.gamme)
            and (f.region is None or r["code_region_partenaire"] == f.region)
            and in_period(r["date_visite"], f)
        ]

    # -------------------------------------------------------------------- /data

    def data(self, f: VisiteFilter) -> Row:
        rows = self.kept(f)
        counters = {
            f"{prefix}_{planning}": 0
            for prefix in ["nbr_total_visites"]
            + [f"nbr_visites_{x}" for m in (TYPE_PARTENAIRE, ETABLISSEMENT, TYPE_VISITE, FLAG)
               for x in m.values()]
            for planning in PLANNING.values()
        }  # fmt: skip
        for r in rows:
            planning = PLANNING.get(r["code_type_visite"])
            if planning is None:
                continue
            counters[f"nbr_total_visites_{planning}"] += 1
            etablissement = self.kinds.get(r["code_type_etablissement"])
            for x in (
                TYPE_PARTENAIRE.get(r["code_type_partenaire"]),
                ETABLISSEMENT.get(etablissement) if etablissement else None,
                TYPE_VISITE.get(r["type_visite"]),
                FLAG.get(r["flag_accompagnee"]),
            ):
                if x is not None:
                    counters[f"nbr_visites_{x}_{planning}"] += 1
        regions = Counter(r["code_region_partenaire"] for r in rows)
        villes = Counter((r["code_region_partenaire"], r["code_ville_partenaire"]) for r in rows)
        gammes = Counter(r["code_gamme_partenaire"] for r in rows)
        specialites = Counter(
            (r["code_gamme_partenaire"], r["code_specialite_partenaire"]) for r in rows
        )
        return {
            "statistiques": {
                **counters,
                "region": [
                    {
                        "code_region_partenaire": region, "region": self.label(region),
                        "nb_visites_total": regions[region],
                        "ville": [
                            {"code_ville_partenaire": v, "code_region_partenaire": region,
                             "ville": self.label(v), "region": self.label(region),
                             "nb_visites": villes[region, v]}
                            for v in self.by_label(v for g, v in villes if g == region and v)
                        ],
                    }
                    for region in self.by_label(r for r in regions if r)
                ],
                "gammes": [
                    {
                        "code_gamme": gamme, "gamme": self.label(gamme),
                        "nbr_total_visites": gammes[gamme],
                        "specialites": [
                            {"code_specialite": s, "specialite": self.label(s),
                             "gamme": self.label(gamme), "code_gamme": gamme,
                             "nb_visites_total": specialites[gamme, s]}
                            for s in self.by_label(
                                s for g, s in specialites if g == gamme and s
                            )
                        ],
                    }
                    for gamme in self.by_label(g for g in gammes if g)
                ],
            }
        }  # fmt: skip

    # ------------------------------------------------------------- /performance

    def performance(self, f: VisiteFilter) -> Row:
        rows = self.kept(f)

        def visits_by(key: str) -> Counter[Any]:
            """Distinct visits per non-NULL key."""
            pairs = {(r[key], r["id_visite"]) for r in rows if r[key] is not None}
            return Counter(k for k, _ in pairs)

        def keyed(key: str, name: str) -> list[Row]:
            counts = visits_by(key)
            return [{name: k, "nombre_visites": counts[k]} for k in sorted(counts)]

        per_user = visits_by("id_utilisateur")
        reps = {
            u: per_user.get(u, 0)
            for u in self.utilisateurs
            if self.role(u) == "DEL"
            and (f.id_utilisateur is None or u == f.id_utilisateur)
            and (f.id_responsable is None or self.in_team(f.id_responsable, u))
        }
        visit_days = {r["id_visite"]: day(r["date_visite"]) for r in rows if r["date_visite"]}
        days = Counter(visit_days.values())
        regions = visits_by("code_region_partenaire")
        return {
            "nombre_compte_visite_par_type_compte": keyed(
                "code_type_partenaire", "code_type_partenaire"
            ),
            "nombre_compte_visite_par_status": keyed(
                "code_statut_partenaire", "code_statut_partenaire"
            ),
            "nombre_visites_par_potenciel": keyed("code_potentiel", "code_potentiel"),
            "nombre_visites_par_region": [
                {"code_region_partenaire": c, "region": self.label(c), "nombre_visites": regions[c]}
                for c in self.by_label(regions)
            ],
            "utilisateurs_plus_grand_nombre_visites": self.ranked(per_user, most_first=True),
            "delegues_moins_nombre_visites": self.ranked(reps, most_first=False),
            "nombre_compte_visite_par_jour": [
                {"date_visite": d.isoformat(), "nombre_visites": days[d]} for d in calendar(days)
            ],
        }

    # -------------------------------------------------------------- /partenaire

    def partenaire(self, f: VisiteFilter) -> Row:
        rows = [r for r in self.kept(f) if r["id_partenaire"] is not None]

        def partners_by(key: Callable[[Row], Any]) -> Counter[Any]:
            """Distinct partners per key; a key holding a NULL is left out."""
            pairs = {(key(r), r["id_partenaire"]) for r in rows}
            return Counter(
                k for k, _ in pairs if k is not None and (not isinstance(k, tuple) or all(k))
            )

        pairs = {(r["id_visite"], r["id_partenaire"]) for r in rows}
        partners = {p for _, p in pairs}
        potentiels = partners_by(lambda r: r["code_potentiel"])
        etablissements = partners_by(lambda r: r["code_type_etablissement"])
        regions = partners_by(lambda r: r["code_region_partenaire"])
        villes = partners_by(lambda r: (r["code_region_partenaire"], r["code_ville_partenaire"]))
        gammes = partners_by(lambda r: r["code_gamme_partenaire"])
        specialites = partners_by(
            lambda r: (r["code_gamme_partenaire"], r["code_specialite_partenaire"])
        )
        return {
            "Nombre_de_comptes_par_potentiel": [
                {"code_potentiel": c, "nombre_partenaire": potentiels[c]}
                for c in sorted(potentiels)
            ],
            "Nombre_de_visites_moyen": len(pairs) / len(partners) if partners else None,
            "Nombre_de_comptes_par_etablissement": [
                {"code_type_etablissement": c, "etablissement": self.label(c),
                 "nombre_partenaire": etablissements[c]}
                for c in self.by_label(etablissements)
            ],
            "region_partenaire": [
                {
                    "code_region_partenaire": region, "region": self.label(region),
                    "total_partenaire": regions[region],
                    "ville": [
                        {"code_ville_partenaire": v, "code_region_partenaire": region,
                         "ville": self.label(v), "region": self.label(region),
                         "nb_partenaire": villes[region, v]}
                        for v in self.by_label(v for g, v in villes if g == region)
                    ],
                }
                for region in self.by_label(regions)
            ],
            "gamme_partenaire": [
                {
                    "code_gamme": gamme, "gamme": self.label(gamme),
                    "total_partenaire": gammes[gamme],
                    "specialites": [
                        {"code_specialite": s, "specialite": self.label(s),
                         "gamme": self.label(gamme), "code_gamme": gamme,
                         "nb_partenaire": specialites[gamme, s]}
                        for s in self.by_label(s for g, s in specialites if g == gamme)
                    ],
                }
                for gamme in self.by_label(gammes)
            ],
        }  # fmt: skip

    # ------------------------------------------------------------------- /users

    def users(self, f: VisiteFilter) -> Row:
        rows = self.kept(f)

        def users_by(key: Callable[[Row], Any]) -> Counter[Any]:
            """Distinct users per non-NULL key."""
            pairs = {(key(r), r["id_utilisateur"]) for r in rows}
            return Counter(k for k, _ in pairs if k is not None)

        months = users_by(lambda r: (r["date_visite"].year, r["date_visite"].month)
                          if r["date_visite"] else None)  # fmt: skip
        gammes = users_by(lambda r: r["code_gamme_partenaire"])
        regions = users_by(lambda r: r["code_region_partenaire"])
        statuts = users_by(lambda r: r["code_statut_partenaire"])
        roles = users_by(lambda r: self.role(r["id_utilisateur"]))
        visits = {r["id_visite"]: r["id_responsable"] or 0 for r in rows}
        per_responsable = Counter(visits.values())
        return {
            "nombre_nouvelle_utilisateur_par_mois": [
                {"annee": a, "mois": m, "nombre_utilisateur": months[a, m]}
                for a, m in sorted(months)
            ],
            "nombre_utilisateur_par_gammes": [
                {"code_gamme_partenaire": c, "gamme": self.label(c),
                 "nombre_utilisateur": gammes[c]}
                for c in self.by_label(gammes)
            ],
            "pourcentage_visites_par_responsable": [
                {"id_responsable": r, "nombre_visites": n,
                 "pourcentage": percentage(n, len(visits))}
                for r, n in sorted(per_responsable.items())
            ],
            "nombre_utilisateur_par_regions": [
                {"code_region_partenaire": c, "region": self.label(c),
                 "nombre_utilisateur": regions[c]}
                for c in self.by_label(regions)
            ],
            "nombre_utilisateur_par_status": [
                {"code_statut_partenaire": c, "nombre_utilisateur": statuts[c]}
                for c in sorted(statuts)
            ],
            "nombre_utilisateur_par_role": [
                {"role": c, "nombre_utilisateur": roles[c]} for c in sorted(roles)
            ],
        }  # fmt: skip

    # -------------------------------------------------------------- /evaluation

    def all_time_visits(self, user: int) -> int:
        return sum(v["id_utilisateur"] == user for v in self.crm.get("tab_visite", []))

    def evaluation(self, f: EvaluationFilter) -> Row:
        headers = {e["id"]: e for e in self.crm.get("tab_evaluation", [])}
        members = self.team(f.id_responsable) if f.id_responsable is not None else None
        details = [
            (d, headers[d["id_evaluation"]])
            for d in self.crm.get("tab_evaluation_detailed", [])
            if d["id_evaluation"] in headers
        ]
        kept = [
            (d, e)
            for d, e in details
            if (f.id_utilisateur is None or e["id_utilisateur_evalue"] == f.id_utilisateur)
            and (members is None or e["id_utilisateur_evalue"] in members)
            and (f.code_categorie is None or d["code_categorie"] == f.code_categorie)
            and in_period(e["date_integration"], f)
        ]
        evaluations = {e["id"]: e for _, e in kept}.values()  # each header once
        scores: dict[Decimal, int] = defaultdict(int)
        for e in evaluations:
            if e["points_obtenu"] is not None:
                scores[e["points_obtenu"]] += self.all_time_visits(e["id_utilisateur_evalue"])
        months = Counter(
            e["date_integration"].strftime("%Y-%m") for e in evaluations if e["date_integration"]
        )
        roles = Counter(self.role(e["id_createur"]) for e in evaluations)
        roles.pop(None, None)
        evaluated = {e["id_utilisateur_evalue"] for e in evaluations}
        categories = {d["code_categorie"] for d, _ in kept if d["code_categorie"]}
        return {
            "Nombre_visites_par_moyen_evaluation": [
                {"points_obtenus": float(s), "nombre_visites": scores[s]} for s in sorted(scores)
            ],
            "Nombre_evaluation_par_Mois": [
                {"date_integration": m, "Nombre_evaluation": months[m]} for m in sorted(months)
            ],
            "pourcentage_evaluations_role": [
                {"role_createur": r, "Nombre_evaluation": n,
                 "pourcentage": percentage(n, len(evaluations))}
                for r, n in sorted(roles.items())
            ],
            "moyenne_points_utilisateurs": [
                {"id_utilisateur": u, "FullName_utilisateur": self.name(u),
                 "points_obtenus": mean(
                     e["points_obtenu"] for e in evaluations if e["id_utilisateur_evalue"] == u
                 )}
                for u in sorted(evaluated, key=self.by_name)
            ],
            "categories": [
                {
                    "code_categorie": c, "categorie": self.label(c),
                    "moyenne_points_categorie": mean(
                        {e["id"]: e["points_obtenu"] for d, e in kept
                         if d["code_categorie"] == c}.values()
                    ),
                    "sous_categories": [
                        {"code_sous_categorie": s, "sous_categorie": self.label(s),
                         "moyenne_points_sous_categorie": mean(
                             d["point_obtenu"] for d, _ in kept
                             if d["code_categorie"] == c and d["code_sous_categorie"] == s
                         )}
                        for s in self.by_label({
                            d["code_sous_categorie"] for d, _ in kept
                            if d["code_categorie"] == c and d["code_sous_categorie"]
                        })
                    ],
                }
                for c in self.by_label(categories)
            ],
        }  # fmt: skip

    # ------------------------------------------------------------------ /invest

    def partner_visits(self, partner: int, scope: int | None) -> int:
        """The partner's all-time visits; a scoped token's: its team's (SPEC §6, §7)."""
        members = self.team(scope) if scope is not None else None
        return len(
            {
                r["id_visite"]
                for r in self.visit_rows()
                if r["id_partenaire"] == partner
                and (members is None or r["id_utilisateur"] in members)
            }
        )

    def invest(self, f: InvestFilter, scope: int | None = None) -> Row:
        members = self.team(f.id_responsable) if f.id_responsable is not None else None
        cases = []
        for bc in self.crm.get("tab_partenaire_bc", []):
            partner = self.partenaires.get(bc["id_partenaire"], {})
            row = {
                **bc,
                **{k: partner.get(k) for k in (
                    "code_gamme", "code_specialite", "code_potentiel", "code_region_partenaire",
                )},
                "visites": self.partner_visits(bc["id_partenaire"], scope),
            }  # fmt: skip
            if (
                (members is None or row["id_responsable"] in members)
                and (f.id_partenaire is None or row["id_partenaire"] == f.id_partenaire)
                and (f.id_business_case is None or row["id_business_case"] == f.id_business_case)
                and (f.code_type_investissement is None
                     or row["code_type_investissement"] == f.code_type_investissement)
                and (f.region is None or row["code_region_partenaire"] == f.region)
                and in_period(row["date_realisation"], f)
            ):  # fmt: skip
                cases.append(row)

        def sums(key: str) -> dict[Any, float]:
            groups: dict[Any, list[Decimal | None]] = defaultdict(list)
            for row in cases:
                if row[key] is not None:
                    groups[row[key]].append(row["budget"])
            return {k: budget(v) for k, v in groups.items()}

        def labelled(key: str, code: str, name: str) -> list[Row]:
            totals = sums(key)
            return [
                {code: c, name: self.label(c), "budget": totals[c]} for c in self.by_label(totals)
            ]

        def keyed(key: str) -> list[Row]:
            totals = sums(key)
            return [{key: c, "budget": totals[c]} for c in sorted(totals)]

        visites = sums("visites")
        return {
            "budget_par_visites": [
                {"Nombre de nombre de visites": n, "budget": visites[n]} for n in sorted(visites)
            ],
            "budget_par_gamme": labelled("code_gamme", "code_gamme", "gamme"),
            "budget_par_statut": keyed("code_statut_bc"),
            "budget_par_potentiel": keyed("code_potentiel"),
            "budget_par_specialite": labelled("code_specialite", "code_specialite", "specialite"),
            "budget_par_region": labelled(
                "code_region_partenaire", "code_region_partenaire", "region"
            ),
            "budget_par_type_investissement": labelled(
                "code_type_investissement", "code_type_investissement", "type_investissement"
            ),
            "budget_par_categorie_investissement": labelled(
                "code_categorie_investissement", "code_categorie_investissement",
                "categorie_investissement",
            ),
        }  # fmt: skip


def calendar(days: Iterable[date]) -> list[date]:
    """Every day from the first to the last of ``days`` (none if there are none)."""
    found = sorted(days)
    if not found:
        return []
    return [found[0] + timedelta(n) for n in range((found[-1] - found[0]).days + 1)]
