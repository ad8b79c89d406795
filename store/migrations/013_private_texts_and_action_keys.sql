-- Free text as typed, before its contact details were masked: read only with the contact right, audited.
CREATE TABLE private_texts (
    id         bigserial PRIMARY KEY,
    ticket_no  text NOT NULL,
    field      text NOT NULL,
    raw        text NOT NULL,
    masked     text NOT NULL,
    actor      text NOT NULL,
    at         timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX private_texts_once ON private_texts (ticket_no, field, md5(raw));

-- An action's Idempotency-Key: a retry answers the first result; another body under the same key is refused.
CREATE TABLE action_requests (
    caller     text NOT NULL,
    key        text NOT NULL,
    ticket_no  text NOT NULL,
    action     text NOT NULL,
    body_hash  text NOT NULL,
    response   jsonb,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (caller, key)
);
