-- The dashboard's filter bar: the gammes and regions one can filter on (those of the
-- codification and those the data uses), and the CRM users: all of them, or when
-- $responsable is given, the team of that responsable (SPEC §4), as a scoped token sees.
WITH gamme AS (
    SELECT id FROM code WHERE type = 'GAMM'
    UNION SELECT code_gamme_partenaire FROM contact
),
region AS (
    SELECT id FROM code WHERE type = 'REGI'
    UNION SELECT code_region_partenaire FROM contact
    UNION SELECT code_region_partenaire FROM business_case
)

SELECT
    (
        SELECT coalesce(list({'code': code, 'label': libelle} ORDER BY libelle, code), [])
        FROM gamme JOIN code USING (id)
    ) AS gammes,
    (
        SELECT coalesce(list({'code': code, 'label': libelle} ORDER BY libelle, code), [])
        FROM region JOIN code USING (id)
    ) AS regions,
    (
        SELECT coalesce(list(
            {'id_utilisateur': id_utilisateur, 'name': name, 'role': role}
            ORDER BY name NULLS LAST, id_utilisateur
        ), [])
        FROM utilisateur
        WHERE crm AND (
            $responsable IS NULL
            OR id_utilisateur = $responsable
            OR id_utilisateur IN (SELECT id_utilisateur FROM team WHERE id_responsable = $responsable)
        )
    ) AS utilisateurs
