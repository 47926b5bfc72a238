import type { Kysely } from 'kysely'
import { runStatements } from './statements.js'

/**
 * The audit log becomes a Merkle tree (SPEC §4.7, RFC 9162 §2.1) instead of a hash chain.
 *
 * Requests now insert events with `seq` NULL and no lock: `id` (a sequence) only orders
 * them for the sealer. The sealer (src/audit/sealer.ts, one at a time on any node) gives
 * them `seq` = tree size + 1, + 2, … — gap-free, since only it assigns them — and appends
 * their leaves to `audit_tree_nodes`, which holds every node of every perfect subtree
 * (`level` 0 = leaves), so proofs read O(log n) rows. `audit_tree_heads` keeps each signed
 * tree head. The chain's events keep their `seq` (their `id` = `seq`) and are sealed into
 * the tree by the first sealer run; `prev_hash`/`hash` go with the chain.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await runStatements(
    db,
    `
    ALTER TABLE audit_events ADD COLUMN id bigint;
    UPDATE audit_events SET id = seq;
    CREATE SEQUENCE audit_events_id_seq OWNED BY audit_events.id;
    SELECT setval('audit_events_id_seq', COALESCE((SELECT max(seq) FROM audit_events), 0) + 1, false);
    ALTER TABLE audit_events ALTER COLUMN id SET DEFAULT nextval('audit_events_id_seq');
    ALTER TABLE audit_events ALTER COLUMN id SET NOT NULL;
    ALTER TABLE audit_events DROP CONSTRAINT audit_events_pkey;
    ALTER TABLE audit_events ADD PRIMARY KEY (id);
    ALTER TABLE audit_events ALTER COLUMN seq DROP NOT NULL;
    CREATE UNIQUE INDEX audit_events_seq_key ON audit_events (seq);
    CREATE INDEX audit_events_unsealed_idx ON audit_events (id) WHERE seq IS NULL;
    ALTER TABLE audit_events DROP COLUMN prev_hash;
    ALTER TABLE audit_events DROP COLUMN hash;

    CREATE TABLE audit_tree_nodes (
      level smallint NOT NULL CHECK (level >= 0 AND level < 64),
      idx bigint NOT NULL CHECK (idx >= 0),
      hash text NOT NULL CHECK (hash ~ '^[0-9a-f]{64}$'),
      PRIMARY KEY (level, idx)
    );

    CREATE TABLE audit_tree_heads (
      tree_size bigint PRIMARY KEY CHECK (tree_size >= 0),
      root_hash text NOT NULL CHECK (root_hash ~ '^[0-9a-f]{64}$'),
      signed_at timestamptz(3) NOT NULL,
      signature text NOT NULL
    );
  `,
  )
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await runStatements(
    db,
    `
    DROP TABLE audit_tree_heads;
    DROP TABLE audit_tree_nodes;
    DELETE FROM audit_events WHERE seq IS NULL;
    DROP INDEX audit_events_unsealed_idx;
    DROP INDEX audit_events_seq_key;
    ALTER TABLE audit_events DROP CONSTRAINT audit_events_pkey;
    ALTER TABLE audit_events DROP COLUMN id;
    ALTER TABLE audit_events ALTER COLUMN seq SET NOT NULL;
    ALTER TABLE audit_events ADD PRIMARY KEY (seq);
    ALTER TABLE audit_events ADD COLUMN prev_hash text NOT NULL DEFAULT '';
    ALTER TABLE audit_events ADD COLUMN hash text NOT NULL DEFAULT '';
  `,
  )
}
