CREATE TABLE users (
    id integer PRIMARY KEY,
    name varchar(100),
    nick varchar(50),
    price numeric(10, 2),
    score integer
);
