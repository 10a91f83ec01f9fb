-- The database user of this connection, and the owner of the pipeline's tables (NULL: not made yet).
SELECT current_user AS me, (SELECT tableowner FROM pg_tables WHERE schemaname = current_schema() AND tablename = 'elt_runs') AS owner
