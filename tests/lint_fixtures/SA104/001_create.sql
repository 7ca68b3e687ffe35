CREATE TABLE users (id bigint PRIMARY KEY, email text, name text);
ALTER TABLE users ADD CONSTRAINT users_name_present CHECK (name IS NOT NULL);
