import { Router } from 'express';
import { z } from 'zod';
import type { Services } from '../services.ts';
import { currentUser, requireRole } from '../middleware/authentication.ts';
import { parseInput } from '../middleware/validation.ts';
import { HttpError } from '../errors.ts';
import { ROLES } from '../../experiments/vocabulary.ts';

export const tokenRequestSchema = z
  .object({
    username: z.string().trim().min(1, 'Enter your username'),
    password: z.string().min(1, 'Enter your password'),
    label: z.string().trim().min(1).max(80).default('api'),
  })
  .strict();

export const userInputSchema = z
  .object({
    username: z.string().trim().regex(/^[a-z0-9._-]{3,40}$/, 'Use 3 to 40 lower-case letters, digits, dots, hyphens or underscores'),
    displayName: z.string().trim().min(1).max(80),
    role: z.enum(ROLES),
    password: z.string().min(12, 'Passwords must be at least 12 characters'),
  })
  .strict();

export function authRoutes(services: Services): Router {
  const router = Router();

  router.post('/tokens', async (req, res) => {
    const input = parseInput(tokenRequestSchema, req.body);
    const user = await services.auth.authenticate(input.username, input.password);
    if (!user) {
      // No username kept: people sometimes type their password into it.
      services.audit.record(null, 'create-token-failed', 'user', null);
      throw new HttpError(401, 'The username or password is not right');
    }
    const token = services.auth.createApiToken(user.id, input.label);
    services.audit.record(user.id, 'create-token', 'user', user.id);
    res.status(201).json({ token, user });
  });

  router.get('/me', (req, res) => {
    res.json(currentUser(req));
  });

  router.post('/users', requireRole('admin'), async (req, res) => {
    const admin = currentUser(req);
    const user = await services.auth.createUser(parseInput(userInputSchema, req.body));
    services.audit.record(admin.id, 'create', 'user', user.id);
    res.status(201).json(user);
  });

  return router;
}
