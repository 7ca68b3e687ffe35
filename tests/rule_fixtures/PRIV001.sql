-- expect: rules.PRIV001.public.users.email
CREATE TABLE users (id int PRIMARY KEY, email text, emailed_count int);
