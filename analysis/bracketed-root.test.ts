import { describe, expect, it } from 'vitest';
import { bracketedRoot } from './bracketed-root.ts';
import { expectClose } from './expect-close.ts';

describe('bracketedRoot', () => {
  it('finds roots to full precision', () => {
    expectClose(bracketedRoot((x) => x * x - 2, 0, 2), Math.SQRT2, 1e-13);
    expectClose(bracketedRoot((x) => Math.cos(x) - x, 0, 1), 0.73908513321516067, 1e-13); // R: uniroot(function(x) cos(x) - x, c(0, 1), tol = 1e-15)$root
    expectClose(bracketedRoot((x) => Math.exp(x) - 1e-6, -30, 0), Math.log(1e-6), 1e-12);
  });

  it('copes with infinite values at the ends of the bracket', () => {
    expectClose(bracketedRoot((x) => (x <= 0 ? Infinity : 1 / x - 4), 0, 1), 0.25, 1e-12);
  });

  it('returns an end that is itself a root, and throws without a sign change', () => {
    expect(bracketedRoot((x) => x - 1, 1, 3)).toBe(1);
    expect(() => bracketedRoot((x) => x * x + 1, -1, 1)).toThrow(/no sign change/);
  });
});
