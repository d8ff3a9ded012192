/**
 * Signed webhooks for the partner agencies' own systems and the hub's ([3/6], docs/webhooks.md):
 * the endpoints that asked for events (an agency's own, or the hub's when agency_id is null),
 * each with its signing secret sealed (AES-256-GCM; it must be recoverable to sign), and the
 * outbox: one delivery row per (event, endpoint), written in the transaction of the change it
 * tells of, with a thin payload (ids, references and statuses: never personal data).
 */
import { sql, type Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE webhook_endpoints (
      id uuid PRIMARY KEY,
      -- null: the hub's own endpoint, which hears about every agency
      agency_id uuid REFERENCES agencies (id) ON DELETE CASCADE,
      url text NOT NULL CHECK (char_length(url) BETWEEN 8 AND 2000),
      events text[] NOT NULL CHECK (cardinality(events) BETWEEN 1 AND 10),
      secret_sealed bytea NOT NULL,
      -- after a rotation, deliveries carry both signatures until previous_secret_until
      previous_secret_sealed bytea,
      previous_secret_until timestamptz,
      status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
      disabled_reason text CHECK (char_length(disabled_reason) <= 300),
      disabled_at timestamptz,
      -- the first failure of the current run of failures (null once a delivery succeeds)
      failing_since timestamptz,
      created_by uuid REFERENCES users (id) ON DELETE SET NULL,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      CHECK ((previous_secret_sealed IS NULL) = (previous_secret_until IS NULL)),
      CHECK ((status = 'disabled') = (disabled_at IS NOT NULL))
    );
    CREATE INDEX webhook_endpoints_agency_idx ON webhook_endpoints (agency_id) WHERE status = 'active';

    CREATE TABLE webhook_deliveries (
      id uuid PRIMARY KEY,
      endpoint_id uuid NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
      event_type text NOT NULL,
      payload jsonb NOT NULL,
      status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
      attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
      next_attempt_at timestamptz NOT NULL,
      last_attempt_at timestamptz,
      last_status integer,
      last_error text CHECK (char_length(last_error) <= 500),
      created_at timestamptz NOT NULL,
      delivered_at timestamptz
    );
    -- the sweep's keyset over what is still to be sent
    CREATE INDEX webhook_deliveries_pending_idx ON webhook_deliveries (next_attempt_at, id) WHERE status = 'pending';
    -- an endpoint's delivery log, newest first
    CREATE INDEX webhook_deliveries_endpoint_idx ON webhook_deliveries (endpoint_id, created_at DESC, id DESC);
  `.execute(db);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TABLE webhook_deliveries, webhook_endpoints`.execute(db);
}
