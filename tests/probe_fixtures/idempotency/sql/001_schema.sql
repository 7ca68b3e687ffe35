CREATE TABLE payments (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    idempotency_key text NOT NULL,
    amount numeric NOT NULL DEFAULT 0,
    CONSTRAINT payments_idempotency_key_key UNIQUE (idempotency_key)
);
-- an index that is not unique does not refuse a duplicate
CREATE TABLE events (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, external_id text NOT NULL);
CREATE INDEX events_external_id_idx ON events (external_id);
