import { z } from 'zod';

/** How long a coach may correct or withdraw their own entry after recording it. Analysts may correct any entry at any time. */
export const COACH_CORRECTION_DAYS = 14;

/**
 * Why an entry is corrected or withdrawn: a short list, so reasons can be
 * counted, with an optional note (required for "another reason").
 */
export const CORRECTION_REASONS = {
  correct: {
    wrong_date: 'The date was wrong',
    wrong_detail: 'The detail or score was wrong',
    other: 'Another reason',
  },
  withdraw: {
    recorded_by_mistake: 'Recorded by mistake (undo)',
    wrong_person: 'Recorded for the wrong person',
    did_not_happen: 'It did not happen',
    duplicate: 'Recorded twice',
    other: 'Another reason',
  },
} as const;

export type CorrectionKind = keyof typeof CORRECTION_REASONS;
export const CORRECTION_KINDS = Object.keys(CORRECTION_REASONS) as CorrectionKind[];
export const REASON_NOTE_MAX = 200;

const reasonCodes = [...new Set(Object.values(CORRECTION_REASONS).flatMap((reasons) => Object.keys(reasons)))] as [string, ...string[]];

export const correctionInputSchema = z
  .object({
    kind: z.enum(CORRECTION_KINDS as [CorrectionKind, ...CorrectionKind[]], { error: 'Say whether to correct or withdraw the entry: correct or withdraw' }),
    reason: z.enum(reasonCodes, { error: `Select a reason: one of ${reasonCodes.join(', ')}` }),
    /** A few words more; no names, references or other personal details. Required for "other". */
    reasonNote: z.string().trim().max(REASON_NOTE_MAX, `The note must be ${REASON_NOTE_MAX} characters or fewer`).optional(),
    /** For 'correct': the corrected fields; any left out keep their current value. */
    occurredAt: z.iso.datetime({ offset: true, error: 'Enter when it happened as a date and time, for example 2026-11-23T10:00:00Z' }).optional(),
    value: z.number().finite().optional(),
    detail: z.record(z.string(), z.unknown()).optional(),
    /** Optional: a retry with the same key records nothing new. */
    idempotencyKey: z.string().trim().min(8, 'The idempotency key must be at least 8 characters').max(128).optional(),
  })
  .strict();

export type CorrectionInput = z.infer<typeof correctionInputSchema>;

export const optInInputSchema = z
  .object({
    /** Must be true: opting back in happens only when the person asks themselves. */
    personAsked: z.literal(true, { error: 'Confirm that the person asked, themselves, to be contacted again' }),
    reason: z.string().trim().min(1, 'Say why they want to be contacted again').max(REASON_NOTE_MAX, `The reason must be ${REASON_NOTE_MAX} characters or fewer`),
  })
  .strict();

export type OptInInput = z.infer<typeof optInInputSchema>;
