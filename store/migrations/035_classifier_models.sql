-- The intake classifier as trained (issue 21): the weekly schedule (or `ticketflow classifier train`) stores
-- each model here, and every API process loads the newest. Only the desk's own trainers write this table.
CREATE TABLE classifier_models (
    id         bigserial PRIMARY KEY,
    trained_at timestamptz NOT NULL DEFAULT now(),
    examples   int NOT NULL,
    desk       int NOT NULL,
    trained_by text NOT NULL,
    model      bytea NOT NULL
);
