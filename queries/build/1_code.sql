-- Every code the snapshot uses, numbered in code-point order: a coded column then
-- holds a 2-byte id, which groups and joins much faster than text (or an ENUM). The
-- ENUM type only serves to turn strings into ids quickly while building. More than
-- 65,536 distinct codes would not fit: the snapshot would be refused.
CREATE TYPE codification AS ENUM (
    SELECT code FROM (
        SELECT code_codification AS code FROM tab_par_codification
        UNION SELECT code_region_partenaire FROM tab_partenaire_visite
        UNION SELECT code_ville_partenaire FROM tab_partenaire_visite
        UNION SELECT code_type_partenaire FROM tab_partenaire_visite
        UNION SELECT code_gamme_partenaire FROM tab_partenaire_visite
        UNION SELECT code_specialite_partenaire FROM tab_partenaire_visite
        UNION SELECT code_potentiel FROM tab_partenaire
        UNION SELECT code_type_etablissement FROM tab_partenaire
        UNION SELECT code_statut_partenaire FROM tab_partenaire
        UNION SELECT code_gamme FROM tab_partenaire
        UNION SELECT code_specialite FROM tab_partenaire
        UNION SELECT code_region_partenaire FROM tab_partenaire
        UNION SELECT code_type_visite FROM tab_visite
        UNION SELECT type_visite FROM tab_visite
        UNION SELECT flag_accompagnee FROM tab_visite
        UNION SELECT code_categorie FROM tab_evaluation_detailed
        UNION SELECT code_sous_categorie FROM tab_evaluation_detailed
        UNION SELECT code_statut_bc FROM tab_partenaire_bc
        UNION SELECT code_type_investissement FROM tab_partenaire_bc
        UNION SELECT code_categorie_investissement FROM tab_partenaire_bc
    )
    WHERE code IS NOT NULL
    ORDER BY code
);

-- The id of a code string (NULL stays NULL).
CREATE TEMP MACRO code_id(c) AS CAST(enum_code(CAST(c AS codification)) AS USMALLINT);

-- Each code with its id, its label (the code itself when the codification lacks it,
-- SPEC §3) and its codification type (for an establishment: ETPR private, ETPU public).
CREATE TABLE code AS
SELECT
    code_id(c.code) AS id,
    CAST(c.code AS VARCHAR) AS code,
    coalesce(k.libelle, CAST(c.code AS VARCHAR)) AS libelle,
    k.type
FROM (SELECT unnest(enum_range(NULL::codification)) AS code) AS c
LEFT JOIN (
    -- One row per code even if trimming made two source codes equal.
    SELECT
        code_codification,
        min(libelle_codification) AS libelle,
        min(type_codification) AS type
    FROM tab_par_codification
    GROUP BY code_codification
) AS k ON k.code_codification = CAST(c.code AS VARCHAR)
ORDER BY id;
