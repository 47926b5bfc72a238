import type { Kysely } from 'kysely'
import { runStatements } from './statements.js'

/**
 * SMART Health Links (SPEC §9, HL7 SHL IG STU1). A link is found by the SHA-256 of its
 * manifest id (256 random bits in the URL, never stored in clear); its files are compact
 * JWEs made at creation and stored as blobs (the server never keeps the key); location
 * tokens live ≤ 1 hour; each manifest access is kept with the recipient's name. Wrong
 * passcodes count down `attempts_left` over the link's whole life (0 → the link is dead).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await runStatements(
    db,
    `
    CREATE TABLE smart_health_links (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      patient_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      manifest_id_hash text NOT NULL,
      label text,
      passcode_hash text,
      attempts_left integer NOT NULL CHECK (attempts_left >= 0),
      flags text NOT NULL,
      include_summary boolean NOT NULL,
      record_ids uuid[] NOT NULL DEFAULT '{}',
      expires_at timestamptz(3) NOT NULL,
      revoked_at timestamptz(3),
      created_at timestamptz(3) NOT NULL DEFAULT now()
    );
    CREATE UNIQUE INDEX smart_health_links_manifest_key ON smart_health_links (manifest_id_hash);
    CREATE INDEX smart_health_links_patient_idx ON smart_health_links (patient_id, created_at DESC, id DESC);
    CREATE TABLE smart_health_link_files (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      link_id uuid NOT NULL REFERENCES smart_health_links (id) ON DELETE CASCADE,
      position integer NOT NULL,
      content_type text NOT NULL,
      record_id uuid REFERENCES records (id) ON DELETE CASCADE,
      blob_key text NOT NULL,
      wrapped_key bytea NOT NULL,
      size_bytes integer NOT NULL,
      UNIQUE (link_id, position)
    );
    CREATE UNIQUE INDEX smart_health_link_files_blob_key ON smart_health_link_files (blob_key);
    CREATE TABLE smart_health_link_locations (
      token_hash text PRIMARY KEY,
      file_id uuid NOT NULL REFERENCES smart_health_link_files (id) ON DELETE CASCADE,
      expires_at timestamptz(3) NOT NULL
    );
    CREATE INDEX smart_health_link_locations_file_idx ON smart_health_link_locations (file_id);
    CREATE TABLE smart_health_link_accesses (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      link_id uuid NOT NULL REFERENCES smart_health_links (id) ON DELETE CASCADE,
      recipient text NOT NULL,
      at timestamptz(3) NOT NULL
    );
    CREATE INDEX smart_health_link_accesses_link_idx ON smart_health_link_accesses (link_id, at DESC);
  `,
  )
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await runStatements(db, `DROP TABLE smart_health_link_accesses; DROP TABLE smart_health_link_locations; DROP TABLE smart_health_link_files; DROP TABLE smart_health_links;`)
}
