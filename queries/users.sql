-- POST /users (SPEC §6): distinct users who made a visit among the filtered rows, and
-- visits per visit-time responsable. Each user block has two paths, picked when the
-- filter is compiled (the other one is FALSE, and DuckDB drops it unread):
-- * {agregats}: a filter of gamme and region only, or none. It keeps whole rows of
--   the users' activity (build/3_contact.sql: a user's month, gamme, region and
--   partner status), and a row counts for key k when its mask says it is the first
--   of its user for k under the filter's shape $forme: a plain count.
-- * {!agregats}: any other filter (user, team, dates): count distinct users over the
--   filtered rows.
WITH ligne AS NOT MATERIALIZED (
    SELECT * FROM contact WHERE {contacts}
),
ligne_generale AS NOT MATERIALIZED (
    SELECT * FROM ligne WHERE {!agregats}
),
activite_gardee AS NOT MATERIALIZED (
    SELECT * FROM activite WHERE {agregats}
),

-- The active users and their months (NULL for a visit without a date), general path:
-- the role block counts the users, the month block the users per month.
actif AS MATERIALIZED (
    SELECT DISTINCT id_utilisateur, year(date_visite) AS annee, month(date_visite) AS mois
    FROM ligne_generale
),
par_mois AS (
    SELECT annee, mois, count_if(premier_mois & $forme <> 0) AS utilisateurs
    FROM activite_gardee WHERE annee IS NOT NULL GROUP BY ALL
    UNION ALL
    SELECT annee, mois, count(*)
    FROM actif WHERE annee IS NOT NULL GROUP BY ALL
),
par_gamme AS (
    SELECT code_gamme_partenaire AS id, count_if(premier_gamme & $forme <> 0) AS utilisateurs
    FROM activite_gardee GROUP BY ALL
    UNION ALL
    SELECT code_gamme_partenaire, count(DISTINCT id_utilisateur)
    FROM ligne_generale GROUP BY ALL
),
par_region AS (
    SELECT code_region_partenaire AS id, count_if(premier_region & $forme <> 0) AS utilisateurs
    FROM activite_gardee GROUP BY ALL
    UNION ALL
    SELECT code_region_partenaire, count(DISTINCT id_utilisateur)
    FROM ligne_generale GROUP BY ALL
),
par_statut AS (
    SELECT code_statut_partenaire AS id, count_if(premier_statut & $forme <> 0) AS utilisateurs
    FROM activite_gardee GROUP BY ALL
    UNION ALL
    SELECT code_statut_partenaire, count(DISTINCT id_utilisateur)
    FROM ligne_generale GROUP BY ALL
),
par_role AS (
    SELECT u.role, count(*) AS utilisateurs
    FROM (
        SELECT id_utilisateur FROM activite_gardee WHERE premier_tout & $forme <> 0
        UNION ALL
        SELECT DISTINCT id_utilisateur FROM actif
    ) AS a
    JOIN utilisateur AS u USING (id_utilisateur)
    WHERE u.role IS NOT NULL
    GROUP BY u.role
),
-- visits per visit-time responsable, NULL as 0: under a filter that keeps whole
-- visits, the load's counts (build/3_contact.sql); else the filtered rows'
par_responsable AS MATERIALIZED (
    SELECT coalesce(id_responsable, 0) AS id_responsable, sum(visites) AS visites
    FROM (
        SELECT id_responsable, visites FROM visite_jour WHERE {visites}
        UNION ALL
        SELECT id_responsable, count_if(premier_visite & $forme <> 0)
        FROM ligne WHERE {!visites} GROUP BY ALL
    )
    GROUP BY ALL
)

SELECT
    (
        SELECT coalesce(list(
            {'annee': annee, 'mois': mois, 'nombre_utilisateur': utilisateurs}
            ORDER BY annee, mois
        ), [])
        FROM par_mois
    ) AS nombre_nouvelle_utilisateur_par_mois,
    (
        SELECT coalesce(list(
            {'code_gamme_partenaire': c.code, 'gamme': c.libelle,
             'nombre_utilisateur': p.utilisateurs}
            ORDER BY c.libelle, c.code
        ), [])
        FROM par_gamme AS p JOIN code AS c USING (id)
    ) AS nombre_utilisateur_par_gammes,
    -- each responsable's share of every filtered visit, NULL responsable (0) included
    (
        SELECT coalesce(list(
            {'id_responsable': id_responsable, 'nombre_visites': visites,
             'pourcentage': pourcentage(visites, (SELECT sum(visites) FROM par_responsable))}
            ORDER BY id_responsable
        ), [])
        FROM par_responsable
    ) AS pourcentage_visites_par_responsable,
    (
        SELECT coalesce(list(
            {'code_region_partenaire': c.code, 'region': c.libelle,
             'nombre_utilisateur': p.utilisateurs}
            ORDER BY c.libelle, c.code
        ), [])
        FROM par_region AS p JOIN code AS c USING (id)
    ) AS nombre_utilisateur_par_regions,
    (
        SELECT coalesce(list(
            {'code_statut_partenaire': c.code, 'nombre_utilisateur': p.utilisateurs}
            ORDER BY c.code
        ), [])
        FROM par_statut AS p JOIN code AS c USING (id)
    ) AS nombre_utilisateur_par_status,
    (
        SELECT coalesce(list({'role': role, 'nombre_utilisateur': utilisateurs} ORDER BY role), [])
        FROM par_role
    ) AS nombre_utilisateur_par_role
