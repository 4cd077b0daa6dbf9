-- The originator table is also the X12 trading-partner table, version 4:
-- which interchanges (ISA05:ISA06, and GS02 when set) are an originator's.
ALTER TABLE originator
    ADD COLUMN x12_sender       text NOT NULL DEFAULT '',
    ADD COLUMN x12_group_sender text NOT NULL DEFAULT '';
