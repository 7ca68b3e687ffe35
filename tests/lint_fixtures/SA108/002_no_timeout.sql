ALTER TABLE orders ADD COLUMN note text;
-- said once per migration, at its first strong lock
ALTER TABLE orders ADD COLUMN memo text;
