-- The run that holds the ELT run lock (no row: nobody).
SELECT run_id FROM elt_run_lock
