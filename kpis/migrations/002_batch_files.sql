-- Each batch is kept as the very file the files backend keeps: its CSV bytes, one row per batch.
-- A publish then writes one value per batch instead of one indexed row per observation, a load
-- reads the files back and parses them as the files backend does, and `check` hashes them
-- against the SHA-256 the audit log recorded, as the files backend hashes its files.
-- Batches published before this version are copied in from kpi_batch_rows by `db init`
-- (in the same transaction as this file); kpi_batch_rows is kept as it was, append-only, and is
-- no longer written.

CREATE TABLE kpi_batch_files (
    batch_id text PRIMARY KEY REFERENCES kpi_batches (batch_id),
    content  bytea NOT NULL
);
-- Out of line and uncompressed: written and read whole, never searched; a year of a large
-- board is a few megabytes.
ALTER TABLE kpi_batch_files ALTER COLUMN content SET STORAGE EXTERNAL;

CREATE TRIGGER kpi_batch_files_append_only BEFORE UPDATE OR DELETE ON kpi_batch_files FOR EACH ROW EXECUTE FUNCTION kpi_refuse_change();
CREATE TRIGGER kpi_batch_files_no_truncate BEFORE TRUNCATE ON kpi_batch_files FOR EACH STATEMENT EXECUTE FUNCTION kpi_refuse_change();
