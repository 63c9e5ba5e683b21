/**
 * A root of a continuous function between two points where it has opposite
 * signs, by Brent's method: inverse quadratic interpolation and secant steps
 * where they help, bisection where they do not, so it never leaves the bracket
 * and never takes more steps than bisection would. The score intervals invert
 * their test statistics with it, hundreds of thousands of times in the
 * coverage check, so it has to converge in a handful of evaluations.
 *
 * The ends may evaluate to ±Infinity (a score statistic at a boundary where
 * its variance is zero); the first steps are then bisections.
 * Throws a RangeError when f(low) and f(high) have the same sign.
 *
 * Source: Brent, R. P. (1973) "Algorithms for minimization without
 * derivatives", ch. 4 (zeroin), the algorithm behind R's `uniroot`.
 *
 * @example
 * bracketedRoot((x) => x * x - 2, 0, 2) // 1.4142135623730951
 */
export function bracketedRoot(
  f: (x: number) => number,
  low: number,
  high: number,
  tolerance = 1e-13,
  maximumIterations = 200,
): number {
  let a = low;
  let b = high;
  let fa = f(a);
  let fb = f(b);
  if (fa === 0) return a;
  if (fb === 0) return b;
  if (Number.isNaN(fa) || Number.isNaN(fb) || Math.sign(fa) === Math.sign(fb)) {
    throw new RangeError(`no sign change between ${low} (f = ${fa}) and ${high} (f = ${fb})`);
  }
  let c = a;
  let fc = fa;
  let stepBeforeLast = b - a;
  let lastStep = stepBeforeLast;
  for (let iteration = 0; iteration < maximumIterations; iteration++) {
    if (Math.sign(fb) === Math.sign(fc)) {
      c = a;
      fc = fa;
      stepBeforeLast = lastStep = b - a;
    }
    if (Math.abs(fc) < Math.abs(fb)) {
      a = b;
      b = c;
      c = a;
      fa = fb;
      fb = fc;
      fc = fa;
    }
    const allowed = 2 * Number.EPSILON * Math.abs(b) + tolerance / 2;
    const midpointStep = (c - b) / 2;
    if (Math.abs(midpointStep) <= allowed || fb === 0) return b;

    let useBisection = true;
    if (Math.abs(stepBeforeLast) >= allowed && Math.abs(fa) > Math.abs(fb) && Number.isFinite(fa) && Number.isFinite(fc)) {
      let p: number;
      let q: number;
      const s = fb / fa;
      if (a === c) {
        p = 2 * midpointStep * s;
        q = 1 - s;
      } else {
        const qa = fa / fc;
        const r = fb / fc;
        p = s * (2 * midpointStep * qa * (qa - r) - (b - a) * (r - 1));
        q = (qa - 1) * (r - 1) * (s - 1);
      }
      if (p > 0) q = -q;
      else p = -p;
      if (2 * p < Math.min(3 * midpointStep * q - Math.abs(allowed * q), Math.abs(stepBeforeLast * q))) {
        stepBeforeLast = lastStep;
        lastStep = p / q;
        useBisection = false;
      }
    }
    if (useBisection) {
      lastStep = midpointStep;
      stepBeforeLast = midpointStep;
    }
    a = b;
    fa = fb;
    b += Math.abs(lastStep) > allowed ? lastStep : midpointStep > 0 ? allowed : -allowed;
    fb = f(b);
  }
  return b;
}
