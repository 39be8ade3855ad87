-- POST /partenaire (SPEC §6): distinct partners among the filtered visit rows. The
-- rows are first reduced to the partner profiles they reach (build/3_contact.sql: a
-- partner with its visit-time region, city, gamme and speciality, and its current
-- potential and establishment); every block then counts distinct partners there.
WITH profil_atteint AS MATERIALIZED (
    SELECT p.*
    FROM (SELECT DISTINCT id_profil FROM contact WHERE id_profil IS NOT NULL AND {contacts})
    JOIN profil AS p USING (id_profil)
),

-- A total is the region's (gamme's) distinct partners, not the sum of its cities'
-- (specialities').
region AS (
    SELECT code_region_partenaire AS id, count(DISTINCT id_partenaire) AS partenaires
    FROM profil_atteint GROUP BY ALL
),
ville AS (
    SELECT
        code_region_partenaire AS region,
        code_ville_partenaire AS id,
        count(DISTINCT id_partenaire) AS partenaires
    FROM profil_atteint GROUP BY ALL
),
gamme AS (
    SELECT code_gamme_partenaire AS id, count(DISTINCT id_partenaire) AS partenaires
    FROM profil_atteint GROUP BY ALL
),
specialite AS (
    SELECT
        code_gamme_partenaire AS gamme,
        code_specialite_partenaire AS id,
        count(DISTINCT id_partenaire) AS partenaires
    FROM profil_atteint GROUP BY ALL
),
potentiel AS (
    SELECT code_potentiel AS id, count(DISTINCT id_partenaire) AS partenaires
    FROM profil_atteint GROUP BY ALL
),
etablissement AS (
    SELECT code_type_etablissement AS id, count(DISTINCT id_partenaire) AS partenaires
    FROM profil_atteint GROUP BY ALL
)

SELECT
    (
        SELECT coalesce(list(
            {'code_potentiel': c.code, 'nombre_partenaire': p.partenaires} ORDER BY c.code
        ), [])
        FROM potentiel AS p JOIN code AS c USING (id)
    ) AS Nombre_de_comptes_par_potentiel,
    -- distinct (visit, partner) pairs, i.e. rows first of their visit for their
    -- partner under the filter's shape $forme, over distinct partners; NULL if none
    (
        SELECT count(*) FROM contact
        WHERE id_partenaire IS NOT NULL AND premier_partenaire & $forme <> 0 AND {contacts}
    ) / (
        SELECT NULLIF(count(DISTINCT id_partenaire), 0) FROM profil_atteint
    ) AS Nombre_de_visites_moyen,
    (
        SELECT coalesce(list(
            {'code_type_etablissement': c.code, 'etablissement': c.libelle,
             'nombre_partenaire': e.partenaires}
            ORDER BY c.libelle, c.code
        ), [])
        FROM etablissement AS e JOIN code AS c USING (id)
    ) AS Nombre_de_comptes_par_etablissement,
    (
        SELECT coalesce(list({
            'code_region_partenaire': r.code,
            'region': r.libelle,
            'total_partenaire': t.partenaires,
            'ville': coalesce((
                SELECT list(
                    {'code_ville_partenaire': v.code, 'code_region_partenaire': r.code,
                     'ville': v.libelle, 'region': r.libelle, 'nb_partenaire': p.partenaires}
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
            'total_partenaire': t.partenaires,
            'specialites': coalesce((
                SELECT list(
                    {'code_specialite': s.code, 'specialite': s.libelle, 'gamme': g.libelle,
                     'code_gamme': g.code, 'nb_partenaire': p.partenaires}
                    ORDER BY s.libelle, s.code
                )
                FROM specialite AS p JOIN code AS s USING (id)
                WHERE p.gamme = t.id
            ), [])
        } ORDER BY g.libelle, g.code), [])
        FROM gamme AS t JOIN code AS g USING (id)
    ) AS gamme_partenaire
