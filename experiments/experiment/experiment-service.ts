import { randomBytes } from 'node:crypto';
import { evalCondition } from '@growthbook/growthbook';
import type { Clock } from '../../server/clock.ts';
import { isUniqueViolation, type Db } from '../../server/db/database.ts';
import { ConflictError, NotFoundError, ValidationError, type FieldError } from '../../server/errors.ts';
import { ALWAYS_GUARDRAILS, type DecisionRule, type ExperimentStatus, type JourneyPhase, type RandomisationMethod, type RandomisationUnit, type SpendingFunction, type StageKey } from '../vocabulary.ts';
import { CONTACT_ATTRIBUTE_KEYS } from '../contacts/contact-attributes.ts';
import { integerRatio } from '../assignment/permuted-blocks.ts';
import type { AllocationInput, ExperimentInput } from './experiment-schema.ts';
import { MAX_NESTING_DEPTH, tooDeepField } from '../../server/middleware/body-shape.ts';
import { createArmInstructionStore, type ArmInstructionVersion } from './arm-instruction-store.ts';
import { createExperimentStore, type ExperimentRow, type FingerprintRow, type PhaseRow } from './experiment-store.ts';

export interface Factor {
  key: string;
  label?: string;
  levels: string[];
}

export interface ArmView {
  id: number;
  key: string;
  name: string;
  isControl: boolean;
  levels: Record<string, string>;
  /** Share of new assignments in the current phase (0 when the arm is closed). */
  weight: number;
  /** What coaches are told for this arm now (null when the analyst wrote nothing). */
  instructions: ArmInstructionVersion | null;
}

export interface PhaseView {
  id: number;
  number: number;
  seed: string;
  coverage: number;
  startedAt: string;
  endedAt: string | null;
  reason: string | null;
  /** Arm keys and weights in the order the hash buckets are laid out. */
  armKeys: string[];
  weights: number[];
}

export interface ExperimentView {
  id: number;
  key: string;
  name: string;
  hypothesis: string;
  journeyPhase: JourneyPhase;
  status: ExperimentStatus;
  factors: Factor[];
  eligibility: Record<string, unknown>;
  primaryMetric: StageKey;
  secondaryMetrics: StageKey[];
  /** The experiment's own guardrails plus opt-outs and complaints, which every experiment watches. */
  guardrailMetrics: StageKey[];
  plannedSampleSize: number | null;
  /** The locked decision rule: group-sequential when there is a planned size, unless the plan says otherwise. */
  decisionRule: DecisionRule;
  alphaSpending: SpendingFunction;
  randomisation: RandomisationMethod;
  /** 'person', or 'coach' / 'site' when whole caseloads or sites are randomised and analysed as the unit. */
  randomisationUnit: RandomisationUnit;
  strata: string[];
  createdAt: string;
  updatedAt: string;
  launchedAt: string | null;
  concludedAt: string | null;
  arms: ArmView[];
  phase: PhaseView;
  phases: PhaseView[];
}

export type LifecycleAction = 'launch' | 'pause' | 'resume' | 'conclude';

const TRANSITIONS: Record<LifecycleAction, { from: ExperimentStatus[]; to: ExperimentStatus }> = {
  launch: { from: ['draft'], to: 'running' },
  pause: { from: ['running'], to: 'paused' },
  resume: { from: ['paused'], to: 'running' },
  conclude: { from: ['running', 'paused'], to: 'concluded' },
};

interface ArmDraft {
  key: string;
  name: string;
  levels: Record<string, string>;
  isControl: boolean;
  weight: number;
  instructions?: string;
  script?: string;
}

/** A change to one arm's instructions. */
export interface InstructionChange {
  armKey: string;
  instructions: string;
  script: string;
}

/** What a change of allocation would do, worked out without writing anything. */
export interface AllocationPlan {
  arms: { key: string; name: string; isControl: boolean; added: boolean; shareBefore: number; shareAfter: number }[];
  coverageBefore: number;
  coverageAfter: number;
  /** The phase the change opens, or null before launch (phase 1 is edited). */
  newPhase: number | null;
}

const parseJson = <T>(text: string): T => JSON.parse(text) as T;

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/** Checks a GrowthBook condition only names contact attributes, and evaluates cleanly. */
export function eligibilityErrors(condition: Record<string, unknown>): FieldError[] {
  // Deeper than this, the recursive checks below (and GrowthBook's) would run out of stack.
  if (tooDeepField(condition, MAX_NESTING_DEPTH))
    return [{ field: 'eligibility', message: `The eligibility condition is nested more than ${MAX_NESTING_DEPTH} levels deep: simplify it` }];
  const errors: FieldError[] = [];
  const visit = (node: unknown) => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (!node || typeof node !== 'object') return;
    for (const [key, value] of Object.entries(node)) {
      if (key === '$and' || key === '$or' || key === '$nor') visit(value);
      else if (key === '$not') visit(value);
      else if (key.startsWith('$')) errors.push({ field: 'eligibility', message: `Unknown operator ${key} at the top of a condition` });
      else if (!(CONTACT_ATTRIBUTE_KEYS as readonly string[]).includes(key))
        errors.push({ field: 'eligibility', message: `Eligibility can only use ${CONTACT_ATTRIBUTE_KEYS.join(', ')}; "${key}" is not one of them` });
    }
  };
  visit(condition);
  if (errors.length === 0) {
    try {
      evalCondition({}, condition as never);
    } catch {
      errors.push({ field: 'eligibility', message: 'The eligibility condition could not be evaluated' });
    }
  }
  return errors;
}

/** Builds and checks the arms of a design: full factorial when none are given. */
function planArms(input: ExperimentInput): { arms: ArmDraft[]; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const factorKeys = input.factors.map((f) => f.key);
  if (new Set(factorKeys).size !== factorKeys.length) errors.push({ field: 'factors', message: 'Factor keys must be different from each other' });
  input.factors.forEach((factor, i) => {
    if (new Set(factor.levels).size !== factor.levels.length)
      errors.push({ field: `factors.${i}.levels`, message: `The levels of ${factor.key} must be different from each other` });
  });

  let arms: ArmDraft[];
  if (input.arms) {
    arms = input.arms.map((arm, i) => {
      const levels = arm.levels;
      for (const factor of input.factors) {
        if (!(factor.key in levels)) errors.push({ field: `arms.${i}.levels`, message: `Arm ${i + 1} needs a level for ${factor.key}` });
        else if (!factor.levels.includes(levels[factor.key]))
          errors.push({ field: `arms.${i}.levels`, message: `"${levels[factor.key]}" is not a level of ${factor.key}` });
      }
      for (const key of Object.keys(levels))
        if (!factorKeys.includes(key)) errors.push({ field: `arms.${i}.levels`, message: `"${key}" is not one of the factors` });
      const key = arm.key ?? factorKeys.map((f) => levels[f]).join('-');
      return { key, name: arm.name ?? defaultArmName(input.factors, levels), levels, isControl: arm.control ?? false, weight: arm.weight ?? 1, instructions: arm.instructions, script: arm.script };
    });
    const controls = arms.filter((a) => a.isControl).length;
    if (controls === 0 && input.controlArm) arms.forEach((a) => (a.isControl = a.key === input.controlArm));
    else if (controls === 0) arms[0].isControl = true;
    if (controls > 1) errors.push({ field: 'arms', message: 'Mark exactly one arm as the control' });
  } else {
    arms = fullFactorial(input.factors).map((levels) => ({
      key: factorKeys.map((f) => levels[f]).join('-'),
      name: defaultArmName(input.factors, levels),
      levels,
      isControl: false,
      weight: 1,
    }));
    const control = input.controlArm ? arms.find((a) => a.key === input.controlArm) : arms[0];
    if (control) control.isControl = true;
  }
  if (!arms.some((a) => a.isControl))
    errors.push({ field: 'controlArm', message: `The control arm must be one of ${arms.map((a) => a.key).join(', ')}` });
  const keys = arms.map((a) => a.key);
  if (new Set(keys).size !== keys.length) errors.push({ field: 'arms', message: 'Each arm needs a different key or combination of levels' });
  if (arms.length < 2) errors.push({ field: 'arms', message: 'An experiment needs at least two arms' });
  if (arms.length > 24) errors.push({ field: 'arms', message: 'An experiment can have at most 24 arms' });
  return { arms, errors };
}

function fullFactorial(factors: Factor[]): Record<string, string>[] {
  return factors.reduce<Record<string, string>[]>(
    (combos, factor) => combos.flatMap((combo) => factor.levels.map((level) => ({ ...combo, [factor.key]: level }))),
    [{}],
  );
}

function defaultArmName(factors: Factor[], levels: Record<string, string>): string {
  const words = factors.map((f) => (levels[f.key] ?? '').replace(/[_-]/g, ' '));
  const text = words.join(', ');
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/**
 * A new phase's hash seed: 128 random bits, never derived from the key, so
 * nobody who knows the key can work out arms in advance (docs/decisions/0031).
 */
export function newAllocationSeed(): string {
  return randomBytes(16).toString('hex');
}

function normalise(weights: number[]): number[] {
  const total = weights.reduce((a, b) => a + b, 0);
  return weights.map((w) => w / total);
}

function designErrors(input: ExperimentInput, arms: ArmDraft[]): FieldError[] {
  const errors = eligibilityErrors(input.eligibility);
  if (input.strata.length > 0 && input.randomisation !== 'blocks')
    errors.push({ field: 'strata', message: 'Strata are used only with permuted-block randomisation' });
  if (input.randomisation === 'blocks' && !integerRatio(normalise(arms.map((a) => a.weight))))
    errors.push({ field: 'arms', message: 'For permuted blocks, weights must be a simple ratio such as 1:1 or 2:1:1 (at most 24 in a block)' });
  if (input.secondaryMetrics.includes(input.primaryMetric))
    errors.push({ field: 'secondaryMetrics', message: 'The primary metric cannot also be a secondary metric' });
  errors.push(...clusterDesignErrors(input));
  return errors;
}

/**
 * Cluster-randomised designs (decision 0037) hash the coach or site code, so
 * every person of one cluster gets the same arm: permuted blocks (a sequence
 * over people) would split a cluster across arms. Their verdict is read from
 * the cluster-level CR2 interval at each weekly look, so they need the
 * group-sequential rule; the always-valid sequence treats people as independent.
 */
function clusterDesignErrors(input: ExperimentInput): FieldError[] {
  if ((input.randomisationUnit ?? 'person') === 'person') return [];
  const errors: FieldError[] = [];
  if (input.randomisation !== 'hash')
    errors.push({ field: 'randomisationUnit', message: 'Randomising whole coaches or sites uses hashing: choose hashing, or randomise people one by one' });
  const rule = input.decisionRule ?? (input.plannedSampleSize ? 'group_sequential' : 'confidence_sequence');
  if (rule !== 'group_sequential')
    errors.push({ field: 'decisionRule', message: 'Randomising whole coaches or sites needs weekly looks to a planned size, analysed with the clusters as the unit' });
  return errors;
}

export function createExperimentService(db: Db, clock: Clock) {
  const now = () => clock.now().toISOString();
  const store = createExperimentStore(db);
  const instructionStore = createArmInstructionStore(db);

  function toPhaseView(row: PhaseRow, armsById: Map<number, { key: string }>): PhaseView {
    const armIds = parseJson<number[]>(row.armIds);
    return {
      id: row.id,
      number: row.number,
      seed: row.seed,
      coverage: row.coverage,
      startedAt: row.startedAt,
      endedAt: row.endedAt,
      reason: row.reason,
      armKeys: armIds.map((id) => armsById.get(id)?.key ?? String(id)),
      weights: parseJson<number[]>(row.weights),
    };
  }

  async function toView(row: ExperimentRow): Promise<ExperimentView> {
    const armRows = await store.armsOf(row.id);
    const phaseRows = await store.phasesOf(row.id);
    const instructions = await instructionStore.latest(row.id);
    const armsById = new Map(armRows.map((a) => [a.id, a]));
    const phases = phaseRows.map((p) => toPhaseView(p, armsById));
    const current = phases[phases.length - 1];
    const currentArmIds = parseJson<number[]>(phaseRows[phaseRows.length - 1].armIds);
    const ownGuardrails = parseJson<StageKey[]>(row.guardrailMetrics);
    return {
      id: row.id,
      key: row.key,
      name: row.name,
      hypothesis: row.hypothesis,
      journeyPhase: row.journeyPhase as JourneyPhase,
      status: row.status as ExperimentStatus,
      factors: parseJson(row.factors),
      eligibility: parseJson(row.eligibility),
      primaryMetric: row.primaryMetric as StageKey,
      secondaryMetrics: parseJson(row.secondaryMetrics),
      guardrailMetrics: [...new Set([...ownGuardrails, ...ALWAYS_GUARDRAILS])],
      plannedSampleSize: row.plannedSampleSize,
      decisionRule: (row.decisionRule as DecisionRule | null) ?? (row.plannedSampleSize ? 'group_sequential' : 'confidence_sequence'),
      alphaSpending: row.alphaSpending as SpendingFunction,
      randomisation: row.randomisation as RandomisationMethod,
      randomisationUnit: row.randomisationUnit as RandomisationUnit,
      strata: parseJson(row.strata),
      createdAt: row.createdAt,
      updatedAt: row.updatedAt,
      launchedAt: row.launchedAt,
      concludedAt: row.concludedAt,
      arms: armRows.map((a) => {
        const index = currentArmIds.indexOf(a.id);
        return { id: a.id, key: a.key, name: a.name, isControl: a.isControl === 1, levels: parseJson(a.levels), weight: index >= 0 ? current.weights[index] : 0, instructions: instructions.get(a.id) ?? null };
      }),
      phase: current,
      phases,
    };
  }

  /** The experiment's row; `lock` (inside a transaction) holds it until the transaction ends. */
  async function rowByKey(key: string, lock = false): Promise<ExperimentRow> {
    const row = await store.byKey(key, lock);
    if (!row) throw new NotFoundError('Experiment');
    return row;
  }

  async function insertArms(experimentId: number, arms: ArmDraft[], firstPosition: number, userId: number | null, at: string): Promise<number[]> {
    const ids: number[] = [];
    for (const [i, arm] of arms.entries()) {
      const id = await store.insertArm(experimentId, arm, firstPosition + i);
      if (arm.instructions?.trim()) await instructionStore.add(id, 1, { instructions: arm.instructions.trim(), script: (arm.script ?? '').trim() }, null, userId, at);
      ids.push(id);
    }
    return ids;
  }

  /** A draft's arms and its first phase (with a random seed unless the analyst gave one). */
  async function insertDesign(experimentId: number, input: ExperimentInput, arms: ArmDraft[], at: string, userId: number | null) {
    const armIds = await insertArms(experimentId, arms, 0, userId, at);
    await store.insertPhase(experimentId, 1, input.seed ?? newAllocationSeed(), { armIds, weights: normalise(arms.map((a) => a.weight)), coverage: input.coverage, reason: null }, at);
  }

  function planOrThrow(input: ExperimentInput): ArmDraft[] {
    const { arms, errors } = planArms(input);
    errors.push(...(errors.length ? [] : designErrors(input, arms)));
    if (errors.length) throw new ValidationError(errors);
    return arms;
  }

  const fingerprintText = (row: FingerprintRow) => `${row.id}|${row.status}|${row.updatedAt}|${row.phaseId}`;
  async function fingerprintOf(key: string): Promise<string> {
    const row = await store.fingerprint(key);
    if (!row) throw new NotFoundError('Experiment');
    return fingerprintText(row);
  }

  const viewCache = new Map<string, { fingerprint: string; view: ExperimentView }>();

  /** Runs a change in one transaction; this instance's cached view of the experiment is dropped once it has landed (or failed). */
  async function changing<T>(key: string, work: () => Promise<T>): Promise<T> {
    try {
      return await db.withTransaction(work);
    } finally {
      viewCache.delete(key);
    }
  }

  return {
    async get(key: string): Promise<ExperimentView> {
      return toView(await rowByKey(key));
    },

    /**
     * The same view as `get`, reused while the experiment is unchanged: for hot
     * paths such as assignment. One indexed lookup of the experiment's
     * fingerprint per call (so a change made by another instance is seen at
     * once); the definition is read again only when the fingerprint has moved,
     * and kept only if it did not move while it was read. Changes made through
     * this service drop the cached view at once. The view is frozen; treat it
     * as read-only. A caller that has just read the fingerprint (store's
     * FINGERPRINT, as part of a query of its own) passes it in, saving the lookup.
     */
    async getCurrent(key: string, known?: FingerprintRow): Promise<ExperimentView> {
      let fingerprint = known ? fingerprintText(known) : await fingerprintOf(key);
      const cached = viewCache.get(key);
      if (cached?.fingerprint === fingerprint) return cached.view;
      for (;;) {
        const view = deepFreeze(await toView(await rowByKey(key)));
        const after = await fingerprintOf(key);
        if (after === fingerprint) {
          viewCache.set(key, { fingerprint, view });
          return view;
        }
        // Changed while it was read (its reads may straddle the change): read it again.
        fingerprint = after;
      }
    },

    async list(): Promise<ExperimentView[]> {
      const views: ExperimentView[] = [];
      for (const row of await store.all()) views.push(await toView(row));
      return views;
    },

    async create(input: ExperimentInput, userId: number | null): Promise<ExperimentView> {
      const arms = planOrThrow(input);
      const taken = () => new ConflictError('An experiment with that key already exists', [{ field: 'key', message: 'Choose a key no other experiment uses' }]);
      return changing(input.key, async () => {
        if ((await store.idByKey(input.key)) !== null) throw taken();
        const at = now();
        let row: ExperimentRow;
        try {
          row = await store.insert(input, userId, at);
        } catch (error) {
          // Another instance created the same key after the check above.
          if (isUniqueViolation(error)) throw taken();
          throw error;
        }
        await insertDesign(row.id, input, arms, at, userId);
        return toView(row);
      });
    },

    /** Replaces the design of a draft. A launched experiment's design is locked. */
    async updateDraft(key: string, input: ExperimentInput, userId: number | null = null): Promise<ExperimentView> {
      return changing(key, async () => {
        const existing = await rowByKey(key, true);
        if (existing.status !== 'draft')
          throw new ConflictError('The design is locked because the experiment has launched; change the allocation to start a new phase instead');
        if (input.key !== key) throw new ValidationError([{ field: 'key', message: 'The key of an experiment cannot change' }]);
        const arms = planOrThrow(input);
        await store.deletePhases(existing.id);
        await instructionStore.deleteForExperiment(existing.id);
        await store.deleteArms(existing.id);
        await store.updateDesign(existing.id, input, now());
        await insertDesign(existing.id, input, arms, now(), userId);
        return toView(await rowByKey(key));
      });
    },

    async transition(key: string, action: LifecycleAction): Promise<ExperimentView> {
      return changing(key, async () => {
        const row = await rowByKey(key, true);
        const rule = TRANSITIONS[action];
        if (!rule.from.includes(row.status as ExperimentStatus))
          throw new ConflictError(`A ${row.status} experiment cannot be ${action === 'conclude' ? 'concluded' : `${action}d`}; it must be ${rule.from.join(' or ')}`);
        const at = now();
        await store.setStatus(row.id, action, rule.to, at);
        if (action === 'launch') await store.startFirstPhase(row.id, at);
        if (action === 'conclude') await store.endOpenPhases(row.id, at);
        return toView(await rowByKey(key));
      });
    },

    /**
     * What a change of weights, coverage or arms would do, checked exactly as
     * changeAllocation checks it, without writing: for the confirmation page.
     */
    async planAllocation(key: string, input: AllocationInput): Promise<AllocationPlan> {
      const view = await toView(await rowByKey(key));
      const { added, allKeys, open } = checkAllocation(view, input);
      const total = open.reduce((sum, a) => sum + a.w, 0);
      const names = new Map([...view.arms.map((a) => [a.key, a] as const)]);
      return {
        arms: allKeys.map((armKey) => {
          const existing = names.get(armKey);
          const addedArm = added.find((a) => a.key === armKey);
          return {
            key: armKey,
            name: existing?.name ?? addedArm!.name,
            isControl: existing?.isControl ?? false,
            added: !existing,
            shareBefore: existing?.weight ?? 0,
            shareAfter: (open.find((a) => a.k === armKey)?.w ?? 0) / total,
          };
        }),
        coverageBefore: view.phase.coverage,
        coverageAfter: input.coverage ?? view.phase.coverage,
        newPhase: view.status === 'draft' ? null : view.phase.number + 1,
      };
    },

    /**
     * Changes weights, coverage or adds arms. Before launch this edits phase 1;
     * after launch it closes the current phase and opens a new one with a new
     * seed (as GrowthBook advises), so earlier assignments keep their phase.
     */
    async changeAllocation(key: string, input: AllocationInput, userId: number | null = null): Promise<ExperimentView> {
      return changing(key, async () => {
        const view = await toView(await rowByKey(key, true));
        const { added, open } = checkAllocation(view, input);
        const at = now();
        const newIds = await insertArms(view.id, added, view.arms.length, userId, at);
        const idByKey = new Map([...view.arms.map((a) => [a.key, a.id] as const), ...added.map((a, i) => [a.key, newIds[i]] as const)]);
        const armIds = open.map((a) => idByKey.get(a.k)!);
        const phaseWeights = normalise(open.map((a) => a.w));
        const coverage = input.coverage ?? view.phase.coverage;
        const allocation = { armIds, weights: phaseWeights, coverage, reason: input.reason };
        if (view.status === 'draft') {
          await store.editPhase(view.phase.id, allocation);
        } else {
          await store.endPhase(view.phase.id, at);
          await store.insertPhase(view.id, view.phase.number + 1, newAllocationSeed(), allocation, at);
        }
        await store.touch(view.id, at);
        return toView(await rowByKey(key));
      });
    },

    /**
     * Rewrites what coaches are told for some arms. While a draft, version 1 is
     * rewritten; once launched, each arm whose text changes gets a new version
     * (with the reason), and people assigned before keep the version they had.
     * Returns the keys of the arms that changed.
     */
    async changeInstructions(key: string, changes: InstructionChange[], reason: string | null, userId: number | null): Promise<{ experiment: ExperimentView; changed: string[] }> {
      return changing(key, async () => {
        const view = await toView(await rowByKey(key, true));
        if (view.status === 'concluded') throw new ConflictError('A concluded experiment’s instructions cannot change');
        const errors: FieldError[] = [];
        for (const change of changes) {
          if (!view.arms.some((a) => a.key === change.armKey)) errors.push({ field: `instructions-${change.armKey}`, message: `"${change.armKey}" is not an arm of this experiment` });
          else if (!change.instructions.trim()) errors.push({ field: `instructions-${change.armKey}`, message: `Enter what the coach should do for ${view.arms.find((a) => a.key === change.armKey)!.name}` });
          if (change.instructions.length > 4000 || change.script.length > 4000)
            errors.push({ field: `instructions-${change.armKey}`, message: 'Keep instructions and scripts to 4,000 characters each' });
        }
        if (view.status !== 'draft' && !reason?.trim()) errors.push({ field: 'reason', message: 'Say why the instructions are changing' });
        if (errors.length) throw new ValidationError(errors);
        const at = now();
        const changed: string[] = [];
        for (const change of changes) {
          const arm = view.arms.find((a) => a.key === change.armKey)!;
          const text = { instructions: change.instructions.trim(), script: change.script.trim() };
          if (arm.instructions && arm.instructions.instructions === text.instructions && arm.instructions.script === text.script) continue;
          if (view.status === 'draft') {
            await instructionStore.deleteVersionsOf(arm.id);
            await instructionStore.add(arm.id, 1, text, null, userId, at);
          } else {
            await instructionStore.add(arm.id, (arm.instructions?.version ?? 0) + 1, text, reason?.trim() ?? null, userId, at);
          }
          changed.push(arm.key);
        }
        if (changed.length) await store.touch(view.id, at);
        return { experiment: await toView(await rowByKey(key)), changed };
      });
    },

    /** The version of an arm's instructions in force at a moment (the person's assignment), or null if none was written. */
    async instructionsAt(armId: number, at: string): Promise<ArmInstructionVersion | null> {
      return instructionStore.inForceAt(armId, at);
    },

    async instructionHistory(armId: number): Promise<ArmInstructionVersion[]> {
      return instructionStore.history(armId);
    },
  };

  /** The checks every allocation change passes; the arms it adds and the open arms with their weights. */
  function checkAllocation(view: ExperimentView, input: AllocationInput) {
    if (view.status === 'concluded') throw new ConflictError('A concluded experiment cannot change its allocation');
    // A new phase re-hashes with a new seed: clusters already randomised would get people in two arms.
    if (view.status !== 'draft' && view.randomisationUnit !== 'person')
      throw new ConflictError(`The allocation of an experiment that randomises whole ${view.randomisationUnit === 'coach' ? 'coaches' : 'sites'} cannot change after launch: a new phase would put people of one ${view.randomisationUnit} in two arms`);
    const errors: FieldError[] = [];
    const known = new Set(view.arms.map((a) => a.key));
    for (const armKey of Object.keys(input.weights))
      if (!known.has(armKey) && !input.addArms.some((a) => a.key === armKey))
        errors.push({ field: 'weights', message: `"${armKey}" is not an arm of this experiment` });
    const added: ArmDraft[] = input.addArms.map((arm, i) => {
      const levels = arm.levels;
      for (const factor of view.factors)
        if (!factor.levels.includes(levels[factor.key]))
          errors.push({ field: `addArms.${i}.levels`, message: `Arm needs a level of ${factor.key} from ${factor.levels.join(', ')}` });
      const armKey = arm.key ?? view.factors.map((f) => levels[f.key]).join('-');
      if (known.has(armKey)) errors.push({ field: `addArms.${i}.key`, message: `An arm called "${armKey}" already exists` });
      if (arm.control) errors.push({ field: `addArms.${i}.control`, message: 'The control arm cannot change after the experiment is defined' });
      return { key: armKey, name: arm.name ?? defaultArmName(view.factors, levels), levels, isControl: false, weight: 0, instructions: arm.instructions, script: arm.script };
    });
    const allKeys = [...view.arms.map((a) => a.key), ...added.map((a) => a.key)];
    const weights = allKeys.map((armKey) => input.weights[armKey] ?? (added.some((a) => a.key === armKey) ? 1 : 0));
    const control = view.arms.find((a) => a.isControl)!;
    if (weights[allKeys.indexOf(control.key)] === 0) errors.push({ field: 'weights', message: 'The control arm must keep a weight above 0' });
    if (weights.filter((w) => w > 0).length < 2) errors.push({ field: 'weights', message: 'At least two arms must stay open' });
    const open = allKeys.map((k, i) => ({ k, w: weights[i] })).filter((a) => a.w > 0);
    if (errors.length === 0 && view.randomisation === 'blocks' && !integerRatio(normalise(open.map((a) => a.w))))
      errors.push({ field: 'weights', message: 'For permuted blocks, weights must be a simple ratio such as 1:1 or 2:1:1' });
    if (errors.length) throw new ValidationError(errors);
    return { added, allKeys, open };
  }
}

export type ExperimentService = ReturnType<typeof createExperimentService>;
