import express, { Router } from 'express';
import { z } from 'zod';
import type { Services } from '../../server/services.ts';
import { currentUser, requireRole } from '../../server/middleware/authentication.ts';
import { parseInput } from '../../server/middleware/validation.ts';
import { ValidationError } from '../../server/errors.ts';
import { contactInputSchema, contactPreferencesSchema } from './contact-schema.ts';
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

  router.get('/contacts', requireRole('analyst', 'coach'), (req, res) => {
    const user = currentUser(req);
    const query = parseInput(listQuerySchema, req.query);
    audit.record(user.id, 'list', 'contacts', null);
    res.json(contacts.list(user, query));
  });

  router.post('/contacts', requireRole('analyst'), (req, res) => {
    const user = currentUser(req);
    const list = parseInput(z.object({ contacts: z.array(contactInputSchema).min(1).max(10_000) }).strict(), req.body).contacts;
    const result = contacts.createMany(list);
    if (result.rejected.length)
      throw new ValidationError(result.rejected.flatMap((r) => r.errors.map((e) => ({ field: `contacts.${r.index}.${e.field}`, message: e.message }))), 'No contacts were added');
    audit.record(user.id, 'create', 'contacts', result.created);
    res.status(201).json({ created: result.created });
  });

  router.post('/contacts/import', requireRole('analyst'), express.text({ type: ['text/csv', 'text/plain'], limit: '100mb' }), async (req, res) => {
    const user = currentUser(req);
    if (typeof req.body !== 'string') throw new ValidationError([{ field: 'file', message: 'Send the cohort file as text/csv' }]);
    // Parsed, checked and saved in a worker thread: a large cohort must not stall everyone else.
    const report = await importContactsOffThread(services, Buffer.from(req.body));
    if (report.imported > 0) audit.record(user.id, 'import', 'contacts', report.imported);
    res.status(report.imported > 0 ? 201 : 400).type('json').send(report.reportJson);
  });

  router.get('/contacts/:reference', requireRole('analyst', 'coach'), (req, res) => {
    const user = currentUser(req);
    const contact = contacts.get(user, ref(req.params.reference));
    audit.record(user.id, 'view', 'contact', contact.id);
    res.json(contact);
  });

  router.patch('/contacts/:reference', requireRole('analyst', 'coach'), (req, res) => {
    const user = currentUser(req);
    const contact = contacts.updatePreferences(user, ref(req.params.reference), parseInput(contactPreferencesSchema, req.body));
    audit.record(user.id, 'update', 'contact', contact.id);
    res.json(contact);
  });

  router.get('/contacts/:reference/history', requireRole('analyst', 'coach'), (req, res) => {
    res.json({ changes: contacts.history(currentUser(req), ref(req.params.reference)) });
  });

  router.get('/contacts/:reference/outcomes', requireRole('analyst', 'coach'), (req, res) => {
    res.json({ outcomes: outcomes.forContact(currentUser(req), ref(req.params.reference)) });
  });

  router.get('/contacts/:reference/assignments', requireRole('analyst', 'coach'), (req, res) => {
    res.json({ assignments: assignments.forContact(currentUser(req), ref(req.params.reference)) });
  });

  router.post('/contacts/:reference/opt-out', requireRole('analyst', 'coach'), (req, res) => {
    const user = currentUser(req);
    const body = parseInput(optOutSchema, req.body);
    const result = outcomes.record(user, { contact: ref(req.params.reference), stage: 'opted_out', ...body });
    res.status(result.created ? 201 : 200).json(result);
  });

  return router;
}
