import { createHash } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { FIXTURES_DIR } from './helpers/fixtures.js'

/** The repository stands on its own: a fresh clone runs its tests, demo, bench and e2e. */

const ROOT = fileURLToPath(new URL('../', import.meta.url))
const THIS_FILE = fileURLToPath(import.meta.url)
const MANIFEST_FILE = path.join(FIXTURES_DIR, 'MANIFEST.json')

interface ManifestEntry {
  path: string
  source: string
  license: string
  sha256: string
}
const manifest = JSON.parse(readFileSync(MANIFEST_FILE, 'utf8')) as ManifestEntry[]

/** Every file under `dir`, as absolute paths, skipping directories for which `skip` holds. */
function filesUnder(dir: string, skip: (absDir: string) => boolean = () => false): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const abs = path.join(dir, e.name)
    if (e.isDirectory()) return skip(abs) ? [] : filesUnder(abs, skip)
    return e.isFile() ? [abs] : []
  })
}

describe('test/fixtures', () => {
  it('has a manifest entry with source, license and sha256 for every file, and nothing else', () => {
    expect(manifest.length).toBeGreaterThan(0)
    for (const entry of manifest) {
      expect(entry.path, entry.path).toMatch(/^[\w.-]+(\/[\w.-]+)*$/)
      expect(entry.path.split('/'), entry.path).not.toContain('..')
      expect(entry.source, entry.path).not.toBe('')
      expect(entry.license, entry.path).not.toBe('')
      expect(entry.sha256, entry.path).toMatch(/^[0-9a-f]{64}$/)
    }
    const listed = manifest.map((e) => e.path).sort()
    expect(new Set(listed).size).toBe(listed.length)
    const present = filesUnder(FIXTURES_DIR)
      .filter((f) => f !== MANIFEST_FILE)
      .map((f) => path.relative(FIXTURES_DIR, f).split(path.sep).join('/'))
      .sort()
    expect(present).toEqual(listed)
  })

  it('holds every listed file with the sha256 the manifest gives', () => {
    for (const entry of manifest) {
      const sha256 = createHash('sha256').update(readFileSync(path.join(FIXTURES_DIR, entry.path))).digest('hex')
      expect(sha256, entry.path).toBe(entry.sha256)
    }
  })
})

describe('no reference outside the repository', () => {
  const OUTSIDE = /\.\.\/shared|\/work\/shared/
  const SCANNED = ['src', 'test', 'scripts', 'bench', 'e2e']
  // Build output and third-party data are not our text: gitignored results, and the fixtures themselves.
  const IGNORED_DIRS = new Set(['node_modules', 'bench/results', 'e2e/screenshots', 'test-data'].map((d) => path.join(ROOT, d)))
  const fixtureData = new Set(manifest.map((e) => path.join(FIXTURES_DIR, e.path)))
  const skipDir = (abs: string) => IGNORED_DIRS.has(abs) || path.basename(abs) === 'node_modules'

  it(`no file under ${SCANNED.join('/, ')}/ mentions ../shared or /work/shared`, () => {
    const offenders: string[] = []
    for (const top of SCANNED) {
      for (const file of filesUnder(path.join(ROOT, top), skipDir)) {
        if (file === THIS_FILE || fixtureData.has(file)) continue
        let text = readFileSync(file, 'latin1')
        // The manifest's `source` fields name where each fixture came from; everything else counts.
        if (file === MANIFEST_FILE) text = JSON.stringify(manifest.map(({ source: _source, ...rest }) => rest))
        text.split('\n').forEach((line, i) => {
          if (OUTSIDE.test(line)) offenders.push(`${path.relative(ROOT, file)}:${i + 1}: ${line.trim()}`)
        })
      }
    }
    expect(offenders).toEqual([])
  })
})
