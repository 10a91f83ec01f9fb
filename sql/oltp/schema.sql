-- The marketplace's own database (the system of record): users, items, bids and the transactional outbox.
-- PostgreSQL dialect; runs unchanged on PostgreSQL 15+ and on PGlite (the embedded default).
-- Idempotent: safe to run on every start. Money is in minor units (cents) with its currency, as in events.
-- Every table has updated_at (set by the writer in the same transaction) for incremental extracts, with the
-- primary key as tiebreak; users and items are never deleted, only marked (deleted_at), so history stays.
CREATE TABLE IF NOT EXISTS users (
  user_id text PRIMARY KEY,
  display_name text NOT NULL,
  email text NOT NULL UNIQUE,
  country text NOT NULL CHECK (country ~ '^[A-Z]{2}$'),
  channel text NOT NULL CHECK (channel IN ('web', 'ios', 'android')),
  signed_up_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  deleted_at timestamptz
);

CREATE TABLE IF NOT EXISTS items (
  item_id text PRIMARY KEY,
  seller_id text NOT NULL REFERENCES users (user_id),
  title text NOT NULL,
  category text NOT NULL CHECK (category IN ('art', 'books', 'electronics', 'fashion', 'home', 'toys')),
  starting_price_minor bigint NOT NULL CHECK (starting_price_minor >= 0),
  price_minor bigint NOT NULL CHECK (price_minor >= 0),
  currency text NOT NULL CHECK (currency IN ('USD', 'EUR', 'GBP')),
  status text NOT NULL CHECK (status IN ('open', 'closed')),
  listed_at timestamptz NOT NULL,
  closed_at timestamptz,
  winning_bid_id text,
  updated_at timestamptz NOT NULL,
  deleted_at timestamptz
);

CREATE TABLE IF NOT EXISTS bids (
  bid_id text PRIMARY KEY,
  item_id text NOT NULL REFERENCES items (item_id),
  bidder_id text NOT NULL REFERENCES users (user_id),
  session_id text NOT NULL,
  amount_minor bigint NOT NULL CHECK (amount_minor > 0),
  currency text NOT NULL,
  placed_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);

CREATE INDEX IF NOT EXISTS users_updated ON users (updated_at, user_id);
CREATE INDEX IF NOT EXISTS items_updated ON items (updated_at, item_id);
CREATE INDEX IF NOT EXISTS bids_updated ON bids (updated_at, bid_id);
CREATE INDEX IF NOT EXISTS bids_item ON bids (item_id);

-- The transactional outbox: one row per event, written in the same transaction as the change it reports,
-- so an event exists if and only if its change committed. `payload` is the event as the bus delivers it (an
-- EventBridge envelope: id, source, detail-type, time, …, detail) with `id` = envelope id = detail.eventId;
-- the warehouse keeps one copy per eventId, so a relay that republishes after a crash changes nothing.
-- `seq` orders rows by insertion; the relay (`elt oltp relay`) claims the oldest unsent rows with
-- FOR UPDATE SKIP LOCKED and marks them sent after publishing. Debezium's outbox event router reads the
-- same rows from the WAL instead (id, aggregatetype, aggregateid, type and payload are its default columns).
CREATE TABLE IF NOT EXISTS outbox (
  seq bigserial PRIMARY KEY,
  id uuid NOT NULL UNIQUE,
  aggregatetype text NOT NULL,
  aggregateid text NOT NULL,
  type text NOT NULL,
  payload jsonb NOT NULL,
  occurred_at timestamptz NOT NULL,
  sent_at timestamptz,
  attempts integer NOT NULL DEFAULT 0,
  quarantined_at timestamptz,
  quarantine_reason text
);

CREATE INDEX IF NOT EXISTS outbox_unsent ON outbox (seq) WHERE sent_at IS NULL AND quarantined_at IS NULL;
