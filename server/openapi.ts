import { z } from 'zod';
import { allocationInputSchema, experimentInputSchema } from '../experiments/experiment/experiment-schema.ts';
import { contactInputSchema, contactPreferencesSchema } from '../experiments/contacts/contact-schema.ts';
import { outcomeInputSchema } from '../experiments/outcomes/outcome-schema.ts';
import { correctionInputSchema, optInInputSchema } from '../experiments/outcomes/correction-schema.ts';
import { tokenRequestSchema, userInputSchema } from './auth/auth-controller.ts';

const schema = (s: z.ZodType) => z.toJSONSchema(s, { io: 'input', unrepresentable: 'any' });
const json = (s: z.ZodType) => ({ required: true, content: { 'application/json': { schema: schema(s) } } });
const ok = (description: string) => ({ description, content: { 'application/json': {} } });
const errors = {
  '400': { description: 'Invalid input: `errors` lists each field and what to do', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
  '401': { description: 'Not signed in' },
  '403': { description: 'Your role cannot do this' },
  '503': { description: 'The database cannot be reached at the moment: try again after the Retry-After seconds' },
};
const op = (summary: string, roles: string, extra: object = {}) => ({ summary, description: `Roles: ${roles}.`, responses: { '200': ok('OK'), ...errors }, ...extra });
/**
 * Marks an operation that reads, changes or exports people's records: every
 * request to it writes exactly one audit row (server/middleware/request-audit.ts),
 * and tests/security/audit-coverage.test.ts calls each one to check.
 */
const personLevel = { 'x-person-level': true } as const;
const keyParam = [{ name: 'key', in: 'path', required: true, schema: { type: 'string' } }];
const refParam = [{ name: 'reference', in: 'path', required: true, schema: { type: 'string' } }];

/** The OpenAPI 3.1 description of the JSON API, built from the same zod schemas that validate it. */
export function openApiDocument() {
  return {
    openapi: '3.1.0',
    info: {
      title: 'EIU test-and-learn platform API',
      version: '0.1.0',
      description:
        'Define and run experiments, assign people to arms, and record what happens on their journey. Nothing recorded here affects anyone\'s benefits. Authenticate with `Authorization: Bearer <token>` from POST /api/tokens.',
    },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: {
        Error: {
          type: 'object',
          properties: { error: { type: 'string' }, errors: { type: 'array', items: { type: 'object', properties: { field: { type: 'string' }, message: { type: 'string' } } } } },
        },
      },
    },
    security: [{ bearer: [] }],
    paths: {
      '/api/tokens': {
        post: op('Exchange a username and password for an API token (expires after EIU_TOKEN_DAYS, default 90)', 'anyone', {
          security: [],
          requestBody: json(tokenRequestSchema),
          responses: { '201': ok('Token created'), ...errors, '429': { description: 'Too many failed attempts: wait for the Retry-After seconds' } },
        }),
        get: op('Your API tokens: created, last used, expires, status', 'any'),
      },
      '/api/tokens/{id}': {
        delete: op('Revoke one of your tokens (admins: anyone’s)', 'any', { parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'integer' } }], responses: { '204': { description: 'Revoked' }, ...errors } }),
      },
      '/api/users/{username}/tokens': { get: op('A user’s API tokens', 'admin', { parameters: [{ name: 'username', in: 'path', required: true, schema: { type: 'string' } }] }) },
      '/api/me': { get: op('The signed-in user', 'any') },
      '/api/users': { post: op('Create a user', 'admin', { requestBody: json(userInputSchema) }) },
      '/api/experiments': {
        get: op('List experiments (seeds, weights and coverage for analysts only)', 'analyst, coach, minister'),
        post: op('Define an experiment (as a draft)', 'analyst', { requestBody: json(experimentInputSchema), responses: { '201': ok('Created'), '409': { description: 'The key is taken' }, ...errors } }),
      },
      '/api/experiments/{key}': {
        get: op('One experiment with its arms; analysts also get phases, seeds, weights and coverage', 'analyst, coach, minister', { parameters: keyParam }),
        put: op('Replace the design of a draft', 'analyst', { parameters: keyParam, requestBody: json(experimentInputSchema) }),
      },
      ...Object.fromEntries(
        ['launch', 'pause', 'resume', 'conclude'].map((action) => [
          `/api/experiments/{key}/${action}`,
          { post: op(`${action[0].toUpperCase()}${action.slice(1)} the experiment`, 'analyst', { parameters: keyParam, responses: { '200': ok('OK'), '409': { description: 'Not allowed from the current status' } } }) },
        ]),
      ),
      '/api/experiments/{key}/allocation': {
        post: op('Change weights, coverage or add arms (starts a new phase after launch)', 'analyst', { parameters: keyParam, requestBody: json(allocationInputSchema) }),
      },
      '/api/experiments/{key}/assignments': {
        post: op('Assign a person (returns the stored arm if already assigned; assigned=false with a reason if they cannot be). Only analysts see the seed, hash bucket and block position', 'analyst, coach (own caseload)', {
          ...personLevel,
          parameters: keyParam,
          requestBody: json(z.object({ contact: z.string() })),
          responses: { '200': ok('Already assigned, or not assigned with a reason'), '201': ok('Newly assigned'), '409': { description: 'The experiment is not running' }, ...errors },
        }),
      },
      '/api/experiments/{key}/report': {
        get: op('The full report by assigned arm: metrics with intervals and adjusted p-values, funnel, weekly series, CONSORT flow, subgroups, coaches', 'analyst', {
          parameters: [
            ...keyParam,
            { name: 'asOf', in: 'query', schema: { type: 'string', format: 'date-time' }, description: 'Report as things stood at this time' },
            { name: 'metrics', in: 'query', schema: { type: 'string' }, description: 'Extra metrics (comma-separated stages), e.g. a later phase for this experiment\'s arms' },
            { name: 'window', in: 'query', schema: { type: 'integer' }, description: 'Days after assignment within which the primary metric counts' },
          ],
        }),
      },
      '/api/experiments/{key}/export/assignments.csv': { get: op('Assignments as CSV (with seed, hash bucket and block position, so every arm can be recomputed)', 'analyst', { ...personLevel, parameters: keyParam }) },
      '/api/experiments/{key}/export/outcomes.csv': { get: op('Outcome events of assigned people as CSV', 'analyst', { ...personLevel, parameters: keyParam }) },
      '/api/contacts': {
        get: op('List contacts (a coach sees their own caseload)', 'analyst, coach', personLevel),
        post: op('Add contacts, all or none', 'analyst', { ...personLevel, requestBody: json(z.object({ contacts: z.array(contactInputSchema) })) }),
      },
      '/api/contacts/import': {
        post: op('Import a cohort CSV, all or none; rejected rows come back with line numbers', 'analyst', {
          ...personLevel,
          requestBody: { required: true, content: { 'text/csv': { schema: { type: 'string' } } } },
        }),
      },
      '/api/contacts/{reference}': {
        get: op('One contact', 'analyst, coach (own caseload)', { ...personLevel, parameters: refParam }),
        patch: op('Change preferred channel, adjustments or coach (history kept)', 'analyst, coach (own caseload)', { ...personLevel, parameters: refParam, requestBody: json(contactPreferencesSchema) }),
      },
      '/api/contacts/{reference}/history': { get: op('History of preference changes', 'analyst, coach (own caseload)', { ...personLevel, parameters: refParam }) },
      '/api/contacts/{reference}/outcomes': {
        get: op('Outcome events as they now count (corrected values, with each correction and the original); withdrawn events only with include=withdrawn', 'analyst, coach (own caseload)', {
          ...personLevel,
          parameters: [...refParam, { name: 'include', in: 'query', schema: { type: 'string', enum: ['withdrawn'] }, description: 'Also list withdrawn events (status "withdrawn")' }],
        }),
      },
      '/api/contacts/{reference}/assignments': { get: op('Assignments (only analysts see the seed, hash bucket and block position)', 'analyst, coach (own caseload)', { ...personLevel, parameters: refParam }) },
      '/api/contacts/{reference}/opt-out': {
        post: op('Record that the person does not want to be contacted again. Recorded once: while they are opted out, a repeat (any idempotency key) returns the opt-out in force and stores nothing', 'analyst, coach (own caseload)', {
          ...personLevel,
          parameters: refParam,
          responses: { '201': ok('Recorded'), '200': ok('Already opted out, or a retry: the opt-out in force, nothing recorded'), '409': { description: 'The idempotency key was already used for a different outcome; nothing was recorded' }, ...errors },
        }),
      },
      '/api/contacts/{reference}/opt-in': {
        post: op('Record that an opted-out person asked, themselves, to be contacted again (with a reason; audited). The opt-out stays in the record and in the analysis', 'analyst, coach (own caseload)', {
          ...personLevel,
          parameters: refParam,
          requestBody: json(optInInputSchema),
          responses: { '201': ok('Opted back in'), '200': ok('Already opted back in: that opt-in'), '409': { description: 'The person has not opted out' }, ...errors },
        }),
      },
      '/api/outcomes': {
        post: op('Record an outcome event (idempotent by idempotencyKey: the same key with the same payload returns the first event)', 'analyst, coach (own caseload)', {
          ...personLevel,
          requestBody: json(outcomeInputSchema),
          responses: {
            '201': ok('Recorded'),
            '200': ok('A retry with the same key and payload: the first result, nothing recorded'),
            '409': { description: 'The person has opted out of contact, or the idempotency key was already used for a different outcome (contact, stage, value, detail or occurredAt differ); nothing was recorded' },
            ...errors,
          },
        }),
      },
      '/api/outcomes/{id}/corrections': {
        post: op(
          'Correct or withdraw an outcome event. The correction is appended and the event stays as first recorded; reports count the corrected value, and a withdrawn event not at all. Reason from the list for the kind (correct: wrong_date, wrong_detail, other; withdraw: recorded_by_mistake, wrong_person, did_not_happen, duplicate, other), with an optional note of up to 200 characters without personal details (required for other). For correct, fields left out keep their current value',
          'analyst (any event); coach (events they recorded, up to 14 days after recording)',
          { ...personLevel,
            parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'integer' } }],
            requestBody: json(correctionInputSchema),
            responses: {
              '201': ok('Corrected: the correction and the event as it now counts'),
              '200': ok('A retry (same idempotency key, or withdrawing a withdrawn event): the first result, nothing recorded'),
              '409': { description: 'The event cannot be corrected: it was withdrawn, or it is an opt-out' },
              ...errors,
              '403': { description: 'Not your entry, or more than 14 days since you recorded it: ask an analyst' },
              '404': { description: 'No such event on your caseload' },
            },
          },
        ),
      },
    },
  };
}
