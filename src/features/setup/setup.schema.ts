/** Request schema of the first-run setup (SPEC §1). The answer is accounts' `SessionReply`. */
import { z } from 'zod'
import { singleLine } from '../../app/schemas.js'
import { Email, Password } from '../accounts/accounts.schema.js'

export const SetupAdminBody = z
  .object({
    token: z.string().min(1).max(200).describe('The token after `#` in the setup link the server printed at start.'),
    email: Email,
    password: Password,
    name: singleLine(200).min(1),
  })
  .strict()
