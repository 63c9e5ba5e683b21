import { randomUUID } from 'node:crypto';
import type { Request, Response } from 'express';
import { HttpError } from '../../server/errors.ts';
import { auditRequest } from '../../server/middleware/request-audit.ts';
import type { CurrentUser } from '../../server/auth/auth-service.ts';
import type { Services } from '../../server/services.ts';
import { ADJUSTMENTS } from '../../experiments/vocabulary.ts';
import type { OutcomeView } from '../../experiments/outcomes/outcome-service.ts';
import { COACH_CORRECTION_DAYS } from '../../experiments/outcomes/correction-schema.ts';
import { dashboardContext, field, render, type PageError } from '../page-context.ts';
import { formatDate, formatDateTime, humanise, stageLabel } from '../format.ts';
import { armInstructions, instructionParagraphs } from './arm-instructions.ts';
import { screenForExperiment } from '../../experiments/assignment/eligibility.ts';
import { createClusterCodes } from '../../experiments/assignment/cluster-code.ts';
import { readyForJourneyPhase } from '../../experiments/assignment/journey-point.ts';
import { contactAttributes } from '../../experiments/contacts/contact-attributes.ts';
import { createContactLookup } from '../../experiments/contacts/contact-service.ts';
import type { ExperimentView } from '../../experiments/experiment/experiment-service.ts';
import { whyNotEligible } from '../experiments/eligibility-words.ts';
import { nextStep, REPEATABLE_STAGES } from './next-step.ts';
import { DETAIL_CHOICES, emptyOutcomeValues, mapOutcomeErrors, outcomeInputFromForm, outcomeValuesFromBody, RECORDABLE_STAGES, type OutcomeFormValues } from './outcome-form.ts';
import { contactQuickActions, quickActionForm } from './quick-actions.ts';

const reference = (req: Request) => String(req.params.reference);

const NOT_ASSIGNED: Record<string, string> = {
  opted_out: 'They have asked not to be contacted, so they cannot join an experiment.',
  not_eligible: 'They are not eligible for that experiment, so they were not added. Carry on as usual.',
  outside_coverage: 'They fall outside the share of people that experiment includes, so they were not added. Carry on as usual.',
};

/** One line of the person's funnel: what happened and its detail, in words. */
export function describeEvent(event: Pick<OutcomeView, "id" | "stage" | "detail" | "value" | "occurredAt">) {
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

const lookups = new WeakMap<object, { byReference: ReturnType<typeof createContactLookup>['byReference']; clusterCode: ReturnType<typeof createClusterCodes> }>();

/**
 * Splits the experiments a person could join at this point of their journey
 * into those they are eligible for (offered) and those they are not, with the
 * reason in words: the same screening the assignment service applies.
 */
export async function screenOffers(services: Services, user: CurrentUser, ref: string, candidates: ExperimentView[]) {
  let lookup = lookups.get(services.db);
  if (!lookup) lookups.set(services.db, (lookup = { byReference: createContactLookup(services.db).byReference, clusterCode: createClusterCodes(services.db) }));
  const row = await lookup.byReference(user, ref);
  if (!row) return { offered: [], notOffered: [] };
  const attributes = contactAttributes(row);
  const offered: ExperimentView[] = [];
  const notOffered: { key: string; name: string; reason: string }[] = [];
  for (const experiment of candidates) {
    const screening = screenForExperiment(experiment, row, attributes, await lookup.clusterCode(experiment.randomisationUnit, row));
    if (screening.eligible) offered.push(experiment);
    else if (screening.reason === 'not_eligible')
      notOffered.push({ key: experiment.key, name: experiment.name, reason: `Not eligible for ${experiment.name}: ${whyNotEligible(experiment.eligibility, attributes).join('; ')}.` });
    else if (screening.reason === 'outside_coverage')
      notOffered.push({ key: experiment.key, name: experiment.name, reason: `Not in ${experiment.name}: they fall outside the share of people it includes.` });
  }
  return { offered, notOffered };
}

async function contactPageData(services: Services, user: CurrentUser, ref: string) {
  const contact = await services.contacts.get(user, ref);
  const events = await services.outcomes.forContact(user, ref);
  const assignments = await services.assignments.forContact(user, ref);
  const experiments = await services.experiments.list();
  const byKey = new Map(experiments.map((e) => [e.key, e]));
  const arms = [];
  for (const assignment of assignments) {
    const experiment = byKey.get(assignment.experiment)!;
    const instructions = armInstructions(assignment.arm.levels);
    // The analyst's words in force when this person was assigned (decision 0036).
    const armId = experiment.arms.find((a) => a.key === assignment.arm.key)?.id;
    const version = armId === undefined ? null : await services.experiments.instructionsAt(armId, assignment.assignedAt);
    arms.push({
      written: version ? { version: version.version, paragraphs: instructionParagraphs(version.instructions), script: version.script } : null,
      experimentKey: experiment.key,
      experimentName: experiment.name,
      experimentStatus: experiment.status,
      journeyPhase: experiment.journeyPhase,
      armName: assignment.arm.name,
      assignedAt: assignment.assignedAt,
      instructions,
      clashes: preferenceClashes(instructions, contact.preferredChannel, contact.adjustments),
    });
  }
  const candidates = contact.optedOutAt ? [] : joinableExperiments(experiments, assignments.map((a) => a.experiment), new Set(events.map((e) => e.stage)));
  const { offered: joinable, notOffered } = await screenOffers(services, user, ref, candidates);
  const step = nextStep(events, contact.optedOutAt);
  // The arm of the most recent running experiment says which channel and place to pre-select.
  const current = arms.filter((a) => a.experimentStatus === 'running').at(-1) ?? arms.at(-1);
  const defaults = { channel: current?.instructions.channel ?? contact.preferredChannel, place: current?.instructions.meetingPlace ?? null };
  return { contact, events, arms, joinable, notOffered, step, defaults, meetingTime: latestMeetingTime(events) };
}

/** The time of the meeting most recently agreed, if one was given: attendance is about that meeting. */
function latestMeetingTime(events: OutcomeView[]): string | null {
  const agreed = events.filter((e) => e.stage === 'meeting_agreed').at(-1);
  return typeof agreed?.detail?.time === 'string' ? agreed.detail.time : null;
}

/** Where a form may send the coach back to after recording: Today, with its filters. */
function returnPath(body: unknown): string | null {
  const path = field(body, 'returnTo');
  return /^\/today(\?[A-Za-z0-9=&%._+-]*)?$/.test(path) ? path : null;
}

/**
 * Every entry, newest first, withdrawn ones too (marked), with what was
 * corrected and the "Correct" and "Withdraw" links where this user may use them
 * (docs/decisions/0035).
 */
async function historyRows(services: Services, user: CurrentUser, ref: string) {
  const history = await services.outcomes.forContact(user, ref, { includeWithdrawn: true });
  const rights = await services.corrections.rightsFor(user, history);
  return history
    .map((event) => {
      const latest = event.corrections.at(-1);
      const by = latest ? `${formatDate(latest.correctedAt)} by ${latest.correctedBy}: ${latest.reasonLabel}${latest.reasonNote ? ` (${latest.reasonNote})` : ''}.` : '';
      const original = event.original ? describeEvent({ ...event, ...event.original }) : null;
      const note =
        event.status === 'withdrawn'
          ? `Withdrawn ${by}`
          : event.status === 'corrected' && original
            ? `Corrected ${by} First recorded as ${formatDateTime(original.occurredAt)}${original.detail ? `, ${original.detail}` : ''}.`
            : null;
      return { ...describeEvent(event), status: event.status, note, canCorrect: rights.get(event.id)?.allowed === true };
    })
    .reverse();
}

/** The entry a correction banner is about, from `?corrected=id` or `?withdrawn=id`. */
function correctedBanner(req: Request, name: 'corrected' | 'withdrawn') {
  const id = Number(req.query[name]);
  return Number.isSafeInteger(id) && id > 0 ? id : null;
}

/** Renders the person's page and writes the request's audit row (`view`, or what the form's request was). */
async function renderContact(req: Request, res: Response, options: { outcome?: OutcomeFormValues; errors?: PageError[]; showAll?: boolean; status?: number; auditAction?: string } = {}): Promise<void> {
  const { services } = dashboardContext(res);
  const user = req.user!;
  const data = await contactPageData(services, user, reference(req));
  const recordedId = Number(req.query.recorded);
  const recorded = Number.isInteger(recordedId) ? data.events.find((e) => e.id === recordedId) : undefined;
  const reached = new Set(data.events.map((e) => e.stage));
  const suggested = new Set<string>(data.step.suggestedStages);
  const outcome = options.outcome ?? emptyOutcomeValues(randomUUID(), data.defaults);
  // A link may ask for a stage ("Did not attend"): it is chosen, and listed even if it is not a likely one.
  const askedFor = options.outcome === undefined && typeof req.query.stage === 'string' ? RECORDABLE_STAGES.find((s) => s.key === req.query.stage) : undefined;
  if (askedFor) outcome.stage = askedFor.key;
  const showAll = options.showAll ?? (req.query.all === '1' || (askedFor !== undefined && !suggested.has(askedFor.key)));
  // Offer the likely next outcomes first; "all outcomes" lists every stage (repeatable or not yet recorded).
  let stages = showAll
    ? RECORDABLE_STAGES.filter((s) => REPEATABLE_STAGES.has(s.key) || !reached.has(s.key) || s.key === outcome.stage)
    : RECORDABLE_STAGES.filter((s) => suggested.has(s.key) || s.key === outcome.stage);
  stages = [...stages].sort((a, b) => data.step.suggestedStages.indexOf(a.key as never) - data.step.suggestedStages.indexOf(b.key as never));
  // Only one thing can have happened: choose it, so recording is one click.
  if (stages.length === 1 && !outcome.stage) outcome.stage = stages[0].key;
  const now = services.clock.now();
  const quickActions = data.step.doNotContact ? [] : contactQuickActions(data.events, data.contact.optedOutAt !== null, data.defaults.channel, now).map((a) => quickActionForm(a));
  await auditRequest(res, services.audit, user.id, { action: options.auditAction, entityId: data.contact.reference });
  const funnel = await historyRows(services, user, data.contact.reference);
  const history = await services.contacts.history(user, data.contact.reference);
  render(
    req,
    res,
    'contact/contact.njk',
    {
      pageTitle: `Contact ${data.contact.reference}`,
      ...data,
      history,
      recorded: recorded ? { id: recorded.id, label: stageLabel(recorded.stage), at: recorded.occurredAt } : null,
      optedOutNow: req.query.optedOut === '1',
      assignedNow: typeof req.query.assigned === 'string' ? req.query.assigned : null,
      notAssigned: typeof req.query.notAssigned === 'string' ? (NOT_ASSIGNED[req.query.notAssigned] ?? null) : null,
      funnel,
      corrected: funnel.find((e) => e.id === correctedBanner(req, 'corrected') && e.status === 'corrected') ?? null,
      withdrawn: funnel.find((e) => e.id === correctedBanner(req, 'withdrawn') && e.status === 'withdrawn') ?? null,
      optedInNow: req.query.optedIn === '1',
      stages: stages.map((s) => ({ key: s.key, label: s.label, detail: 'detail' in s ? s.detail : null, value: 'value' in s ? s.value : null })),
      quickActions: quickActions.filter((a) => !a.group),
      quickGroups: [...new Set(quickActions.filter((a) => a.group).map((a) => a.group!))].map((name) => ({ name, actions: quickActions.filter((a) => a.group === name) })),
      meetingNotStarted: data.meetingTime !== null && new Date(data.meetingTime) > now && !reached.has('meeting_attended'),
      showAll,
      outcome,
      choices: DETAIL_CHOICES,
      correctionDays: COACH_CORRECTION_DAYS,
      adjustmentLabels: Object.fromEntries(ADJUSTMENTS.map((a) => [a, humanise(a)])),
      errors: options.errors ?? [],
      backLink: { href: '/today', text: 'Today' },
    },
    options.status ?? (options.errors?.length ? 400 : 200),
  );
}

/** The form's values as hidden fields, to carry them through the confirmation step unchanged. */
function hiddenFieldsOf(values: OutcomeFormValues, extra: Record<string, string>) {
  const fields: { name: string; value: string }[] = [];
  for (const [name, value] of Object.entries(values)) {
    if (name === 'values' || name === 'topics') continue;
    if (typeof value === 'string' && value !== '') fields.push({ name, value });
  }
  for (const topic of values.topics) fields.push({ name: 'topics', value: topic });
  for (const [stage, value] of Object.entries(values.values)) if (value) fields.push({ name: `value-${stage}`, value });
  for (const [name, value] of Object.entries(extra)) fields.push({ name, value });
  return fields;
}

/** A person's page: their arm and what to do for it, what is due next, and recording in a few clicks. */
export async function get(req: Request, res: Response): Promise<void> {
  await renderContact(req, res);
}

/**
 * Records one outcome. The form carries an idempotency key made when the page
 * was drawn, so a double-click or a resubmitted form records it once; then
 * Post/Redirect/Get, so a refresh does not send it again.
 */
export async function postOutcome(req: Request, res: Response): Promise<void> {
  const { services } = dashboardContext(res);
  const user = req.user!;
  const ref = reference(req);
  const values = outcomeValuesFromBody(req.body);
  const showAll = field(req.body, 'showAll') === '1';
  const returnTo = returnPath(req.body);
  const meetingTime = latestMeetingTime(await services.outcomes.forContact(user, ref));
  const { input, errors } = outcomeInputFromForm(values, ref, services.clock.now(), { meetingTime });
  const rejected = 'record-outcome-rejected';
  if (!input) return await renderContact(req, res, { outcome: values, errors, showAll, auditAction: rejected });
  const checked = await services.outcomes.check(user, input);
  if (checked.errors.length) return await renderContact(req, res, { outcome: values, errors: mapOutcomeErrors(checked.errors, values), showAll, auditAction: rejected });
  // A skipped stage is allowed, but only once the coach has said it is what they meant.
  if (checked.warnings.length && field(req.body, 'confirmSkip') !== '1') {
    const extra: Record<string, string> = { confirmSkip: '1', ...(showAll ? { showAll: '1' } : {}), ...(returnTo ? { returnTo } : {}) };
    await auditRequest(res, services.audit, user.id, { action: 'record-outcome-confirm-skip', entityId: ref });
    return render(req, res, 'contact/confirm-skip.njk', {
      pageTitle: 'Check before you record',
      reference: ref,
      warnings: checked.warnings.map((w) => w.message),
      hidden: hiddenFieldsOf(values, extra),
      backHref: `/contacts/${encodeURIComponent(ref)}${showAll ? '?all=1' : ''}#record`,
      backLink: { href: `/contacts/${encodeURIComponent(ref)}`, text: `Contact ${ref}` },
    });
  }
  try {
    // The event and its audit row commit together.
    const result = await services.db.withTransaction(async () => {
      const recorded = await services.outcomes.record(user, input);
      await auditRequest(res, services.audit, user.id, { action: recorded.created ? 'record-outcome' : 'repeat-outcome', entityId: recorded.event.contact });
      return recorded;
    });
    if (returnTo) return res.redirect(303, `${returnTo}${returnTo.includes('?') ? '&' : '?'}recorded=${result.event.id}`);
    res.redirect(303, `/contacts/${encodeURIComponent(ref)}?recorded=${result.event.id}`);
  } catch (error) {
    if (error instanceof HttpError && error.status < 500) {
      // The form's key already recorded something else (a form sent again after going back and changing it):
      // say so, and give the form a new key so the coach can record this outcome if it is a new one.
      if (error.status === 409 && error.errors.some((e) => e.field === 'idempotencyKey'))
        return await renderContact(req, res, {
          outcome: { ...values, idempotencyKey: randomUUID() },
          errors: [{ field: 'stage', message: 'This form was already used to record a different outcome, so nothing new was recorded. Check what has been recorded, then send the form again if this is a new outcome' }],
          showAll,
          status: 409,
          auditAction: rejected,
        });
      return await renderContact(req, res, {
        outcome: values,
        errors: error.errors.length ? mapOutcomeErrors(error.errors, values) : [{ field: 'stage', message: error.message }],
        showAll,
        status: error.status,
        auditAction: rejected,
      });
    }
    throw error;
  }
}

/** Adds the person to a running experiment (once: asking again returns the same arm). */
export async function postAssignment(req: Request, res: Response): Promise<void> {
  const { services } = dashboardContext(res);
  const user = req.user!;
  const ref = reference(req);
  const experimentKey = field(req.body, 'experiment');
  const result = await services.db.withTransaction(async () => {
    const outcome = await services.assignments.assign(user, experimentKey, ref);
    await auditRequest(res, services.audit, user.id, { action: !outcome.assigned ? 'screen-out' : outcome.created ? 'assign' : 'view-assignment' });
    return outcome;
  });
  if (result.assigned) return res.redirect(303, `/contacts/${encodeURIComponent(ref)}?assigned=${encodeURIComponent(experimentKey)}`);
  res.redirect(303, `/contacts/${encodeURIComponent(ref)}?notAssigned=${encodeURIComponent(result.reason)}`);
}
