-- POST /performance (SPEC §6): visits, i.e. distinct id_visite. A row counts for key
-- k when it is the first of its visit with that k under the filter's shape $forme
-- (see build/3_contact.sql), so count_if counts visits, not rows. The blocks read two
-- grains: the combination of the four small keys, and the user and day. Each comes
-- from a table of the load when the filter's fields allow it (below), else from one
-- scan of the filtered rows. (One GROUPING SETS scan of both grains costs more: it
-- computes every aggregate for every set.)
WITH ligne AS NOT MATERIALIZED (
    SELECT * FROM contact WHERE {contacts}
),

-- Visits per combination of the four small keys (one small number to group by),
-- then per key: a key's visits are the sum over the combinations holding it. Under a
-- filter of gamme and region only, the load counted them per combination, gamme,
-- region and filter shape (build/3_contact.sql); under any other, count them here.
par_combinaison AS MATERIALIZED (
    SELECT
        k.*,
        p.type_partenaire,
        p.statut,
        p.potentiel,
        p.region
    FROM (
        SELECT
            id_combinaison,
            sum(type_partenaire) AS type_partenaire,
            sum(statut) AS statut,
            sum(potentiel) AS potentiel,
            sum(region) AS region
        FROM visite_combinaison
        WHERE forme = $forme AND {agregats}
        GROUP BY ALL
        UNION ALL
        SELECT
            id_combinaison,
            count_if(premier_type_partenaire & $forme <> 0),
            count_if(premier_statut & $forme <> 0),
            count_if(premier_potentiel & $forme <> 0),
            count_if(premier_region & $forme <> 0)
        FROM ligne
        WHERE {!agregats}
        GROUP BY ALL
    ) AS p
    JOIN combinaison AS k USING (id_combinaison)
),
par_type_partenaire AS (
    SELECT code_type_partenaire AS id, sum(type_partenaire) AS visites
    FROM par_combinaison GROUP BY ALL
),
par_statut AS (
    SELECT code_statut_partenaire AS id, sum(statut) AS visites
    FROM par_combinaison GROUP BY ALL
),
par_potentiel AS (
    SELECT code_potentiel AS id, sum(potentiel) AS visites
    FROM par_combinaison GROUP BY ALL
),
par_region AS (
    SELECT code_region_partenaire AS id, sum(region) AS visites
    FROM par_combinaison GROUP BY ALL
),
-- Visits per user and day: under a filter that keeps whole visits, the load's counts
-- (build/3_contact.sql); under a gamme or region filter, the filtered rows'.
par_utilisateur_jour AS MATERIALIZED (
    SELECT id_utilisateur, date_visite, visites FROM visite_jour WHERE {visites}
    UNION ALL
    SELECT id_utilisateur, date_visite, count_if(premier_visite & $forme <> 0)
    FROM ligne WHERE {!visites} GROUP BY ALL
),
par_utilisateur AS MATERIALIZED (
    SELECT v.id_utilisateur, u.nom, v.visites
    FROM (
        SELECT id_utilisateur, sum(visites) AS visites
        FROM par_utilisateur_jour GROUP BY ALL
    ) AS v
    JOIN utilisateur AS u USING (id_utilisateur)
),
par_jour AS MATERIALIZED (
    SELECT date_visite, sum(visites) AS visites
    FROM par_utilisateur_jour WHERE date_visite IS NOT NULL GROUP BY ALL
),

-- Candidate reps: role DEL among the users the filter's user or team allows; a rep
-- without any visit under the whole filter has 0.
delegue AS (
    SELECT u.id_utilisateur, u.nom, coalesce(p.visites, 0) AS visites
    FROM utilisateur AS u
    LEFT JOIN par_utilisateur AS p USING (id_utilisateur)
    WHERE u.role = 'DEL' AND {delegues}
),

-- Zero-filled from the first to the last day with a visit.
jour AS (
    SELECT CAST(unnest(generate_series(min(date_visite), max(date_visite), INTERVAL 1 DAY)) AS DATE)
        AS date_visite
    FROM par_jour
)

SELECT
    (
        SELECT coalesce(list(
            {'code_type_partenaire': c.code, 'nombre_visites': p.visites} ORDER BY c.code
        ), [])
        FROM par_type_partenaire AS p JOIN code AS c USING (id)
    ) AS nombre_compte_visite_par_type_compte,
    (
        SELECT coalesce(list(
            {'code_statut_partenaire': c.code, 'nombre_visites': p.visites} ORDER BY c.code
        ), [])
        FROM par_statut AS p JOIN code AS c USING (id)
    ) AS nombre_compte_visite_par_status,
    (
        SELECT coalesce(list(
            {'code_potentiel': c.code, 'nombre_visites': p.visites} ORDER BY c.code
        ), [])
        FROM par_potentiel AS p JOIN code AS c USING (id)
    ) AS nombre_visites_par_potenciel,
    (
        SELECT coalesce(list(
            {'code_region_partenaire': c.code, 'region': c.libelle, 'nombre_visites': p.visites}
            ORDER BY c.libelle, c.code
        ), [])
        FROM par_region AS p JOIN code AS c USING (id)
    ) AS nombre_visites_par_region,
    (
        SELECT coalesce(list(
            {'id_utilisateur': id_utilisateur, 'delegue': nom, 'nombre_visites': visites}
            ORDER BY visites DESC, nom NULLS LAST, id_utilisateur
        )[1:5], [])
        FROM par_utilisateur
    ) AS utilisateurs_plus_grand_nombre_visites,
    (
        SELECT coalesce(list(
            {'id_utilisateur': id_utilisateur, 'delegue': nom, 'nombre_visites': visites}
            ORDER BY visites, nom NULLS LAST, id_utilisateur
        )[1:5], [])
        FROM delegue
    ) AS delegues_moins_nombre_visites,
    (
        SELECT coalesce(list(
            {'date_visite': j.date_visite, 'nombre_visites': coalesce(p.visites, 0)}
            ORDER BY j.date_visite
        ), [])
        FROM jour AS j
        LEFT JOIN par_jour AS p USING (date_visite)
    ) AS nombre_compte_visite_par_jour
