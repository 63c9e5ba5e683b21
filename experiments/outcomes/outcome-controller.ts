import { Router } from 'express';
import type { Services } from '../../server/services.ts';
import { currentUser, requireRole } from '../../server/middleware/authentication.ts';
import { parseInput } from '../../server/middleware/validation.ts';
import { outcomeInputSchema } from './outcome-schema.ts';

export function outcomeRoutes(services: Services): Router {
  const router = Router();
  router.post('/outcomes', requireRole('analyst', 'coach'), (req, res) => {
    const user = currentUser(req);
    const result = services.outcomes.record(user, parseInput(outcomeInputSchema, req.body));
    // 201 for a new event; 200 with the first result when a retry repeats the key.
    res.status(result.created ? 201 : 200).json(result);
  });
  return router;
}
