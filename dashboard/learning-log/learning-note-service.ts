import { desc, eq, and, gte, lt, count } from 'drizzle-orm';
import type { Clock } from '../../server/clock.ts';
import type { Db } from '../../server/db/client.ts';
import { experimentArms, experiments, learningNotes, users } from '../../server/db/schema.ts';
import type { CurrentUser } from '../../server/auth/auth-service.ts';
import type { PageError } from '../page-context.ts';

export const MAX_NOTE_LENGTH = 1000;

export interface LearningNoteView {
  id: number;
  note: string;
  author: string;
  experiment: string | null;
  arm: string | null;
  createdAt: string;
}

const NI_NUMBER = /\b[A-CEGHJ-PR-TW-Z]{2}\s?\d{2}\s?\d{2}\s?\d{2}\s?[A-D]?\b/i;

/**
 * The team's daily learning log: short reflective notes, optionally tagged to
 * an experiment and arm, readable by the whole team and (text only) in the
 * weekly report. Notes must not identify anyone, so a note that contains a
 * contact reference or something shaped like a National Insurance number is refused.
 */
export function createLearningNoteService(db: Db, clock: Clock) {
  const referenceExists = db.$client.prepare('SELECT 1 FROM contacts WHERE reference = ? COLLATE NOCASE LIMIT 1');

  function identifiesSomeone(note: string): boolean {
    if (NI_NUMBER.test(note)) return true;
    const candidates = new Set((note.match(/[A-Za-z0-9-]{4,32}/g) ?? []).filter((token) => /\d/.test(token)));
    return [...candidates].some((token) => referenceExists.get(token) !== undefined);
  }

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
        errors.push({ field: 'note', message: 'Remove the person’s reference or National Insurance number: notes are shared with the whole team and in the weekly report' });
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

    /** Notes written in [from, to): text and tags only, for the weekly report. */
    between(from: Date, to: Date): { note: string; experiment: string | null; arm: string | null }[] {
      return select()
        .where(and(gte(learningNotes.createdAt, from.toISOString()), lt(learningNotes.createdAt, to.toISOString())))
        .orderBy(learningNotes.createdAt)
        .all()
        .map(({ note, experiment, arm }) => ({ note, experiment, arm }));
    },
  };
}

export type LearningNoteService = ReturnType<typeof createLearningNoteService>;
