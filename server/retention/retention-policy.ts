import { z } from 'zod';

/**
 * How long each kind of record is kept (docs/decisions/0033), in days, from
 * the environment; each has a default.
 */
export interface RetentionPolicy {
  /** Browser sessions: deleted this many days after they expire. */
  sessionsDays: number;
  /** API tokens: deleted this many days after they were revoked. */
  apiTokensDays: number;
  /** Audit rows: deleted when older than this. */
  auditDays: number;
  /**
   * People: erased this many days after their last experiment concluded (and
   * after their last outcome was recorded and their record last changed); people
   * never assigned, this many days after their record last changed.
   */
  peopleDays: number;
  /** People erased per transaction. */
  batchSize: number;
}

export const DEFAULT_RETENTION: RetentionPolicy = {
  sessionsDays: 7,
  apiTokensDays: 90,
  // Six years, the time limit for most claims (Limitation Act 1980), and a year to bring one.
  auditDays: 7 * 365 + 2,
  peopleDays: 2 * 365 + 1,
  batchSize: 500,
};

const VARIABLES = {
  sessionsDays: 'EIU_RETENTION_SESSIONS_DAYS',
  apiTokensDays: 'EIU_RETENTION_API_TOKENS_DAYS',
  auditDays: 'EIU_RETENTION_AUDIT_DAYS',
  peopleDays: 'EIU_RETENTION_PEOPLE_DAYS',
  batchSize: 'EIU_RETENTION_BATCH_SIZE',
} as const satisfies Record<keyof RetentionPolicy, string>;

const days = z.coerce.number().int().min(0).max(36_500);

/**
 * The policy from EIU_RETENTION_* variables; a missing or empty one takes its
 * default. Throws, naming the variable, on anything but a whole number of days,
 * so a typo stops the server rather than silently keeping data for ever or
 * deleting it at once.
 */
export function retentionPolicyFromEnv(env: Record<string, string | undefined> = process.env): RetentionPolicy {
  const policy = { ...DEFAULT_RETENTION };
  for (const [key, variable] of Object.entries(VARIABLES) as [keyof RetentionPolicy, string][]) {
    const raw = env[variable]?.trim();
    if (!raw) continue;
    const parsed = (key === 'batchSize' ? days.min(1).max(10_000) : days).safeParse(raw);
    if (!parsed.success) throw new RangeError(`${variable} must be a whole number${key === 'batchSize' ? ' from 1 to 10000' : ' of days from 0 to 36500'}, not "${raw}"`);
    policy[key] = parsed.data;
  }
  return policy;
}
