-- expect: rules.PERF002.public.t.t_a
CREATE TABLE t (id int PRIMARY KEY, tenant_id uuid);
CREATE INDEX t_a ON t (tenant_id);
CREATE INDEX t_b ON t (tenant_id, id);
