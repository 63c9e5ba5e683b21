import type { Request } from 'express';

/**
 * The caller's address for throttling: Express's `req.ip`, which follows
 * X-Forwarded-For only when `trust proxy` is set (createApp's `trustProxy`).
 * IPv4 written as IPv6 (`::ffff:10.0.0.1`) counts as the IPv4 address.
 */
export function clientAddress(req: Request): string {
  const address = req.ip ?? req.socket.remoteAddress ?? 'unknown';
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}
