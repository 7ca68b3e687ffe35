ALTER TABLE orders DROP CONSTRAINT orders_total_positive;
-- renaming keeps the guarantee: not reported
ALTER TABLE orders RENAME CONSTRAINT orders_code_key TO orders_code_unique;
