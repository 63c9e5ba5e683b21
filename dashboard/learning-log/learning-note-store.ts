import type { Db } from '../../server/db/database.ts';

const ADD_NOTE = 'INSERT INTO learning_notes (author_id, note, experiment_id, arm_id, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id';
const NOTE_COUNT = 'SELECT COUNT(*) AS n FROM learning_notes';

/** Plain reads and writes on learning_notes. Notes are only ever added. */
export function createLearningNoteStore(db: Db) {
  return {
    /** The new note's id. */
    async add(authorId: number, note: string, experimentId: number | null, armId: number | null, at: string): Promise<number> {
      return (await db.get<{ id: number }>(ADD_NOTE, [authorId, note, experimentId, armId, at]))!.id;
    },
    async count(): Promise<number> {
      return (await db.get<{ n: number }>(NOTE_COUNT))!.n;
    },
  };
}

export type LearningNoteStore = ReturnType<typeof createLearningNoteStore>;
