-- Each CRM user's chain of responsables, top first: [top, ..., responsable, user].
-- The walk stops at the top, or before an id the chain already holds, so a cycle in
-- id_responsable ends it instead of looping. The chain holds every id the user's
-- chain reaches, CRM user or not.
CREATE TEMP TABLE chain AS
WITH RECURSIVE climb (id_utilisateur, chain) AS (
    SELECT id_utilisateur, [id_utilisateur] FROM tab_utilisateur
    UNION ALL
    SELECT c.id_utilisateur, list_prepend(u.id_responsable, c.chain)
    FROM climb AS c
    JOIN tab_utilisateur AS u ON u.id_utilisateur = c.chain[1]
    WHERE u.id_responsable IS NOT NULL AND NOT list_contains(c.chain, u.id_responsable)
)
SELECT id_utilisateur, arg_max(chain, len(chain)) AS chain
FROM climb
GROUP BY id_utilisateur;

-- Everyone a filter or a block can name: CRM users, and ids met only in visits,
-- evaluations or business cases (users deleted from the CRM). rank numbers them in
-- chain order, so that the members of a team have neighbouring ranks: contact rows
-- are stored by rank, and a team's filter reads only a few row groups.
CREATE TABLE utilisateur AS
WITH ids AS (
    SELECT id_utilisateur FROM tab_utilisateur
    UNION SELECT id_utilisateur FROM tab_visite
    UNION SELECT id_utilisateur_evalue FROM tab_evaluation
    UNION SELECT id_createur FROM tab_evaluation
    UNION SELECT id_responsable FROM tab_partenaire_bc WHERE id_responsable IS NOT NULL
)
SELECT
    i.id_utilisateur,
    row_number() OVER (ORDER BY coalesce(c.chain, [i.id_utilisateur]))::INTEGER AS rank,
    coalesce(c.chain, [i.id_utilisateur]) AS chain,
    -- SPEC §4: nom + ' ' + prenom; a missing part is left out, not the whole name.
    NULLIF(concat_ws(' ', u.nom_utilisateur, u.prenom_utilisateur), '') AS name,
    upper(u.role) AS role,  -- SPEC §6: role DEL "any case"
    u.id_utilisateur IS NOT NULL AS crm
FROM ids AS i
LEFT JOIN chain AS c USING (id_utilisateur)
LEFT JOIN tab_utilisateur AS u USING (id_utilisateur);

DROP TABLE chain;

-- The team of r (SPEC §4): r itself and every user whose chain reaches r, at any
-- depth. A filter keeps the rows whose rank is among the team's.
CREATE TABLE team AS
SELECT unnest(chain) AS id_responsable, id_utilisateur, rank
FROM utilisateur
ORDER BY id_responsable, rank;
