CREATE TABLE orders (id bigint PRIMARY KEY, total numeric, discount numeric);
