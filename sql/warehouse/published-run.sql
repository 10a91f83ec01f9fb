-- Whether a run was published in this warehouse (n > 0). $1: the run id.
SELECT COUNT(*) AS n FROM elt_runs WHERE run_id = $1 AND status = 'succeeded'
