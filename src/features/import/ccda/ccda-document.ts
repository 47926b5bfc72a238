/**
 * HL7 C-CDA R2.1 document → import plan (SPEC §9): allergies, problems, medications, vital
 * signs and results, by section and entry template id, and the document itself kept as a
 * record. Pure: no database, no HTTP.
 */
import { UnsupportedMediaTypeError } from '../../../app/errors.js'
import type { ImportPlan, ParseOptions } from '../fhir-bundle.js'

/**
 * Parses the C-CDA document `xml` into an {@link ImportPlan}. Throws ValidationError (400)
 * naming the first problem of a malformed document.
 */
export function parseCcdaDocument(xml: string, options: ParseOptions = {}): ImportPlan {
  void xml
  void options
  throw new UnsupportedMediaTypeError('C-CDA import is not available yet.')
}
