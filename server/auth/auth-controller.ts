import { Router, type Response } from 'express';
import { z } from 'zod';
import type { Services } from '../services.ts';
import { currentUser, requireRole } from '../middleware/authentication.ts';
import { parseInput } from '../middleware/validation.ts';
import { ForbiddenError, HttpError, NotFoundError } from '../errors.ts';
import { ROLES } from '../../experiments/vocabulary.ts';
import { clientAddress } from './client-address.ts';
import { TooManyAttemptsError } from './sign-in-throttle.ts';

export const tokenRequestSchema = z
  .object({
    username: z.string().trim().min(1, 'Enter your username'),
    password: z.string().min(1, 'Enter your password'),
    label: z.string().trim().min(1).max(80).default('api'),
  })
  .strict();

/** The rule for every password a person chooses (new users, changes). */
export const passwordSchema = z.string().min(12, 'Passwords must be at least 12 characters').max(200, 'Passwords must be 200 characters or fewer');

export const userInputSchema = z
  .object({
    username: z.string().trim().regex(/^[a-z0-9._-]{3,40}$/, 'Use 3 to 40 lower-case letters, digits, dots, hyphens or underscores'),
    displayName: z.string().trim().min(1).max(80),
    role: z.enum(ROLES),
    password: passwordSchema,
  })
  .strict();

const tokenIdSchema = z.coerce.number().int().positive();

/** A 429 carries Retry-After so clients know when to try again. */
export function sendRetryAfter(res: Response, error: unknown): void {
  if (error instanceof TooManyAttemptsError) res.setHeader('Retry-After', String(error.retryAfterSeconds));
}

export function authRoutes(services: Services): Router {
  const router = Router();

  router.post('/tokens', async (req, res) => {
    const input = parseInput(tokenRequestSchema, req.body);
    let result;
    try {
      result = await services.checkPassword({ username: input.username, address: clientAddress(req) }, 'create-token', () =>
        services.auth.authenticate(input.username, input.password),
      );
    } catch (error) {
      sendRetryAfter(res, error);
      throw error;
    }
    const { user } = result;
    if (!user) throw new HttpError(401, 'The username or password is not right');
    if (user.mustChangePassword) throw new ForbiddenError('Your password was reset: sign in to the service and choose a new password first');
    const token = await services.auth.issueApiToken(user.id, input.label);
    await services.audit.record(user.id, 'create-token', 'api-token', token.id);
    res.status(201).json({ token: token.token, expiresAt: token.expiresAt, user });
  });

  /** The caller's own tokens: when each was made, last used and expires. */
  router.get('/tokens', async (req, res) => {
    res.json({ tokens: await services.auth.listTokens(currentUser(req).id) });
  });

  /** Revokes one of the caller's tokens, or (for an admin) anyone's. */
  router.delete('/tokens/:id', async (req, res) => {
    const user = currentUser(req);
    const id = parseInput(tokenIdSchema, req.params.id);
    const owner = await services.auth.tokenOwner(id);
    if (owner === null || (owner !== user.id && user.role !== 'admin')) throw new NotFoundError('Token');
    if (!(await services.auth.revokeToken(owner, id))) throw new NotFoundError('Token');
    await services.audit.record(user.id, 'revoke-token', 'api-token', id);
    res.status(204).end();
  });

  router.get('/me', (req, res) => {
    res.json(currentUser(req));
  });

  router.post('/users', requireRole('admin'), async (req, res) => {
    const admin = currentUser(req);
    const user = await services.auth.createUser(parseInput(userInputSchema, req.body));
    await services.audit.record(admin.id, 'create', 'user', user.id);
    res.status(201).json(user);
  });

  /** Admins: a user's tokens. */
  router.get('/users/:username/tokens', requireRole('admin'), async (req, res) => {
    const account = await services.accounts.byUsername(String(req.params.username));
    res.json({ tokens: await services.auth.listTokens(account.id) });
  });

  return router;
}
