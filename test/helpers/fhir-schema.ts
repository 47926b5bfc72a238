/**
 * Validation against the official FHIR R4 JSON schema (test/fixtures/schema/fhir.schema.json,
 * draft-06) with ajv. The schema is large: call `fhirValidator()` once per test file.
 */
import { readFileSync } from 'node:fs'
import AjvModule from 'ajv'
import draft06 from 'ajv/dist/refs/json-schema-draft-06.json' with { type: 'json' }
import { fixturePath } from './fixtures.js'

const Ajv = ((AjvModule as unknown as { default?: unknown }).default ?? AjvModule) as typeof AjvModule.default

/** A validator of any FHIR R4 resource: returns the schema errors as text, `[]` when valid. */
export function fhirValidator(): (resource: unknown) => string[] {
  const ajv = new Ajv({ strict: false, allErrors: false })
  ajv.addMetaSchema(draft06)
  // The file names itself with draft-04's `id`; ajv wants `$id`. `discriminator` is OpenAPI's, not JSON Schema's.
  const { id, discriminator: _discriminator, ...schema } = JSON.parse(readFileSync(fixturePath('schema/fhir.schema.json'), 'utf8')) as Record<string, unknown>
  const validate = ajv.compile({ ...schema, $id: id as string })
  return (resource) => {
    if (validate(resource)) return []
    return (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''}`)
  }
}
