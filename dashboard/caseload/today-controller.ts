import type { Request, Response } from 'express';
import { dashboardContext, render } from '../page-context.ts';
import { formatDate, formatDateTime, humanise, stageLabel } from '../format.ts';
import { armInstructions } from '../contact/arm-instructions.ts';
import { attendedAction, followUpAction, outreachAction, quickActionForm, type QuickAction } from '../contact/quick-actions.ts';
import { ukDateKey, ukDayStart } from '../../experiments/outcomes/uk-time.ts';
import type { Db } from '../../server/db/database.ts';
import { createTodayReadModel, TODAY_STAGES, type TodayArm, type TodayFilters, type TodayRow, type TodayStage } from './today-read-model.ts';

/** Rows shown per list; the rest are counted, and the filters narrow them down. */
const SECTION_LIMIT = 50;

const readModels = new WeakMap<Db, ReturnType<typeof createTodayReadModel>>();
function readModelFor(db: Db) {
  let model = readModels.get(db);
  if (!model) readModels.set(db, (model = createTodayReadModel(db)));
  return model;
}

const STAGE_WORDS: Record<TodayStage, string> = {
  not_contacted: 'Not contacted yet',
  outreach_attempted: 'Contacted, no reply yet',
  responded: 'Responded',
  meeting_agreed: 'Meeting agreed',
  meeting_attended: 'First meeting attended',
};

const time = (iso: string) => formatDateTime(iso).replace(/^.* at /, '');

/** "Today at 10:30am", "Tomorrow", "Overdue since 18 November 2026". */
function dueText(row: TodayRow, now: Date): string {
  const due = new Date(row.dueAt);
  const withTime = row.kind === 'meeting_today' || row.kind === 'meeting_tomorrow';
  if (ukDateKey(due) === ukDateKey(now)) return withTime ? `Today at ${time(row.dueAt)}` : 'Today';
  if (ukDateKey(due) === ukDateKey(ukDayStart(now, 1))) return withTime ? `Tomorrow at ${time(row.dueAt)}` : 'Tomorrow';
  return due < now ? `Overdue since ${formatDate(due)}` : formatDate(due);
}

/** What the row asks the coach to do, in words, and the one-click action when it needs no more detail. */
function describe(row: TodayRow, channel: string | null, now: Date): { title: string; detail: string; action: QuickAction | null; linkText: string | null } {
  switch (row.kind) {
    case 'meeting_today': {
      const action = attendedAction(row.meetingTime, now);
      return { title: 'First meeting today', detail: action ? 'Record whether they came.' : 'Record whether they came once it has started.', action, linkText: null };
    }
    case 'meeting_tomorrow':
      return { title: 'First meeting tomorrow', detail: 'Check they can still come, and whether they need anything.', action: null, linkText: null };
    case 'meeting_passed':
      return {
        title: 'Record whether they came',
        detail: row.meetingTime ? `Their meeting was on ${formatDateTime(row.meetingTime)}.` : `Meeting agreed on ${formatDate(row.meetingAgreedAt)}, with no time recorded.`,
        action: row.meetingTime ? attendedAction(row.meetingTime, now) : null,
        linkText: 'Did not attend',
      };
    case 'agree_meeting':
      return row.stage === 'meeting_agreed'
        ? { title: 'Offer another meeting', detail: 'They could not make the last one.', action: null, linkText: 'Agree a meeting' }
        : { title: 'Agree a first meeting', detail: 'They replied: offer the meeting place for their arm.', action: null, linkText: 'Agree a meeting' };
    case 'try_again':
      return {
        title: 'No reply: try again',
        detail: `${row.attempts} attempt${row.attempts === 1 ? '' : 's'} so far, the last on ${formatDate(row.lastOutreachAt)}.`,
        action: channel ? outreachAction(channel, true) : null,
        linkText: channel ? null : 'Record an attempt',
      };
    case 'follow_up': {
      const weeks = row.followUp === 'engaged_4w' ? 4 : row.followUp === 'engaged_8w' ? 8 : 13;
      return { title: `${weeks}-week follow-up`, detail: `Check in ${weeks} weeks after their first meeting.`, action: followUpAction(row.followUp!), linkText: 'Record something else' };
    }
    case 'not_contacted':
      return { title: 'Make first contact', detail: channel ? `Use ${humanise(channel)}, with the message for their arm.` : 'Use the channel and message for their arm.', action: channel ? outreachAction(channel, false) : null, linkText: channel ? null : 'Record outreach' };
  }
}

function filtersFrom(query: Request['query'], choices: { experimentKey: string; armKey: string }[]): TodayFilters {
  const text = (name: string) => (typeof query[name] === 'string' ? (query[name] as string) : '');
  const filters: TodayFilters = {};
  const [armExperiment, armKey] = text('arm').split('/');
  const experiment = text('experiment') || (armKey ? armExperiment : '');
  if (choices.some((c) => c.experimentKey === experiment)) filters.experiment = experiment;
  if (filters.experiment && armExperiment === filters.experiment && choices.some((c) => c.experimentKey === experiment && c.armKey === armKey)) filters.arm = armKey;
  if ((TODAY_STAGES as readonly string[]).includes(text('stage'))) filters.stage = text('stage') as TodayStage;
  return filters;
}

/** The coach's start page: meetings today and tomorrow, what is due or overdue, and who is still to be contacted. */
export async function get(req: Request, res: Response): Promise<void> {
  const { services } = dashboardContext(res);
  const user = req.user!;
  const model = readModelFor(services.db);
  const now = services.clock.now();
  const choices = await model.filterChoices();
  const filters = filtersFrom(req.query, choices);
  const rows = user.coachId === null ? [] : await model.due(user.coachId, now, filters, SECTION_LIMIT);
  await services.audit.record(user.id, 'list', 'today', null);

  const filterQuery = new URLSearchParams({
    ...(filters.experiment ? { experiment: filters.experiment } : {}),
    ...(filters.arm ? { arm: `${filters.experiment}/${filters.arm}` } : {}),
    ...(filters.stage ? { stage: filters.stage } : {}),
  }).toString();
  const returnTo = `/today${filterQuery ? `?${filterQuery}` : ''}`;

  const sections = (
    [
      { id: 'meetings', section: 'meetings', title: 'Meetings today and tomorrow', empty: 'No first meetings today or tomorrow.' },
      { id: 'due', section: 'due', title: 'Due or overdue', empty: 'Nothing else is due.' },
      { id: 'not-contacted', section: 'not_contacted', title: 'Not contacted yet', empty: 'Everyone in a running experiment has been contacted.' },
    ] as const
  ).map((section) => {
    const listed = rows.filter((r) => r.section === section.section);
    return { ...section, total: listed[0]?.sectionTotal ?? 0, rows: listed };
  });
  const arms = await model.armsFor(sections.flatMap((s) => s.rows.map((r) => r.contactId)));
  const channelOf = (row: TodayRow, rowArms: TodayArm[]) => rowArms.map((a) => armInstructions(a.levels).channel).filter((c) => c !== null).at(-1) ?? row.preferredChannel;

  const recordedId = Number(req.query.recorded);
  const recorded = user.coachId !== null && Number.isInteger(recordedId) ? await model.recorded(user.coachId, recordedId) : undefined;

  render(req, res, 'caseload/today.njk', {
    pageTitle: 'Today',
    today: formatDate(now),
    sections: sections.map((section) => ({
      ...section,
      rows: section.rows.map((row) => {
        const rowArms = arms.get(row.contactId) ?? [];
        const described = describe(row, channelOf(row, rowArms), now);
        const href = `/contacts/${encodeURIComponent(row.reference)}`;
        return {
          reference: row.reference,
          href,
          title: described.title,
          detail: described.detail,
          due: dueText(row, now),
          overdue: new Date(row.dueAt) < ukDayStart(now),
          arms: rowArms.map((a) => a.armName),
          action: described.action ? quickActionForm(described.action, { returnTo }) : null,
          link: described.linkText ? { text: described.linkText, href: `${href}${row.kind === 'meeting_passed' ? '?stage=meeting_not_attended' : ''}#record` } : null,
        };
      }),
    })),
    recorded: recorded ? { label: stageLabel(recorded.stage), reference: recorded.reference, href: `/contacts/${encodeURIComponent(recorded.reference)}` } : null,
    filters: {
      experiment: filters.experiment ?? '',
      arm: filters.arm ? `${filters.experiment}/${filters.arm}` : '',
      stage: filters.stage ?? '',
      active: filterQuery !== '',
    },
    experimentItems: [{ value: '', text: 'All experiments' }, ...[...new Map(choices.map((c) => [c.experimentKey, c.experimentName]))].map(([value, text]) => ({ value, text, selected: value === filters.experiment }))],
    armItems: [{ value: '', text: 'All arms' }, ...choices.map((c) => ({ value: `${c.experimentKey}/${c.armKey}`, text: `${c.armName} (${c.experimentName})`, selected: filters.arm === c.armKey && filters.experiment === c.experimentKey }))],
    stageItems: [{ value: '', text: 'Anywhere' }, ...TODAY_STAGES.map((s) => ({ value: s, text: STAGE_WORDS[s], selected: s === filters.stage }))],
    retryAfterDays: model.settings.retryAfterDays,
    maxAttempts: model.settings.maxAttempts,
    limit: SECTION_LIMIT,
  });
}
