import type { NextFunction, Request, Response } from 'express';

/**
 * Security headers for every response. Scripts and styles come only from this
 * origin (govuk-frontend and chart.js are served locally), so a strict CSP holds.
 * Over HTTPS (directly, or behind a proxy the app is told to trust) browsers
 * are also told to use HTTPS only, for a year (HSTS).
 */
export function setUpSecurityHeaders() {
  return (req: Request, res: Response, next: NextFunction) => {
    res.setHeader(
      'Content-Security-Policy',
      "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
    );
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
    res.setHeader('Permissions-Policy', 'camera=(), microphone=(), geolocation=()');
    // Sent only over HTTPS: browsers ignore it over plain HTTP, and a local http:// demo must keep working.
    if (req.secure) res.setHeader('Strict-Transport-Security', 'max-age=31536000; includeSubDomains');
    res.removeHeader('X-Powered-By');
    next();
  };
}

/**
 * Responses that may carry personal data are never stored by a browser or a
 * shared cache: every API response (JSON and CSV exports) and everything a
 * signed-in user is sent. The dashboard takes it off again for its static
 * assets, which hold nothing personal and are cached for a day.
 */
export function setUpNoStore() {
  return (req: Request, res: Response, next: NextFunction) => {
    if (req.user || req.path.startsWith('/api/')) res.setHeader('Cache-Control', 'no-store');
    next();
  };
}

/**
 * The `trust proxy` setting from EIU_TRUST_PROXY, for running behind a
 * TLS-terminating proxy: a number of proxy hops (1 for one proxy in front),
 * Express's names (`loopback`, `uniquelocal`) or addresses and subnets
 * (comma-separated). Then `req.secure` follows the proxy's
 * X-Forwarded-Proto, so cookies get `Secure` and HSTS is sent. Unset, empty,
 * `0` or `false` trusts no proxy.
 */
export function trustProxySetting(value: string | undefined): number | string | false {
  const text = value?.trim() ?? '';
  if (text === '' || text === '0' || text.toLowerCase() === 'false') return false;
  if (/^\d+$/.test(text)) return Number(text);
  return text;
}
