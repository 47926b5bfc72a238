import type { Kysely } from 'kysely'
import { runStatements } from './statements.js'

/**
 * Accounts you can trust (SPEC §8): verified email, TOTP second factor with recovery codes,
 * the `mfaToken` login step, passkeys (WebAuthn) and their challenges, OpenID Connect
 * sign-in, and sessions that know their device and last use.
 *
 * - `users.email_verified_at`: accounts that exist before this migration are taken as
 *   verified (they were accepted, and mailed, under the earlier rules; asking every existing
 *   user to verify would silently stop their prescription and emergency emails).
 * - `users.password_hash` may be null: an account created by OpenID Connect sign-in has no
 *   password until it sets one through a password reset.
 * - Every secret is stored hashed (tokens, codes) or encrypted (the TOTP secret).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await runStatements(
    db,
    `
    ALTER TABLE users ADD COLUMN email_verified_at timestamptz(3);
    UPDATE users SET email_verified_at = created_at;
    ALTER TABLE users ALTER COLUMN password_hash DROP NOT NULL;

    CREATE TABLE email_verifications (
      token_hash text PRIMARY KEY,
      user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      email text NOT NULL,
      created_at timestamptz(3) NOT NULL,
      expires_at timestamptz(3) NOT NULL,
      used_at timestamptz(3)
    );
    CREATE INDEX email_verifications_user_idx ON email_verifications (user_id, created_at DESC);

    CREATE TABLE totp_factors (
      user_id uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
      secret_ciphertext text NOT NULL,
      created_at timestamptz(3) NOT NULL,
      confirmed_at timestamptz(3),
      last_used_step bigint
    );

    CREATE TABLE recovery_codes (
      code_hash text PRIMARY KEY,
      user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      created_at timestamptz(3) NOT NULL,
      used_at timestamptz(3)
    );
    CREATE INDEX recovery_codes_user_idx ON recovery_codes (user_id);

    CREATE TABLE mfa_challenges (
      token_hash text PRIMARY KEY,
      user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      created_at timestamptz(3) NOT NULL,
      expires_at timestamptz(3) NOT NULL,
      failures integer NOT NULL DEFAULT 0,
      used_at timestamptz(3)
    );
    CREATE INDEX mfa_challenges_user_idx ON mfa_challenges (user_id);

    CREATE TABLE passkeys (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      credential_id text NOT NULL UNIQUE,
      public_key bytea NOT NULL,
      counter bigint NOT NULL DEFAULT 0,
      transports jsonb NOT NULL DEFAULT '[]',
      device_type text NOT NULL,
      backed_up boolean NOT NULL,
      name text NOT NULL,
      created_at timestamptz(3) NOT NULL,
      last_used_at timestamptz(3)
    );
    CREATE INDEX passkeys_user_idx ON passkeys (user_id, created_at);

    CREATE TABLE webauthn_challenges (
      challenge text PRIMARY KEY,
      user_id uuid REFERENCES users (id) ON DELETE CASCADE,
      purpose text NOT NULL CHECK (purpose IN ('registration', 'authentication')),
      created_at timestamptz(3) NOT NULL,
      expires_at timestamptz(3) NOT NULL,
      used_at timestamptz(3)
    );

    CREATE TABLE oidc_logins (
      state_hash text PRIMARY KEY,
      code_verifier text NOT NULL,
      nonce text NOT NULL,
      created_at timestamptz(3) NOT NULL,
      expires_at timestamptz(3) NOT NULL,
      used_at timestamptz(3)
    );

    CREATE TABLE oidc_identities (
      issuer text NOT NULL,
      subject text NOT NULL,
      user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      created_at timestamptz(3) NOT NULL,
      PRIMARY KEY (issuer, subject)
    );
    CREATE INDEX oidc_identities_user_idx ON oidc_identities (user_id);

    ALTER TABLE sessions ADD COLUMN last_used_at timestamptz(3);
    -- The last refresh of a session from before this release is its last use: a session
    -- refreshed yesterday must not count as idle since its sign-in.
    UPDATE sessions SET last_used_at = COALESCE((SELECT max(created_at) FROM refresh_tokens WHERE session_id = sessions.id), created_at);
    ALTER TABLE sessions ALTER COLUMN last_used_at SET NOT NULL;
    ALTER TABLE sessions ALTER COLUMN last_used_at SET DEFAULT now();
    ALTER TABLE sessions ADD COLUMN ip text;
    ALTER TABLE sessions ADD COLUMN user_agent text;
    ALTER TABLE sessions ADD COLUMN auth_method text;

    CREATE TABLE known_browsers (
      user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      browser_hash text NOT NULL,
      first_seen_at timestamptz(3) NOT NULL,
      PRIMARY KEY (user_id, browser_hash)
    );
  `,
  )
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await runStatements(
    db,
    `
    DROP TABLE known_browsers, oidc_identities, oidc_logins, webauthn_challenges, passkeys, mfa_challenges,
      recovery_codes, totp_factors, email_verifications;
    ALTER TABLE sessions DROP COLUMN last_used_at, DROP COLUMN ip, DROP COLUMN user_agent, DROP COLUMN auth_method;
    UPDATE users SET password_hash = '!' WHERE password_hash IS NULL;
    ALTER TABLE users ALTER COLUMN password_hash SET NOT NULL;
    ALTER TABLE users DROP COLUMN email_verified_at;
  `,
  )
}
