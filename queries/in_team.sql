-- Is $utilisateur in the team of $responsable (SPEC §4)? Scoped tokens ask this.
SELECT
    $utilisateur = $responsable
    OR EXISTS (
        SELECT 1 FROM team
        WHERE id_responsable = $responsable AND id_utilisateur = $utilisateur
    ) AS member
