-- expect: rules.SEC002.public.policy_only
CREATE TABLE policy_only (id int PRIMARY KEY);
CREATE POLICY p ON policy_only USING (id > 0);
