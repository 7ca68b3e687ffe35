CREATE TABLE users (id bigint, email text, handle text);
