SET lock_timeout = '2s';
VACUUM FULL orders;
CLUSTER orders USING orders_pkey;
BEGIN;
LOCK TABLE orders IN ACCESS EXCLUSIVE MODE;
COMMIT;
-- a plain VACUUM and a weaker lock: not reported
VACUUM orders;
BEGIN;
LOCK TABLE orders IN SHARE MODE;
COMMIT;
