-- POST /users (SPEC §6): distinct users who made a visit among the filtered rows, and
-- visits per visit-time responsable. Each block is its own scan of the filtered rows
-- (see performance.sql for why).
WITH ligne AS NOT MATERIALIZED (
    SELECT * FROM contact WHERE {contacts}
),

-- The active users and their months (NULL for a visit without a date): the role
-- block counts the users, the month block the users per month.
actif AS MATERIALIZED (
    SELECT DISTINCT id_utilisateur, year(date_visite) AS annee, month(date_visite) AS mois
    FROM ligne
),
par_mois AS (
    SELECT annee, mois, count(*) AS utilisateurs
    FROM actif
    WHERE annee IS NOT NULL
    GROUP BY ALL
),
par_gamme AS (
    SELECT code_gamme_partenaire AS id, count(DISTINCT id_utilisateur) AS utilisateurs
    FROM ligne GROUP BY ALL
),
par_region AS (
    SELECT code_region_partenaire AS id, count(DISTINCT id_utilisateur) AS utilisateurs
    FROM ligne GROUP BY ALL
),
par_statut AS (
    SELECT code_statut_partenaire AS id, count(DISTINCT id_utilisateur) AS utilisateurs
    FROM ligne GROUP BY ALL
),
par_role AS (
    SELECT u.role, count(*) AS utilisateurs
    FROM (SELECT DISTINCT id_utilisateur FROM actif) AS a
    JOIN utilisateur AS u USING (id_utilisateur)
    WHERE u.role IS NOT NULL
    GROUP BY u.role
),
-- visits (see build/3_contact.sql) per visit-time responsable, NULL as 0
par_responsable AS MATERIALIZED (
    SELECT coalesce(id_responsable, 0) AS id_responsable,
        count_if(premier_visite & $forme <> 0) AS visites
    FROM ligne GROUP BY ALL
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
