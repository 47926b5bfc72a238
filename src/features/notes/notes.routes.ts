/** HTTP routes of doctors' notes (SPEC §4.8). One service call per handler. */
import { userOf } from '../../app/actor-of.js'
import type { FeatureRoutes } from '../../app/deps.js'
import { Page, Problem } from '../../app/schemas.js'
import { CreateNoteBody, Note, NoteListQuery, NotesParams } from './notes.schema.js'
import { createNote, listNotes } from './notes.service.js'

const tags = ['notes']

/** Mounts `POST` (doctors) and `GET` (patients and doctors) `/patients/{pid}/notes`. */
export const notesRoutes: FeatureRoutes = async (app, { deps }) => {
  app.post('/patients/:pid/notes', {
    // Patients read notes but never write them: 403 for them (SPEC §3).
    config: { access: { roles: ['doctor'] } },
    schema: {
      tags,
      summary: 'Write a note about a patient (doctor with an approved consultation)',
      params: NotesParams,
      body: CreateNoteBody,
      response: { 201: Note, 400: Problem, 403: Problem, 404: Problem },
    },
  }, async (req, reply) => reply.code(201).send(await createNote(deps, userOf(req), req.params.pid, req.body)))

  app.get('/patients/:pid/notes', {
    config: { access: { roles: ['patient', 'doctor'] } },
    schema: {
      tags,
      summary: "Notes on a patient, newest first: a doctor's own, or those shared with the patient",
      params: NotesParams,
      querystring: NoteListQuery,
      response: { 200: Page(Note), 400: Problem, 403: Problem, 404: Problem },
    },
  }, async (req) => listNotes(deps, userOf(req), req.params.pid, req.query))
}
