import type { Request, Response } from 'express';
import { render } from '../page-context.ts';

/** The accessibility statement: public, like the sign-in page. */
export function accessibility(req: Request, res: Response): void {
  render(req, res, 'info/accessibility.njk', { pageTitle: 'Accessibility statement' });
}

/** How the service uses personal data: public. */
export function privacy(req: Request, res: Response): void {
  render(req, res, 'info/privacy.njk', { pageTitle: 'How we use personal data' });
}
