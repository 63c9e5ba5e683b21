import { createHash } from 'node:crypto';
import { desc, eq } from 'drizzle-orm';
import { alias } from 'drizzle-orm/sqlite-core';
import type { Clock } from '../../server/clock.ts';
import { inTransaction, type Db } from '../../server/db/database.ts';
import { learningSummaries, learningSummaryApprovals, users } from '../../server/db/schema.ts';
import type { CurrentUser } from '../../server/auth/auth-service.ts';
import { createAuditService } from '../../server/audit-service.ts';
import { ForbiddenError, NotFoundError } from '../../server/errors.ts';
import { weekEndingOn } from '../../experiments/calendar/reporting-calendar.ts';
import type { PageError } from '../page-context.ts';

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
  const audit = createAuditService(db, clock);
  const updater = alias(users, 'updater');

  function requireAnalyst(user: CurrentUser) {
    if (user.role !== 'analyst') throw new ForbiddenError('Only analysts can write or approve the weekly learning summary');
  }

  function requireWeek(weekEnding: string) {
    if (!weekEndingOn(weekEnding)) throw new NotFoundError('Week');
  }

  function latestApproval(summaryId: number) {
    return db
      .select({ text: learningSummaryApprovals.text, approvedAt: learningSummaryApprovals.approvedAt, approvedBy: learningSummaryApprovals.approvedBy, approvedByName: users.displayName })
      .from(learningSummaryApprovals)
      .innerJoin(users, eq(users.id, learningSummaryApprovals.approvedBy))
      .where(eq(learningSummaryApprovals.summaryId, summaryId))
      .orderBy(desc(learningSummaryApprovals.id))
      .limit(1)
      .get();
  }

  function get(weekEnding: string): LearningSummary | null {
    const row = db
      .select({
        id: learningSummaries.id,
        weekEnding: learningSummaries.weekEnding,
        text: learningSummaries.text,
        status: learningSummaries.status,
        createdBy: learningSummaries.createdBy,
        updatedBy: learningSummaries.updatedBy,
        updatedByName: updater.displayName,
        createdAt: learningSummaries.createdAt,
        updatedAt: learningSummaries.updatedAt,
      })
      .from(learningSummaries)
      .innerJoin(updater, eq(updater.id, learningSummaries.updatedBy))
      .where(eq(learningSummaries.weekEnding, weekEnding))
      .get();
    if (!row) return null;
    return { ...row, status: row.status as LearningSummaryStatus, approved: latestApproval(row.id) ?? null };
  }

  return {
    get,

    /**
     * Saves the text as the week's draft. Saving the text that is already
     * there changes nothing (so re-saving an approved summary does not
     * withdraw it); returns field errors instead of throwing.
     */
    saveDraft(user: CurrentUser, weekEnding: string, input: string): { summary: LearningSummary | null; errors: PageError[] } {
      requireAnalyst(user);
      requireWeek(weekEnding);
      const text = normalise(input);
      if (!text) return { summary: null, errors: [{ field: 'text', message: 'Enter the summary of what the unit learned this week' }] };
      if (text.length > MAX_SUMMARY_LENGTH)
        return { summary: null, errors: [{ field: 'text', message: `The summary must be ${MAX_SUMMARY_LENGTH.toLocaleString('en-GB')} characters or fewer` }] };
      return inTransaction(db, () => {
        const existing = get(weekEnding);
        if (existing && existing.text === text) return { summary: existing, errors: [] };
        const now = clock.now().toISOString();
        if (existing) {
          db.update(learningSummaries).set({ text, status: 'draft', updatedBy: user.id, updatedAt: now }).where(eq(learningSummaries.id, existing.id)).run();
        } else {
          db.insert(learningSummaries).values({ weekEnding, text, status: 'draft', createdBy: user.id, updatedBy: user.id, createdAt: now, updatedAt: now }).run();
        }
        audit.record(user.id, 'save-draft', 'learning-summary', weekEnding);
        return { summary: get(weekEnding)!, errors: [] };
      });
    },

    /**
     * Approves the week's draft for the ministers' report. `digest` is
     * draftDigest of the text the analyst checked: if the draft has changed
     * since, nothing is approved.
     */
    approve(user: CurrentUser, weekEnding: string, digest: string): ApproveResult {
      requireAnalyst(user);
      requireWeek(weekEnding);
      return inTransaction(db, () => {
        const summary = get(weekEnding);
        if (!summary) return { approved: false, reason: 'missing' } as const;
        if (summary.status === 'approved') return { approved: false, reason: 'already-approved' } as const;
        if (draftDigest(summary.text) !== digest) return { approved: false, reason: 'changed' } as const;
        const now = clock.now().toISOString();
        db.insert(learningSummaryApprovals).values({ summaryId: summary.id, text: summary.text, approvedBy: user.id, approvedAt: now }).run();
        db.update(learningSummaries).set({ status: 'approved', approvedBy: user.id, approvedAt: now }).where(eq(learningSummaries.id, summary.id)).run();
        audit.record(user.id, 'approve', 'learning-summary', weekEnding);
        return { approved: true, summary: get(weekEnding)! } as const;
      });
    },

    /** The text ministers see for the week: its latest approval, or null when none was ever approved. */
    approvedFor(weekEnding: string): ApprovedLearning | null {
      const row = db.select({ id: learningSummaries.id }).from(learningSummaries).where(eq(learningSummaries.weekEnding, weekEnding)).get();
      const approval = row ? latestApproval(row.id) : undefined;
      return approval ? { text: approval.text, approvedAt: approval.approvedAt } : null;
    },

    /** Every week that has a summary, newest first, for the analysts' list. */
    list(): { weekEnding: string; status: LearningSummaryStatus; updatedAt: string; approvedAt: string | null }[] {
      return db
        .select({ weekEnding: learningSummaries.weekEnding, status: learningSummaries.status, updatedAt: learningSummaries.updatedAt, approvedAt: learningSummaries.approvedAt })
        .from(learningSummaries)
        .orderBy(desc(learningSummaries.weekEnding))
        .all()
        .map((row) => ({ ...row, status: row.status as LearningSummaryStatus }));
    },
  };
}

export type LearningSummaryService = ReturnType<typeof createLearningSummaryService>;
