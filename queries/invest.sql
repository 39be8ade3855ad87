-- POST /invest (SPEC §6): budgets of the filtered business cases (build/
-- 5_business_case.sql) summed per key. NULL budgets are ignored and a group whose
-- budgets are all NULL sums to 0; sums stay exact decimals until the final cast.
-- Subjects and derived tables: docs/engine.md.
WITH
-- A scoped token's partner visit count is the team's visits to the partner (SPEC §7),
-- not the all-time count business_case holds: the team's rows whose mask says "first
-- row of its visit with this partner" (a team keeps whole visits, so bit 1 is exact).
-- $scope is NULL for any other token: DuckDB folds the condition to FALSE and drops
-- this scan and the join below before running anything.
scoped_visite AS (
    SELECT id_partenaire, count(*) FILTER (WHERE first_partenaire & 1 <> 0) AS visite_count
    FROM contact
    WHERE $scope IS NOT NULL AND id_partenaire IS NOT NULL
        AND rank IN (SELECT rank FROM team WHERE id_responsable = $scope)
    GROUP BY id_partenaire
),

bc AS MATERIALIZED (
    SELECT b.* REPLACE (
        CASE WHEN $scope IS NULL THEN b.visite_count ELSE coalesce(s.visite_count, 0) END
            AS visite_count
    )
    FROM business_case AS b
    LEFT JOIN scoped_visite AS s USING (id_partenaire)
    WHERE {business_cases}
),

-- One sum per (key, code): UNPIVOT makes a row per business case and coded key, and
-- leaves out NULL keys. Budget per visit count is the one key that is no code.
budget AS (
    SELECT key, c.code, c.libelle, NULL AS visite_count, CAST(coalesce(sum(k.budget), 0) AS DOUBLE) AS budget
    FROM (
        UNPIVOT bc
        ON code_gamme, code_statut_bc, code_potentiel, code_specialite, code_region_partenaire,
            code_type_investissement, code_categorie_investissement
        INTO NAME key VALUE id
    ) AS k
    JOIN code AS c USING (id)
    GROUP BY ALL
    UNION ALL
    SELECT 'visite_count', NULL, NULL, visite_count, CAST(coalesce(sum(budget), 0) AS DOUBLE)
    FROM bc
    GROUP BY visite_count
)

-- One pass over the small sums, a filtered list per block.
SELECT
    coalesce(list(
        {'Nombre de nombre de visites': visite_count, 'budget': budget} ORDER BY visite_count
    ) FILTER (WHERE key = 'visite_count'), []) AS budget_par_visites,
    coalesce(list(
        {'code_gamme': code, 'gamme': libelle, 'budget': budget} ORDER BY libelle, code
    ) FILTER (WHERE key = 'code_gamme'), []) AS budget_par_gamme,
    coalesce(list(
        {'code_statut_bc': code, 'budget': budget} ORDER BY code
    ) FILTER (WHERE key = 'code_statut_bc'), []) AS budget_par_statut,
    coalesce(list(
        {'code_potentiel': code, 'budget': budget} ORDER BY code
    ) FILTER (WHERE key = 'code_potentiel'), []) AS budget_par_potentiel,
    coalesce(list(
        {'code_specialite': code, 'specialite': libelle, 'budget': budget} ORDER BY libelle, code
    ) FILTER (WHERE key = 'code_specialite'), []) AS budget_par_specialite,
    coalesce(list(
        {'code_region_partenaire': code, 'region': libelle, 'budget': budget}
        ORDER BY libelle, code
    ) FILTER (WHERE key = 'code_region_partenaire'), []) AS budget_par_region,
    coalesce(list(
        {'code_type_investissement': code, 'type_investissement': libelle, 'budget': budget}
        ORDER BY libelle, code
    ) FILTER (WHERE key = 'code_type_investissement'), []) AS budget_par_type_investissement,
    coalesce(list(
        {'code_categorie_investissement': code, 'categorie_investissement': libelle,
         'budget': budget}
        ORDER BY libelle, code
    ) FILTER (WHERE key = 'code_categorie_investissement'), [])
        AS budget_par_categorie_investissement
FROM budget
