import { describe, expect, it } from 'vitest';
import { screenForExperiment } from '../experiments/assignment/eligibility.ts';

const experiment = { key: 'cluster-screen', eligibility: {}, phase: { seed: 'fixed-seed', weights: [0.5, 0.5], coverage: 1 } };
const person = (reference: string) => ({ reference, optedOutAt: null });

describe('screening for a cluster-randomised experiment', () => {
  it('hashes the cluster’s code, so everyone of one coach is previewed and offered the same arm', () => {
    const arms = Array.from({ length: 40 }, (_, i) => {
      const screening = screenForExperiment(experiment, person(`P-${String(i).padStart(4, '0')}`), {}, 'WC01');
      if (!screening.eligible) throw new Error('everyone is eligible here');
      return screening.hashed.armIndex;
    });
    expect(new Set(arms).size).toBe(1);
  });

  it('hashes each person’s own reference when there is no cluster', () => {
    const arms = Array.from({ length: 40 }, (_, i) => {
      const screening = screenForExperiment(experiment, person(`P-${String(i).padStart(4, '0')}`), {});
      if (!screening.eligible) throw new Error('everyone is eligible here');
      return screening.hashed.armIndex;
    });
    expect(new Set(arms).size).toBe(2);
  });
});
