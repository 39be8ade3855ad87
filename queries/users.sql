-- POST /users (SPEC §6): distinct users who made a visit among the filtered rows, and
-- visits per visit-time responsable. Each user block has two paths, picked when the
-- filter is compiled (the other one is FALSE, and DuckDB drops it unread):
-- * {aggregates}: a filter of gamme and region only, or none. It keeps whole rows of
--   the users' activity (build/3_contact.sql: a user's month, gamme, region and
--   partner status), and a row counts for key k when its mask says it is the first
--   of its user for k under the filter's shape $shape: a plain count.
-- * {!aggregates}: any other filter (user, team, dates): count distinct users over the
--   filtered rows.
-- Masks, paths, and why each block spells out both: docs/engine.md.
WITH filtered AS NOT MATERIALIZED (
    SELECT * FROM contact WHERE {contacts}
),
filtered_general AS NOT MATERIALIZED (
    SELECT * FROM filtered WHERE {!aggregates}
),
activity_kept AS NOT MATERIALIZED (
    SELECT * FROM activity WHERE {aggregates}
),

-- The active users and their months (NULL for a visit without a date), general path:
-- the role block counts the users, the month block the users per month.
active AS MATERIALIZED (
    SELECT DISTINCT id_utilisateur, year(date_visite) AS annee, month(date_visite) AS mois
    FROM filtered_general
),
by_mois AS (
    SELECT annee, mois, count_if(first_mois & $shape <> 0) AS utilisateur_count
    FROM activity_kept WHERE annee IS NOT NULL GROUP BY ALL
    UNION ALL
    SELECT annee, mois, count(*)
    FROM active WHERE annee IS NOT NULL GROUP BY ALL
),
by_gamme AS (
    SELECT code_gamme_partenaire AS id, count_if(first_gamme & $shape <> 0) AS utilisateur_count
    FROM activity_kept GROUP BY ALL
    UNION ALL
    SELECT code_gamme_partenaire, count(DISTINCT id_utilisateur)
    FROM filtered_general GROUP BY ALL
),
by_region AS (
    SELECT code_region_partenaire AS id, count_if(first_region & $shape <> 0) AS utilisateur_count
    FROM activity_kept GROUP BY ALL
    UNION ALL
    SELECT code_region_partenaire, count(DISTINCT id_utilisateur)
    FROM filtered_general GROUP BY ALL
),
by_statut AS (
    SELECT code_statut_partenaire AS id, count_if(first_statut & $shape <> 0) AS utilisateur_count
    FROM activity_kept GROUP BY ALL
    UNION ALL
    SELECT code_statut_partenaire, count(DISTINCT id_utilisateur)
    FROM filtered_general GROUP BY ALL
),
by_role AS (
    SELECT u.role, count(*) AS utilisateur_count
    FROM (
        SELECT id_utilisateur FROM activity_kept WHERE first_overall & $shape <> 0
        UNION ALL
        SELECT DISTINCT id_utilisateur FROM active
    ) AS a
    JOIN utilisateur AS u USING (id_utilisateur)
    WHERE u.role IS NOT NULL
    GROUP BY u.role
),
-- visits per visit-time responsable, NULL as 0: under a filter that keeps whole
-- visits, the load's counts (build/3_contact.sql); else the filtered rows'
by_responsable AS MATERIALIZED (
    SELECT coalesce(id_responsable, 0) AS id_responsable, sum(visite_count) AS visite_count
    FROM (
        SELECT id_responsable, visite_count FROM visites_per_day WHERE {visites}
        UNION ALL
        SELECT id_responsable, count_if(first_visite & $shape <> 0)
        FROM filtered WHERE {!visites} GROUP BY ALL
    )
    GROUP BY ALL
)

SELECT
    (
        SELECT coalesce(list(
            {'annee': annee, 'mois': mois, 'nombre_utilisateur': utilisateur_count}
            ORDER BY annee, mois
        ), [])
        FROM by_mois
    ) AS nombre_nouvelle_utilisateur_par_mois,
    (
        SELECT coalesce(list(
            {'code_gamme_partenaire': c.code, 'gamme': c.libelle,
             'nombre_utilisateur': p.utilisateur_count}
            ORDER BY c.libelle, c.code
        ), [])
        FROM by_gamme AS p JOIN code AS c USING (id)
    ) AS nombre_utilisateur_par_gammes,
    -- each responsable's share of every filtered visit, NULL responsable (0) included
    (
        SELECT coalesce(list(
            {'id_responsable': id_responsable, 'nombre_visites': visite_count,
             'pourcentage': percentage(visite_count, (SELECT sum(visite_count) FROM by_responsable))}
            ORDER BY id_responsable
        ), [])
        FROM by_responsable
    ) AS pourcentage_visites_par_responsable,
    (
        SELECT coalesce(list(
            {'code_region_partenaire': c.code, 'region': c.libelle,
             'nombre_utilisateur': p.utilisateur_count}
            ORDER BY c.libelle, c.code
        ), [])
        FROM by_region AS p JOIN code AS c USING (id)
    ) AS nombre_utilisateur_par_regions,
    (
        SELECT coalesce(list(
            {'code_statut_partenaire': c.code, 'nombre_utilisateur': p.utilisateur_count}
            ORDER BY c.code
        ), [])
        FROM by_statut AS p JOIN code AS c USING (id)
    ) AS nombre_utilisateur_par_status,
    (
        SELECT coalesce(list({'role': role, 'nombre_utilisateur': utilisateur_count} ORDER BY role), [])
        FROM by_role
    ) AS nombre_utilisateur_par_role
