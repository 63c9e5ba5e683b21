import { Router, type Response } from 'express';
import { z } from 'zod';
import type { Services } from '../../server/services.ts';
import { currentUser, requireRole } from '../../server/middleware/authentication.ts';
import { parseInput } from '../../server/middleware/validation.ts';
import { allocationInputSchema, experimentInputSchema } from './experiment-schema.ts';
import type { LifecycleAction } from './experiment-service.ts';
import { isMetricKey } from '../metrics.ts';
import { buildExperimentReport } from '../progress/report-read-model.ts';
import { auditRequest, personLevel } from '../../server/middleware/request-audit.ts';
import { assignmentResultFor, experimentFor } from './allocation-concealment.ts';

const assignmentRequestSchema = z.object({ contact: z.string().trim().min(1, 'Enter the contact reference') }).strict();

const metricList = z
  .string()
  .optional()
  .transform((value) => (value ? value.split(',').map((m) => m.trim()).filter(Boolean) : []))
  .pipe(z.array(z.string().refine(isMetricKey, { message: 'Each metric must be a funnel stage' })));
const reportQuerySchema = z
  .object({
    asOf: z.iso.datetime({ offset: true, error: 'Give asOf as a date and time, for example 2026-11-20T17:00:00Z' }).optional(),
    metrics: metricList,
    window: z.coerce.number().int().min(1).max(730).optional(),
  })
  .strict();

export function experimentRoutes(services: Services): Router {
  const router = Router();
  const { experiments, assignments, audit, exports } = services;

  // Coaches and ministers never see seeds, weights or coverage (allocation concealment).
  router.get('/experiments', requireRole('analyst', 'coach', 'minister'), async (req, res) => {
    const { role } = currentUser(req);
    res.json({ experiments: (await experiments.list()).map((view) => experimentFor(role, view)) });
  });

  router.post('/experiments', requireRole('analyst'), async (req, res) => {
    const user = currentUser(req);
    const experiment = await experiments.create(parseInput(experimentInputSchema, req.body), user.id);
    await audit.record(user.id, 'create', 'experiment', experiment.key);
    res.status(201).location(`/api/experiments/${experiment.key}`).json(experiment);
  });

  router.get('/experiments/:key', requireRole('analyst', 'coach', 'minister'), async (req, res) => {
    res.json(experimentFor(currentUser(req).role, await experiments.get(String(req.params.key))));
  });

  router.put('/experiments/:key', requireRole('analyst'), async (req, res) => {
    const user = currentUser(req);
    const experiment = await experiments.updateDraft(String(req.params.key), parseInput(experimentInputSchema, req.body));
    await audit.record(user.id, 'update', 'experiment', experiment.key);
    res.json(experiment);
  });

  for (const action of ['launch', 'pause', 'resume', 'conclude'] as LifecycleAction[]) {
    router.post(`/experiments/:key/${action}`, requireRole('analyst'), async (req, res) => {
      const user = currentUser(req);
      const experiment = await experiments.transition(String(req.params.key), action);
      await audit.record(user.id, action, 'experiment', experiment.key);
      res.json(experiment);
    });
  }

  router.post('/experiments/:key/allocation', requireRole('analyst'), async (req, res) => {
    const user = currentUser(req);
    const experiment = await experiments.changeAllocation(String(req.params.key), parseInput(allocationInputSchema, req.body));
    await audit.record(user.id, 'change-allocation', 'experiment', experiment.key);
    res.json(experiment);
  });

  router.post('/experiments/:key/assignments', personLevel('assign', 'contact'), requireRole('analyst', 'coach'), async (req, res) => {
    const user = currentUser(req);
    const { contact } = parseInput(assignmentRequestSchema, req.body);
    // The audit row goes in the assignment's own transaction: one commit per request.
    const result = await services.db.withTransaction(async () => {
      const outcome = await assignments.assign(user, String(req.params.key), contact);
      const action = !outcome.assigned ? 'screen-out' : outcome.created ? 'assign' : 'view-assignment';
      await auditRequest(res, audit, user.id, { action, entityId: outcome.assigned ? outcome.assignment.contact : undefined });
      return outcome;
    });
    res.status(result.assigned && result.created ? 201 : 200).json(assignmentResultFor(user.role, result));
  });

  // Analysts only: coaches must not see running results, and ministers read the suppressed weekly report.
  router.get('/experiments/:key/report', requireRole('analyst'), async (req, res) => {
    const user = currentUser(req);
    const query = parseInput(reportQuerySchema, req.query);
    const experiment = await experiments.get(String(req.params.key));
    const asOf = query.asOf ? new Date(query.asOf) : services.clock.now();
    const windows = query.window ? { [experiment.primaryMetric]: query.window } : undefined;
    await audit.record(user.id, 'view-report', 'experiment', experiment.key);
    res.json(await buildExperimentReport(services.db, experiment.key, { asOf, extraMetrics: query.metrics, windows }));
  });

  const sendCsv = (res: Response, filename: string, stream: NodeJS.ReadableStream) => {
    res.type('text/csv; charset=utf-8').attachment(filename);
    stream.pipe(res);
  };

  router.get('/experiments/:key/export/assignments.csv', personLevel('export-assignments', 'experiment'), requireRole('analyst'), async (req, res) => {
    const user = currentUser(req);
    const experiment = await experiments.get(String(req.params.key));
    await auditRequest(res, audit, user.id);
    sendCsv(res, `${experiment.key}-assignments.csv`, await exports.assignmentsCsv(experiment.id));
  });

  router.get('/experiments/:key/export/outcomes.csv', personLevel('export-outcomes', 'experiment'), requireRole('analyst'), async (req, res) => {
    const user = currentUser(req);
    const experiment = await experiments.get(String(req.params.key));
    await auditRequest(res, audit, user.id);
    sendCsv(res, `${experiment.key}-outcomes.csv`, await exports.outcomesCsv(experiment.id));
  });

  return router;
}
