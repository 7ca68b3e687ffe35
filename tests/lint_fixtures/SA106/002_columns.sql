SET lock_timeout = '2s';
ALTER TABLE events ADD COLUMN public_id uuid DEFAULT gen_random_uuid();
ALTER TABLE events ADD COLUMN seq bigserial;
-- a constant default is stored in the catalog (PostgreSQL 11+): not reported
ALTER TABLE events ADD COLUMN kind text NOT NULL DEFAULT 'click';
