import type { Db } from '../../server/db/database.ts';
import type { LearningNoteView } from './learning-note-service.ts';

const SELECT_NOTES = `
  SELECT n.id AS id, n.note AS note, u.display_name AS author, e.name AS experiment, a.name AS arm, n.created_at AS "createdAt"
  FROM learning_notes n
  JOIN users u ON u.id = n.author_id
  LEFT JOIN experiments e ON e.id = n.experiment_id
  LEFT JOIN experiment_arms a ON a.id = n.arm_id`;
const NOTE_BY_ID = `${SELECT_NOTES} WHERE n.id = ?`;
const NOTES_PAGE = `${SELECT_NOTES} ORDER BY n.created_at DESC, n.id DESC LIMIT ? OFFSET ?`;
const NOTES_BETWEEN = `${SELECT_NOTES} WHERE n.created_at >= ? AND n.created_at < ? ORDER BY n.created_at, n.id`;

/**
 * Learning notes as the log and the weekly summary page show them: with the
 * author's name and the names of the experiment and arm they are tagged to.
 */
export function createLearningNoteReadModel(db: Db) {
  return {
    byId(id: number): Promise<LearningNoteView | undefined> {
      return db.get<LearningNoteView>(NOTE_BY_ID, [id]);
    },
    /** Newest first. */
    page(limit: number, offset: number): Promise<LearningNoteView[]> {
      return db.all<LearningNoteView>(NOTES_PAGE, [limit, offset]);
    },
    /** Notes written in [from, to), oldest first. */
    between(from: string, to: string): Promise<LearningNoteView[]> {
      return db.all<LearningNoteView>(NOTES_BETWEEN, [from, to]);
    },
  };
}

export type LearningNoteReadModel = ReturnType<typeof createLearningNoteReadModel>;
