import { Router } from 'express';
import type { Services } from '../../server/services.ts';
import { currentUser, requireRole } from '../../server/middleware/authentication.ts';
import { parseInput } from '../../server/middleware/validation.ts';
import { outcomeInputSchema } from './outcome-schema.ts';
import { correctionInputSchema } from './correction-schema.ts';
import { ValidationError } from '../../server/errors.ts';

export function outcomeRoutes(services: Services): Router {
  const router = Router();
  router.post('/outcomes', requireRole('analyst', 'coach'), (req, res) => {
    const user = currentUser(req);
    const result = services.outcomes.record(user, parseInput(outcomeInputSchema, req.body));
    if (result.created) services.audit.record(user.id, 'record-outcome', 'outcome_event', result.event.id);
    // 201 for a new event; 200 with the first result when a retry repeats the key.
    res.status(result.created ? 201 : 200).json(result);
  });
  // Corrections are appended beside the event, which never changes (docs/decisions/0035).
  router.post('/outcomes/:id/corrections', requireRole('analyst', 'coach'), (req, res) => {
    const user = currentUser(req);
    const id = Number(req.params.id);
    if (!Number.isSafeInteger(id) || id < 1) throw new ValidationError([{ field: 'id', message: 'The outcome id must be a whole number' }]);
    const result = services.corrections.correct(user, id, parseInput(correctionInputSchema, req.body));
    res.status(result.created ? 201 : 200).json(result);
  });
  return router;
}
