/**
 * The committed web API types (`web/src/api/schema.gen.ts`) match the server's OpenAPI
 * document (STYLE §9): a route schema changed without `npm run gen:api` fails here.
 */
import { readFile } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'
import { renderApiTypes, SCHEMA_FILE } from '../scripts/gen-api.js'

describe('web API types', () => {
  it('web/src/api/schema.gen.ts is what npm run gen:api writes for the current server', async () => {
    const [expected, committed] = await Promise.all([renderApiTypes(), readFile(SCHEMA_FILE, 'utf8').catch(() => '')])
    if (committed !== expected) {
      const a = committed.split('\n')
      const b = expected.split('\n')
      const line = b.findIndex((l, i) => l !== a[i])
      expect.fail(
        `web/src/api/schema.gen.ts is stale: run npm run gen:api and commit it (first difference at line ${line + 1}: ` +
          `committed ${JSON.stringify(a[line] ?? '<end of file>')}, expected ${JSON.stringify(b[line] ?? '<end of file>')})`,
      )
    }
    expect(committed).toBe(expected)
  })
})
