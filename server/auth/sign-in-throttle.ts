import { RateLimiterRes } from 'rate-limiter-flexible';
import type { Clock } from '../clock.ts';
import type { Db } from '../db/database.ts';
import { HttpError } from '../errors.ts';
import { ClockedRateLimiter, purgeThrottleCounters } from './throttle-store.ts';

export interface ThrottleOptions {
  /** Failed attempts per account before each further try must wait. */
  freeFailuresPerAccount?: number;
  /** Failed attempts per client address (of any accounts) before each further try must wait. */
  freeFailuresPerAddress?: number;
  /** The first wait; each further failure doubles it. */
  firstWaitSeconds?: number;
  maxWaitSeconds?: number;
  /** How long failures are remembered, from the first one. */
  windowSeconds?: number;
}

/** Who is trying: the username typed (known or not) and the client's address. */
export interface AttemptKeys {
  username: string;
  address: string;
}

/** The message for a refused attempt: what to do, and for how long. */
export function tooManyAttemptsMessage(retryAfterSeconds: number): string {
  const minutes = Math.max(1, Math.ceil(retryAfterSeconds / 60));
  return `Too many failed attempts. Wait ${minutes} minute${minutes === 1 ? '' : 's'} and try again, or ask an admin to reset your password.`;
}

/** A 429: the attempt was refused without checking the password. */
export class TooManyAttemptsError extends HttpError {
  constructor(readonly retryAfterSeconds: number) {
    super(429, tooManyAttemptsMessage(retryAfterSeconds));
  }
}

/** One counted attempt: say how it went once the password has been checked. */
export interface Attempt {
  /** Resets the account's failures and gives the address back this attempt. */
  succeeded(): Promise<void>;
  /** The attempt stays counted; returns how long the next one must wait (0 when it need not). */
  failed(): Promise<number>;
}

interface Counter {
  key: string;
  free: number;
}

/**
 * Throttles password checks per account and per client address, with counters
 * in the database so every instance sees them (docs/decisions/0030).
 *
 * Every attempt is counted *before* its password is checked, so a burst of
 * parallel guesses cannot all pass while the first is still being verified.
 * Once a key has had its free failures, each further try must take that key's
 * "gate": one try per wait, the wait doubling with each failure (1, 2, 4 …
 * minutes, at most an hour). A try that finds the gate shut is refused with a
 * 429 and is not counted, so retrying during a wait does not lengthen it.
 */
export function createSignInThrottle(db: Db, clock: Clock, options: ThrottleOptions = {}) {
  const freePerAccount = options.freeFailuresPerAccount ?? 5;
  const freePerAddress = options.freeFailuresPerAddress ?? 5;
  const firstWait = options.firstWaitSeconds ?? 60;
  const maxWait = options.maxWaitSeconds ?? 3600;
  const windowSeconds = options.windowSeconds ?? 24 * 3600;
  const failures = new ClockedRateLimiter(db, clock, { keyPrefix: 'failures', points: Math.max(freePerAccount, freePerAddress), duration: windowSeconds });
  const gates = new ClockedRateLimiter(db, clock, { keyPrefix: 'gate', points: 1, duration: firstWait });
  const waitAfter = (failureCount: number, free: number) => Math.min(firstWait * 2 ** Math.max(0, failureCount - free), maxWait);

  const countersFor = (keys: AttemptKeys): Counter[] => [
    { key: `account:${keys.username.trim().toLowerCase().slice(0, 100)}`, free: freePerAccount },
    { key: `address:${keys.address}`, free: freePerAddress },
  ];

  return {
    /** Counts an attempt, or throws TooManyAttemptsError if it must wait. */
    async begin(keys: AttemptKeys): Promise<Attempt> {
      const counters = countersFor(keys);
      const held: { counter: Counter; wait: number }[] = [];
      let refusedForMs = 0;
      for (const counter of counters) {
        const count = (await failures.penalty(counter.key, 1)).consumedPoints;
        if (count < counter.free) continue;
        const wait = waitAfter(count, counter.free);
        try {
          await gates.consume(counter.key, 1, { customDuration: wait });
          held.push({ counter, wait });
        } catch (refusal) {
          if (!(refusal instanceof RateLimiterRes)) throw refusal;
          refusedForMs = Math.max(refusedForMs, refusal.msBeforeNext);
        }
      }
      if (refusedForMs > 0) {
        for (const counter of counters) await failures.reward(counter.key, 1);
        for (const { counter } of held) await gates.delete(counter.key);
        throw new TooManyAttemptsError(Math.ceil(refusedForMs / 1000));
      }
      const [account, address] = counters;
      return {
        async succeeded() {
          await failures.delete(account.key);
          await gates.delete(account.key);
          await failures.reward(address.key, 1);
          if (held.some((h) => h.counter === address)) await gates.delete(address.key);
        },
        async failed() {
          return Math.max(0, ...held.map((h) => h.wait));
        },
      };
    },

    /** Forgets an account's failures (an admin reset its password). */
    async clearAccount(username: string): Promise<void> {
      const [account] = countersFor({ username, address: '' });
      await failures.delete(account.key);
      await gates.delete(account.key);
    },

    /** Deletes counters that have run out; the purge job calls this. */
    purgeExpired(): Promise<number> {
      return purgeThrottleCounters(db, clock.now().getTime());
    },
  };
}

export type SignInThrottle = ReturnType<typeof createSignInThrottle>;
