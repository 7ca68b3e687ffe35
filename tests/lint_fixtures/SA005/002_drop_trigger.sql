DROP TRIGGER ledger_no_update ON ledger;
-- no such trigger at this point of the history: not reported
DROP TRIGGER IF EXISTS never_created ON ledger;
