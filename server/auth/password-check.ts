import type { createAuditService } from '../audit-service.ts';
import type { CurrentUser } from './auth-service.ts';
import type { AttemptKeys, SignInThrottle } from './sign-in-throttle.ts';

type AuditService = ReturnType<typeof createAuditService>;

export type PasswordCheckResult = { user: CurrentUser; waitSeconds: 0 } | { user: null; waitSeconds: number };

/** Longest username kept in the audit log: enough for any real one, not a pasted essay. */
const AUDITED_USERNAME_LENGTH = 80;

/**
 * Every password check a caller can repeat (sign-in, token requests, the
 * current password when changing it) goes through here: throttled per account
 * and address, and each failure audited with the username typed, never the
 * password. Throws TooManyAttemptsError (429) while the caller must wait.
 */
export function createPasswordCheck(throttle: SignInThrottle, audit: AuditService) {
  return async function checkPassword(keys: AttemptKeys, action: string, verify: () => Promise<CurrentUser | null>): Promise<PasswordCheckResult> {
    const attempt = await throttle.begin(keys);
    const user = await verify();
    if (user) {
      await attempt.succeeded();
      return { user, waitSeconds: 0 };
    }
    const waitSeconds = await attempt.failed();
    const username = keys.username.trim().slice(0, AUDITED_USERNAME_LENGTH);
    await audit.record(null, `${action}-failed`, 'username', username);
    if (waitSeconds > 0) await audit.record(null, `${action}-throttled`, 'username', username);
    return { user: null, waitSeconds };
  };
}

export type PasswordCheck = ReturnType<typeof createPasswordCheck>;
