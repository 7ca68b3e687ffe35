-- expect: rules.PERF001.public.child.child_parent_id_fkey
CREATE TABLE parent (id int PRIMARY KEY);
CREATE TABLE child (id int PRIMARY KEY, parent_id int REFERENCES parent (id));
-- not this one: indexed
CREATE TABLE indexed_child (id int PRIMARY KEY, parent_id int REFERENCES parent (id));
CREATE INDEX indexed_child_parent ON indexed_child (parent_id);
