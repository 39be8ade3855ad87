-- Distinct visits without count(DISTINCT) (docs/engine.md): a visit met through
-- several partners has several rows, and a count of visits by key k must count each
-- (visit, k) once. So each row carries, per key, a mask whose bit i says "no earlier
-- row of this visit has the same k and, under filter shape i, the same filtered codes":
--   bit 1: no contact filter, bit 2: gamme, bit 4: region, bit 8: gamme and region.
-- Every other filter keeps or drops whole visits, so among the rows a filter keeps,
-- count_if(first_k & $shape <> 0) is exactly the visits per k, with
-- $shape the filter's bit. Rows of single-row visits, and each visit's first row,
-- are first under every shape: mask 15.
CREATE TEMP MACRO first_mask(same_key, same_gamme, same_region) AS
    (NOT bool_or(same_key))::UTINYINT
    + 2 * (NOT bool_or(same_key AND same_gamme))::UTINYINT
    + 4 * (NOT bool_or(same_key AND same_region))::UTINYINT
    + 8 * (NOT bool_or(same_key AND same_gamme AND same_region))::UTINYINT;

CREATE TEMP TABLE mask AS
WITH shared_row AS (  -- the rows of visits with more than one row
    SELECT
        pv.id_visite,
        pv.file_row_number AS n,
        pv.id_partenaire,
        pv.code_type_partenaire,
        pv.code_gamme_partenaire,
        pv.code_region_partenaire,
        p.code_statut_partenaire,
        p.code_potentiel
    FROM tab_partenaire_visite AS pv
    LEFT JOIN tab_partenaire AS p USING (id_partenaire)
    WHERE pv.id_visite IN (
        SELECT id_visite FROM tab_partenaire_visite GROUP BY id_visite HAVING count(*) > 1
    )
),
-- Each row against every earlier row of its visit.
pair AS (
    SELECT
        a.n,
        a.code_gamme_partenaire IS NOT DISTINCT FROM b.code_gamme_partenaire AS gamme,
        a.code_region_partenaire IS NOT DISTINCT FROM b.code_region_partenaire AS region,
        a.id_partenaire = b.id_partenaire AS partenaire,
        a.code_type_partenaire IS NOT DISTINCT FROM b.code_type_partenaire AS type_partenaire,
        a.code_statut_partenaire IS NOT DISTINCT FROM b.code_statut_partenaire AS statut,
        a.code_potentiel IS NOT DISTINCT FROM b.code_potentiel AS potentiel
    FROM shared_row AS a
    JOIN shared_row AS b ON b.id_visite = a.id_visite AND b.n < a.n
)
SELECT
    n,
    first_mask(TRUE, gamme, region) AS visite,
    first_mask(partenaire, gamme, region) AS partenaire,
    first_mask(type_partenaire, gamme, region) AS type_partenaire,
    first_mask(statut, gamme, region) AS statut,
    first_mask(potentiel, gamme, region) AS potentiel,
    first_mask(region, gamme, region) AS region
FROM pair
GROUP BY n;

-- A partner as met: each distinct (partner, visit-time region, city, gamme and
-- speciality) of tab_partenaire_visite, numbered, with the partner's current potential
-- and establishment. /partenaire counts distinct partners over the profiles that the
-- filtered rows reach, so it needs the distinct values of one integer column only.
CREATE TEMP TABLE profile_seen AS
SELECT
    CAST(row_number() OVER (ORDER BY id_partenaire) AS INTEGER) AS id_profile,
    *
FROM (
    SELECT DISTINCT
        pv.id_partenaire,
        code_id(pv.code_region_partenaire) AS code_region_partenaire,
        code_id(pv.code_ville_partenaire) AS code_ville_partenaire,
        code_id(pv.code_gamme_partenaire) AS code_gamme_partenaire,
        code_id(pv.code_specialite_partenaire) AS code_specialite_partenaire,
        code_id(p.code_potentiel) AS code_potentiel,
        code_id(p.code_type_etablissement) AS code_type_etablissement
    FROM tab_partenaire_visite AS pv
    LEFT JOIN tab_partenaire AS p USING (id_partenaire)
);

-- The few combinations of the four keys of /performance's small blocks, numbered:
-- /performance counts visits per combination in one scan, then sums per key. All
-- four are NULL on the row of a visit without partner.
CREATE TABLE combination AS
SELECT
    CAST(row_number() OVER (ORDER BY code_type_partenaire) AS USMALLINT) AS id_combination,
    *
FROM (
    SELECT
        code_id(pv.code_type_partenaire) AS code_type_partenaire,
        code_id(p.code_statut_partenaire) AS code_statut_partenaire,
        code_id(p.code_potentiel) AS code_potentiel,
        code_id(pv.code_region_partenaire) AS code_region_partenaire
    FROM tab_partenaire_visite AS pv
    LEFT JOIN tab_partenaire AS p USING (id_partenaire)
    UNION
    SELECT NULL, NULL, NULL, NULL
);

-- The few combinations of the five codes the 18 counters of /data read, numbered:
-- /data groups its rows by this one small number instead of five columns.
CREATE TABLE counter AS
SELECT
    CAST(row_number() OVER (ORDER BY code_type_visite) AS USMALLINT) AS id_counter,
    *
FROM (
    SELECT DISTINCT
        code_id(v.code_type_visite) AS code_type_visite,
        code_id(pv.code_type_partenaire) AS code_type_partenaire,
        code_id(p.code_type_etablissement) AS code_type_etablissement,
        code_id(v.type_visite) AS type_visite,
        code_id(v.flag_accompagnee) AS flag_accompagnee
    FROM tab_visite AS v
    LEFT JOIN tab_partenaire_visite AS pv USING (id_visite)
    LEFT JOIN tab_partenaire AS p USING (id_partenaire)
);

-- Visit rows (SPEC §4): tab_visite LEFT JOIN tab_partenaire_visite, with the
-- partner's current status (type, potential and establishment are read through
-- id_combination and id_counter). Stored by user rank and
-- date, so that user, team and date filters skip whole row groups.
CREATE TABLE contact AS
SELECT
    u.rank,
    CAST(v.date_visite AS DATE) AS date_visite,
    v.id_utilisateur,
    v.id_responsable,
    pv.id_partenaire,
    k.id_counter,
    kc.id_combination,
    code_id(pv.code_region_partenaire) AS code_region_partenaire,
    code_id(pv.code_ville_partenaire) AS code_ville_partenaire,
    code_id(pv.code_gamme_partenaire) AS code_gamme_partenaire,
    code_id(pv.code_specialite_partenaire) AS code_specialite_partenaire,
    code_id(p.code_statut_partenaire) AS code_statut_partenaire,
    coalesce(f.visite, 15) AS first_visite,
    coalesce(f.partenaire, 15) AS first_partenaire,
    coalesce(f.type_partenaire, 15) AS first_type_partenaire,
    coalesce(f.statut, 15) AS first_statut,
    coalesce(f.potentiel, 15) AS first_potentiel,
    coalesce(f.region, 15) AS first_region,
    pr.id_profile
FROM tab_visite AS v
JOIN utilisateur AS u USING (id_utilisateur)
LEFT JOIN tab_partenaire_visite AS pv USING (id_visite)
LEFT JOIN tab_partenaire AS p USING (id_partenaire)
LEFT JOIN mask AS f ON f.n = pv.file_row_number
LEFT JOIN profile_seen AS pr
    ON pr.id_partenaire = pv.id_partenaire
    AND pr.code_region_partenaire IS NOT DISTINCT FROM code_id(pv.code_region_partenaire)
    AND pr.code_ville_partenaire IS NOT DISTINCT FROM code_id(pv.code_ville_partenaire)
    AND pr.code_gamme_partenaire IS NOT DISTINCT FROM code_id(pv.code_gamme_partenaire)
    AND pr.code_specialite_partenaire IS NOT DISTINCT FROM code_id(pv.code_specialite_partenaire)
LEFT JOIN counter AS k
    ON k.code_type_visite IS NOT DISTINCT FROM code_id(v.code_type_visite)
    AND k.code_type_partenaire IS NOT DISTINCT FROM code_id(pv.code_type_partenaire)
    AND k.code_type_etablissement IS NOT DISTINCT FROM code_id(p.code_type_etablissement)
    AND k.type_visite IS NOT DISTINCT FROM code_id(v.type_visite)
    AND k.flag_accompagnee IS NOT DISTINCT FROM code_id(v.flag_accompagnee)
LEFT JOIN combination AS kc
    ON kc.code_type_partenaire IS NOT DISTINCT FROM code_id(pv.code_type_partenaire)
    AND kc.code_statut_partenaire IS NOT DISTINCT FROM code_id(p.code_statut_partenaire)
    AND kc.code_potentiel IS NOT DISTINCT FROM code_id(p.code_potentiel)
    AND kc.code_region_partenaire IS NOT DISTINCT FROM code_id(pv.code_region_partenaire)
ORDER BY u.rank, date_visite;

DROP TABLE mask;

-- Visits per user, visit-time responsable and day: /performance and /users count
-- visits per user, per day and per responsable here, in a table a fifth the size of
-- contact, when the filter keeps whole visits (no gamme or region filter).
CREATE TABLE visites_per_day AS
SELECT
    rank,
    id_utilisateur,
    id_responsable,
    date_visite,
    count(*) FILTER (WHERE first_visite & 1 <> 0) AS visite_count
FROM contact
GROUP BY ALL
ORDER BY rank, date_visite;

-- Contacts per combination of /data's keys: under a filter of gamme and region only
-- (both are keys here), /data sums these instead of counting contact rows.
CREATE TABLE contacts_per_key AS
SELECT
    code_region_partenaire,
    code_ville_partenaire,
    code_gamme_partenaire,
    code_specialite_partenaire,
    id_counter,
    count(*) AS contact_count
FROM contact
GROUP BY ALL;

-- Visits per combination of /performance's four small keys (above), gamme and region,
-- for each filter shape of the masks (shape, the bit of the shape): under a filter of
-- gamme and region only, /performance sums these few thousand rows instead of
-- counting over contact.
CREATE TABLE visites_per_combination AS
SELECT
    f.shape,
    c.id_combination,
    c.code_gamme_partenaire,
    c.code_region_partenaire,
    count(*) FILTER (WHERE c.first_type_partenaire & f.shape <> 0) AS type_partenaire,
    count(*) FILTER (WHERE c.first_statut & f.shape <> 0) AS statut,
    count(*) FILTER (WHERE c.first_potentiel & f.shape <> 0) AS potentiel,
    count(*) FILTER (WHERE c.first_region & f.shape <> 0) AS region
FROM contact AS c
CROSS JOIN (VALUES (1), (2), (4), (8)) AS f (shape)
GROUP BY ALL;

-- Distinct partners (users) per group without count(DISTINCT), over a table at the
-- grain of a partner profile (a user's monthly activity): the mask of a row for key
-- k says, per filter shape (bits as in first_mask above), "first row of its id with
-- this k (and, under the shape, the same gamme / region)". A filter of gamme and
-- region only keeps or drops whole rows here, so among the rows it keeps,
-- count_if(mask & $shape <> 0) per k is exactly the distinct ids per k. Any other
-- filter (user, team, dates) splits a partner's or user's rows: queries then count
-- distinct ids. (A macro cannot name the row's columns itself: the table's gamme and
-- region are its last two arguments.)
CREATE TEMP MACRO first_of_id(id, key, gamme, region) AS
    (row_number() OVER (PARTITION BY id, key) = 1)::UTINYINT
    + 2 * (row_number() OVER (PARTITION BY id, key, gamme) = 1)::UTINYINT
    + 4 * (row_number() OVER (PARTITION BY id, key, region) = 1)::UTINYINT
    + 8 * (row_number() OVER (PARTITION BY id, key, gamme, region) = 1)::UTINYINT;

-- The profiles some visit row reaches (a partner row of a visit that tab_visite lacks
-- reaches none), so that a gamme/region filter reaches exactly the profiles it keeps.
CREATE TABLE profile AS
SELECT
    * EXCLUDE (gamme, region),
    first_of_id(id_partenaire, NULL, gamme, region) AS first_overall,
    first_of_id(id_partenaire, region, gamme, region) AS first_region,
    first_of_id(id_partenaire, (region, code_ville_partenaire), gamme, region) AS first_ville,
    first_of_id(id_partenaire, gamme, gamme, region) AS first_gamme,
    first_of_id(id_partenaire, (gamme, code_specialite_partenaire), gamme, region)
        AS first_specialite,
    first_of_id(id_partenaire, code_potentiel, gamme, region) AS first_potentiel,
    first_of_id(id_partenaire, code_type_etablissement, gamme, region) AS first_etablissement
FROM (
    -- gamme and region: short names for the masks' arguments
    SELECT *, code_gamme_partenaire AS gamme, code_region_partenaire AS region
    FROM profile_seen
    WHERE id_profile IN (SELECT id_profile FROM contact)
)
ORDER BY id_profile;

DROP TABLE profile_seen;

-- Each user's activity per month, gamme, region and partner status: what /users
-- counts distinct users over, in a table some six times smaller than contact.
CREATE TABLE activity AS
SELECT
    * EXCLUDE (gamme, region),
    first_of_id(id_utilisateur, NULL, gamme, region) AS first_overall,
    first_of_id(id_utilisateur, (annee, mois), gamme, region) AS first_mois,
    first_of_id(id_utilisateur, gamme, gamme, region) AS first_gamme,
    first_of_id(id_utilisateur, region, gamme, region) AS first_region,
    first_of_id(id_utilisateur, code_statut_partenaire, gamme, region) AS first_statut
FROM (
    SELECT DISTINCT
        id_utilisateur,
        CAST(year(date_visite) AS SMALLINT) AS annee,
        CAST(month(date_visite) AS TINYINT) AS mois,
        code_gamme_partenaire,
        code_region_partenaire,
        code_statut_partenaire,
        -- short names for the masks' arguments
        code_gamme_partenaire AS gamme,
        code_region_partenaire AS region
    FROM contact
);
