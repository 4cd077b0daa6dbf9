-- The editors' reference tables (MCE diagnosis flags and age ranges, the
-- ICD-10-CM Tabular List) and the HCPCS coverage details, version 3.

ALTER TABLE codeset_code
    ADD COLUMN coverage text,   -- HCPCS coverage code (C, D, I, M, S)
    ADD COLUMN statute  text,   -- HCPCS statute number
    ADD COLUMN xref     text;   -- HCPCS cross-reference code

CREATE TABLE codeset_mce_flag (
    release_id bigint NOT NULL REFERENCES codeset_release (id) ON DELETE CASCADE,
    code       text   NOT NULL,
    valid_from date,
    valid_to   date,
    flags      text[] NOT NULL
);
CREATE INDEX codeset_mce_flag_release ON codeset_mce_flag (release_id);

CREATE TABLE codeset_mce_age (
    release_id bigint  NOT NULL REFERENCES codeset_release (id) ON DELETE CASCADE,
    flag       text    NOT NULL,
    min_age    integer NOT NULL,
    max_age    integer NOT NULL,
    valid_from date,
    valid_to   date
);
CREATE INDEX codeset_mce_age_release ON codeset_mce_age (release_id);

CREATE TABLE codeset_tabular_code (
    release_id    bigint   NOT NULL REFERENCES codeset_release (id) ON DELETE CASCADE,
    code          text     NOT NULL,
    chapter       smallint NOT NULL,
    manifestation boolean  NOT NULL
);
CREATE INDEX codeset_tabular_code_release ON codeset_tabular_code (release_id);

CREATE TABLE codeset_tabular_seventh (
    release_id bigint NOT NULL REFERENCES codeset_release (id) ON DELETE CASCADE,
    code       text   NOT NULL,   -- the code or category that defines it
    chr        text   NOT NULL,
    definition text   NOT NULL
);
CREATE INDEX codeset_tabular_seventh_release ON codeset_tabular_seventh (release_id);

CREATE TABLE codeset_tabular_excludes1 (
    release_id bigint NOT NULL REFERENCES codeset_release (id) ON DELETE CASCADE,
    ord        integer NOT NULL,  -- the note's place in the file
    source     text   NOT NULL,
    note       text   NOT NULL,
    targets    text[] NOT NULL    -- FROM-TO spans, FROM for a code and what is below it
);
CREATE INDEX codeset_tabular_excludes1_release ON codeset_tabular_excludes1 (release_id);
