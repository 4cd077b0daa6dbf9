-- Publication times move to a narrow table of their own: marking a batch
-- published inserts small rows instead of rewriting the wide ledger rows
-- (an UPDATE copies the claim and the decision into a new row version).
CREATE TABLE decision_published (
    originator_id text        NOT NULL,
    claim_id      text        NOT NULL,
    content_hash  text        NOT NULL,
    published_at  timestamptz NOT NULL,
    PRIMARY KEY (originator_id, claim_id, content_hash)
);
INSERT INTO decision_published
    SELECT originator_id, claim_id, content_hash, published_at FROM decision WHERE published_at IS NOT NULL;
ALTER TABLE decision DROP COLUMN published_at;

-- The ledger as one relation, for audit queries: every submission with its
-- decision and, once its outputs were acknowledged, when.
CREATE VIEW ledger AS
    SELECT d.*, p.published_at
    FROM decision d LEFT JOIN decision_published p USING (originator_id, claim_id, content_hash);
