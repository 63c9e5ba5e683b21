import type { Clock } from '../../server/clock.ts';
import type { Db } from '../../server/db/database.ts';
import type { CurrentUser } from '../../server/auth/auth-service.ts';
import { createExperimentStore } from '../../experiments/experiment/experiment-store.ts';
import type { PageError } from '../page-context.ts';
import { containsIdentifier, referenceCandidates } from './disclosure-check.ts';
import { createDisclosureReadModel } from './disclosure-read-model.ts';
import { createLearningNoteReadModel } from './learning-note-read-model.ts';
import { createLearningNoteStore } from './learning-note-store.ts';

export const MAX_NOTE_LENGTH = 1000;

export interface LearningNoteView {
  id: number;
  note: string;
  author: string;
  experiment: string | null;
  arm: string | null;
  createdAt: string;
}

/**
 * Which of the ways a text could hold a contact reference are real ones (one
 * query), as the synchronous check `checkDisclosure` and `containsIdentifier` take.
 */
export async function contactReferencesIn(db: Db, text: string): Promise<(compact: string) => boolean> {
  const candidates = [...new Set(referenceCandidates(text).map((c) => c.compact))];
  if (candidates.length === 0) return () => false;
  const found = await createDisclosureReadModel(db).contactReferencesAmong(candidates);
  return (compact) => found.has(compact);
}

/**
 * The team's daily learning log: short reflective notes, optionally tagged to
 * an experiment and arm, readable by the whole team. Ministers never see notes:
 * analysts write an approved weekly summary from them (docs/decisions/0027).
 * Notes must not identify anyone, so a note that contains a contact reference
 * or something shaped like a National Insurance number, however spaced, is refused.
 */
export function createLearningNoteService(db: Db, clock: Clock) {
  const store = createLearningNoteStore(db);
  const notes = createLearningNoteReadModel(db);
  const experiments = createExperimentStore(db);
  const identifiesSomeone = async (note: string) => containsIdentifier(note, await contactReferencesIn(db, note));

  return {
    /** Checks and adds a note; returns field errors (named after the form's fields) instead of throwing. */
    async add(user: CurrentUser, input: { note: string; tag: string }): Promise<{ note: LearningNoteView | null; errors: PageError[] }> {
      const errors: PageError[] = [];
      const note = input.note.trim();
      if (!note) errors.push({ field: 'note', message: 'Enter your note' });
      else if (note.length > MAX_NOTE_LENGTH) errors.push({ field: 'note', message: `Notes must be ${MAX_NOTE_LENGTH.toLocaleString('en-GB')} characters or fewer` });
      else if (await identifiesSomeone(note))
        errors.push({ field: 'note', message: 'Remove the person’s reference or National Insurance number: notes are shared with the whole team' });
      let experimentId: number | null = null;
      let armId: number | null = null;
      if (input.tag) {
        const [experimentKey, armKey] = input.tag.split('/');
        experimentId = await experiments.idByKey(experimentKey);
        armId = experimentId !== null && armKey ? await experiments.armIdByKey(experimentId, armKey) : null;
        if (experimentId === null || (armKey && armId === null)) errors.push({ field: 'tag', message: 'Select an experiment and arm from the list' });
      }
      if (errors.length) return { note: null, errors };
      const id = await store.add(user.id, note, experimentId, armId, clock.now().toISOString());
      return { note: (await notes.byId(id))!, errors: [] };
    },

    async list(options: { limit: number; offset: number }): Promise<{ notes: LearningNoteView[]; total: number }> {
      const page = await notes.page(options.limit, options.offset);
      const total = await store.count();
      return { notes: page, total };
    },

    /** Notes written in [from, to), oldest first: for the analyst writing that week's learning summary. */
    async between(from: Date, to: Date): Promise<LearningNoteView[]> {
      return notes.between(from.toISOString(), to.toISOString());
    },
  };
}

export type LearningNoteService = ReturnType<typeof createLearningNoteService>;
