/** Response schema of `GET /admin/settings` (SPEC §6: the web app warns about a localhost PUBLIC_URL). */
import { z } from 'zod'

export const AdminSettings = z.object({
  publicUrl: z.string().describe('PUBLIC_URL: the base of every link, QR code and email the server hands out'),
  publicUrlIsLocal: z
    .boolean()
    .describe('True when PUBLIC_URL names this machine only (localhost, 127.0.0.0/8, ::1, 0.0.0.0): its links and QR codes do not open on another device'),
})
export type AdminSettings = z.infer<typeof AdminSettings>
