DROP VIEW recent_orders;
DROP MATERIALIZED VIEW order_counts;
DROP FUNCTION order_total(text, integer);
DROP INDEX orders_created_at_idx;
DROP TYPE mood;
-- the idempotent idiom drops nothing here: not reported
DROP INDEX IF EXISTS orders_id_idx;
CREATE INDEX orders_id_idx ON orders (id);
