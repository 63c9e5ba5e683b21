import { randomUUID } from 'node:crypto';
import type { Request, Response } from 'express';
import { HttpError } from '../../server/errors.ts';
import type { CurrentUser } from '../../server/auth/auth-service.ts';
import type { Services } from '../../server/services.ts';
import { ADJUSTMENTS } from '../../experiments/vocabulary.ts';
import type { OutcomeView } from '../../experiments/outcomes/outcome-service.ts';
import { dashboardContext, field, render, type PageError } from '../page-context.ts';
import { formatDateTime, humanise, stageLabel } from '../format.ts';
import { armInstructions, instructionParagraphs } from './arm-instructions.ts';
import { screenForExperiment } from '../../experiments/assignment/eligibility.ts';
import { readyForJourneyPhase } from '../../experiments/assignment/journey-point.ts';
import { contactAttributes } from '../../experiments/contacts/contact-attributes.ts';
import { createContactLookup } from '../../experiments/contacts/contact-service.ts';
import type { ExperimentView } from '../../experiments/experiment/experiment-service.ts';
import { whyNotEligible } from '../experiments/eligibility-words.ts';
import { nextStep, REPEATABLE_STAGES } from './next-step.ts';
import { DETAIL_CHOICES, emptyOutcomeValues, mapOutcomeErrors, outcomeInputFromForm, outcomeValuesFromBody, RECORDABLE_STAGES, type OutcomeFormValues } from './outcome-form.ts';

const reference = (req: Request) => String(req.params.reference);

const NOT_ASSIGNED: Record<string, string> = {
  opted_out: 'They have asked not to be contacted, so they cannot join an experiment.',
  not_eligible: 'They are not eligible for that experiment, so they were not added. Carry on as usual.',
  outside_coverage: 'They fall outside the share of people that experiment includes, so they were not added. Carry on as usual.',
};

/** One line of the person's funnel: what happened and its detail, in words. */
function describeEvent(event: OutcomeView) {
  const detail = event.detail ?? {};
  const parts: string[] = [];
  if (typeof detail.channel === 'string') parts.push(`by ${humanise(detail.channel)}`);
  if (typeof detail.place === 'string') parts.push(`at ${humanise(detail.place)}`);
  if (typeof detail.time === 'string') parts.push(`on ${formatDateTime(detail.time)}`);
  if (typeof detail.reason === 'string') parts.push(humanise(detail.reason));
  if (typeof detail.kind === 'string') parts.push(`${humanise(detail.kind)} plan`);
  if (Array.isArray(detail.topics)) parts.push(detail.topics.map((t) => humanise(t)).join(', '));
  if (event.value !== null) parts.push(`score ${event.value}`);
  return { id: event.id, stage: event.stage, label: stageLabel(event.stage), occurredAt: event.occurredAt, detail: parts.join('; ') };
}

/** Warnings when an arm's instructions clash with what the person has asked for: their needs come first. */
function preferenceClashes(instructions: ReturnType<typeof armInstructions>, preferredChannel: string | null, adjustments: string[]): string[] {
  const clashes: string[] = [];
  if (instructions.channel && preferredChannel && instructions.channel !== preferredChannel)
    clashes.push(`They prefer ${humanise(preferredChannel)}, but this arm says ${humanise(instructions.channel)}.`);
  if (instructions.meetingPlace && ['jobcentre', 'community_venue'].includes(instructions.meetingPlace)) {
    if (adjustments.includes('home_meeting')) clashes.push('They need meetings at home, but this arm offers a venue.');
    if (adjustments.includes('phone_meeting')) clashes.push('They need meetings by phone, but this arm offers a venue.');
  }
  if (instructions.channel === 'phone' && adjustments.includes('easy_read')) clashes.push('They need easy-read information: follow up the call in writing.');
  return clashes;
}

/**
 * Running experiments a coach may add this person to: one per journey phase,
 * and only at the point of the journey that phase tests (before first contact
 * for phase 1, once a first meeting is agreed for phase 2, after it for phase 3),
 * so the arm always comes before what it changes.
 */
export function joinableExperiments<E extends { key: string; status: string; journeyPhase: number }>(experiments: E[], assignedKeys: string[], reached: Set<string>): E[] {
  const inPhase = new Set(experiments.filter((e) => assignedKeys.includes(e.key) && e.status !== 'concluded').map((e) => e.journeyPhase));
  return experiments.filter((e) => e.status === 'running' && !assignedKeys.includes(e.key) && !inPhase.has(e.journeyPhase) && readyForJourneyPhase(e.journeyPhase, reached));
}

const lookups = new WeakMap<object, ReturnType<typeof createContactLookup>>();

/**
 * Splits the experiments a person could join at this point of their journey
 * into those they are eligible for (offered) and those they are not, with the
 * reason in words: the same screening the assignment service applies.
 */
export function screenOffers(services: Services, user: CurrentUser, ref: string, candidates: ExperimentView[]) {
  let lookup = lookups.get(services.db);
  if (!lookup) lookups.set(services.db, (lookup = createContactLookup(services.db)));
  const row = lookup.byReference(user, ref);
  if (!row) return { offered: [], notOffered: [] };
  const attributes = contactAttributes(row);
  const offered: ExperimentView[] = [];
  const notOffered: { key: string; name: string; reason: string }[] = [];
  for (const experiment of candidates) {
    const screening = screenForExperiment(experiment, row, attributes);
    if (screening.eligible) offered.push(experiment);
    else if (screening.reason === 'not_eligible')
      notOffered.push({ key: experiment.key, name: experiment.name, reason: `Not eligible for ${experiment.name}: ${whyNotEligible(experiment.eligibility, attributes).join('; ')}.` });
    else if (screening.reason === 'outside_coverage')
      notOffered.push({ key: experiment.key, name: experiment.name, reason: `Not in ${experiment.name}: they fall outside the share of people it includes.` });
  }
  return { offered, notOffered };
}

function contactPageData(services: Services, user: CurrentUser, ref: string) {
  const contact = services.contacts.get(user, ref);
  const events = services.outcomes.forContact(user, ref);
  const assignments = services.assignments.forContact(user, ref);
  const experiments = services.experiments.list();
  const byKey = new Map(experiments.map((e) => [e.key, e]));
  const arms = assignments.map((assignment) => {
    const experiment = byKey.get(assignment.experiment)!;
    const instructions = armInstructions(assignment.arm.levels);
    // The analyst's words in force when this person was assigned (decision 0036).
    const armId = experiment.arms.find((a) => a.key === assignment.arm.key)?.id;
    const version = armId === undefined ? null : services.experiments.instructionsAt(armId, assignment.assignedAt);
    return {
      written: version ? { version: version.version, paragraphs: instructionParagraphs(version.instructions), script: version.script } : null,
      experimentKey: experiment.key,
      experimentName: experiment.name,
      experimentStatus: experiment.status,
      journeyPhase: experiment.journeyPhase,
      armName: assignment.arm.name,
      assignedAt: assignment.assignedAt,
      instructions,
      clashes: preferenceClashes(instructions, contact.preferredChannel, contact.adjustments),
    };
  });
  const candidates = contact.optedOutAt ? [] : joinableExperiments(experiments, assignments.map((a) => a.experiment), new Set(events.map((e) => e.stage)));
  const { offered: joinable, notOffered } = screenOffers(services, user, ref, candidates);
  const step = nextStep(events, contact.optedOutAt);
  // The arm of the most recent running experiment says which channel and place to pre-select.
  const current = arms.filter((a) => a.experimentStatus === 'running').at(-1) ?? arms.at(-1);
  return { contact, events, arms, joinable, notOffered, step, defaults: { channel: current?.instructions.channel ?? contact.preferredChannel, place: current?.instructions.meetingPlace ?? null } };
}

function renderContact(req: Request, res: Response, options: { outcome?: OutcomeFormValues; errors?: PageError[]; showAll?: boolean; status?: number } = {}) {
  const { services } = dashboardContext(res);
  const user = req.user!;
  const data = contactPageData(services, user, reference(req));
  const recordedId = Number(req.query.recorded);
  const recorded = Number.isInteger(recordedId) ? data.events.find((e) => e.id === recordedId) : undefined;
  const reached = new Set(data.events.map((e) => e.stage));
  const showAll = options.showAll ?? req.query.all === '1';
  const suggested = new Set<string>(data.step.suggestedStages);
  const outcome = options.outcome ?? emptyOutcomeValues(randomUUID(), data.defaults);
  // Offer the likely next outcomes first; "all outcomes" lists every stage (repeatable or not yet recorded).
  let stages = showAll
    ? RECORDABLE_STAGES.filter((s) => REPEATABLE_STAGES.has(s.key) || !reached.has(s.key) || s.key === outcome.stage)
    : RECORDABLE_STAGES.filter((s) => suggested.has(s.key) || s.key === outcome.stage);
  stages = [...stages].sort((a, b) => data.step.suggestedStages.indexOf(a.key as never) - data.step.suggestedStages.indexOf(b.key as never));
  if (options.outcome === undefined) services.audit.record(user.id, 'view', 'contact', data.contact.id);
  render(
    req,
    res,
    'contact/contact.njk',
    {
      pageTitle: `Contact ${data.contact.reference}`,
      ...data,
      history: services.contacts.history(user, data.contact.reference),
      recorded: recorded ? { label: stageLabel(recorded.stage), at: recorded.occurredAt } : null,
      optedOutNow: req.query.optedOut === '1',
      assignedNow: typeof req.query.assigned === 'string' ? req.query.assigned : null,
      notAssigned: typeof req.query.notAssigned === 'string' ? (NOT_ASSIGNED[req.query.notAssigned] ?? null) : null,
      funnel: data.events.map(describeEvent).reverse(),
      stages: stages.map((s) => ({ key: s.key, label: s.label, detail: 'detail' in s ? s.detail : null, value: 'value' in s ? s.value : null })),
      showAll,
      outcome,
      choices: DETAIL_CHOICES,
      optOutKey: randomUUID(),
      adjustmentLabels: Object.fromEntries(ADJUSTMENTS.map((a) => [a, humanise(a)])),
      errors: options.errors ?? [],
      backLink: { href: '/caseload', text: 'My caseload' },
    },
    options.status ?? (options.errors?.length ? 400 : 200),
  );
}

/** A person's page: their arm and what to do for it, what is due next, and recording in a few clicks. */
export function get(req: Request, res: Response): void {
  renderContact(req, res);
}

/**
 * Records one outcome. The form carries an idempotency key made when the page
 * was drawn, so a double-click or a resubmitted form records it once; then
 * Post/Redirect/Get, so a refresh does not send it again.
 */
export function postOutcome(req: Request, res: Response): void {
  const { services } = dashboardContext(res);
  const user = req.user!;
  const ref = reference(req);
  const values = outcomeValuesFromBody(req.body);
  const showAll = field(req.body, 'showAll') === '1';
  const { input, errors } = outcomeInputFromForm(values, ref, services.clock.now());
  if (!input) return renderContact(req, res, { outcome: values, errors, showAll });
  try {
    const result = services.outcomes.record(user, input);
    if (result.created) services.audit.record(user.id, 'record-outcome', 'contact', ref);
    res.redirect(303, `/contacts/${encodeURIComponent(ref)}?recorded=${result.event.id}`);
  } catch (error) {
    if (error instanceof HttpError && error.status < 500)
      return renderContact(req, res, {
        outcome: values,
        errors: error.errors.length ? mapOutcomeErrors(error.errors, values.stage) : [{ field: 'stage', message: error.message }],
        showAll,
        status: error.status,
      });
    throw error;
  }
}

/** Opt-out in one step: from now on, no contact actions and no new assignments. */
export function postOptOut(req: Request, res: Response): void {
  const { services } = dashboardContext(res);
  const user = req.user!;
  const ref = reference(req);
  const key = field(req.body, 'idempotencyKey');
  const contact = services.contacts.get(user, ref);
  if (!contact.optedOutAt) {
    services.outcomes.record(user, { contact: ref, stage: 'opted_out', idempotencyKey: /^[A-Za-z0-9_-]{8,128}$/.test(key) ? key : randomUUID() });
    services.audit.record(user.id, 'opt-out', 'contact', contact.id);
  }
  res.redirect(303, `/contacts/${encodeURIComponent(ref)}?optedOut=1`);
}

/** Adds the person to a running experiment (once: asking again returns the same arm). */
export function postAssignment(req: Request, res: Response): void {
  const { services } = dashboardContext(res);
  const user = req.user!;
  const ref = reference(req);
  const experimentKey = field(req.body, 'experiment');
  const result = services.assignments.assign(user, experimentKey, ref);
  if (result.assigned) {
    if (result.created) services.audit.record(user.id, 'assign', 'experiment', experimentKey);
    return res.redirect(303, `/contacts/${encodeURIComponent(ref)}?assigned=${encodeURIComponent(experimentKey)}`);
  }
  res.redirect(303, `/contacts/${encodeURIComponent(ref)}?notAssigned=${encodeURIComponent(result.reason)}`);
}
