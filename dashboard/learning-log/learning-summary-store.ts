import type { Db } from '../../server/db/database.ts';
import type { ApprovedLearning, LearningSummary } from './learning-summary-service.ts';

export type LearningSummaryRow = Omit<LearningSummary, 'approved'>;
export type LearningApprovalRow = ApprovedLearning & { approvedBy: number; approvedByName: string };

const LATEST_APPROVAL = `
  SELECT l.text AS text, l.approved_at AS "approvedAt", l.approved_by AS "approvedBy", u.display_name AS "approvedByName"
  FROM learning_summary_approvals l JOIN users u ON u.id = l.approved_by
  WHERE l.summary_id = ? ORDER BY l.id DESC LIMIT 1`;
const SUMMARY_BY_WEEK = `
  SELECT s.id AS id, s.week_ending AS "weekEnding", s.text AS text, s.status AS status, s.created_by AS "createdBy",
    s.updated_by AS "updatedBy", updater.display_name AS "updatedByName", s.created_at AS "createdAt", s.updated_at AS "updatedAt"
  FROM learning_summaries s JOIN users updater ON updater.id = s.updated_by
  WHERE s.week_ending = ?`;
const UPDATE_DRAFT = "UPDATE learning_summaries SET text = ?, status = 'draft', updated_by = ?, updated_at = ? WHERE id = ?";
const INSERT_DRAFT = `
  INSERT INTO learning_summaries (week_ending, text, status, created_by, updated_by, created_at, updated_at)
  VALUES (?, ?, 'draft', ?, ?, ?, ?)`;
const INSERT_APPROVAL = 'INSERT INTO learning_summary_approvals (summary_id, text, approved_by, approved_at) VALUES (?, ?, ?, ?)';
const MARK_APPROVED = "UPDATE learning_summaries SET status = 'approved', approved_by = ?, approved_at = ? WHERE id = ?";
const SUMMARY_ID = 'SELECT id FROM learning_summaries WHERE week_ending = ?';
const LIST = `
  SELECT week_ending AS "weekEnding", status, updated_at AS "updatedAt", approved_at AS "approvedAt"
  FROM learning_summaries ORDER BY week_ending DESC`;

/**
 * Plain reads and writes on learning_summaries (one row a week) and
 * learning_summary_approvals (every approval, never changed). Reads carry the
 * display names of who last wrote or approved. The writes are made inside the
 * learning summary service's transactions.
 */
export function createLearningSummaryStore(db: Db) {
  return {
    byWeek(weekEnding: string): Promise<LearningSummaryRow | undefined> {
      return db.get<LearningSummaryRow>(SUMMARY_BY_WEEK, [weekEnding]);
    },
    async idByWeek(weekEnding: string): Promise<number | null> {
      return (await db.get<{ id: number }>(SUMMARY_ID, [weekEnding]))?.id ?? null;
    },
    latestApproval(summaryId: number): Promise<LearningApprovalRow | undefined> {
      return db.get<LearningApprovalRow>(LATEST_APPROVAL, [summaryId]);
    },
    /** Every week that has a summary, newest first. */
    list(): Promise<{ weekEnding: string; status: string; updatedAt: string; approvedAt: string | null }[]> {
      return db.all<{ weekEnding: string; status: string; updatedAt: string; approvedAt: string | null }>(LIST);
    },
    async insertDraft(weekEnding: string, text: string, userId: number, at: string): Promise<void> {
      await db.run(INSERT_DRAFT, [weekEnding, text, userId, userId, at, at]);
    },
    /** Replaces the week's text with a draft (an approved text stays in learning_summary_approvals). */
    async updateDraft(summaryId: number, text: string, userId: number, at: string): Promise<void> {
      await db.run(UPDATE_DRAFT, [text, userId, at, summaryId]);
    },
    async addApproval(summaryId: number, text: string, userId: number, at: string): Promise<void> {
      await db.run(INSERT_APPROVAL, [summaryId, text, userId, at]);
    },
    async markApproved(summaryId: number, userId: number, at: string): Promise<void> {
      await db.run(MARK_APPROVED, [userId, at, summaryId]);
    },
  };
}

export type LearningSummaryStore = ReturnType<typeof createLearningSummaryStore>;
