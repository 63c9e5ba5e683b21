import type { Role } from '../experiments/vocabulary.ts';

/** Where each role lands after signing in. */
export const START_PAGES: Record<Role, string> = {
  analyst: '/experiments',
  coach: '/today',
  minister: '/report',
  admin: '/admin',
};

interface NavigationItem {
  text: string;
  href: string;
}

const NAVIGATION: Record<Role, NavigationItem[]> = {
  analyst: [
    { text: 'Experiments', href: '/experiments' },
    { text: 'Data', href: '/data' },
    { text: 'Learning log', href: '/learning-log' },
    { text: 'Learning summaries', href: '/learning-log/summaries' },
    { text: 'Weekly report', href: '/report' },
  ],
  coach: [
    { text: 'Today', href: '/today' },
    { text: 'My caseload', href: '/caseload' },
    { text: 'Learning log', href: '/learning-log' },
  ],
  minister: [
    { text: 'Weekly report', href: '/report' },
    { text: 'Earlier weeks', href: '/report/weeks' },
  ],
  admin: [
    { text: 'Users', href: '/admin' },
    { text: 'Erase a person’s data', href: '/admin/erasure' },
    { text: 'Audit log', href: '/admin/audit' },
    { text: 'Caseload moves', href: '/admin/moves' },
  ],
};

/** The service navigation for a role, with the current section marked. */
export function navigationFor(role: Role | undefined, path: string) {
  if (!role) return [];
  const items = NAVIGATION[role];
  // The longest matching prefix is the current section (so /report/weeks is not also /report).
  const current = items
    .filter((item) => path === item.href || path.startsWith(`${item.href}/`))
    .sort((a, b) => b.href.length - a.href.length)[0];
  return items.map((item) => ({ ...item, active: item === current }));
}
