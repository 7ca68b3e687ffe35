SET lock_timeout = '2s';
ALTER TABLE orders ADD CONSTRAINT orders_customer_fk
    FOREIGN KEY (customer_id) REFERENCES customers (id);
-- NOT VALID skips the scan: not reported
ALTER TABLE orders ADD CONSTRAINT orders_referrer_fk
    FOREIGN KEY (referrer_id) REFERENCES customers (id) NOT VALID;
