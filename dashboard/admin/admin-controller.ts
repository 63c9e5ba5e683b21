import type { Request, Response } from 'express';
import { HttpError } from '../../server/errors.ts';
import { userInputSchema } from '../../server/auth/auth-controller.ts';
import { ROLES } from '../../experiments/vocabulary.ts';
import { dashboardContext, field, render, type PageError } from '../page-context.ts';

interface UserFormValues {
  username: string;
  displayName: string;
  role: string;
  password: string;
  coachCode: string;
  site: string;
}

const empty: UserFormValues = { username: '', displayName: '', role: '', password: '', coachCode: '', site: '' };

async function renderAdmin(req: Request, res: Response, values: UserFormValues = empty, errors: PageError[] = [], status?: number): Promise<void> {
  const { services } = dashboardContext(res);
  const list = (await services.accounts.list()).map(({ username, displayName, role, disabledAt, createdAt }) => ({ username, displayName, role, disabledAt, createdAt }));
  const sites = await services.staff.sites();
  render(
    req,
    res,
    'admin/admin.njk',
    {
      pageTitle: 'Users',
      users: list,
      values: { ...values, password: '' },
      roles: ROLES,
      sites,
      added: typeof req.query.added === 'string' ? req.query.added : null,
      errors,
    },
    status ?? (errors.length ? 400 : 200),
  );
}

/** Admins: who can sign in, and adding a user (a work coach gets their coach record too). */
export async function get(req: Request, res: Response): Promise<void> {
  await renderAdmin(req, res);
}

export async function postUser(req: Request, res: Response): Promise<void> {
  const { services } = dashboardContext(res);
  const values: UserFormValues = {
    username: field(req.body, 'username'),
    displayName: field(req.body, 'displayName'),
    role: field(req.body, 'role'),
    password: typeof req.body?.password === 'string' ? req.body.password : '',
    coachCode: field(req.body, 'coachCode'),
    site: field(req.body, 'site'),
  };
  const errors: PageError[] = [];
  const parsed = userInputSchema.safeParse({ username: values.username, displayName: values.displayName, role: values.role, password: values.password });
  if (!parsed.success) {
    const messages: Record<string, string> = { displayName: 'Enter the person’s name', role: 'Select a role' };
    for (const issue of parsed.error.issues) {
      const name = String(issue.path[0]);
      if (!errors.some((e) => e.field === name)) errors.push({ field: name, message: messages[name] ?? issue.message });
    }
  }
  if (values.role === 'coach') {
    if (!/^[A-Za-z0-9][A-Za-z0-9-]{1,19}$/.test(values.coachCode)) errors.push({ field: 'coachCode', message: 'Enter the work coach code, for example WC11' });
    if (!(await services.staff.sites()).some((s: { code: string }) => s.code === values.site)) errors.push({ field: 'site', message: 'Select the coach’s site' });
    if ((await services.staff.coaches()).some((c: { code: string }) => c.code.toLowerCase() === values.coachCode.toLowerCase()))
      errors.push({ field: 'coachCode', message: 'That work coach code is already used: choose another' });
  }
  const order = ['username', 'displayName', 'role', 'coachCode', 'site', 'password'];
  errors.sort((a, b) => order.indexOf(a.field) - order.indexOf(b.field));
  if (errors.length || !parsed.success) return await renderAdmin(req, res, values, errors);
  try {
    const user = await services.auth.createUser(parsed.data);
    if (values.role === 'coach') await services.staff.addCoach({ code: values.coachCode, name: values.displayName, siteCode: values.site, userId: user.id });
    await services.audit.record(req.user!.id, 'create', 'user', user.id);
    res.redirect(303, `/admin?added=${encodeURIComponent(user.username)}`);
  } catch (error) {
    if (error instanceof HttpError && error.status < 500)
      return await renderAdmin(req, res, values, error.errors.length ? error.errors.map((e) => ({ field: e.field, message: e.message })) : [{ field: 'username', message: error.message }]);
    throw error;
  }
}
