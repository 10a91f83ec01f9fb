-- Releases the ELT run lock if $run_id holds it. A literal (inlineValues), because publishing sends it in
-- its own batch, to release the lock in the same commit as the tables.
DELETE FROM elt_run_lock WHERE run_id = $run_id
