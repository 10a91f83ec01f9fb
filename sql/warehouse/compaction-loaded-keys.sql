-- The ledger's keys in a key range (the objects of some raw partitions), for compaction: which originals
-- were loaded. $1: the first key of the range; $2: the key every key of the range sorts below.
SELECT object_key FROM elt_loaded_objects WHERE object_key >= $1 AND object_key < $2
