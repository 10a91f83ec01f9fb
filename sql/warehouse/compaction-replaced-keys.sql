-- Which compacted object replaces which original, for the originals in a key range: compaction finishes
-- what an interrupted one recorded. $1: the first key of the range; $2: the key every key of it sorts below.
SELECT object_key, compacted_key FROM elt_compacted_objects WHERE object_key >= $1 AND object_key < $2
