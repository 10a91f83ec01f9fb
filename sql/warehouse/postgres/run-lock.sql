-- The ELT run lock on PostgreSQL: a session-level advisory lock, held until the connection ends however
-- the run ends. $1: the lock key (any fixed number).
SELECT pg_try_advisory_lock($1) AS locked
