-- settings: tenant_column=tenant_id
-- expect: rules.SEC006.public.tenant_data
CREATE TABLE tenant_data (id int PRIMARY KEY, tenant_id uuid NOT NULL);
-- not this one: no tenant column
CREATE TABLE lookup (id int PRIMARY KEY);
