/**
 * `npm run admin -- create --email <email> --password <password> [--name <name>]`
 * Creates an active admin account in the configured database (same environment
 * variables as the server). Exits 1 with a message on bad input (the password policy of
 * SPEC §4.1 applies, see password-policy.ts) or when the email is taken.
 */
import { parseArgs } from 'node:util'
import { composeDeps } from '../app/compose.js'
import { loadConfig } from '../app/config.js'
import { Email } from '../features/accounts/accounts.schema.js'
import { ensureAdmin } from '../features/accounts/accounts.service.js'
import { checkPassword } from '../features/accounts/password-policy.js'

const USAGE = 'Usage: npm run admin -- create --email <email> --password <password> [--name <name>]'

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { email: { type: 'string' }, password: { type: 'string' }, name: { type: 'string' }, help: { type: 'boolean' } },
  })
  if (values.help || positionals[0] !== 'create') {
    console.log(USAGE)
    return values.help ? 0 : 1
  }
  const email = Email.safeParse(values.email)
  const password = values.password ?? ''
  const refusal = checkPassword(password, email.success ? email.data : undefined)
  if (!email.success || refusal) {
    console.error(`${!email.success ? 'A valid --email is required. ' : ''}${refusal ? `--password: ${refusal.message} (10–128 characters, not a common password, not the email)` : ''}`)
    console.error(USAGE)
    return 1
  }
  const composed = await composeDeps(loadConfig(process.env), { workers: false })
  try {
    const created = await ensureAdmin(composed.deps, email.data, password, values.name ?? 'Administrator')
    if (!created) {
      console.error(`An account with the email ${email.data} already exists; nothing changed.`)
      return 1
    }
    console.log(`Created admin ${email.data}.`)
    return 0
  } finally {
    await composed.close()
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err)
    process.exit(1)
  },
)
