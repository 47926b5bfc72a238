/**
 * Receiving a SMART Health Link (HL7 SHL IG STU1; SPEC §9): `{shlink, passcode?}` from this
 * or another CareLocker → the manifest, the encrypted files, their FHIR content → an import plan.
 */
import { UnsupportedMediaTypeError } from '../../../app/errors.js'
import type { Deps } from '../../../app/deps.js'
import type { ImportPlan, ParseOptions } from '../fhir-bundle.js'

/**
 * `request` is the JSON body the patient sent, `{shlink, passcode?}` (unvalidated: ValidationError
 * 400 naming the first problem). Fetches and decrypts the link's files and maps their FHIR content to an {@link ImportPlan}.
 * Throws ValidationError (400) for a malformed link, GoneError (410) for an expired or dead
 * one, UnauthorizedError (401) for a wrong passcode.
 */
export async function receiveSmartHealthLink(deps: Deps, request: unknown, options: ParseOptions = {}): Promise<ImportPlan> {
  void deps
  void request
  void options
  throw new UnsupportedMediaTypeError('SMART Health Link import is not available yet.')
}
