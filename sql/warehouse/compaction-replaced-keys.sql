-- Which compacted object replaces which original, for the originals in a key range: compaction finishes
-- what an interrupted one recorded. $1: recorded at or after this time (YYYY-MM-DD HH:MM:SS.mmm, UTC);
-- $2: the first key of the range; $3: the key every key of it sorts below.
SELECT object_key, compacted_key FROM elt_compacted_objects WHERE compacted_at >= CAST($1 AS TIMESTAMP) AND object_key >= $2 AND object_key < $3
