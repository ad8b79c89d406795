-- What a customer wrote after opening a ticket (their thread, or the signed link), kept as written.
CREATE TABLE customer_messages (
    id           bigserial PRIMARY KEY,
    ticket_no    text NOT NULL,
    content_hash text NOT NULL,
    body         text NOT NULL,
    via          text NOT NULL CHECK (via IN ('intake', 'link')),
    received_at  timestamptz NOT NULL DEFAULT now(),
    signalled    boolean NOT NULL DEFAULT false,
    UNIQUE (ticket_no, content_hash)
);
