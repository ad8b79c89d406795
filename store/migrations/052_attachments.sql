-- Evidence files (seeds 002, 003: 检测报告, 截图, 录音): one row per file on a ticket, the content once per
-- SHA-256 however many tickets carry it; purged with the ticket (store/retention.py).
CREATE TABLE attachment_blobs (
    sha256  text PRIMARY KEY,
    content bytea NOT NULL
);
CREATE TABLE attachments (
    id           bigserial PRIMARY KEY,
    ticket_no    text NOT NULL,
    sha256       text NOT NULL REFERENCES attachment_blobs(sha256),
    name         text NOT NULL,
    content_type text NOT NULL,
    size         bigint NOT NULL,
    uploaded_by  text NOT NULL,
    uploaded_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (ticket_no, sha256)
);
CREATE INDEX attachments_sha256_idx ON attachments (sha256);
