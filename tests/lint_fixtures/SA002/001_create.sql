CREATE TABLE users (id bigint PRIMARY KEY, legacy_name text, email text, nick text);
