import type { Db } from '../../server/db/database.ts';
import { dialectSql, type DialectSql } from '../../server/db/dialect-sql.ts';
import { ukDayStart } from '../../experiments/outcomes/uk-time.ts';

/**
 * "Today": what a work coach should do next across their own caseload, in
 * one SQL pass over their people's outcome events, so the page stays fast at
 * 100,000 contacts (the plan reads contacts by `contacts_coach_idx` and events
 * by the covering `outcome_events_contact_stage_idx`; tests/today.test.ts
 * checks the plan). People who have opted out never appear.
 *
 * What is due, and from when (docs/decisions/0034):
 * - a first meeting today or tomorrow (at its time), or one that has passed
 *   with nothing recorded about it (record whether they came);
 * - they replied but no meeting is agreed, or they missed the meeting (agree one);
 * - no reply `retryAfterDays` days after the last attempt (try again), up to
 *   `maxAttempts` attempts: after that, we leave them be, as taking part is voluntary;
 * - the follow-ups 4, 8 and 13 weeks after the first meeting, each due until the
 *   next one is (the 13-week one for 4 weeks);
 * - people in a running experiment not yet contacted (from their assignment).
 */

export type TodayKind = 'meeting_today' | 'meeting_tomorrow' | 'meeting_passed' | 'agree_meeting' | 'try_again' | 'follow_up' | 'not_contacted';

/** Where someone is on the phase-1 funnel: the furthest step recorded. */
export const TODAY_STAGES = ['not_contacted', 'outreach_attempted', 'responded', 'meeting_agreed', 'meeting_attended'] as const;
export type TodayStage = (typeof TODAY_STAGES)[number];

export interface TodayOptions {
  /** Days without a reply before trying again. */
  retryAfterDays: number;
  /** No more reminders to try again after this many attempts. */
  maxAttempts: number;
}

export const TODAY_DEFAULTS: TodayOptions = { retryAfterDays: 5, maxAttempts: 3 };

export interface TodayFilters {
  experiment?: string;
  /** An arm key within `experiment`. */
  arm?: string;
  stage?: TodayStage;
}

export interface TodayRow {
  contactId: number;
  reference: string;
  kind: TodayKind;
  /** When it is (or was) due, ISO UTC. */
  dueAt: string;
  stage: TodayStage;
  preferredChannel: string | null;
  attempts: number;
  lastOutreachAt: string | null;
  meetingTime: string | null;
  meetingAgreedAt: string | null;
  /** For follow-ups: the stage to record (engaged_4w, engaged_8w, engaged_13w). */
  followUp: 'engaged_4w' | 'engaged_8w' | 'engaged_13w' | null;
  /** Which of Today's lists it is on, and how many that list has in all (before any limit). */
  section: TodaySection;
  sectionTotal: number;
}

export type TodaySection = 'meetings' | 'due' | 'not_contacted';

export interface TodayArm {
  experimentKey: string;
  experimentName: string;
  armKey: string;
  armName: string;
  levels: Record<string, string>;
}

const DAY_MS = 86_400_000;

/** The values the Today query takes, by the names its SQL uses (`@name`, made positional by `positional`). */
interface TodayValues {
  coachId: number;
  now: string;
  todayStart: string;
  tomorrowStart: string;
  dayAfterStart: string;
  /** `now` less retryAfterDays days: an attempt at or before it is due again. */
  retryBefore: string;
  retryAfterDays: number;
  maxAttempts: number;
  experiment: string | null;
  arm: string | null;
  stage: string | null;
  limit: number;
}

/**
 * Julian-day arithmetic keeps ISO strings comparable: isoFromJulianDay writes the
 * same shape as Date.toISOString(). Names are folded to lower case by PostgreSQL
 * inside the query; the final SELECT quotes the camelCase keys the code reads.
 */
const todaySql = (d: DialectSql) => `
WITH mine AS (
  SELECT id, reference, preferred_channel FROM contacts
  WHERE coach_id = @coachId AND opted_out_at IS NULL
),
funnel AS (
  SELECT mine.id AS contactId,
    COUNT(CASE WHEN o.stage = 'outreach_attempted' THEN 1 END) AS attempts,
    MAX(CASE WHEN o.stage = 'outreach_attempted' THEN o.occurred_at END) AS lastOutreachAt,
    MAX(CASE WHEN o.stage = 'responded' THEN o.occurred_at END) AS respondedAt,
    MAX(CASE WHEN o.stage = 'meeting_agreed' THEN o.occurred_at END) AS agreedAt,
    MAX(CASE WHEN o.stage = 'meeting_not_attended' THEN o.occurred_at END) AS missedAt,
    MIN(CASE WHEN o.stage = 'meeting_attended' THEN o.occurred_at END) AS attendedAt,
    MAX(CASE WHEN o.stage = 'engaged_4w' THEN 1 ELSE 0 END) AS has4w,
    MAX(CASE WHEN o.stage = 'engaged_8w' THEN 1 ELSE 0 END) AS has8w,
    MAX(CASE WHEN o.stage = 'engaged_13w' THEN 1 ELSE 0 END) AS has13w,
    MAX(CASE WHEN o.stage = 'disengaged' THEN 1 ELSE 0 END) AS disengaged
  FROM mine JOIN effective_outcome_events o ON o.contact_id = mine.id
  GROUP BY mine.id
),
state AS MATERIALIZED (
  SELECT m.id AS contactId, m.reference, m.preferred_channel AS preferredChannel,
    COALESCE(f.attempts, 0) AS attempts, f.lastOutreachAt, f.respondedAt, f.agreedAt, f.missedAt, f.attendedAt,
    COALESCE(f.has4w, 0) AS has4w, COALESCE(f.has8w, 0) AS has8w, COALESCE(f.has13w, 0) AS has13w, COALESCE(f.disengaged, 0) AS disengaged,
    CASE WHEN f.agreedAt IS NOT NULL THEN (
      SELECT ${d.jsonText('a.detail', 'time')} FROM effective_outcome_events a
      WHERE a.contact_id = m.id AND a.stage = 'meeting_agreed' ORDER BY a.occurred_at DESC, a.id DESC LIMIT 1
    ) END AS meetingTime,
    (${d.julianDay('CAST(@now AS TEXT)')} - ${d.julianDay('f.attendedAt')}) / 7 AS weeksSinceMeeting,
    CASE WHEN f.attendedAt IS NOT NULL THEN 'meeting_attended' WHEN f.agreedAt IS NOT NULL THEN 'meeting_agreed'
         WHEN f.respondedAt IS NOT NULL THEN 'responded' WHEN f.lastOutreachAt IS NOT NULL THEN 'outreach_attempted'
         ELSE 'not_contacted' END AS stage
  FROM mine m LEFT JOIN funnel f ON f.contactId = m.id
  WHERE (CAST(@experiment AS TEXT) IS NULL OR EXISTS (
    SELECT 1 FROM assignments a JOIN experiments e ON e.id = a.experiment_id JOIN experiment_arms r ON r.id = a.arm_id
    WHERE a.contact_id = m.id AND e.key = @experiment AND (CAST(@arm AS TEXT) IS NULL OR r.key = @arm)))
),
classified AS (
  SELECT s.*,
    CASE
      WHEN s.attendedAt IS NULL AND s.agreedAt IS NOT NULL AND (s.missedAt IS NULL OR s.missedAt < s.agreedAt) THEN
        CASE WHEN s.meetingTime IS NULL THEN CASE WHEN s.agreedAt < @todayStart THEN 'meeting_passed' END
             WHEN s.meetingTime < @todayStart THEN 'meeting_passed'
             WHEN s.meetingTime < @tomorrowStart THEN 'meeting_today'
             WHEN s.meetingTime < @dayAfterStart THEN 'meeting_tomorrow' END
      WHEN s.attendedAt IS NULL AND (s.respondedAt IS NOT NULL OR s.missedAt IS NOT NULL) THEN 'agree_meeting'
      WHEN s.attendedAt IS NULL AND s.lastOutreachAt IS NOT NULL THEN
        CASE WHEN s.attempts < @maxAttempts AND s.lastOutreachAt <= @retryBefore THEN 'try_again' END
      WHEN s.attendedAt IS NOT NULL THEN
        CASE WHEN s.disengaged = 1 THEN NULL
             WHEN s.weeksSinceMeeting >= 13 AND s.weeksSinceMeeting < 17 AND s.has13w = 0 THEN 'follow_up'
             WHEN s.weeksSinceMeeting >= 8 AND s.weeksSinceMeeting < 13 AND s.has8w + s.has13w = 0 THEN 'follow_up'
             WHEN s.weeksSinceMeeting >= 4 AND s.weeksSinceMeeting < 8 AND s.has4w + s.has8w + s.has13w = 0 THEN 'follow_up' END
      ELSE (
        SELECT 'not_contacted' FROM assignments a JOIN experiments e ON e.id = a.experiment_id AND e.status = 'running'
        WHERE a.contact_id = s.contactId LIMIT 1)
    END AS kind,
    CASE WHEN s.weeksSinceMeeting >= 13 THEN 13 WHEN s.weeksSinceMeeting >= 8 THEN 8 WHEN s.weeksSinceMeeting >= 4 THEN 4 END AS followUpWeeks
  FROM state s
  WHERE CAST(@stage AS TEXT) IS NULL OR s.stage = @stage
),
listed AS (
  SELECT contactId, reference, kind, stage, preferredChannel, attempts, lastOutreachAt, meetingTime, agreedAt AS meetingAgreedAt,
    CASE kind
      WHEN 'meeting_passed' THEN COALESCE(meetingTime, agreedAt)
      WHEN 'meeting_today' THEN meetingTime
      WHEN 'meeting_tomorrow' THEN meetingTime
      WHEN 'agree_meeting' THEN CASE WHEN COALESCE(respondedAt, '') >= COALESCE(missedAt, '') THEN COALESCE(respondedAt, '') ELSE COALESCE(missedAt, '') END
      WHEN 'try_again' THEN ${d.isoFromJulianDay(`${d.julianDay('lastOutreachAt')} + @retryAfterDays`)}
      WHEN 'follow_up' THEN ${d.isoFromJulianDay(`${d.julianDay('attendedAt')} + followUpWeeks * 7`)}
      WHEN 'not_contacted' THEN (
        SELECT MIN(a.assigned_at) FROM assignments a JOIN experiments e ON e.id = a.experiment_id AND e.status = 'running' WHERE a.contact_id = classified.contactId)
    END AS dueAt,
    CASE WHEN kind = 'follow_up' THEN 'engaged_' || followUpWeeks || 'w' END AS followUp,
    CASE WHEN kind IN ('meeting_today', 'meeting_tomorrow') THEN 'meetings' WHEN kind = 'not_contacted' THEN 'not_contacted' ELSE 'due' END AS section
  FROM classified
  WHERE kind IS NOT NULL
),
numbered AS (
  SELECT listed.*, ROW_NUMBER() OVER (PARTITION BY section ORDER BY dueAt, reference) AS position, COUNT(*) OVER (PARTITION BY section) AS sectionTotal
  FROM listed
)
SELECT contactId AS "contactId", reference, kind, stage, preferredChannel AS "preferredChannel", attempts, lastOutreachAt AS "lastOutreachAt",
  meetingTime AS "meetingTime", meetingAgreedAt AS "meetingAgreedAt", dueAt AS "dueAt", followUp AS "followUp", section, sectionTotal AS "sectionTotal"
FROM numbered WHERE position <= @limit
ORDER BY dueAt, reference`;

/** `@name` placeholders as `?`, and the order of the names (none of them appears inside a quoted string). */
function positional(sql: string): { sql: string; names: (keyof TodayValues)[] } {
  const names: (keyof TodayValues)[] = [];
  return { sql: sql.replace(/@([A-Za-z]+)/g, (_, name: keyof TodayValues) => (names.push(name), '?')), names };
}

/** Builds the read model once per database; its SQL is built once. */
export function createTodayReadModel(db: Db, options: Partial<TodayOptions> = {}) {
  const settings = { ...TODAY_DEFAULTS, ...options };
  const d = dialectSql(db.dialect);
  const today = positional(todaySql(d));
  const ARMS_OF = `SELECT a.contact_id AS "contactId", e.key AS "experimentKey", e.name AS "experimentName", r.key AS "armKey", r.name AS "armName", r.levels
    FROM assignments a JOIN experiments e ON e.id = a.experiment_id AND e.status = 'running' JOIN experiment_arms r ON r.id = a.arm_id
    WHERE a.contact_id IN ${d.jsonList('integer')} ORDER BY a.assigned_at, a.id`;
  const EXPERIMENTS_AND_ARMS = `SELECT e.key AS "experimentKey", e.name AS "experimentName", r.key AS "armKey", r.name AS "armName"
    FROM experiments e JOIN experiment_arms r ON r.experiment_id = e.id
    WHERE e.status IN ('running', 'paused') ORDER BY e.launched_at NULLS FIRST, e.id, r.position`;
  const RECORDED_EVENT = `SELECT o.id, o.stage, o.occurred_at AS "occurredAt", c.reference FROM outcome_events o JOIN contacts c ON c.id = o.contact_id
    WHERE o.id = ? AND c.coach_id = ?`;

  function parameters(coachId: number, now: Date, filters: TodayFilters = {}, limit = Number.MAX_SAFE_INTEGER): unknown[] {
    const values: TodayValues = {
      coachId,
      now: now.toISOString(),
      todayStart: ukDayStart(now).toISOString(),
      tomorrowStart: ukDayStart(now, 1).toISOString(),
      dayAfterStart: ukDayStart(now, 2).toISOString(),
      retryBefore: new Date(now.getTime() - settings.retryAfterDays * DAY_MS).toISOString(),
      retryAfterDays: settings.retryAfterDays,
      maxAttempts: settings.maxAttempts,
      experiment: filters.experiment || null,
      arm: (filters.experiment && filters.arm) || null,
      stage: filters.stage ?? null,
      limit,
    };
    return today.names.map((name) => values[name]);
  }

  return {
    settings,
    /** The SQL behind `due` (positional `?` parameters), for checking its query plan. */
    sql: today.sql,

    /** Parameters for `sql`, in order (exported for EXPLAIN QUERY PLAN in tests). */
    parameters,

    /**
     * Everything due on one coach's caseload, soonest (most overdue) first;
     * with `limit`, only the first `limit` of each list (`sectionTotal` still counts them all).
     */
    due(coachId: number, now: Date, filters: TodayFilters = {}, limit?: number): Promise<TodayRow[]> {
      return db.all<TodayRow>(today.sql, parameters(coachId, now, filters, limit));
    },

    /** The running experiments' arms of these people (shown on their rows; they say which channel to use). */
    async armsFor(contactIds: number[]): Promise<Map<number, TodayArm[]>> {
      const arms = new Map<number, TodayArm[]>();
      if (contactIds.length === 0) return arms;
      for (const row of await db.all<Omit<TodayArm, 'levels'> & { contactId: number; levels: string }>(ARMS_OF, [JSON.stringify(contactIds)])) {
        const list = arms.get(row.contactId) ?? [];
        list.push({ experimentKey: row.experimentKey, experimentName: row.experimentName, armKey: row.armKey, armName: row.armName, levels: JSON.parse(row.levels) as Record<string, string> });
        arms.set(row.contactId, list);
      }
      return arms;
    },

    /** Running and paused experiments with their arms, for the filters. */
    filterChoices() {
      return db.all<{ experimentKey: string; experimentName: string; armKey: string; armName: string }>(EXPERIMENTS_AND_ARMS);
    },

    /** An event just recorded, if it is on this coach's caseload (for the confirmation banner). */
    recorded(coachId: number, eventId: number) {
      return db.get<{ id: number; stage: string; occurredAt: string; reference: string }>(RECORDED_EVENT, [eventId, coachId]);
    },
  };
}

export type TodayReadModel = ReturnType<typeof createTodayReadModel>;
