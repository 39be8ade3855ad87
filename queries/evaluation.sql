-- POST /evaluation (SPEC §6): evaluation rows are detail rows joined to their header
-- (build/4_evaluation.sql); an evaluation is a header, counted once however many of
-- its detail rows the filter keeps. Subjects and derived tables: docs/engine.md.
WITH detail AS MATERIALIZED (
    SELECT * FROM evaluation WHERE {evaluations}
),

header AS MATERIALIZED (
    SELECT DISTINCT id_evaluation, id_utilisateur_evalue, id_createur, points_obtenu, date_integration
    FROM detail
),

-- A category's mean is over its evaluations' header scores, each evaluation once.
categorie AS (
    SELECT id, CAST(avg(points_obtenu) AS DOUBLE) AS mean
    FROM (SELECT DISTINCT code_categorie AS id, id_evaluation, points_obtenu FROM detail)
    GROUP BY id
),

-- A sub-category's mean is over its detail scores within the category.
sous_categorie AS (
    SELECT
        code_categorie AS categorie,
        code_sous_categorie AS id,
        CAST(avg(point_obtenu) AS DOUBLE) AS mean
    FROM detail
    GROUP BY ALL
)

SELECT
    -- per distinct header score, the evaluated users' all-time visits, summed over
    -- the evaluations having that score
    (
        SELECT coalesce(list(
            {'points_obtenus': score, 'nombre_visites': visite_count}
            ORDER BY score
        ), [])
        FROM (
            SELECT
                CAST(e.points_obtenu AS DOUBLE) AS score,
                coalesce(sum(v.visite_count), 0) AS visite_count
            FROM header AS e
            LEFT JOIN visites_per_utilisateur AS v ON v.id_utilisateur = e.id_utilisateur_evalue
            WHERE e.points_obtenu IS NOT NULL
            GROUP BY e.points_obtenu
        )
    ) AS Nombre_visites_par_moyen_evaluation,
    (
        SELECT coalesce(list(
            {'date_integration': strftime(mois, '%Y-%m'), 'Nombre_evaluation': evaluation_count}
            ORDER BY mois
        ), [])
        FROM (
            SELECT date_trunc('month', date_integration) AS mois, count(*) AS evaluation_count
            FROM header
            WHERE date_integration IS NOT NULL
            GROUP BY mois
        )
    ) AS Nombre_evaluation_par_Mois,
    -- the share is of every filtered evaluation, those of unknown creators included
    (
        SELECT coalesce(list(
            {'role_createur': role, 'Nombre_evaluation': evaluation_count,
             'pourcentage': percentage(evaluation_count, (SELECT count(*) FROM header))}
            ORDER BY role
        ), [])
        FROM (
            SELECT u.role, count(*) AS evaluation_count
            FROM header AS e
            JOIN utilisateur AS u ON u.id_utilisateur = e.id_createur
            WHERE u.role IS NOT NULL
            GROUP BY u.role
        )
    ) AS pourcentage_evaluations_role,
    (
        SELECT coalesce(list(
            {'id_utilisateur': id_utilisateur_evalue, 'FullName_utilisateur': name,
             'points_obtenus': mean_points}
            ORDER BY name NULLS LAST, id_utilisateur_evalue
        ), [])
        FROM (
            SELECT e.id_utilisateur_evalue, u.name, CAST(avg(e.points_obtenu) AS DOUBLE) AS mean_points
            FROM header AS e
            LEFT JOIN utilisateur AS u ON u.id_utilisateur = e.id_utilisateur_evalue
            GROUP BY ALL
        )
    ) AS moyenne_points_utilisateurs,
    (
        SELECT coalesce(list({
            'code_categorie': c.code,
            'categorie': c.libelle,
            'moyenne_points_categorie': k.mean,
            'sous_categories': coalesce((
                SELECT list(
                    {'code_sous_categorie': s.code, 'sous_categorie': s.libelle,
                     'moyenne_points_sous_categorie': p.mean}
                    ORDER BY s.libelle, s.code
                )
                FROM sous_categorie AS p JOIN code AS s USING (id)
                WHERE p.categorie = k.id
            ), [])
        } ORDER BY c.libelle, c.code), [])
        FROM categorie AS k JOIN code AS c USING (id)
    ) AS categories
