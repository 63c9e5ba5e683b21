import type { Request, Response } from 'express';
import { render } from '../page-context.ts';
import { retentionPolicyFromEnv } from '../../server/retention/retention-policy.ts';

/** The accessibility statement: public, like the sign-in page. */
export function accessibility(req: Request, res: Response): void {
  render(req, res, 'info/accessibility.njk', { pageTitle: 'Accessibility statement' });
}

/** A period of days in plain English: whole years as years ("2 years"), otherwise days. */
export function describeDays(days: number): string {
  const years = days / 365.25;
  if (days >= 365 && Math.abs(years - Math.round(years)) * 365.25 < 2) return Math.round(years) === 1 ? '1 year' : `${Math.round(years)} years`;
  return days === 1 ? '1 day' : `${days} days`;
}

/** How the service uses personal data, with the retention periods in force: public. */
export function privacy(req: Request, res: Response): void {
  // The same variables the retention job reads (server/main.ts), so the page says what the service does.
  const policy = retentionPolicyFromEnv();
  render(req, res, 'info/privacy.njk', {
    pageTitle: 'How we use personal data',
    retention: {
      people: describeDays(policy.peopleDays),
      audit: describeDays(policy.auditDays),
      sessions: policy.sessionsDays === 0 ? 'Deleted as soon as they expire.' : `Deleted ${describeDays(policy.sessionsDays)} after they expire.`,
      apiTokens: policy.apiTokensDays === 0 ? 'Deleted as soon as they are withdrawn.' : `Deleted ${describeDays(policy.apiTokensDays)} after they are withdrawn.`,
    },
  });
}
