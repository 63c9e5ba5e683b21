import type { Services } from '../server/services.ts';
import type { CurrentUser } from '../server/auth/auth-service.ts';
import { createLearningSummaryService, draftDigest } from '../dashboard/learning-log/learning-summary-service.ts';
import { weekContaining } from '../experiments/calendar/reporting-calendar.ts';
import type { Timeline } from './timeline.ts';
import type { DemoNote } from './learning-notes.ts';

const MINUTE = 60_000;

/**
 * The analyst's weekly learning summaries for the demo. For each completed
 * week with notes, the analyst drafts a summary from that week's lessons (never
 * the notes as written) on the Monday morning and approves it half an hour
 * later, through the real service, so drafts and approvals are audited as they
 * would be. The raw notes stay in the learning log.
 */
export function scheduleLearningSummaries(input: { services: Services; timeline: Timeline; analyst: CurrentUser; notes: { at: number; note: DemoNote }[] }): void {
  const { services, timeline, analyst } = input;
  const byWeek = new Map<string, { end: number; lessons: string[] }>();
  for (const { at, note } of [...input.notes].sort((a, b) => a.at - b.at)) {
    const week = weekContaining(new Date(at));
    const entry = byWeek.get(week.weekEnding) ?? { end: week.end.getTime(), lessons: [] };
    entry.lessons.push(note.lesson);
    byWeek.set(week.weekEnding, entry);
  }
  const summaries = createLearningSummaryService(services.db, services.clock);
  for (const [weekEnding, { end, lessons }] of byWeek) {
    // A week still running has no summary yet: the analyst writes it once the week is over.
    if (end > timeline.end) continue;
    const draftAt = Math.min(end + 9 * 60 * MINUTE + 30 * MINUTE, timeline.end);
    timeline.at(draftAt, async () => {
      await summaries.saveDraft(analyst, weekEnding, lessons.join('\n\n'));
    });
    timeline.at(Math.min(draftAt + 30 * MINUTE, timeline.end), async () => {
      const draft = (await summaries.get(weekEnding))!;
      await summaries.approve(analyst, weekEnding, draftDigest(draft.text));
    });
  }
}
