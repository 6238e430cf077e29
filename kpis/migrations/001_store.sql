-- The published batches, their rows, the append-only audit log and the change counter.
-- Rows are only ever added: a trigger refuses UPDATE, DELETE and TRUNCATE on every table
-- that holds history, so undo and restore can only be new audit entries.

CREATE TABLE kpi_batches (
    batch_id    text PRIMARY KEY CHECK (batch_id ~ '^[0-9]{8}T[0-9]{12}Z-[0-9a-f]{6}$'),
    source      text NOT NULL,
    rows        bigint NOT NULL CHECK (rows >= 0),
    file_sha256 text NOT NULL CHECK (file_sha256 ~ '^[0-9a-f]{64}$'),
    recorded_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE kpi_batch_rows (
    batch_id    text NOT NULL REFERENCES kpi_batches (batch_id),
    row_no      integer NOT NULL CHECK (row_no >= 1),
    kpi_id      text,
    area        text,
    period      text,
    value       text,
    numerator   text,
    denominator text,
    target      text,
    note        text,
    PRIMARY KEY (batch_id, row_no)
);

-- One row per audit line, exactly as the files backend writes it (checksummed JSON).
-- action and batch_id are copied out of valid lines for lookups; an imported damaged line keeps them empty.
CREATE TABLE kpi_audit (
    seq         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    line        text NOT NULL,
    action      text CHECK (action IN ('publish', 'undo', 'restore')),
    batch_id    text,
    recorded_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX kpi_audit_batch ON kpi_audit (batch_id);

-- Bumped in the same transaction as every publish, undo, restore and import: the pages' cache key.
CREATE TABLE kpi_change_counter (
    id    integer PRIMARY KEY CHECK (id = 1),
    value bigint NOT NULL
);
INSERT INTO kpi_change_counter VALUES (1, 0);

CREATE FUNCTION kpi_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: its rows are never changed or deleted', TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER kpi_batches_append_only BEFORE UPDATE OR DELETE ON kpi_batches FOR EACH ROW EXECUTE FUNCTION kpi_refuse_change();
CREATE TRIGGER kpi_batches_no_truncate BEFORE TRUNCATE ON kpi_batches FOR EACH STATEMENT EXECUTE FUNCTION kpi_refuse_change();
CREATE TRIGGER kpi_batch_rows_append_only BEFORE UPDATE OR DELETE ON kpi_batch_rows FOR EACH ROW EXECUTE FUNCTION kpi_refuse_change();
CREATE TRIGGER kpi_batch_rows_no_truncate BEFORE TRUNCATE ON kpi_batch_rows FOR EACH STATEMENT EXECUTE FUNCTION kpi_refuse_change();
CREATE TRIGGER kpi_audit_append_only BEFORE UPDATE OR DELETE ON kpi_audit FOR EACH ROW EXECUTE FUNCTION kpi_refuse_change();
CREATE TRIGGER kpi_audit_no_truncate BEFORE TRUNCATE ON kpi_audit FOR EACH STATEMENT EXECUTE FUNCTION kpi_refuse_change();
