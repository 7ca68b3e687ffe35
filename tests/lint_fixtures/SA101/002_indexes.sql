SET lock_timeout = '2s';
CREATE INDEX orders_customer_idx ON orders (customer_id);
-- built concurrently: not reported
CREATE INDEX CONCURRENTLY orders_placed_at_idx ON orders (placed_at);
-- a table created in this migration holds no rows: not reported
CREATE TABLE refunds (id bigint PRIMARY KEY, order_id bigint);
CREATE INDEX refunds_order_idx ON refunds (order_id);
