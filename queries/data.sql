-- POST /data (SPEC §6): contacts, i.e. visit rows. One scan of the filtered rows,
-- grouped three ways: by region and city, by gamme and speciality, and by the
-- combination of the five codes the 18 counters read (build/3_contact.sql). Under a
-- filter of gamme and region only, the scan reads the load's contacts per combination
-- of these keys instead of the contact rows (the other branch is FALSE, unread).
-- Subjects, paths and derived tables: docs/engine.md.
WITH counted AS NOT MATERIALIZED (
    SELECT * FROM contacts_per_key WHERE {aggregates}
    UNION ALL BY NAME
    SELECT
        code_region_partenaire,
        code_ville_partenaire,
        code_gamme_partenaire,
        code_specialite_partenaire,
        id_counter,
        1 AS contact_count
    FROM contact
    WHERE {!aggregates} AND {contacts}
),
grouped AS MATERIALIZED (
    SELECT
        GROUPING(code_region_partenaire) = 0 AS by_ville,
        GROUPING(code_gamme_partenaire) = 0 AS by_specialite,
        code_region_partenaire,
        code_ville_partenaire,
        code_gamme_partenaire,
        code_specialite_partenaire,
        id_counter,
        sum(contact_count) AS contact_count
    FROM counted
    GROUP BY GROUPING SETS (
        (code_region_partenaire, code_ville_partenaire),
        (code_gamme_partenaire, code_specialite_partenaire),
        (id_counter)
    )
),

-- The counters' codes as strings; codes outside SPEC's match no counter.
counter_code AS (
    SELECT
        g.contact_count,
        planning.code AS planning,
        partenaire.code AS partenaire,
        etablissement.type AS etablissement,
        visite.code AS visite,
        accompagnee.code AS accompagnee
    FROM grouped AS g
    JOIN counter AS k USING (id_counter)
    LEFT JOIN code AS planning ON planning.id = k.code_type_visite
    LEFT JOIN code AS partenaire ON partenaire.id = k.code_type_partenaire
    LEFT JOIN code AS etablissement ON etablissement.id = k.code_type_etablissement
    LEFT JOIN code AS visite ON visite.id = k.type_visite
    LEFT JOIN code AS accompagnee ON accompagnee.id = k.flag_accompagnee
    WHERE NOT g.by_ville AND NOT g.by_specialite
),

counters AS (
    SELECT
        coalesce(sum(contact_count) FILTER (WHERE planning = 'PLAN'), 0)
            AS nbr_total_visites_planifiees,
        coalesce(sum(contact_count) FILTER (WHERE planning = 'HOPL'), 0)
            AS nbr_total_visites_non_planifiees,
        coalesce(sum(contact_count) FILTER (WHERE planning = 'PLAN' AND partenaire = 'MEDE'), 0)
            AS nbr_visites_medicales_planifiees,
        coalesce(sum(contact_count) FILTER (WHERE planning = 'HOPL' AND partenaire = 'MEDE'), 0)
            AS nbr_visites_medicales_non_planifiees,
        coalesce(sum(contact_count) FILTER (WHERE planning = 'PLAN' AND partenaire = 'PHAR'), 0)
            AS nbr_visites_pharmaceutiques_planifiees,
        coalesce(sum(contact_count) FILTER (WHERE planning = 'HOPL' AND partenaire = 'PHAR'), 0)
            AS nbr_visites_pharmaceutiques_non_planifiees,
        coalesce(sum(contact_count) FILTER (WHERE planning = 'PLAN' AND etablissement = 'ETPR'), 0)
            AS nbr_visites_privees_planifiees,
        coalesce(sum(contact_count) FILTER (WHERE planning = 'HOPL' AND etablissement = 'ETPR'), 0)
            AS nbr_visites_privees_non_planifiees,
        coalesce(sum(contact_count) FILTER (WHERE planning = 'PLAN' AND etablissement = 'ETPU'), 0)
            AS nbr_visites_publiques_planifiees,
        coalesce(sum(contact_count) FILTER (WHERE planning = 'HOPL' AND etablissement = 'ETPU'), 0)
            AS nbr_visites_publiques_non_planifiees,
        coalesce(sum(contact_count) FILTER (WHERE planning = 'PLAN' AND visite = 'S'), 0)
            AS nbr_visites_simple_planifiees,
        coalesce(sum(contact_count) FILTER (WHERE planning = 'HOPL' AND visite = 'S'), 0)
            AS nbr_visites_simple_non_planifiees,
        coalesce(sum(contact_count) FILTER (WHERE planning = 'PLAN' AND visite = 'G'), 0)
            AS nbr_visites_groupe_planifiees,
        coalesce(sum(contact_count) FILTER (WHERE planning = 'HOPL' AND visite = 'G'), 0)
            AS nbr_visites_groupe_non_planifiees,
        coalesce(sum(contact_count) FILTER (WHERE planning = 'PLAN' AND accompagnee = 'N'), 0)
            AS nbr_visites_indiviuel_planifiees,
        coalesce(sum(contact_count) FILTER (WHERE planning = 'HOPL' AND accompagnee = 'N'), 0)
            AS nbr_visites_indiviuel_non_planifiees,
        coalesce(sum(contact_count) FILTER (WHERE planning = 'PLAN' AND accompagnee = 'O'), 0)
            AS nbr_visites_en_double_planifiees,
        coalesce(sum(contact_count) FILTER (WHERE planning = 'HOPL' AND accompagnee = 'O'), 0)
            AS nbr_visites_en_double_non_planifiees
    FROM counter_code
),

-- A region's total counts its rows whose city is NULL too.
region AS (
    SELECT
        r.code AS code_region_partenaire,
        r.libelle AS region,
        sum(g.contact_count) AS nb_visites_total,
        coalesce(list({
            'code_ville_partenaire': v.code,
            'code_region_partenaire': r.code,
            'ville': v.libelle,
            'region': r.libelle,
            'nb_visites': g.contact_count
        } ORDER BY v.libelle, v.code) FILTER (WHERE v.code IS NOT NULL), []) AS ville
    FROM grouped AS g
    JOIN code AS r ON r.id = g.code_region_partenaire
    LEFT JOIN code AS v ON v.id = g.code_ville_partenaire
    WHERE g.by_ville
    GROUP BY r.code, r.libelle
),

-- A gamme's total counts its rows whose speciality is NULL too.
gamme AS (
    SELECT
        ga.code AS code_gamme,
        ga.libelle AS gamme,
        sum(g.contact_count) AS nbr_total_visites,
        coalesce(list({
            'code_specialite': s.code,
            'specialite': s.libelle,
            'gamme': ga.libelle,
            'code_gamme': ga.code,
            'nb_visites_total': g.contact_count
        } ORDER BY s.libelle, s.code) FILTER (WHERE s.code IS NOT NULL), []) AS specialites
    FROM grouped AS g
    JOIN code AS ga ON ga.id = g.code_gamme_partenaire
    LEFT JOIN code AS s ON s.id = g.code_specialite_partenaire
    WHERE g.by_specialite
    GROUP BY ga.code, ga.libelle
)

-- A row alias is the struct of its columns: the counters, plus the two lists.
SELECT struct_insert(
    c,
    region := (
        SELECT coalesce(list(r ORDER BY r.region, r.code_region_partenaire), [])
        FROM region AS r
    ),
    gammes := (
        SELECT coalesce(list(g ORDER BY g.gamme, g.code_gamme), [])
        FROM gamme AS g
    )
) AS statistiques
FROM counters AS c
