import { createHash } from 'node:crypto';

/**
 * Stratified permuted-block randomisation, deterministic from the experiment
 * seed so any assignment can be recomputed by an auditor:
 *
 * - weights are turned into the smallest whole-number ratio (0.5/0.25/0.25 → 2:1:1);
 * - block k of a stratum has size ratio-total × m, with m drawn from {1, 2, 3}
 *   (random block sizes stop coaches guessing the next arm at the end of a block);
 * - its contents are that many copies of each arm, shuffled by Fisher–Yates.
 * Every draw is the SHA-256 of `seed|stratum|k|counter`, read as a fraction.
 *
 * Source: Schulz & Grimes (2002), "Allocation concealment in randomised trials",
 * Lancet 359:614; Rosenberger & Lachin, Randomization in Clinical Trials, ch. 3.
 */

export const MAX_BLOCK = 24;
const MULTIPLIERS = [1, 2, 3];

/** The smallest whole-number ratio equal to `weights` (within 1e-9), or null when none has total ≤ 24. */
export function integerRatio(weights: number[], maxTotal = MAX_BLOCK): number[] | null {
  const total = weights.reduce((a, b) => a + b, 0);
  if (!(total > 0)) return null;
  for (let units = weights.length; units <= maxTotal; units++) {
    const scaled = weights.map((w) => (w / total) * units);
    if (scaled.every((s) => Math.abs(s - Math.round(s)) < 1e-9 && Math.round(s) > 0)) return scaled.map(Math.round);
  }
  return null;
}

/** Draws fractions in [0, 1) from the SHA-256 of a key and a running counter. */
function draws(key: string): () => number {
  let counter = 0;
  let buffer = Buffer.alloc(0);
  let offset = 0;
  return () => {
    if (offset + 4 > buffer.length) {
      buffer = createHash('sha256').update(`${key}|${counter++}`).digest();
      offset = 0;
    }
    const value = buffer.readUInt32BE(offset) / 2 ** 32;
    offset += 4;
    return value;
  };
}

/**
 * The arm indices of block `blockIndex` in `stratum`, in allocation order.
 * @example permutedBlock('seed', 'mental_health|25-34', 0, [1, 1]) // e.g. [1, 0, 0, 1]
 */
export function permutedBlock(seed: string, stratum: string, blockIndex: number, ratio: number[]): number[] {
  const draw = draws(`${seed}|${stratum}|${blockIndex}`);
  const unit = ratio.reduce((a, b) => a + b, 0);
  const allowed = MULTIPLIERS.filter((m) => unit * m <= MAX_BLOCK);
  const multiplier = allowed[Math.floor(draw() * allowed.length)];
  const block = ratio.flatMap((copies, arm) => Array<number>(copies * multiplier).fill(arm));
  for (let i = block.length - 1; i > 0; i--) {
    const j = Math.floor(draw() * (i + 1));
    [block[i], block[j]] = [block[j], block[i]];
  }
  return block;
}

/** The stratum label for a person: their values of the strata attributes, joined. */
export function stratumOf(strata: string[], attributes: Record<string, unknown>): string {
  return strata.length === 0 ? 'all' : strata.map((key) => String(attributes[key] ?? 'unknown')).join('|');
}
