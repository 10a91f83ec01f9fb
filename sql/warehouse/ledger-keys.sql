-- The keys in the load ledger: every one.
SELECT object_key FROM elt_loaded_objects
