-- claimscreen schema, version 1.

CREATE TABLE codeset_release (
    id            bigserial PRIMARY KEY,
    system        text        NOT NULL,
    version       text        NOT NULL,
    part          text        NOT NULL DEFAULT '',
    coverage_from date,                   -- NULL: open
    coverage_to   date,                   -- NULL: open
    source        text        NOT NULL,
    format        text        NOT NULL,
    sha256        text        NOT NULL,
    rows          integer     NOT NULL,
    imported_at   timestamptz NOT NULL DEFAULT now(),
    activated_at  timestamptz,
    retired_at    timestamptz,
    UNIQUE (system, version, part)
);

CREATE TABLE codeset_code (
    release_id bigint  NOT NULL REFERENCES codeset_release (id) ON DELETE CASCADE,
    code       text    NOT NULL,
    valid_from date,
    valid_to   date,
    billable   boolean NOT NULL
);
CREATE INDEX codeset_code_release ON codeset_code (release_id);

CREATE TABLE codeset_ptp (
    release_id bigint NOT NULL REFERENCES codeset_release (id) ON DELETE CASCADE,
    column1    text   NOT NULL,
    column2    text   NOT NULL,
    valid_from date,
    valid_to   date,
    modifier   text   NOT NULL,
    rationale  text   NOT NULL
);
CREATE INDEX codeset_ptp_release ON codeset_ptp (release_id);

CREATE TABLE codeset_mue (
    release_id bigint  NOT NULL REFERENCES codeset_release (id) ON DELETE CASCADE,
    code       text    NOT NULL,
    value      integer NOT NULL,
    mai        integer NOT NULL,
    rationale  text    NOT NULL
);
CREATE INDEX codeset_mue_release ON codeset_mue (release_id);

CREATE TABLE crosswalk_version (
    id           bigserial PRIMARY KEY,
    version      text        NOT NULL UNIQUE,
    sources      text        NOT NULL,
    sha256       text        NOT NULL,
    rows         integer     NOT NULL,
    imported_at  timestamptz NOT NULL DEFAULT now(),
    activated_at timestamptz,
    retired_at   timestamptz
);

CREATE TABLE crosswalk_row (
    version_id    bigint NOT NULL REFERENCES crosswalk_version (id) ON DELETE CASCADE,
    system        text   NOT NULL,
    code          text   NOT NULL,
    internal_code text   NOT NULL,
    valid_from    date   NOT NULL,
    valid_to      date,
    note          text   NOT NULL,
    file          text   NOT NULL,
    line          integer NOT NULL
);
CREATE INDEX crosswalk_row_version ON crosswalk_row (version_id);

CREATE TABLE originator (
    originator_id text        PRIMARY KEY,
    notice_topic  text        NOT NULL DEFAULT '',
    active        boolean     NOT NULL DEFAULT true,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);

-- The decision ledger: one row per submission.
CREATE TABLE decision (
    originator_id    text        NOT NULL,
    claim_id         text        NOT NULL,
    content_hash     text        NOT NULL,
    frequency        text        NOT NULL,
    replaces_hash    text,
    claim            json        NOT NULL,
    decision         json        NOT NULL,
    outcome          text        NOT NULL,
    codesets         json        NOT NULL,
    source_topic     text        NOT NULL,
    source_partition integer     NOT NULL,
    source_offset    bigint      NOT NULL,
    decided_at       timestamptz NOT NULL,
    published_at     timestamptz,
    PRIMARY KEY (originator_id, claim_id, content_hash)
);
CREATE INDEX decision_outcome ON decision (outcome, decided_at);

-- Replays keep the history of every changed decision.
CREATE TABLE decision_history (
    id            bigserial PRIMARY KEY,
    originator_id text        NOT NULL,
    claim_id      text        NOT NULL,
    content_hash  text        NOT NULL,
    old_decision  jsonb       NOT NULL,
    new_decision  jsonb       NOT NULL,
    reason        text        NOT NULL,
    changed_at    timestamptz NOT NULL DEFAULT now()
);
