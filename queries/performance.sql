-- POST /performance (SPEC §6): visits, i.e. distinct id_visite. A row counts for key
-- k when it is the first of its visit with that k under the filter's shape $shape
-- (docs/engine.md: masks, paths), so count_if counts visits, not rows. The blocks
-- read two grains: the combination of the four small keys, and the user and day. Each
-- comes from a table of the load when the filter's fields allow it (below), else from
-- one scan of the filtered rows. (One GROUPING SETS scan of both grains costs more: it
-- computes every aggregate for every set.)
WITH filtered AS NOT MATERIALIZED (
    SELECT * FROM contact WHERE {contacts}
),

-- Visits per combination of the four small keys (one small number to group by),
-- then per key: a key's visits are the sum over the combinations holding it. Under a
-- filter of gamme and region only, the load counted them per combination, gamme,
-- region and filter shape (build/3_contact.sql); under any other, count them here.
by_combination AS MATERIALIZED (
    SELECT
        k.*,
        p.type_partenaire,
        p.statut,
        p.potentiel,
        p.region
    FROM (
        SELECT
            id_combination,
            sum(type_partenaire) AS type_partenaire,
            sum(statut) AS statut,
            sum(potentiel) AS potentiel,
            sum(region) AS region
        FROM visites_per_combination
        WHERE shape = $shape AND {aggregates}
        GROUP BY ALL
        UNION ALL
        SELECT
            id_combination,
            count_if(first_type_partenaire & $shape <> 0),
            count_if(first_statut & $shape <> 0),
            count_if(first_potentiel & $shape <> 0),
            count_if(first_region & $shape <> 0)
        FROM filtered
        WHERE {!aggregates}
        GROUP BY ALL
    ) AS p
    JOIN combination AS k USING (id_combination)
),
by_type_partenaire AS (
    SELECT code_type_partenaire AS id, sum(type_partenaire) AS visite_count
    FROM by_combination GROUP BY ALL
),
by_statut AS (
    SELECT code_statut_partenaire AS id, sum(statut) AS visite_count
    FROM by_combination GROUP BY ALL
),
by_potentiel AS (
    SELECT code_potentiel AS id, sum(potentiel) AS visite_count
    FROM by_combination GROUP BY ALL
),
by_region AS (
    SELECT code_region_partenaire AS id, sum(region) AS visite_count
    FROM by_combination GROUP BY ALL
),
-- Visits per user and day: under a filter that keeps whole visits, the load's counts
-- (build/3_contact.sql); under a gamme or region filter, the filtered rows'.
by_utilisateur_day AS MATERIALIZED (
    SELECT id_utilisateur, date_visite, visite_count FROM visites_per_day WHERE {visites}
    UNION ALL
    SELECT id_utilisateur, date_visite, count_if(first_visite & $shape <> 0)
    FROM filtered WHERE {!visites} GROUP BY ALL
),
by_utilisateur AS MATERIALIZED (
    SELECT v.id_utilisateur, u.name, v.visite_count
    FROM (
        SELECT id_utilisateur, sum(visite_count) AS visite_count
        FROM by_utilisateur_day GROUP BY ALL
    ) AS v
    JOIN utilisateur AS u USING (id_utilisateur)
),
by_day AS MATERIALIZED (
    SELECT date_visite, sum(visite_count) AS visite_count
    FROM by_utilisateur_day WHERE date_visite IS NOT NULL GROUP BY ALL
),

-- Candidate reps: role DEL among the users the filter's user or team allows; a rep
-- without any visit under the whole filter has 0.
delegue AS (
    SELECT u.id_utilisateur, u.name, coalesce(p.visite_count, 0) AS visite_count
    FROM utilisateur AS u
    LEFT JOIN by_utilisateur AS p USING (id_utilisateur)
    WHERE u.role = 'DEL' AND {delegues}
),

-- Zero-filled from the first to the last day with a visit.
calendar AS (
    SELECT CAST(unnest(generate_series(min(date_visite), max(date_visite), INTERVAL 1 DAY)) AS DATE)
        AS date_visite
    FROM by_day
)

SELECT
    (
        SELECT coalesce(list(
            {'code_type_partenaire': c.code, 'nombre_visites': p.visite_count} ORDER BY c.code
        ), [])
        FROM by_type_partenaire AS p JOIN code AS c USING (id)
    ) AS nombre_compte_visite_par_type_compte,
    (
        SELECT coalesce(list(
            {'code_statut_partenaire': c.code, 'nombre_visites': p.visite_count} ORDER BY c.code
        ), [])
        FROM by_statut AS p JOIN code AS c USING (id)
    ) AS nombre_compte_visite_par_status,
    (
        SELECT coalesce(list(
            {'code_potentiel': c.code, 'nombre_visites': p.visite_count} ORDER BY c.code
        ), [])
        FROM by_potentiel AS p JOIN code AS c USING (id)
    ) AS nombre_visites_par_potenciel,
    (
        SELECT coalesce(list(
            {'code_region_partenaire': c.code, 'region': c.libelle, 'nombre_visites': p.visite_count}
            ORDER BY c.libelle, c.code
        ), [])
        FROM by_region AS p JOIN code AS c USING (id)
    ) AS nombre_visites_par_region,
    (
        SELECT coalesce(list(
            {'id_utilisateur': id_utilisateur, 'delegue': name, 'nombre_visites': visite_count}
            ORDER BY visite_count DESC, name NULLS LAST, id_utilisateur
        )[1:5], [])
        FROM by_utilisateur
    ) AS utilisateurs_plus_grand_nombre_visites,
    (
        SELECT coalesce(list(
            {'id_utilisateur': id_utilisateur, 'delegue': name, 'nombre_visites': visite_count}
            ORDER BY visite_count, name NULLS LAST, id_utilisateur
        )[1:5], [])
        FROM delegue
    ) AS delegues_moins_nombre_visites,
    (
        SELECT coalesce(list(
            {'date_visite': j.date_visite, 'nombre_visites': coalesce(p.visite_count, 0)}
            ORDER BY j.date_visite
        ), [])
        FROM calendar AS j
        LEFT JOIN by_day AS p USING (date_visite)
    ) AS nombre_compte_visite_par_jour
