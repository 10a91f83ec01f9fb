-- Claims the ELT run lock (a row of elt_run_lock) in one transaction: the table lock makes a concurrent
-- claim wait for this one; an expired holder is dropped; the lock is claimed when nobody holds it. Sent as
-- a batch, which takes no parameters: $run_id, $now and $expires_at are written as literals by
-- inlineValues (lib/core/elt/sql-values.ts).
LOCK elt_run_lock;
DELETE FROM elt_run_lock WHERE expires_at < CAST($now AS TIMESTAMP);
INSERT INTO elt_run_lock (run_id, acquired_at, expires_at)
SELECT $run_id, CAST($now AS TIMESTAMP), CAST($expires_at AS TIMESTAMP)
WHERE NOT EXISTS (SELECT 1 FROM elt_run_lock);
