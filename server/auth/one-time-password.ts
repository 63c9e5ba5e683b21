import { randomBytes } from 'node:crypto';

/**
 * A readable one-time password such as `k7qm-2xva-p9dt-3hcw` (Crockford base32:
 * no i, l, o or u, so it can be read out over the phone): 16 random characters,
 * 80 bits. The user must replace it at their next sign-in.
 */
export function oneTimePassword(): string {
  const alphabet = '0123456789abcdefghjkmnpqrstvwxyz';
  const chars = [...randomBytes(16)].map((b) => alphabet[b & 31]);
  return [0, 4, 8, 12].map((start) => chars.slice(start, start + 4).join('')).join('-');
}
