-- The analysts' views (`visites sql`, engine/analyst.py, docs/analysts.md), over the
-- snapshot's eight tables. They say SPEC §4's terms in plain SQL, so that a figure an
-- analyst computes here is the dashboards' figure: slower than the engine's derived
-- tables, but nothing to learn.

-- Each code with its label (the code itself when the codification lacks it, SPEC §3)
-- and its codification type (an establishment's ETPR private or ETPU public).
CREATE TEMP VIEW codification AS
SELECT
    code_codification AS code,
    min(libelle_codification) AS libelle,
    min(type_codification) AS type
FROM tab_par_codification
GROUP BY code_codification;

-- The team of a responsable (SPEC §4): one row per (id_responsable, id_utilisateur)
-- whose chain of id_responsable reaches it, the responsable itself included, at any
-- depth. UNION (not UNION ALL) drops a pair met twice, so a cycle ends the walk.
-- An id that is no CRM user still has a team: the users whose chain reaches it.
CREATE TEMP VIEW team AS
WITH RECURSIVE climb (id_responsable, id_utilisateur) AS (
    SELECT id_utilisateur, id_utilisateur
    FROM (
        SELECT id_utilisateur FROM tab_utilisateur
        UNION SELECT id_utilisateur FROM tab_visite
        UNION SELECT id_utilisateur_evalue FROM tab_evaluation
    )
    UNION
    SELECT u.id_responsable, c.id_utilisateur
    FROM climb AS c
    JOIN tab_utilisateur AS u ON u.id_utilisateur = c.id_responsable
    WHERE u.id_responsable IS NOT NULL
)
SELECT id_responsable, id_utilisateur FROM climb;

-- Visit rows (SPEC §4): one row per (visit, partner met), one row with NULL partner
-- fields for a visit without partner. Region, city, gamme, speciality and partner type
-- as copied at the visit; potential, status and establishment from the partner's
-- current row. Contacts = count(*); visits = count(DISTINCT id_visite).
CREATE TEMP VIEW visite_rows AS
SELECT
    v.id_visite,
    v.date_visite,
    CAST(year(v.date_visite) AS INTEGER) AS annee,
    CAST(month(v.date_visite) AS INTEGER) AS mois,
    v.id_utilisateur,
    -- SPEC §4: nom + ' ' + prenom; a missing part is left out, not the whole name.
    NULLIF(concat_ws(' ', u.nom_utilisateur, u.prenom_utilisateur), '') AS utilisateur,
    upper(u.role) AS role,
    v.id_responsable,
    v.code_type_visite,
    v.code_statut_visite,
    v.type_visite,
    v.flag_accompagnee,
    pv.id_partenaire,
    pv.code_type_partenaire,
    coalesce(type_partenaire.libelle, pv.code_type_partenaire) AS type_partenaire,
    pv.code_region_partenaire,
    coalesce(region.libelle, pv.code_region_partenaire) AS region,
    pv.code_ville_partenaire,
    coalesce(ville.libelle, pv.code_ville_partenaire) AS ville,
    pv.code_gamme_partenaire,
    coalesce(gamme.libelle, pv.code_gamme_partenaire) AS gamme,
    pv.code_specialite_partenaire,
    coalesce(specialite.libelle, pv.code_specialite_partenaire) AS specialite,
    p.code_potentiel,
    p.code_statut_partenaire,
    p.code_type_etablissement,
    coalesce(etablissement.libelle, p.code_type_etablissement) AS etablissement,
    etablissement.type AS type_etablissement
FROM tab_visite AS v
LEFT JOIN tab_partenaire_visite AS pv ON pv.id_visite = v.id_visite
LEFT JOIN tab_partenaire AS p ON p.id_partenaire = pv.id_partenaire
LEFT JOIN tab_utilisateur AS u ON u.id_utilisateur = v.id_utilisateur
LEFT JOIN codification AS type_partenaire ON type_partenaire.code = pv.code_type_partenaire
LEFT JOIN codification AS region ON region.code = pv.code_region_partenaire
LEFT JOIN codification AS ville ON ville.code = pv.code_ville_partenaire
LEFT JOIN codification AS gamme ON gamme.code = pv.code_gamme_partenaire
LEFT JOIN codification AS specialite ON specialite.code = pv.code_specialite_partenaire
LEFT JOIN codification AS etablissement ON etablissement.code = p.code_type_etablissement;
