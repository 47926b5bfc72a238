/**
 * The one place that reads `process.env` (STYLE §5). `loadConfig(env)` validates every
 * variable of SPEC §1 and §6 at once and throws a `ConfigError` listing each bad one;
 * secrets (`MASTER_KEY`, `JWT_SECRET`) come from the environment or, when unset, from
 * `$DATA_DIR/secrets.json` (see `secrets.ts`).
 */
import path from 'node:path'
import { z } from 'zod'
import { checkPassword } from '../features/accounts/password-policy.js'
import { fieldErrorsOf } from './field-errors.js'
import { parseSigningKey, parseVerifyKeys, type Ed25519Jwk, type Ed25519PrivateJwk } from './signing-keys.js'
import type { S3StoreConfig } from '../storage/s3-blob-store.js'
import type { Role } from '../db/schema.js'

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`)
    this.name = 'ConfigError'
  }
}

/**
 * `fn()`'s value, for a process entry point: a ConfigError (a bad setting, named, SPEC §1) is
 * printed without a stack trace and the process exits 1. Other errors propagate.
 */
export async function exitOnConfigError<T>(fn: () => T | Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err
    console.error(err.message)
    process.exit(1)
  }
}

const int = (def: number, min: number, max: number) => z.coerce.number().int().min(min).max(max).default(def)
const bool = (def: boolean) =>
  z
    .enum(['true', 'false', '1', '0'])
    .default(def ? 'true' : 'false')
    .transform((v) => v === 'true' || v === '1')
const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v === '' ? undefined : v))
const base64Key = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v === '' ? undefined : v))
  .refine((v) => v === undefined || Buffer.from(v, 'base64').length === 32, 'must be 32 bytes, base64-encoded')

const EnvSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: int(3000, 0, 65535),
  HOST: z.string().min(1).default('127.0.0.1'),
  PUBLIC_URL: z.url().optional(),
  DATA_DIR: z.string().min(1).default('./data'),
  DATABASE_URL: z
    .string()
    .optional()
    .transform((v) => (v === '' ? undefined : v))
    .refine((v) => v === undefined || v === 'memory://' || /^postgres(ql)?:\/\//.test(v), 'must be a postgres:// URL (or memory:// for an in-memory database)'),
  STORAGE: z.enum(['local', 's3']).default('local'),
  S3_ENDPOINT: optionalString.refine((v) => v === undefined || /^https?:\/\/[^/]/.test(v), 'must be an http(s):// URL'),
  S3_BUCKET: optionalString.refine(
    (v) => v === undefined || /^(?=.{3,63}$)[a-z0-9][a-z0-9.-]*[a-z0-9]$/.test(v),
    'must be a bucket name: 3–63 characters of a-z, 0-9, "." and "-", starting and ending with a letter or digit',
  ),
  S3_REGION: z.string().default('us-east-1'),
  S3_ACCESS_KEY_ID: optionalString,
  S3_SECRET_ACCESS_KEY: optionalString,
  S3_FORCE_PATH_STYLE: bool(true),
  MASTER_KEY: base64Key,
  MASTER_KEY_PREVIOUS: z
    .string()
    .optional()
    .transform((v) => (v ?? '').split(',').map((k) => k.trim()).filter((k) => k !== ''))
    .refine((keys) => keys.every((k) => Buffer.from(k, 'base64').length === 32), 'must be a comma-separated list of 32-byte keys, base64-encoded'),
  BACKUP_KEY: base64Key,
  JWT_SECRET: z
    .string()
    .optional()
    .transform((v) => (v === '' ? undefined : v))
    .refine((v) => v === undefined || v.length >= 32, 'must be at least 32 characters'),
  ADMIN_EMAIL: optionalString,
  ADMIN_PASSWORD: optionalString,
  SMTP_URL: optionalString,
  MAIL_FROM: z.string().default('CareLocker <no-reply@carelocker.local>'),
  SMS_PROVIDER: z.enum(['log', 'twilio']).default('log'),
  TWILIO_ACCOUNT_SID: optionalString,
  TWILIO_AUTH_TOKEN: optionalString,
  TWILIO_FROM: optionalString,
  TWILIO_API_URL: optionalString,
  JOB_POLL_INTERVAL_SECONDS: z.coerce.number().min(0.5).max(600).default(1),
  JOB_WORKERS: bool(true),
  JOB_RETRY_LIMIT: int(5, 3, 100),
  JOB_RETRY_DELAY_SECONDS: int(30, 1, 86_400),
  MAX_UPLOAD_MB: int(25, 1, 10_240),
  MAX_IMPORT_MB: int(50, 1, 1024),
  MAX_IMPORT_ARCHIVE_MB: int(4096, 1, 65_536),
  EMERGENCY_ALERT_COOLDOWN_MIN: int(15, 0, 10_080),
  LLM_BASE_URL: optionalString,
  LLM_API_KEY: optionalString,
  LLM_MODEL: optionalString,
  LLM_TIMEOUT_MS: int(15_000, 100, 300_000),
  REDIS_URL: optionalString,
  REDIS_KEY_PREFIX: z.string().default('carelocker:'),
  ORPHAN_SWEEP_AGE_MIN: int(60, 0, 525_600),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  RATE_LIMIT_LOGIN_PER_MIN: int(10, 1, 100_000),
  RATE_LIMIT_LOGIN_FAILURES_PER_15_MIN: int(10, 1, 1_000_000),
  RATE_LIMIT_LOGIN_FAILURES_PER_HOUR_IP: int(100, 1, 1_000_000),
  RATE_LIMIT_REGISTER_PER_HOUR: int(20, 1, 1_000_000),
  RATE_LIMIT_PASSWORD_RESET_PER_HOUR: int(5, 1, 1_000_000),
  RATE_LIMIT_PUBLIC_PER_MIN: int(60, 1, 1_000_000),
  RATE_LIMIT_PHARMACY_LOOKUP_PER_MIN: int(10, 1, 1_000_000),
  TRUST_PROXY: bool(false),
  PRESCRIPTION_SIGNING_KEY: optionalString,
  PRESCRIPTION_VERIFY_KEYS: optionalString,
  AUDIT_SIGNING_KEY: optionalString,
  AUDIT_VERIFY_KEYS: optionalString,
  METRICS_TOKEN: optionalString.refine((v) => v === undefined || v.length >= 16, 'must be at least 16 characters'),
  MFA_REQUIRED_ROLES: z
    .string()
    .default('doctor,pharmacist,admin')
    .transform((v) => v.split(',').map((r) => r.trim()).filter((r) => r !== ''))
    .pipe(z.array(z.enum(['patient', 'doctor', 'pharmacist', 'admin'], 'must be a comma-separated list of patient, doctor, pharmacist, admin'))),
  SESSION_IDLE_DAYS: z.coerce.number().positive().max(3650).default(30),
  SESSION_MAX_DAYS: z.coerce.number().positive().max(3650).default(90),
  OIDC_ISSUER: optionalString.refine((v) => v === undefined || /^https?:\/\/[^/]/.test(v), 'must be an http(s):// URL'),
  OIDC_CLIENT_ID: optionalString,
  OIDC_CLIENT_SECRET: optionalString,
  OIDC_NAME: z.string().min(1).max(60).default('OpenID Connect'),
})

/** SPEC §6. The two failure limits count only failed logins (see `RateLimiters.limitFailures`). */
export interface RateLimits {
  /** Login attempts per IP and email per minute, successes included. */
  loginPerMinute: number
  /** Failed logins per account (email) and IP per 15 minutes: guessing one account's password. */
  loginFailuresPer15MinutesPerAccountAndIp: number
  /** Failed logins per IP per hour, whatever the account: password spraying. */
  loginFailuresPerHourPerIp: number
  registerPerHour: number
  passwordResetPerHour: number
  publicPerMinute: number
  pharmacyLookupPerMinute: number
}

export interface Config {
  nodeEnv: 'development' | 'production' | 'test'
  port: number
  host: string
  publicUrl: string
  dataDir: string
  /** Unset: embedded PGlite in `$DATA_DIR/db`; `memory://` keeps PGlite in memory (tests). */
  databaseUrl: string | undefined
  storage: { driver: 'local'; dir: string } | ({ driver: 's3' } & S3StoreConfig)
  /** Set explicitly, or undefined to be filled from `$DATA_DIR/secrets.json`. */
  masterKey: Buffer | undefined
  /** Master keys that wrapped data keys before a rotation (SPEC §11): still accepted for reading, never for writing. */
  previousMasterKeys: Buffer[]
  /** Key of backup archives (SPEC §11); undefined: derived from the master key (see `src/ops/archive.ts`). */
  backupKey: Buffer | undefined
  jwtSecret: string | undefined
  /** Ed25519 private JWK signing prescription QR codes (SPEC §4.9); undefined: from `$DATA_DIR/secrets.json`. */
  prescriptionSigningKey: Ed25519PrivateJwk | undefined
  /** Retired public keys whose QR codes still verify (key rotation). */
  prescriptionVerifyKeys: Ed25519Jwk[]
  /** Ed25519 private JWK signing audit tree heads (SPEC §4.7); undefined: from `$DATA_DIR/secrets.json`. */
  auditSigningKey: Ed25519PrivateJwk | undefined
  /** Retired public keys of tree heads, still published in `/audit/keys` (key rotation). */
  auditVerifyKeys: Ed25519Jwk[]
  admin: { email: string; password: string } | undefined
  mail: { smtpUrl: string | undefined; from: string }
  sms:
    | { provider: 'log' }
    | { provider: 'twilio'; accountSid: string; authToken: string; from: string; apiUrl: string }
  /**
   * Job queue (SPEC §5, §11): worker poll interval, retries after the first try, first retry
   * delay (doubles); `workers` false: this node runs no job workers nor the audit sealer.
   */
  jobs: { pollIntervalSeconds: number; retryLimit: number; retryDelaySeconds: number; workers: boolean }
  maxUploadBytes: number
  maxImportBytes: number
  /** Largest Apple Health export (`export.xml` or its `.zip`) the import streams (SPEC §9). */
  maxImportArchiveBytes: number
  emergencyAlertCooldownMinutes: number
  /** Optional OpenAI-compatible chat-completions endpoint for summaries (SPEC §4.8); `timeoutMs` bounds each call. */
  llm: { baseUrl: string; apiKey: string | undefined; model: string; timeoutMs: number } | undefined
  redisUrl: string | undefined
  /** Prefix of every Redis key this server writes (several lockers or test runs may share one Redis). */
  redisKeyPrefix: string
  /** A blob with no record row is removed by the orphan sweeper once older than this (SPEC §11); 0: at once (tests). */
  orphanSweepAgeMinutes: number
  logLevel: string
  rateLimits: RateLimits
  trustProxy: boolean
  /** Bearer token of `GET /metrics` (SPEC §11); undefined: the route does not exist. */
  metricsToken: string | undefined
  /** Roles that must enrol a second factor before using anything but the account routes (SPEC §8 `MFA_REQUIRED_ROLES`). */
  mfaRequiredRoles: readonly Role[]
  /** Session lifetimes in days (SPEC §8): ended after `idleDays` without a refresh, and `maxDays` after sign-in. */
  sessions: { idleDays: number; maxDays: number }
  /** Sign-in with an OpenID Connect provider (SPEC §8); undefined: not offered. `clientSecret` undefined: a public client (PKCE only). */
  oidc: { issuer: string; clientId: string; clientSecret: string | undefined; name: string } | undefined
}

/** A Config whose secrets are resolved (see `resolveSecrets`). */
export type ResolvedConfig = Config & { masterKey: Buffer; jwtSecret: string; prescriptionSigningKey: Ed25519PrivateJwk; auditSigningKey: Ed25519PrivateJwk }

/**
 * Parses and validates the environment (SPEC §1). Throws `ConfigError` naming every
 * invalid variable at once. Pure: reads nothing but `env`.
 */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const parsed = EnvSchema.safeParse(env)
  const problems: string[] = []
  if (!parsed.success) {
    // Each variable by its name: a top-level key, so its pointer `/NAME` less the slash.
    for (const e of fieldErrorsOf(parsed.error.issues)) problems.push(`${e.path.slice(1)}: ${e.message}`)
    throw new ConfigError(problems)
  }
  const e = parsed.data
  if (e.STORAGE === 's3' && !e.S3_BUCKET) problems.push('S3_BUCKET: required when STORAGE=s3')
  if (e.SMS_PROVIDER === 'twilio') {
    for (const k of ['TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN', 'TWILIO_FROM'] as const) {
      if (!e[k]) problems.push(`${k}: required when SMS_PROVIDER=twilio`)
    }
    if (e.TWILIO_ACCOUNT_SID && !e.TWILIO_ACCOUNT_SID.startsWith('AC')) problems.push('TWILIO_ACCOUNT_SID: must start with AC')
    if (e.TWILIO_API_URL && !URL.canParse(e.TWILIO_API_URL)) problems.push('TWILIO_API_URL: must be a URL')
  }
  if ((e.ADMIN_EMAIL === undefined) !== (e.ADMIN_PASSWORD === undefined)) {
    problems.push('ADMIN_EMAIL/ADMIN_PASSWORD: set both or neither')
  }
  const adminPasswordRefusal = e.ADMIN_PASSWORD !== undefined ? checkPassword(e.ADMIN_PASSWORD, e.ADMIN_EMAIL) : undefined
  if (adminPasswordRefusal) problems.push(`ADMIN_PASSWORD: ${adminPasswordRefusal.message} (10–128 characters, not a common password, not the email)`)
  if ((e.OIDC_ISSUER === undefined) !== (e.OIDC_CLIENT_ID === undefined)) problems.push('OIDC_ISSUER/OIDC_CLIENT_ID: set both or neither')
  if (e.SESSION_IDLE_DAYS > e.SESSION_MAX_DAYS) problems.push('SESSION_IDLE_DAYS: must not exceed SESSION_MAX_DAYS')
  if (e.LLM_BASE_URL && !e.LLM_MODEL) problems.push('LLM_MODEL: required when LLM_BASE_URL is set')
  if (e.LLM_BASE_URL && !/^https?:\/\//.test(e.LLM_BASE_URL)) problems.push('LLM_BASE_URL: must be an http(s):// URL')
  if (e.NODE_ENV === 'production') {
    if (!e.MASTER_KEY) problems.push('MASTER_KEY: must be set explicitly when NODE_ENV=production')
    if (!e.JWT_SECRET) problems.push('JWT_SECRET: must be set explicitly when NODE_ENV=production')
    if (!e.PRESCRIPTION_SIGNING_KEY) problems.push('PRESCRIPTION_SIGNING_KEY: must be set explicitly when NODE_ENV=production')
    if (!e.AUDIT_SIGNING_KEY) problems.push('AUDIT_SIGNING_KEY: must be set explicitly when NODE_ENV=production')
  }
  const keys = (name: string, json: string | undefined, parse: (json: string) => Ed25519Jwk[]): Ed25519Jwk[] => {
    try {
      return json ? parse(json) : []
    } catch (err) {
      problems.push(`${name}: ${(err as Error).message}`)
      return []
    }
  }
  const signingKey = (name: string, json: string | undefined) => keys(name, json, (j) => [parseSigningKey(j)])[0] as Ed25519PrivateJwk | undefined
  const prescriptionSigningKey = signingKey('PRESCRIPTION_SIGNING_KEY', e.PRESCRIPTION_SIGNING_KEY)
  const prescriptionVerifyKeys = keys('PRESCRIPTION_VERIFY_KEYS', e.PRESCRIPTION_VERIFY_KEYS, parseVerifyKeys)
  const auditSigningKey = signingKey('AUDIT_SIGNING_KEY', e.AUDIT_SIGNING_KEY)
  const auditVerifyKeys = keys('AUDIT_VERIFY_KEYS', e.AUDIT_VERIFY_KEYS, parseVerifyKeys)
  if (problems.length > 0) throw new ConfigError(problems)

  const dataDir = path.resolve(e.DATA_DIR)
  return Object.freeze({
    nodeEnv: e.NODE_ENV,
    port: e.PORT,
    host: e.HOST,
    publicUrl: (e.PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, ''),
    dataDir,
    databaseUrl: e.DATABASE_URL,
    storage:
      e.STORAGE === 'local'
        ? { driver: 'local' as const, dir: path.join(dataDir, 'blobs') }
        : {
            driver: 's3' as const,
            endpoint: e.S3_ENDPOINT,
            bucket: e.S3_BUCKET as string,
            region: e.S3_REGION,
            accessKeyId: e.S3_ACCESS_KEY_ID,
            secretAccessKey: e.S3_SECRET_ACCESS_KEY,
            forcePathStyle: e.S3_FORCE_PATH_STYLE,
          },
    masterKey: e.MASTER_KEY ? Buffer.from(e.MASTER_KEY, 'base64') : undefined,
    previousMasterKeys: e.MASTER_KEY_PREVIOUS.map((k) => Buffer.from(k, 'base64')),
    backupKey: e.BACKUP_KEY ? Buffer.from(e.BACKUP_KEY, 'base64') : undefined,
    jwtSecret: e.JWT_SECRET,
    prescriptionSigningKey,
    prescriptionVerifyKeys,
    auditSigningKey,
    auditVerifyKeys,
    admin: e.ADMIN_EMAIL && e.ADMIN_PASSWORD ? { email: e.ADMIN_EMAIL, password: e.ADMIN_PASSWORD } : undefined,
    mail: { smtpUrl: e.SMTP_URL, from: e.MAIL_FROM },
    sms:
      e.SMS_PROVIDER === 'twilio'
        ? {
            provider: 'twilio' as const,
            accountSid: e.TWILIO_ACCOUNT_SID as string,
            authToken: e.TWILIO_AUTH_TOKEN as string,
            from: e.TWILIO_FROM as string,
            apiUrl: e.TWILIO_API_URL ?? 'https://api.twilio.com',
          }
        : { provider: 'log' as const },
    jobs: {
      pollIntervalSeconds: e.JOB_POLL_INTERVAL_SECONDS,
      retryLimit: e.JOB_RETRY_LIMIT,
      retryDelaySeconds: e.JOB_RETRY_DELAY_SECONDS,
      workers: e.JOB_WORKERS,
    },
    maxUploadBytes: e.MAX_UPLOAD_MB * 1024 * 1024,
    maxImportBytes: e.MAX_IMPORT_MB * 1024 * 1024,
    maxImportArchiveBytes: e.MAX_IMPORT_ARCHIVE_MB * 1024 * 1024,
    emergencyAlertCooldownMinutes: e.EMERGENCY_ALERT_COOLDOWN_MIN,
    llm: e.LLM_BASE_URL && e.LLM_MODEL ? { baseUrl: e.LLM_BASE_URL, apiKey: e.LLM_API_KEY, model: e.LLM_MODEL, timeoutMs: e.LLM_TIMEOUT_MS } : undefined,
    redisUrl: e.REDIS_URL,
    redisKeyPrefix: e.REDIS_KEY_PREFIX,
    orphanSweepAgeMinutes: e.ORPHAN_SWEEP_AGE_MIN,
    logLevel: e.LOG_LEVEL,
    rateLimits: {
      loginPerMinute: e.RATE_LIMIT_LOGIN_PER_MIN,
      loginFailuresPer15MinutesPerAccountAndIp: e.RATE_LIMIT_LOGIN_FAILURES_PER_15_MIN,
      loginFailuresPerHourPerIp: e.RATE_LIMIT_LOGIN_FAILURES_PER_HOUR_IP,
      registerPerHour: e.RATE_LIMIT_REGISTER_PER_HOUR,
      passwordResetPerHour: e.RATE_LIMIT_PASSWORD_RESET_PER_HOUR,
      publicPerMinute: e.RATE_LIMIT_PUBLIC_PER_MIN,
      pharmacyLookupPerMinute: e.RATE_LIMIT_PHARMACY_LOOKUP_PER_MIN,
    },
    trustProxy: e.TRUST_PROXY,
    metricsToken: e.METRICS_TOKEN,
    mfaRequiredRoles: [...new Set(e.MFA_REQUIRED_ROLES)],
    sessions: { idleDays: e.SESSION_IDLE_DAYS, maxDays: e.SESSION_MAX_DAYS },
    oidc:
      e.OIDC_ISSUER && e.OIDC_CLIENT_ID
        ? { issuer: e.OIDC_ISSUER, clientId: e.OIDC_CLIENT_ID, clientSecret: e.OIDC_CLIENT_SECRET, name: e.OIDC_NAME }
        : undefined,
  })
}
