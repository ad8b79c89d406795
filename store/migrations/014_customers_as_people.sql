-- One customer across tickets (seed 003): found again by the integrator's id, a phone or an e-mail,
-- each kept hashed for the look-up; the raw contact stays in `customers` alone.
CREATE TABLE customer_keys (
    kind        text NOT NULL CHECK (kind IN ('id', 'phone', 'email')),
    digest      text NOT NULL,
    customer_id bigint NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    PRIMARY KEY (kind, digest)
);
CREATE INDEX customer_keys_customer_idx ON customer_keys (customer_id);

ALTER TABLE tickets ADD COLUMN repeat_count integer NOT NULL DEFAULT 0;
ALTER TABLE tickets ADD COLUMN repeat_of text;
ALTER TABLE tickets ADD COLUMN follow_up_of text;
CREATE INDEX tickets_customer_category_idx ON tickets (customer_id, category, created_at DESC);

-- Reads of a customer's record are audited like a ticket's contact.
ALTER TABLE audit_log ALTER COLUMN ticket_no DROP NOT NULL;
ALTER TABLE audit_log ADD COLUMN customer_id bigint;
