CREATE TABLE audit_log (id bigint PRIMARY KEY, note text);
CREATE TABLE accounts (id bigint PRIMARY KEY);
