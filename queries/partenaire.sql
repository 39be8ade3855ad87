-- POST /partenaire (SPEC §6): distinct partners among the filtered visit rows, over
-- the partner profiles they reach (build/3_contact.sql: a partner with its visit-time
-- region, city, gamme and speciality, and its current potential and establishment).
-- Each block has two paths, picked when the filter is compiled (the other one is
-- FALSE, and DuckDB drops it unread):
-- * {aggregates}: a filter of gamme and region only, or none. It keeps whole profiles,
--   and a profile counts for key k when its mask says it is the first of its partner
--   for k under the filter's shape $shape: a plain count, no count(DISTINCT).
-- * {!aggregates}: any other filter (user, team, dates) splits partners' rows: count
--   distinct partners over the profiles its rows reach.
-- Masks, paths, and why each block spells out both: docs/engine.md.
WITH profile_reached AS MATERIALIZED (
    SELECT
        p.id_partenaire,
        p.code_region_partenaire,
        p.code_ville_partenaire,
        p.code_gamme_partenaire,
        p.code_specialite_partenaire,
        p.code_potentiel,
        p.code_type_etablissement
    FROM (
        SELECT DISTINCT id_profile FROM contact
        WHERE {!aggregates} AND id_profile IS NOT NULL AND {contacts}
    )
    JOIN profile AS p USING (id_profile)
),
profile_kept AS NOT MATERIALIZED (
    SELECT * FROM profile WHERE {aggregates}
),

-- A total is the region's (gamme's) distinct partners, not the sum of its cities'
-- (specialities').
region AS (
    SELECT code_region_partenaire AS id, count_if(first_region & $shape <> 0) AS partenaire_count
    FROM profile_kept GROUP BY ALL
    UNION ALL
    SELECT code_region_partenaire, count(DISTINCT id_partenaire)
    FROM profile_reached GROUP BY ALL
),
ville AS (
    SELECT
        code_region_partenaire AS region,
        code_ville_partenaire AS id,
        count_if(first_ville & $shape <> 0) AS partenaire_count
    FROM profile_kept GROUP BY ALL
    UNION ALL
    SELECT code_region_partenaire, code_ville_partenaire, count(DISTINCT id_partenaire)
    FROM profile_reached GROUP BY ALL
),
gamme AS (
    SELECT code_gamme_partenaire AS id, count_if(first_gamme & $shape <> 0) AS partenaire_count
    FROM profile_kept GROUP BY ALL
    UNION ALL
    SELECT code_gamme_partenaire, count(DISTINCT id_partenaire)
    FROM profile_reached GROUP BY ALL
),
specialite AS (
    SELECT
        code_gamme_partenaire AS gamme,
        code_specialite_partenaire AS id,
        count_if(first_specialite & $shape <> 0) AS partenaire_count
    FROM profile_kept GROUP BY ALL
    UNION ALL
    SELECT code_gamme_partenaire, code_specialite_partenaire, count(DISTINCT id_partenaire)
    FROM profile_reached GROUP BY ALL
),
potentiel AS (
    SELECT code_potentiel AS id, count_if(first_potentiel & $shape <> 0) AS partenaire_count
    FROM profile_kept GROUP BY ALL
    UNION ALL
    SELECT code_potentiel, count(DISTINCT id_partenaire)
    FROM profile_reached GROUP BY ALL
),
etablissement AS (
    SELECT
        code_type_etablissement AS id,
        count_if(first_etablissement & $shape <> 0) AS partenaire_count
    FROM profile_kept GROUP BY ALL
    UNION ALL
    SELECT code_type_etablissement, count(DISTINCT id_partenaire)
    FROM profile_reached GROUP BY ALL
),
total AS (
    SELECT count_if(first_overall & $shape <> 0) AS partenaire_count FROM profile_kept
    UNION ALL
    SELECT count(DISTINCT id_partenaire) FROM profile_reached
)

SELECT
    (
        SELECT coalesce(list(
            {'code_potentiel': c.code, 'nombre_partenaire': p.partenaire_count} ORDER BY c.code
        ), [])
        FROM potentiel AS p JOIN code AS c USING (id)
    ) AS Nombre_de_comptes_par_potentiel,
    -- distinct (visit, partner) pairs, i.e. rows first of their visit for their
    -- partner under the filter's shape $shape, over distinct partners; NULL if none
    (
        SELECT count(*) FROM contact
        WHERE id_partenaire IS NOT NULL AND first_partenaire & $shape <> 0 AND {contacts}
    ) / (
        SELECT NULLIF(sum(partenaire_count), 0) FROM total
    ) AS Nombre_de_visites_moyen,
    (
        SELECT coalesce(list(
            {'code_type_etablissement': c.code, 'etablissement': c.libelle,
             'nombre_partenaire': e.partenaire_count}
            ORDER BY c.libelle, c.code
        ), [])
        FROM etablissement AS e JOIN code AS c USING (id)
    ) AS Nombre_de_comptes_par_etablissement,
    (
        SELECT coalesce(list({
            'code_region_partenaire': r.code,
            'region': r.libelle,
            'total_partenaire': t.partenaire_count,
            'ville': coalesce((
                SELECT list(
                    {'code_ville_partenaire': v.code, 'code_region_partenaire': r.code,
                     'ville': v.libelle, 'region': r.libelle, 'nb_partenaire': p.partenaire_count}
                    ORDER BY v.libelle, v.code
                )
                FROM ville AS p JOIN code AS v USING (id)
                WHERE p.region = t.id
            ), [])
        } ORDER BY r.libelle, r.code), [])
        FROM region AS t JOIN code AS r USING (id)
    ) AS region_partenaire,
    (
        SELECT coalesce(list({
            'code_gamme': g.code,
            'gamme': g.libelle,
            'total_partenaire': t.partenaire_count,
            'specialites': coalesce((
                SELECT list(
                    {'code_specialite': s.code, 'specialite': s.libelle, 'gamme': g.libelle,
                     'code_gamme': g.code, 'nb_partenaire': p.partenaire_count}
                    ORDER BY s.libelle, s.code
                )
                FROM specialite AS p JOIN code AS s USING (id)
                WHERE p.gamme = t.id
            ), [])
        } ORDER BY g.libelle, g.code), [])
        FROM gamme AS t JOIN code AS g USING (id)
    ) AS gamme_partenaire
