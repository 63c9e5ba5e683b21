import { createHash } from 'node:crypto';
import type { Clock } from '../../server/clock.ts';
import type { Db } from '../../server/db/database.ts';
import type { CurrentUser } from '../../server/auth/auth-service.ts';
import { createAuditService } from '../../server/audit-service.ts';
import { ForbiddenError, NotFoundError } from '../../server/errors.ts';
import { weekEndingOn } from '../../experiments/calendar/reporting-calendar.ts';
import type { PageError } from '../page-context.ts';
import { createLearningSummaryStore } from './learning-summary-store.ts';

export const MAX_SUMMARY_LENGTH = 5000;

export type LearningSummaryStatus = 'draft' | 'approved';

/** What ministers see: the week's latest approved text. */
export interface ApprovedLearning {
  text: string;
  approvedAt: string;
}

export interface LearningSummary {
  id: number;
  weekEnding: string;
  /** The working text: the approved text when status is approved, otherwise a draft waiting for approval. */
  text: string;
  status: LearningSummaryStatus;
  createdBy: number;
  updatedBy: number;
  updatedByName: string;
  createdAt: string;
  updatedAt: string;
  /** The latest approval, kept while a later draft waits (ministers still see it). */
  approved: (ApprovedLearning & { approvedBy: number; approvedByName: string }) | null;
}

export type ApproveResult = { approved: true; summary: LearningSummary } | { approved: false; reason: 'missing' | 'already-approved' | 'changed' };

/** Identifies the exact draft text an analyst checked, so approval is of what they read. */
export function draftDigest(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Line endings as typed in any browser, trimmed: the same text always compares equal. */
function normalise(text: string): string {
  return text.replace(/\r\n?/g, '\n').replace(/[ \t]+$/gm, '').trim();
}

/**
 * The analysts' weekly learning summary: the only learning text that reaches
 * ministers. A week has one row, whose text is either a draft or the approved
 * version. Every approval is also kept, unchangeable, in
 * learning_summary_approvals; a change after approval is a new draft that needs
 * approving again, and until then the report keeps the earlier approved text
 * (docs/decisions/0027). Only analysts write or approve, and every write is audited.
 */
export function createLearningSummaryService(db: Db, clock: Clock) {
  const store = createLearningSummaryStore(db);
  const audit = createAuditService(db, clock);

  function requireAnalyst(user: CurrentUser) {
    if (user.role !== 'analyst') throw new ForbiddenError('Only analysts can write or approve the weekly learning summary');
  }

  function requireWeek(weekEnding: string) {
    if (!weekEndingOn(weekEnding)) throw new NotFoundError('Week');
  }

  async function get(weekEnding: string): Promise<LearningSummary | null> {
    const row = await store.byWeek(weekEnding);
    if (!row) return null;
    return { ...row, status: row.status as LearningSummaryStatus, approved: (await store.latestApproval(row.id)) ?? null };
  }

  return {
    get,

    /**
     * Saves the text as the week's draft. Saving the text that is already
     * there changes nothing (so re-saving an approved summary does not
     * withdraw it); returns field errors instead of throwing.
     */
    async saveDraft(user: CurrentUser, weekEnding: string, input: string): Promise<{ summary: LearningSummary | null; errors: PageError[] }> {
      requireAnalyst(user);
      requireWeek(weekEnding);
      const text = normalise(input);
      if (!text) return { summary: null, errors: [{ field: 'text', message: 'Enter the summary of what the unit learned this week' }] };
      if (text.length > MAX_SUMMARY_LENGTH)
        return { summary: null, errors: [{ field: 'text', message: `The summary must be ${MAX_SUMMARY_LENGTH.toLocaleString('en-GB')} characters or fewer` }] };
      return db.withTransaction(async () => {
        const existing = await get(weekEnding);
        if (existing && existing.text === text) return { summary: existing, errors: [] };
        const now = clock.now().toISOString();
        if (existing) await store.updateDraft(existing.id, text, user.id, now);
        else await store.insertDraft(weekEnding, text, user.id, now);
        await audit.record(user.id, 'save-draft', 'learning-summary', weekEnding);
        return { summary: (await get(weekEnding))!, errors: [] };
      });
    },

    /**
     * Approves the week's draft for the ministers' report. `digest` is
     * draftDigest of the text the analyst checked: if the draft has changed
     * since, nothing is approved.
     */
    async approve(user: CurrentUser, weekEnding: string, digest: string): Promise<ApproveResult> {
      requireAnalyst(user);
      requireWeek(weekEnding);
      return db.withTransaction(async (): Promise<ApproveResult> => {
        const summary = await get(weekEnding);
        if (!summary) return { approved: false, reason: 'missing' };
        if (summary.status === 'approved') return { approved: false, reason: 'already-approved' };
        if (draftDigest(summary.text) !== digest) return { approved: false, reason: 'changed' };
        const now = clock.now().toISOString();
        await store.addApproval(summary.id, summary.text, user.id, now);
        await store.markApproved(summary.id, user.id, now);
        await audit.record(user.id, 'approve', 'learning-summary', weekEnding);
        return { approved: true, summary: (await get(weekEnding))! };
      });
    },

    /** The text ministers see for the week: its latest approval, or null when none was ever approved. */
    async approvedFor(weekEnding: string): Promise<ApprovedLearning | null> {
      const summaryId = await store.idByWeek(weekEnding);
      const approval = summaryId !== null ? await store.latestApproval(summaryId) : undefined;
      return approval ? { text: approval.text, approvedAt: approval.approvedAt } : null;
    },

    /** Every week that has a summary, newest first, for the analysts' list. */
    async list(): Promise<{ weekEnding: string; status: LearningSummaryStatus; updatedAt: string; approvedAt: string | null }[]> {
      const rows = await store.list();
      return rows.map((row) => ({ ...row, status: row.status as LearningSummaryStatus }));
    },
  };
}

export type LearningSummaryService = ReturnType<typeof createLearningSummaryService>;
