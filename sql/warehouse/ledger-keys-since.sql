-- The keys in the load ledger loaded at or after a time (a plan reads what is new, not the history).
-- $1: the time, as YYYY-MM-DD HH:MM:SS.mmm (UTC).
SELECT object_key FROM elt_loaded_objects WHERE loaded_at >= CAST($1 AS TIMESTAMP)
