-- nianbao output store, PostgreSQL schema (src/store/pg.ts applies this once, in a transaction).
-- Results are keyed by (sha256, pipeline_version): a retried job replaces its rows.

-- One row per distinct content ever ingested (the durable "already seen" record).
CREATE TABLE documents (
  sha256      text PRIMARY KEY CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  first_seen  timestamptz NOT NULL DEFAULT now()
);

-- Every place the same bytes were seen: one row per (content, uri, object version).
CREATE TABLE document_sources (
  sha256      text NOT NULL REFERENCES documents (sha256) ON DELETE CASCADE,
  uri         text NOT NULL,
  -- '' for an unversioned source, so that the primary key can include it
  version_id  text NOT NULL DEFAULT '',
  source      jsonb NOT NULL,
  seen_at     timestamptz NOT NULL DEFAULT now(),
  seq         bigserial,
  PRIMARY KEY (sha256, uri, version_id)
);

-- One row per result. No foreign key to documents: a result may be stored without an ingest
-- record (the CLI, a reprocessing run), and storing it must not mark the bytes as ingested.
CREATE TABLE reports (
  sha256            text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  pipeline_version  text NOT NULL,
  format            text NOT NULL CHECK (format IN ('2021', '2019', 'legacy')),
  year              integer,
  agency            text,
  -- agency after NFKC and whitespace removal (cross-year.ts agencyKey): what R6 and lookups match
  agency_key        text,
  status            text NOT NULL CHECK (status IN ('valid', 'invalid', 'incomplete')),
  envelope          jsonb NOT NULL,
  -- R6 findings against the previous year, kept up to date by the store
  cross_year        jsonb NOT NULL DEFAULT '[]',
  source            jsonb,
  stored_at         timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (sha256, pipeline_version)
);
CREATE INDEX reports_agency_year ON reports (agency_key, year);

-- The tidy view: one row per catalogue cell of tables 二, 三 and 四 (null = blank or unread).
CREATE TABLE cells (
  sha256            text NOT NULL,
  pipeline_version  text NOT NULL,
  table_id          text NOT NULL,
  row_path          text NOT NULL,
  column_key        text NOT NULL,
  value             numeric,
  PRIMARY KEY (sha256, pipeline_version, table_id, row_path, column_key),
  FOREIGN KEY (sha256, pipeline_version) REFERENCES reports (sha256, pipeline_version) ON DELETE CASCADE
);

-- Findings of validation (origin 'validation') and of R6 (origin 'cross-year').
CREATE TABLE findings (
  sha256            text NOT NULL,
  pipeline_version  text NOT NULL,
  origin            text NOT NULL CHECK (origin IN ('validation', 'cross-year')),
  seq               integer NOT NULL,
  rule              text NOT NULL,
  severity          text NOT NULL CHECK (severity IN ('error', 'warning')),
  path              text,
  message           text NOT NULL,
  expected          jsonb,
  actual            jsonb,
  PRIMARY KEY (sha256, pipeline_version, origin, seq),
  FOREIGN KEY (sha256, pipeline_version) REFERENCES reports (sha256, pipeline_version) ON DELETE CASCADE
);
CREATE INDEX findings_rule ON findings (rule, severity);

-- Extraction artifacts (the intermediate document as JSON text), by key.
CREATE TABLE artifacts (
  key        text PRIMARY KEY,
  data       text NOT NULL,
  stored_at  timestamptz NOT NULL DEFAULT now()
);

-- Documents that could not be processed (refusals, timeouts, internal errors).
CREATE TABLE failures (
  id       bigserial PRIMARY KEY,
  sha256   text NOT NULL,
  source   jsonb,
  code     text NOT NULL,
  message  text NOT NULL,
  at       timestamptz NOT NULL
);
CREATE INDEX failures_sha256 ON failures (sha256);
