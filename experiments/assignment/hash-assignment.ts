import { GrowthBookClient } from '@growthbook/growthbook';

/**
 * Deterministic assignment with the GrowthBook SDK: hash version 2 of the
 * experiment seed and the person's pseudonymous reference picks a bucket in
 * [0, 1); coverage and weights lay the arms out over that range. Anyone can
 * recompute an assignment from the seed, weights, coverage and reference.
 */
const client = new GrowthBookClient();

export interface HashAssignment {
  inExperiment: boolean;
  /** Index into the arms the weights refer to (only when inExperiment). */
  armIndex: number;
  /** The hash bucket in [0, 1), kept for audit. */
  bucket: number;
}

export function hashAssignment(input: { experimentKey: string; seed: string; weights: number[]; coverage: number; reference: string }): HashAssignment {
  const result = client.runInlineExperiment(
    {
      key: input.experimentKey,
      variations: input.weights.map((_, i) => i) as [number, number, ...number[]],
      weights: input.weights,
      coverage: input.coverage,
      seed: input.seed,
      hashVersion: 2,
      hashAttribute: 'id',
    },
    { attributes: { id: input.reference } },
  );
  return { inExperiment: result.inExperiment, armIndex: result.variationId, bucket: result.bucket ?? Number.NaN };
}
