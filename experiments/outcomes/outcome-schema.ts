import { z } from 'zod';
import {
  CHANNELS,
  DISENGAGED_REASONS,
  MEETING_PLACES,
  MEETING_TOPICS,
  NOT_ATTENDED_REASONS,
  PLAN_KINDS,
  STAGE_KEYS,
  type StageDefinition,
} from '../vocabulary.ts';
import { contactReference } from '../contacts/contact-schema.ts';

/** The structured detail each kind of stage carries. */
export const detailSchemas = {
  channel: z.object({ channel: z.enum(CHANNELS, { error: `Select the channel used: one of ${CHANNELS.join(', ')}` }) }).strict(),
  meeting: z
    .object({
      place: z.enum(MEETING_PLACES, { error: `Select the meeting place: one of ${MEETING_PLACES.join(', ')}` }),
      time: z.iso.datetime({ offset: true, error: 'Enter the meeting time as a date and time, for example 2026-11-30T10:00:00Z' }).optional(),
    })
    .strict(),
  notAttendedReason: z
    .object({ reason: z.enum(NOT_ATTENDED_REASONS, { error: `Select a reason: one of ${NOT_ATTENDED_REASONS.join(', ')}` }) })
    .strict(),
  plan: z.object({ kind: z.enum(PLAN_KINDS, { error: `Select the kind of plan: one of ${PLAN_KINDS.join(', ')}` }) }).strict(),
  topics: z
    .object({ topics: z.array(z.enum(MEETING_TOPICS, { error: `Topics must be from ${MEETING_TOPICS.join(', ')}` })).min(1, 'Select at least one topic') })
    .strict(),
  disengagedReason: z
    .object({ reason: z.enum(DISENGAGED_REASONS, { error: `Select a reason: one of ${DISENGAGED_REASONS.join(', ')}` }) })
    .strict(),
} satisfies Record<NonNullable<StageDefinition['detail']>, z.ZodType>;

export const outcomeInputSchema = z
  .object({
    contact: contactReference,
    stage: z.enum(STAGE_KEYS, { error: 'Select a funnel stage' }),
    value: z.number().finite().optional(),
    detail: z.record(z.string(), z.unknown()).optional(),
    /** When it happened; defaults to now. */
    occurredAt: z.iso.datetime({ offset: true, error: 'Enter when it happened as a date and time, for example 2026-11-23T10:00:00Z' }).optional(),
    /** Any unique string chosen by the caller; a retry with the same key records nothing new. */
    idempotencyKey: z.string().trim().min(8, 'The idempotency key must be at least 8 characters').max(128),
  })
  .strict();

export type OutcomeInput = z.infer<typeof outcomeInputSchema>;
