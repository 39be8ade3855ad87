-- Business cases (SPEC §6 /invest): one row per business case, never one per
-- partner, with the partner's current row and all-time visits (0 if never visited).
CREATE TABLE business_case AS
SELECT
    bc.id_business_case,
    bc.id_partenaire,
    bc.id_responsable,
    code_id(bc.code_statut_bc) AS code_statut_bc,
    code_id(bc.code_type_investissement) AS code_type_investissement,
    code_id(bc.code_categorie_investissement) AS code_categorie_investissement,
    bc.budget,
    bc.date_realisation,
    code_id(p.code_gamme) AS code_gamme,
    code_id(p.code_specialite) AS code_specialite,
    code_id(p.code_potentiel) AS code_potentiel,
    code_id(p.code_region_partenaire) AS code_region_partenaire,
    coalesce(vp.visite_count, 0) AS visite_count
FROM tab_partenaire_bc AS bc
LEFT JOIN tab_partenaire AS p USING (id_partenaire)
LEFT JOIN (
    -- every partner's all-time visits
    SELECT id_partenaire, count(*) FILTER (WHERE first_partenaire & 1 <> 0) AS visite_count
    FROM contact
    WHERE id_partenaire IS NOT NULL
    GROUP BY id_partenaire
) AS vp USING (id_partenaire)
ORDER BY bc.id_responsable, bc.date_realisation;
