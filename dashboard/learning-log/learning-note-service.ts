import { desc, eq, and, gte, lt, count } from 'drizzle-orm';
import type { Clock } from '../../server/clock.ts';
import type { Db } from '../../server/db/database.ts';
import { experimentArms, experiments, learningNotes, users } from '../../server/db/schema.ts';
import type { CurrentUser } from '../../server/auth/auth-service.ts';
import type { PageError } from '../page-context.ts';
import { containsIdentifier } from './disclosure-check.ts';

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
 * Finds a contact reference however it was written: compared without case,
 * spaces, dashes or dots, through the contacts_reference_compact_idx index.
 */
export function contactReferenceLookup(db: Db): (compact: string) => boolean {
  const exists = db.$client.prepare("SELECT 1 FROM contacts WHERE replace(upper(reference), '-', '') = ? LIMIT 1");
  return (compact) => exists.get(compact) !== undefined;
}

/**
 * The team's daily learning log: short reflective notes, optionally tagged to
 * an experiment and arm, readable by the whole team. Ministers never see notes:
 * analysts write an approved weekly summary from them (docs/decisions/0027).
 * Notes must not identify anyone, so a note that contains a contact reference
 * or something shaped like a National Insurance number, however spaced, is refused.
 */
export function createLearningNoteService(db: Db, clock: Clock) {
  const isContactReference = contactReferenceLookup(db);
  const identifiesSomeone = (note: string) => containsIdentifier(note, isContactReference);

  const select = () =>
    db
      .select({
        id: learningNotes.id,
        note: learningNotes.note,
        author: users.displayName,
        experiment: experiments.name,
        arm: experimentArms.name,
        createdAt: learningNotes.createdAt,
      })
      .from(learningNotes)
      .innerJoin(users, eq(users.id, learningNotes.authorId))
      .leftJoin(experiments, eq(experiments.id, learningNotes.experimentId))
      .leftJoin(experimentArms, eq(experimentArms.id, learningNotes.armId));

  return {
    /** Checks and adds a note; returns field errors (named after the form's fields) instead of throwing. */
    add(user: CurrentUser, input: { note: string; tag: string }): { note: LearningNoteView | null; errors: PageError[] } {
      const errors: PageError[] = [];
      const note = input.note.trim();
      if (!note) errors.push({ field: 'note', message: 'Enter your note' });
      else if (note.length > MAX_NOTE_LENGTH) errors.push({ field: 'note', message: `Notes must be ${MAX_NOTE_LENGTH.toLocaleString('en-GB')} characters or fewer` });
      else if (identifiesSomeone(note))
        errors.push({ field: 'note', message: 'Remove the person’s reference or National Insurance number: notes are shared with the whole team' });
      let experimentId: number | null = null;
      let armId: number | null = null;
      if (input.tag) {
        const [experimentKey, armKey] = input.tag.split('/');
        const experiment = db.select({ id: experiments.id }).from(experiments).where(eq(experiments.key, experimentKey)).get();
        const arm = experiment && armKey ? db.select({ id: experimentArms.id }).from(experimentArms).where(and(eq(experimentArms.experimentId, experiment.id), eq(experimentArms.key, armKey))).get() : undefined;
        if (!experiment || (armKey && !arm)) errors.push({ field: 'tag', message: 'Select an experiment and arm from the list' });
        experimentId = experiment?.id ?? null;
        armId = arm?.id ?? null;
      }
      if (errors.length) return { note: null, errors };
      const row = db
        .insert(learningNotes)
        .values({ authorId: user.id, note, experimentId, armId, createdAt: clock.now().toISOString() })
        .returning({ id: learningNotes.id })
        .get();
      return { note: select().where(eq(learningNotes.id, row.id)).get()!, errors: [] };
    },

    list(options: { limit: number; offset: number }): { notes: LearningNoteView[]; total: number } {
      const notes = select().orderBy(desc(learningNotes.createdAt), desc(learningNotes.id)).limit(options.limit).offset(options.offset).all();
      const total = db.select({ n: count() }).from(learningNotes).get()!.n;
      return { notes, total };
    },

    /** Notes written in [from, to), oldest first: for the analyst writing that week's learning summary. */
    between(from: Date, to: Date): LearningNoteView[] {
      return select()
        .where(and(gte(learningNotes.createdAt, from.toISOString()), lt(learningNotes.createdAt, to.toISOString())))
        .orderBy(learningNotes.createdAt, learningNotes.id)
        .all();
    },
  };
}

export type LearningNoteService = ReturnType<typeof createLearningNoteService>;
