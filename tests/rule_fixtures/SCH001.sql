-- expect: rules.SCH001.public.heap
CREATE TABLE heap (x int);
CREATE TABLE keyed (x int PRIMARY KEY);
