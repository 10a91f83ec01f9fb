-- The ledger's keys in a key range (the objects of some raw partitions), for compaction: which originals
-- were loaded. $1: loaded at or after this time (YYYY-MM-DD HH:MM:SS.mmm, UTC; bounds the read on Redshift,
-- whose ledger is sorted by loaded_at); $2: the first key of the range; $3: the key every key of it sorts below.
SELECT object_key FROM elt_loaded_objects WHERE loaded_at >= CAST($1 AS TIMESTAMP) AND object_key >= $2 AND object_key < $3
