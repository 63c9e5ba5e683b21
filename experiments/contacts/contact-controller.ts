import express, { Router } from 'express';
import { z } from 'zod';
import type { Services } from '../../server/services.ts';
import { currentUser, requireRole } from '../../server/middleware/authentication.ts';
import { parseInput } from '../../server/middleware/validation.ts';
import { ConflictError, ValidationError } from '../../server/errors.ts';
import { contactInputSchema, contactPreferencesSchema } from './contact-schema.ts';
import { isUniqueViolation } from '../../server/db/database.ts';
import { auditedByService, auditRequest, personLevel } from '../../server/middleware/request-audit.ts';
import { assignmentFor } from '../experiment/allocation-concealment.ts';
import { optInInputSchema } from '../outcomes/correction-schema.ts';
import { importContactsOffThread } from './contact-import-job.ts';

const listQuerySchema = z.object({
  search: z.string().trim().max(40).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  offset: z.coerce.number().int().min(0).default(0),
});
const optOutSchema = z
  .object({
    idempotencyKey: z.string().trim().min(8).max(128),
    occurredAt: z.iso.datetime({ offset: true }).optional(),
  })
  .strict();

export function contactRoutes(services: Services): Router {
  const router = Router();
  const { contacts, outcomes, assignments, audit } = services;
  const ref = (value: unknown) => String(value);

  // Every route here reads or changes people's records: each request writes one audit row (request-audit.ts).
  router.get('/contacts', personLevel('list', 'contacts'), requireRole('analyst', 'coach'), async (req, res) => {
    const user = currentUser(req);
    const query = parseInput(listQuerySchema, req.query);
    const list = await contacts.list(user, query);
    await auditRequest(res, audit, user.id);
    res.json(list);
  });

  router.post('/contacts', personLevel('create', 'contacts'), requireRole('analyst'), async (req, res) => {
    const user = currentUser(req);
    const list = parseInput(z.object({ contacts: z.array(contactInputSchema).min(1).max(10_000) }).strict(), req.body).contacts;
    const result = await contacts.createMany(list).catch((error: unknown) => {
      if (isUniqueViolation(error)) throw new ConflictError('Someone else added some of these people at the same moment, so none were added. Send them again to see which clash');
      throw error;
    });
    if (result.rejected.length)
      throw new ValidationError(result.rejected.flatMap((r) => r.errors.map((e) => ({ field: `contacts.${r.index}.${e.field}`, message: e.message }))), 'No contacts were added');
    await auditRequest(res, audit, user.id, { entityId: String(result.created) });
    res.status(201).json({ created: result.created });
  });

  router.post('/contacts/import', personLevel('import', 'contacts'), requireRole('analyst'), express.text({ type: ['text/csv', 'text/plain'], limit: '100mb' }), async (req, res) => {
    const user = currentUser(req);
    if (typeof req.body !== 'string') throw new ValidationError([{ field: 'file', message: 'Send the cohort file as text/csv' }]);
    // Parsed, checked and saved in a worker thread: a large cohort must not stall everyone else.
    const report = await importContactsOffThread(services, Buffer.from(req.body));
    await auditRequest(res, audit, user.id, report.imported > 0 ? { entityId: String(report.imported) } : { action: 'import-rejected' });
    res.status(report.imported > 0 ? 201 : 400).type('json').send(report.reportJson);
  });

  router.get('/contacts/:reference', personLevel('view', 'contact'), requireRole('analyst', 'coach'), async (req, res) => {
    const user = currentUser(req);
    const contact = await contacts.get(user, ref(req.params.reference));
    await auditRequest(res, audit, user.id, { entityId: contact.reference });
    res.json(contact);
  });

  router.patch('/contacts/:reference', personLevel('update', 'contact'), requireRole('analyst', 'coach'), async (req, res) => {
    const user = currentUser(req);
    const changes = parseInput(contactPreferencesSchema, req.body);
    const contact = await services.db.withTransaction(async () => {
      const updated = await contacts.updatePreferences(user, ref(req.params.reference), changes);
      await auditRequest(res, audit, user.id, { entityId: updated.reference });
      return updated;
    });
    res.json(contact);
  });

  router.get('/contacts/:reference/history', personLevel('view-history', 'contact'), requireRole('analyst', 'coach'), async (req, res) => {
    const user = currentUser(req);
    const changes = await contacts.history(user, ref(req.params.reference));
    await auditRequest(res, audit, user.id);
    res.json({ changes });
  });

  router.get('/contacts/:reference/outcomes', personLevel('view-outcomes', 'contact'), requireRole('analyst', 'coach'), async (req, res) => {
    const user = currentUser(req);
    const events = await outcomes.forContact(user, ref(req.params.reference), { includeWithdrawn: req.query.include === 'withdrawn' });
    await auditRequest(res, audit, user.id);
    res.json({ outcomes: events });
  });

  router.get('/contacts/:reference/assignments', personLevel('view-assignments', 'contact'), requireRole('analyst', 'coach'), async (req, res) => {
    const user = currentUser(req);
    const list = (await assignments.forContact(user, ref(req.params.reference))).map((a) => assignmentFor(user.role, a));
    await auditRequest(res, audit, user.id);
    res.json({ assignments: list });
  });

  router.post('/contacts/:reference/opt-out', personLevel('opt-out', 'contact'), requireRole('analyst', 'coach'), async (req, res) => {
    const user = currentUser(req);
    const body = parseInput(optOutSchema, req.body);
    const result = await services.db.withTransaction(async () => {
      const recorded = await outcomes.record(user, { contact: ref(req.params.reference), stage: 'opted_out', ...body });
      await auditRequest(res, audit, user.id, { action: recorded.created ? 'opt-out' : 'repeat-opt-out', entityId: recorded.event.contact });
      return recorded;
    });
    // 200 with the opt-out already in force when they had opted out: once per person, whatever the key.
    res.status(result.created ? 201 : 200).json(result);
  });

  router.post('/contacts/:reference/opt-in', personLevel('opt-in', 'contact'), requireRole('analyst', 'coach'), async (req, res) => {
    const user = currentUser(req);
    const result = await services.optIns.optIn(user, ref(req.params.reference), parseInput(optInInputSchema, req.body));
    // The opt-in service writes the audit row with the opt-in, in one transaction.
    auditedByService(res);
    res.status(result.created ? 201 : 200).json(result);
  });

  return router;
}
