TRUNCATE sessions, tokens;
-- deleting some rows is not reported
DELETE FROM sessions WHERE id < 0;
