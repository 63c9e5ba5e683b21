import type { Clock } from '../../server/clock.ts';
import type { Db } from '../../server/db/database.ts';
import { dialectSql } from '../../server/db/dialect-sql.ts';
import type { CurrentUser } from '../../server/auth/auth-service.ts';
import type { PageError } from '../page-context.ts';
import { containsIdentifier, referenceCandidates } from './disclosure-check.ts';

export const MAX_NOTE_LENGTH = 1000;

export interface LearningNoteView {
  id: number;
  note: string;
  author: string;
  experiment: string | null;
  arm: string | null;
  createdAt: string;
}

// Compared through the contacts_reference_compact_idx index on this expression.
const COMPACT_REFERENCE = "replace(upper(reference), '-', '')";
const REFERENCE_EXISTS = `SELECT 1 AS found FROM contacts WHERE ${COMPACT_REFERENCE} = ? LIMIT 1`;

/**
 * Which of the ways a text could hold a contact reference are real ones (one
 * query), as the synchronous check `checkDisclosure` and `containsIdentifier` take.
 */
export async function contactReferencesIn(db: Db, text: string): Promise<(compact: string) => boolean> {
  const candidates = [...new Set(referenceCandidates(text).map((c) => c.compact))];
  if (candidates.length === 0) return () => false;
  const rows = await db.all<{ compact: string }>(
    `SELECT DISTINCT ${COMPACT_REFERENCE} AS compact FROM contacts WHERE ${COMPACT_REFERENCE} IN ${dialectSql(db.dialect).jsonList('text')}`,
    [JSON.stringify(candidates)],
  );
  const found = new Set(rows.map((row) => row.compact));
  return (compact) => found.has(compact);
}

const SELECT_NOTES = `
  SELECT n.id AS id, n.note AS note, u.display_name AS author, e.name AS experiment, a.name AS arm, n.created_at AS "createdAt"
  FROM learning_notes n
  JOIN users u ON u.id = n.author_id
  LEFT JOIN experiments e ON e.id = n.experiment_id
  LEFT JOIN experiment_arms a ON a.id = n.arm_id`;
const NOTE_BY_ID = `${SELECT_NOTES} WHERE n.id = ?`;
const NOTES_PAGE = `${SELECT_NOTES} ORDER BY n.created_at DESC, n.id DESC LIMIT ? OFFSET ?`;
const NOTES_BETWEEN = `${SELECT_NOTES} WHERE n.created_at >= ? AND n.created_at < ? ORDER BY n.created_at, n.id`;
const NOTE_COUNT = 'SELECT COUNT(*) AS n FROM learning_notes';
const EXPERIMENT_BY_KEY = 'SELECT id FROM experiments WHERE key = ?';
const ARM_BY_KEY = 'SELECT id FROM experiment_arms WHERE experiment_id = ? AND key = ?';
const ADD_NOTE = 'INSERT INTO learning_notes (author_id, note, experiment_id, arm_id, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id';

/**
 * The team's daily learning log: short reflective notes, optionally tagged to
 * an experiment and arm, readable by the whole team. Ministers never see notes:
 * analysts write an approved weekly summary from them (docs/decisions/0027).
 * Notes must not identify anyone, so a note that contains a contact reference
 * or something shaped like a National Insurance number, however spaced, is refused.
 */
export function createLearningNoteService(db: Db, clock: Clock) {
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
        const experiment = await db.get<{ id: number }>(EXPERIMENT_BY_KEY, [experimentKey]);
        const arm = experiment && armKey ? await db.get<{ id: number }>(ARM_BY_KEY, [experiment.id, armKey]) : undefined;
        if (!experiment || (armKey && !arm)) errors.push({ field: 'tag', message: 'Select an experiment and arm from the list' });
        experimentId = experiment?.id ?? null;
        armId = arm?.id ?? null;
      }
      if (errors.length) return { note: null, errors };
      const row = (await db.get<{ id: number }>(ADD_NOTE, [user.id, note, experimentId, armId, clock.now().toISOString()]))!;
      return { note: (await db.get<LearningNoteView>(NOTE_BY_ID, [row.id]))!, errors: [] };
    },

    async list(options: { limit: number; offset: number }): Promise<{ notes: LearningNoteView[]; total: number }> {
      const notes = await db.all<LearningNoteView>(NOTES_PAGE, [options.limit, options.offset]);
      const total = (await db.get<{ n: number }>(NOTE_COUNT))!.n;
      return { notes, total };
    },

    /** Notes written in [from, to), oldest first: for the analyst writing that week's learning summary. */
    async between(from: Date, to: Date): Promise<LearningNoteView[]> {
      return db.all<LearningNoteView>(NOTES_BETWEEN, [from.toISOString(), to.toISOString()]);
    },
  };
}

export type LearningNoteService = ReturnType<typeof createLearningNoteService>;
