CREATE TABLE orders (id bigint PRIMARY KEY, created_at timestamptz);
CREATE INDEX orders_created_at_idx ON orders (created_at);
CREATE VIEW recent_orders AS SELECT id FROM orders;
CREATE MATERIALIZED VIEW order_counts AS SELECT count(*) AS n FROM orders;
CREATE FUNCTION order_total(note text, qty integer) RETURNS integer
    LANGUAGE sql AS 'SELECT qty';
CREATE TYPE mood AS ENUM ('happy', 'sad');
