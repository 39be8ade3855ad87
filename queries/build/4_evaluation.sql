-- Every user's all-time visits (for /evaluation), and every partner's (for /invest).
CREATE TABLE visites_utilisateur AS
SELECT id_utilisateur, count(*) FILTER (WHERE premier_visite & 1 <> 0) AS nombre_visites
FROM contact
GROUP BY id_utilisateur;

CREATE TABLE visites_partenaire AS
SELECT id_partenaire, count(*) FILTER (WHERE premier_partenaire & 1 <> 0) AS nombre_visites
FROM contact
WHERE id_partenaire IS NOT NULL
GROUP BY id_partenaire;

-- Evaluation rows (SPEC §6): detail rows joined to their header, so an evaluation
-- without any detail row appears in no block.
CREATE TABLE evaluation AS
SELECT
    e.id AS id_evaluation,
    e.id_utilisateur_evalue,
    e.id_createur,
    e.points_obtenu,
    CAST(e.date_integration AS DATE) AS date_integration,
    code_id(d.code_categorie) AS code_categorie,
    code_id(d.code_sous_categorie) AS code_sous_categorie,
    d.point_obtenu
FROM tab_evaluation_detailed AS d
JOIN tab_evaluation AS e ON e.id = d.id_evaluation
ORDER BY e.id_utilisateur_evalue, date_integration;
