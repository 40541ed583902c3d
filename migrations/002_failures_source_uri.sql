-- supersedeFailures (src/store/pg/failures.ts) deletes a source's failures by
-- source->>'uri' on every live put: an index on that expression, not a scan of the table.
CREATE INDEX IF NOT EXISTS failures_source_uri ON failures ((source->>'uri'));
