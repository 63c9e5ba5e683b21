import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../clock.ts';

/** How long a sign-in form stays usable. */
export const SIGN_IN_TOKEN_MINUTES = 60;

const mac = (secret: string, nonce: string, issuedAt: string) => createHmac('sha256', secret).update(`sign-in|${nonce}|${issuedAt}`).digest('base64url');

const sameText = (a: string, b: string) => {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
};

/**
 * The sign-in form's double-submit token, `nonce.issuedAt.mac`: a random nonce
 * and the time it was issued, signed with the server's secret (HMAC-SHA256).
 * The same value goes in a cookie and in the form. Only the server can make a
 * valid one, so someone who can plant cookies in a browser cannot choose a
 * pair of their own; and one harvested from our own page stops working after
 * an hour (docs/decisions/0030).
 */
export function createSignInTokens(secret: string, clock: Clock) {
  return {
    issue(): string {
      const nonce = randomBytes(18).toString('base64url');
      const issuedAt = String(clock.now().getTime());
      return `${nonce}.${issuedAt}.${mac(secret, nonce, issuedAt)}`;
    },

    /** True when the token is one we issued within the last hour. */
    isValid(token: string | undefined): boolean {
      if (!token) return false;
      const [nonce, issuedAt, signature, ...rest] = token.split('.');
      if (rest.length || !nonce || !/^\d{1,15}$/.test(issuedAt ?? '') || !signature) return false;
      const age = clock.now().getTime() - Number(issuedAt);
      if (age < -60_000 || age > SIGN_IN_TOKEN_MINUTES * 60_000) return false;
      return sameText(signature, mac(secret, nonce, issuedAt));
    },

    /** The cookie and the form carry the same token, and it is one of ours. */
    verifyPair(cookieToken: string | undefined, formToken: string | undefined): boolean {
      if (!cookieToken || !formToken) return false;
      return sameText(cookieToken, formToken) && this.isValid(cookieToken);
    },
  };
}

export type SignInTokens = ReturnType<typeof createSignInTokens>;
