CREATE TABLE sessions (id bigint PRIMARY KEY);
CREATE TABLE tokens (id bigint PRIMARY KEY);
