import type { Db } from '../../server/db/database.ts';
import { dialectSql } from '../../server/db/dialect-sql.ts';
import type { CorrectionKind } from './correction-schema.ts';

/**
 * How an outcome event counts once corrected (docs/decisions/0035), as SQL
 * fragments for queries over `outcome_events` (alias `o`): the event's latest
 * correction (alias `k`) decides. No correction: the event as recorded.
 * 'correct': the corrected occurred_at, value and detail. 'withdraw': it does
 * not count. The view `effective_outcome_events` (migration 0004) applies the
 * same rule; the read model uses these fragments because a view on the right
 * of a LEFT JOIN cannot be flattened by SQLite and would be slow at scale.
 */
export const latestCorrectionJoin = (event = 'o', correction = 'k') =>
  `LEFT JOIN outcome_corrections ${correction} ON ${correction}.id = (SELECT MAX(latest.id) FROM outcome_corrections latest WHERE latest.event_id = ${event}.id)`;

/** The value of a column as it now counts. */
export const effectiveColumn = (column: 'occurred_at' | 'value' | 'detail', event = 'o', correction = 'k') =>
  `(CASE WHEN ${correction}.kind = 'correct' THEN ${correction}.${column} ELSE ${event}.${column} END)`;

/** True unless the event's latest correction withdrew it. */
export const notWithdrawn = (correction = 'k') => `(${correction}.kind IS NULL OR ${correction}.kind <> 'withdraw')`;

/** An event row with its latest correction's kind and its values as they now count. */
export interface EventRow extends Omit<NewOutcomeEvent, 'payloadHash'> {
  id: number;
  originalValue: number | null;
  originalDetail: string | null;
  originalOccurredAt: string;
  latestKind: CorrectionKind | null;
  /** sha256 of the outcome as first sent (outcome-payload.ts); null for events recorded before hashes. */
  payloadHash: string | null;
}

/** An outcome event as it is first recorded. */
export interface NewOutcomeEvent {
  contactId: number;
  stage: string;
  value: number | null;
  detail: string | null;
  occurredAt: string;
  recordedAt: string;
  recordedBy: number;
  idempotencyKey: string;
  payloadHash: string;
}

/** A correction or withdrawal as it is appended. */
export interface NewCorrection {
  eventId: number;
  kind: CorrectionKind;
  occurredAt: string | null;
  value: number | null;
  detail: string | null;
  reason: string;
  reasonNote: string | null;
  correctedBy: number;
  correctedAt: string;
  idempotencyKey: string | null;
}

const EVENT_COLUMNS = `o.id, o.contact_id AS "contactId", o.stage, ${effectiveColumn('value')} AS value, ${effectiveColumn('detail')} AS detail,
    ${effectiveColumn('occurred_at')} AS "occurredAt", o.recorded_at AS "recordedAt", o.recorded_by AS "recordedBy", o.idempotency_key AS "idempotencyKey",
    o.value AS "originalValue", o.detail AS "originalDetail", o.occurred_at AS "originalOccurredAt", k.kind AS "latestKind", o.payload_hash AS "payloadHash"`;
const EVENT_BY_ID = `SELECT ${EVENT_COLUMNS} FROM outcome_events o ${latestCorrectionJoin()} WHERE o.id = ?`;
const EVENTS_OF_CONTACT = `SELECT ${EVENT_COLUMNS} FROM outcome_events o ${latestCorrectionJoin()} WHERE o.contact_id = ?`;
const CURRENT_OPT_OUT = `SELECT ${EVENT_COLUMNS} FROM outcome_events o ${latestCorrectionJoin()}
    WHERE o.contact_id = ? AND o.stage = 'opted_out' ORDER BY o.id DESC LIMIT 1`;
const EVENT_BY_KEY = `SELECT ${EVENT_COLUMNS} FROM outcome_events o ${latestCorrectionJoin()} WHERE o.idempotency_key = ?`;
// The key is unique (outcome_events_idempotency_key_unique): a request that loses a race for it inserts nothing
// and answers as a retry does, without aborting its transaction.
const INSERT_EVENT = `
    INSERT INTO outcome_events (contact_id, stage, value, detail, occurred_at, recorded_at, recorded_by, idempotency_key, payload_hash)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (idempotency_key) DO NOTHING
    RETURNING id`;
// Withdrawn entries do not count: the funnel and the meeting come from events as they now stand.
const STAGES_REACHED = 'SELECT DISTINCT stage FROM effective_outcome_events WHERE contact_id = ?';

const CORRECTION_BY_KEY = 'SELECT id, event_id AS "eventId" FROM outcome_corrections WHERE idempotency_key = ?';
// The key is unique (outcome_corrections_idempotency_key_unique; no key, no conflict): a request that loses
// a race for it inserts nothing and answers as a retry does, without aborting its transaction.
const INSERT_CORRECTION = `
    INSERT INTO outcome_corrections (event_id, kind, occurred_at, value, detail, reason, reason_note, corrected_by, corrected_at, idempotency_key)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (idempotency_key) DO NOTHING
    RETURNING id`;

/**
 * Plain reads and writes on outcome_events and outcome_corrections, both
 * append-only.
 */
export function createOutcomeStore(db: Db) {
  const d = dialectSql(db.dialect);
  // The meeting an attendance is about: the latest agreed by the time it happened.
  const MEETING_BEFORE = `
    SELECT ${d.jsonText('detail', 'time')} AS time FROM effective_outcome_events
    WHERE contact_id = ? AND stage = 'meeting_agreed' AND occurred_at <= ?
    ORDER BY occurred_at DESC, id DESC LIMIT 1`;

  return {
    eventById(id: number): Promise<EventRow | undefined> {
      return db.get<EventRow>(EVENT_BY_ID, [id]);
    },
    /** In no particular order. */
    eventsOfContact(contactId: number): Promise<EventRow[]> {
      return db.all<EventRow>(EVENTS_OF_CONTACT, [contactId]);
    },
    eventByKey(key: string): Promise<EventRow | undefined> {
      return db.get<EventRow>(EVENT_BY_KEY, [key]);
    },
    /** The person's latest opt-out event. */
    currentOptOut(contactId: number): Promise<EventRow | undefined> {
      return db.get<EventRow>(CURRENT_OPT_OUT, [contactId]);
    },
    /** The new event's id; undefined when its idempotency key was taken meanwhile (nothing inserted). */
    insertEvent(e: NewOutcomeEvent): Promise<{ id: number } | undefined> {
      return db.get<{ id: number }>(INSERT_EVENT, [e.contactId, e.stage, e.value, e.detail, e.occurredAt, e.recordedAt, e.recordedBy, e.idempotencyKey, e.payloadHash]);
    },
    /** The stages the person has reached, counting events as they now stand. */
    async stagesReached(contactId: number): Promise<string[]> {
      return (await db.all<{ stage: string }>(STAGES_REACHED, [contactId])).map((r) => r.stage);
    },
    /** The time of the latest meeting agreed by `at`, as agreed (null or undefined when none). */
    async meetingTimeBefore(contactId: number, at: string): Promise<string | null | undefined> {
      return (await db.get<{ time: string | null }>(MEETING_BEFORE, [contactId, at]))?.time;
    },

    correctionByKey(key: string): Promise<{ id: number; eventId: number } | undefined> {
      return db.get<{ id: number; eventId: number }>(CORRECTION_BY_KEY, [key]);
    },
    /** The new correction's id; undefined when its idempotency key was taken meanwhile (nothing inserted). */
    insertCorrection(c: NewCorrection): Promise<{ id: number } | undefined> {
      return db.get<{ id: number }>(INSERT_CORRECTION, [
        c.eventId,
        c.kind,
        c.occurredAt,
        c.value,
        c.detail,
        c.reason,
        c.reasonNote,
        c.correctedBy,
        c.correctedAt,
        c.idempotencyKey,
      ]);
    },
  };
}

export type OutcomeStore = ReturnType<typeof createOutcomeStore>;
