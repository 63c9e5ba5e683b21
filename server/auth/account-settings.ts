import { randomBytes } from 'node:crypto';
import { z } from 'zod';

/** How long credentials last, and the secret that signs the sign-in form's token. */
export interface AccountSettings {
  /** API tokens expire this many days after they are created (EIU_TOKEN_DAYS). */
  tokenDays: number;
  /** A session ends after this long without a request (EIU_SESSION_IDLE_MINUTES). */
  sessionIdleMinutes: number;
  /** A session ends this long after sign-in however busy it is. */
  sessionHours: number;
  /**
   * Signs the sign-in form's double-submit token (EIU_SECRET). Without one each
   * process makes its own, so several instances behind one address need it set.
   */
  secret: string;
}

export const DEFAULT_TOKEN_DAYS = 90;
export const DEFAULT_SESSION_IDLE_MINUTES = 30;
export const SESSION_HOURS = 10;

/** Defaults, with a fresh per-process secret. */
export function defaultAccountSettings(overrides: Partial<AccountSettings> = {}): AccountSettings {
  return {
    tokenDays: DEFAULT_TOKEN_DAYS,
    sessionIdleMinutes: DEFAULT_SESSION_IDLE_MINUTES,
    sessionHours: SESSION_HOURS,
    secret: randomBytes(32).toString('base64url'),
    ...overrides,
  };
}

const wholeNumber = (name: string, max: number) =>
  z.coerce.number({ error: `${name} must be a whole number` }).int(`${name} must be a whole number`).min(1, `${name} must be at least 1`).max(max, `${name} must be at most ${max}`);

const envSchema = z.object({
  EIU_TOKEN_DAYS: wholeNumber('EIU_TOKEN_DAYS', 366).optional(),
  EIU_SESSION_IDLE_MINUTES: wholeNumber('EIU_SESSION_IDLE_MINUTES', SESSION_HOURS * 60).optional(),
  EIU_SECRET: z.string().min(32, 'EIU_SECRET must be at least 32 characters').optional(),
});

/** Reads the settings from the environment; a bad value stops start-up with a message naming it. */
export function accountSettingsFromEnv(env: Record<string, string | undefined>): AccountSettings {
  const given = Object.fromEntries(Object.entries(env).filter(([key, value]) => key in envSchema.shape && value !== undefined && value !== ''));
  const parsed = envSchema.safeParse(given);
  if (!parsed.success) throw new Error(parsed.error.issues.map((issue) => issue.message).join('; '));
  return defaultAccountSettings({
    ...(parsed.data.EIU_TOKEN_DAYS ? { tokenDays: parsed.data.EIU_TOKEN_DAYS } : {}),
    ...(parsed.data.EIU_SESSION_IDLE_MINUTES ? { sessionIdleMinutes: parsed.data.EIU_SESSION_IDLE_MINUTES } : {}),
    ...(parsed.data.EIU_SECRET ? { secret: parsed.data.EIU_SECRET } : {}),
  });
}
