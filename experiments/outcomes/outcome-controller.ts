import { Router } from 'express';
import type { Services } from '../../server/services.ts';
import { currentUser, requireRole } from '../../server/middleware/authentication.ts';
import { parseInput } from '../../server/middleware/validation.ts';
import { auditedByService, auditRequest, personLevel } from '../../server/middleware/request-audit.ts';
import { outcomeInputSchema } from './outcome-schema.ts';
import { correctionInputSchema } from './correction-schema.ts';
import { ValidationError } from '../../server/errors.ts';

export function outcomeRoutes(services: Services): Router {
  const router = Router();
  router.post('/outcomes', personLevel('record-outcome', 'contact'), requireRole('analyst', 'coach'), async (req, res) => {
    const user = currentUser(req);
    const input = parseInput(outcomeInputSchema, req.body);
    // The event and its audit row commit together.
    const result = await services.db.withTransaction(async () => {
      const recorded = await services.outcomes.record(user, input);
      await auditRequest(res, services.audit, user.id, { action: recorded.created ? 'record-outcome' : 'repeat-outcome', entityId: recorded.event.contact });
      return recorded;
    });
    // 201 for a new event; 200 with the first result when a retry repeats the key and the payload.
    res.status(result.created ? 201 : 200).json(result);
  });
  // Corrections are appended beside the event, which never changes (docs/decisions/0035).
  router.post('/outcomes/:id/corrections', personLevel('correct-outcome', 'contact'), requireRole('analyst', 'coach'), async (req, res) => {
    const user = currentUser(req);
    const id = Number(req.params.id);
    if (!Number.isSafeInteger(id) || id < 1) throw new ValidationError([{ field: 'id', message: 'The outcome id must be a whole number' }]);
    const result = await services.corrections.correct(user, id, parseInput(correctionInputSchema, req.body));
    // The correction service writes the audit row with the correction, in one transaction.
    auditedByService(res);
    res.status(result.created ? 201 : 200).json(result);
  });
  return router;
}
