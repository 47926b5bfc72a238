/**
 * The ordered list of migrations, applied by Kysely's Migrator at start on both engines
 * (PGlite and PostgreSQL ≥ 15). Add a file `NNNN-name.ts` and list it here; never edit a
 * migration that has landed.
 */
import type { Migration, MigrationProvider } from 'kysely'
import * as m0001 from './0001-initial.js'
import * as m0002 from './0002-audit.js'
import * as m0003 from './0003-share-links.js'
import * as m0004 from './0004-emergency-access.js'
import * as m0005 from './0005-password-reset.js'
import * as m0006 from './0006-notes.js'
import * as m0007 from './0007-vitals.js'
import * as m0008 from './0008-prescriptions.js'
import * as m0009 from './0009-emergency-alert-limits.js'
import * as m0010 from './0010-emergency-card.js'
import * as m0011 from './0011-allergy-safety.js'
import * as m0012 from './0012-account-verification.js'
import * as m0013 from './0013-setup-tokens.js'
import * as m0014 from './0014-audit-merkle-tree.js'
import * as m0015 from './0015-cache-invalidation.js'
import * as m0016 from './0016-prescription-cache.js'
import * as m0017 from './0017-accounts-trust.js'
import * as m0018 from './0018-lab-results.js'
import * as m0019 from './0019-smart-health-links.js'
import * as m0020 from './0020-patient-exports.js'
import * as m0021 from './0021-care-coordination.js'
import * as m0023 from './0023-appointment-sequence.js'
import * as m0024 from './0024-appointment-overlap.js'

const migrations: Record<string, Migration> = {
  '0001-initial': m0001,
  '0002-audit': m0002,
  '0003-share-links': m0003,
  '0004-emergency-access': m0004,
  '0005-password-reset': m0005,
  '0006-notes': m0006,
  '0007-vitals': m0007,
  '0008-prescriptions': m0008,
  '0009-emergency-alert-limits': m0009,
  '0010-emergency-card': m0010,
  '0011-allergy-safety': m0011,
  '0012-account-verification': m0012,
  '0013-setup-tokens': m0013,
  '0014-audit-merkle-tree': m0014,
  '0015-cache-invalidation': m0015,
  '0016-prescription-cache': m0016,
  '0017-accounts-trust': m0017,
  '0018-lab-results': m0018,
  '0019-smart-health-links': m0019,
  '0020-patient-exports': m0020,
  '0021-care-coordination': m0021,
  '0023-appointment-sequence': m0023,
  '0024-appointment-overlap': m0024,
}

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => migrations,
}
