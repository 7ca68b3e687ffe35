-- a table created in this migration: nobody waits on it, not reported
CREATE TABLE refunds (id bigint PRIMARY KEY);
ALTER TABLE refunds ADD COLUMN reason text;
