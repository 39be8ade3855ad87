-- Every user's all-time visits (for /evaluation), from the smaller per-day counts.
CREATE TABLE visites_per_utilisateur AS
SELECT id_utilisateur, sum(visite_count) AS visite_count
FROM visites_per_day
GROUP BY id_utilisateur;

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
