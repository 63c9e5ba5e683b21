import type { Db } from '../../server/db/database.ts';
import type { RandomisationUnit } from '../../experiments/vocabulary.ts';
import { createContactStore } from '../../experiments/contacts/contact-store.ts';
import type { PageError } from '../page-context.ts';
import type { PowerResult } from './power-calculator.ts';

/**
 * Planning a design that randomises whole coaches or sites (decision 0037):
 * how many clusters there are to share out, a warning when an arm would get
 * fewer than MINIMUM_CLUSTERS_PER_ARM, and the power calculator's people
 * needed multiplied by the design effect 1 + (m − 1)·ICC (Donner, Birkett &
 * Buck 1981; Hayes & Moulton 2017, Cluster Randomised Trials, §7.3).
 */

/** Below this many clusters in an arm, the cluster-level test has few degrees of freedom and hashing can leave arms very unequal. */
export const MINIMUM_CLUSTERS_PER_ARM = 6;
export const DEFAULT_ICC = 0.05;

const UNIT_WORDS = { coach: { one: 'coach', many: 'coaches' }, site: { one: 'site', many: 'sites' } } as const;
export const clusterWords = (unit: Exclude<RandomisationUnit, 'person'>) => UNIT_WORDS[unit];

export interface ClusterPlan {
  unit: Exclude<RandomisationUnit, 'person'>;
  /** Coaches or sites with at least one person who has not opted out. */
  clusters: number;
  /** Clusters the smallest arm can expect: clusters × its share. */
  smallestArmClusters: number;
  /** People per cluster now (mean), for the calculator's default. */
  meanClusterSize: number | null;
  warning: string | null;
}

/** The clusters there are to randomise, and a warning when an arm would get too few. */
export async function clusterPlan(db: Db, unit: RandomisationUnit, weightShares: number[]): Promise<ClusterPlan | null> {
  // Anything else typed into the form is reported by the form's own check.
  if (unit !== 'coach' && unit !== 'site') return null;
  const row = await createContactStore(db).clusterCounts(unit);
  const shares = weightShares.length >= 2 ? weightShares : [0.5, 0.5];
  const smallestArmClusters = Math.floor(row.clusters * Math.min(...shares) + 1e-9);
  const words = clusterWords(unit);
  const warning =
    smallestArmClusters < MINIMUM_CLUSTERS_PER_ARM
      ? `Only ${row.clusters} ${row.clusters === 1 ? words.one : words.many} to randomise: the smallest arm can expect ${smallestArmClusters}, fewer than ${MINIMUM_CLUSTERS_PER_ARM}. With so few, the analysis with ${words.many} as the unit can rarely find a difference, and the arms may be unequal by chance.`
      : null;
  return { unit, clusters: row.clusters, smallestArmClusters, meanClusterSize: row.clusters > 0 ? row.people / row.clusters : null, warning };
}

export interface ClusterPower {
  unit: Exclude<RandomisationUnit, 'person'>;
  icc: number;
  clusterSize: number;
  /** 1 + (m − 1)·ICC */
  designEffect: number;
  /** People per arm and in all before the design effect, for people randomised one by one. */
  personPerArm: number;
  personTotal: number;
  /** Clusters of `clusterSize` the smallest arm needs. */
  clustersPerArm: number;
}

/** Reads the calculator's ICC (default 0.05) and people per cluster (default: the mean now). */
export function clusterPowerInput(values: { powerIcc: string; powerClusterSize: string }, plan: ClusterPlan): { icc: number; clusterSize: number; errors: PageError[] } {
  const errors: PageError[] = [];
  const icc = values.powerIcc === '' ? DEFAULT_ICC : Number(values.powerIcc);
  if (!(Number.isFinite(icc) && icc >= 0 && icc < 1)) errors.push({ field: 'powerIcc', message: 'Enter the intra-class correlation as a number from 0 to less than 1, for example 0.05' });
  const typed = values.powerClusterSize.replace(/,/g, '');
  const clusterSize = typed === '' ? Math.max(1, Math.round(plan.meanClusterSize ?? 1)) : Number(typed);
  if (!(Number.isInteger(clusterSize) && clusterSize >= 1 && clusterSize <= 100_000))
    errors.push({ field: 'powerClusterSize', message: `Enter the people per ${clusterWords(plan.unit).one} as a whole number, for example 40` });
  return { icc, clusterSize, errors };
}

/**
 * The calculator's answer for a cluster-randomised design: every people count
 * multiplied by the design effect 1 + (m − 1)·ICC and rounded up, the weeks and
 * shortfall worked out again, and the clusters each arm needs. The week-by-week
 * simulation randomises people one by one, so it is left out.
 *
 * @example
 * withClusterDesignEffect(result, { unit: 'coach', icc: 0.05, clusterSize: 41 }).cluster.designEffect; // 3 (1 + 40 × 0.05)
 */
export function withClusterDesignEffect(
  result: PowerResult,
  options: { unit: Exclude<RandomisationUnit, 'person'>; icc: number; clusterSize: number },
): PowerResult & { cluster: ClusterPower } {
  const designEffect = 1 + (options.clusterSize - 1) * options.icc;
  const inflate = (people: number) => Math.ceil(people * designEffect - 1e-9);
  const perArm = inflate(result.perArm);
  const total = inflate(result.total);
  return {
    ...result,
    perArm,
    fixedPerArm: inflate(result.fixedPerArm),
    total,
    fixedTotal: inflate(result.fixedTotal),
    weeks: result.intake ? Math.ceil(total / result.intake) : null,
    shortfall: result.plannedTotal !== null && result.plannedTotal < total,
    simulation: null,
    simulationNote: `The week-by-week simulation randomises people one by one, so it is not shown for a design that randomises whole ${clusterWords(options.unit).many}.`,
    cluster: {
      unit: options.unit,
      icc: options.icc,
      clusterSize: options.clusterSize,
      designEffect,
      personPerArm: result.perArm,
      personTotal: result.total,
      clustersPerArm: Math.ceil(perArm / options.clusterSize - 1e-9),
    },
  };
}
