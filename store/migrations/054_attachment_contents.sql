-- Issue 23: a file's content lives in PostgreSQL (attachment_blobs) or an S3-compatible bucket
-- (store/contents.py); the metadata stays here, so it no longer refers to the blob table.
ALTER TABLE attachments DROP CONSTRAINT IF EXISTS attachments_sha256_fkey;
-- Contents whose last file was purged, until their store has deleted them: the purge lists them in its own
-- transaction, the retention activity deletes them from the bucket after it commits.
CREATE TABLE attachment_purges (
    sha256 text PRIMARY KEY,
    at     timestamptz NOT NULL DEFAULT now()
);
