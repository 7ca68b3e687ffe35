CREATE TABLE orders (
    id bigint PRIMARY KEY,
    total numeric CONSTRAINT orders_total_positive CHECK (total >= 0),
    code text CONSTRAINT orders_code_key UNIQUE
);
