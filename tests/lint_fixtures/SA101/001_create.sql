CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint, placed_at timestamptz);
