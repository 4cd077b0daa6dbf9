-- The compact ledger row, version 5. A claim (its canonical bytes) and its
-- decision are stored compressed (S2 with the dictionary embedded in
-- claimscreen, a CRC-32C of each value; internal/postgres/compact.go):
-- about a fifth of their JSON. Rows written before keep their JSON, as bytes, and read as
-- they are. The content hashes are their 32 bytes, not 64 hex characters,
-- in both tables and their keys. The releases a decision used are in the
-- decision itself; the separate codesets column is dropped.
-- `claimscreen ledger` prints rows with the claim and the decision as JSON.

DROP VIEW ledger;

ALTER TABLE decision
    ALTER COLUMN content_hash  TYPE bytea USING decode(content_hash, 'hex'),
    ALTER COLUMN replaces_hash TYPE bytea USING decode(replaces_hash, 'hex'),
    ALTER COLUMN claim         TYPE bytea USING convert_to(claim::text, 'UTF8'),
    ALTER COLUMN decision      TYPE bytea USING convert_to(decision::text, 'UTF8'),
    DROP COLUMN codesets;
-- The values are compressed already: PostgreSQL need not try again.
ALTER TABLE decision
    ALTER COLUMN claim    SET STORAGE EXTERNAL,
    ALTER COLUMN decision SET STORAGE EXTERNAL;

ALTER TABLE decision_published
    ALTER COLUMN content_hash TYPE bytea USING decode(content_hash, 'hex');

-- The ledger as one relation, for audit queries: every submission with its
-- metadata, outcome and, once its outputs were acknowledged, when; hashes
-- in hex as before. claim and decision are the stored (compressed) values.
CREATE VIEW ledger AS
    SELECT d.originator_id, d.claim_id, encode(d.content_hash, 'hex') AS content_hash, d.frequency,
           encode(d.replaces_hash, 'hex') AS replaces_hash, d.claim, d.decision, d.outcome,
           d.source_topic, d.source_partition, d.source_offset, d.decided_at, p.published_at
    FROM decision d LEFT JOIN decision_published p USING (originator_id, claim_id, content_hash);
