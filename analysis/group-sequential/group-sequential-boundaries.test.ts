import { describe, expect, it } from 'vitest';
import { expectClose } from '../expect-close.ts';
import { alphaSpent } from './alpha-spending.ts';
import { groupSequentialBoundaries } from './group-sequential-boundaries.ts';

const equalLooks = (count: number) => Array.from({ length: count }, (_, index) => (index + 1) / count);

function expectBoundariesClose(actual: number[], expected: number[], absoluteTolerance: number): void {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((value, index) => {
    if (Math.abs(value - expected[index]) > absoluteTolerance) {
      expect.fail(`look ${index + 1}: ${value} is not within ${absoluteTolerance} of ${expected[index]}`);
    }
  });
}

describe('groupSequentialBoundaries', () => {
  it('matches rpact for four equal looks with O’Brien–Fleming-like spending', () => {
    const looks = groupSequentialBoundaries(equalLooks(4));
    // R: getDesignGroupSequential(typeOfDesign = "asOF", informationRates = c(0.25, 0.5, 0.75, 1), alpha = 0.05, sided = 2)$criticalValues
    expectBoundariesClose(looks.map((look) => look.zBoundary), [4.33263364604956, 2.96313159912825, 2.35904429107904, 2.01409014314413], 1e-6);
    // $stageLevels is one-sided for sided = 2; nominalAlpha is the two-sided threshold, twice it.
    // R: 2 * getDesignGroupSequential(typeOfDesign = "asOF", informationRates = c(0.25, 0.5, 0.75, 1), alpha = 0.05, sided = 2)$stageLevels
    expectClose(looks[1].nominalAlpha, 2 * 1.52263172298994e-3, 1e-5);
    expectClose(looks[3].nominalAlpha, 2 * 2.2000035106172e-2, 1e-5);
    expect(looks.map((look) => look.alphaSpent)).toEqual(equalLooks(4).map((t) => alphaSpent(t)));
  });

  it('matches rpact for four equal looks with Pocock-like spending', () => {
    // R: getDesignGroupSequential(typeOfDesign = "asP", informationRates = c(0.25, 0.5, 0.75, 1), alpha = 0.05, sided = 2)$criticalValues
    expectBoundariesClose(
      groupSequentialBoundaries(equalLooks(4), { spending: 'pocock' }).map((look) => look.zBoundary),
      [2.36832770352391, 2.36752428859472, 2.35816774517298, 2.3500295344916],
      1e-6,
    );
  });

  it('matches rpact for unequal looks', () => {
    // R: getDesignGroupSequential(typeOfDesign = "asOF", informationRates = c(0.13, 0.4, 0.55, 1), alpha = 0.05, sided = 2)$criticalValues
    expectBoundariesClose(
      groupSequentialBoundaries([0.13, 0.4, 0.55, 1]).map((look) => look.zBoundary),
      [6.10679427845929, 3.35686957091093, 2.8227124735713, 1.97430301457644],
      1e-6,
    );
  });

  it('matches rpact for six Pocock-like looks at α = 0.01', () => {
    // R: getDesignGroupSequential(typeOfDesign = "asP", kMax = 6, alpha = 0.01, sided = 2)$criticalValues
    expectBoundariesClose(
      groupSequentialBoundaries(equalLooks(6), { alpha: 0.01, spending: 'pocock' }).map((look) => look.zBoundary),
      [3.02113108631595, 3.03078988939524, 3.02737025171518, 3.02308211475611, 3.01944749802351, 3.0165703073144],
      1e-6,
    );
  });

  it('matches rpact for twenty weekly looks where rpact is accurate, and the exact spending where it is not', () => {
    const looks = groupSequentialBoundaries(equalLooks(20));
    // R: getDesignGroupSequential(typeOfDesign = "asOF", kMax = 20, alpha = 0.05, sided = 2)$criticalValues[6:20]
    expectBoundariesClose(
      looks.slice(5).map((look) => look.zBoundary),
      [
        3.94278035312891, 3.63793661445379, 3.39404950290918, 3.19331981986761, 3.02441086620092, 2.87973841279745,
        2.754020370543, 2.64345353096724, 2.54522208124399, 2.45719137042761, 2.37771017104387, 2.30547849088907,
        2.23945718258619, 2.1788042858243, 2.12282944470644,
      ],
      1e-5,
    );
    // rpact reports Inf at looks 1–2 and, at looks 3–5, boundaries that spend ~1e-9 less than
    // its own alphaSpent (its search tolerance is 1e-8 in α). Ours spend exactly; the chance of
    // crossing by look 3 with our boundaries, from the multivariate normal:
    // R: t <- (1:3)/20; S <- outer(t, t, function(a, b) sqrt(pmin(a, b) / pmax(a, b)));
    //    1 - mvtnorm::pmvnorm(lower = -c(9.9551455775, 6.9913518222, 5.6696826022), upper = c(9.9551455775, 6.9913518222, 5.6696826022),
    //                         sigma = S, algorithm = mvtnorm::Miwa(steps = 4097))  # 1.43067158120402e-08
    expectClose(looks[2].zBoundary, 5.6696826022, 1e-9);
    expectClose(alphaSpent(0.15), 1.43073157765627e-8, 1e-6); // R: 4 * pnorm(qnorm(1 - 0.05/4) / sqrt(0.15), lower.tail = FALSE)
    expect(looks[0].zBoundary).toBeGreaterThan(9);
  });

  it('gives the same early boundaries at an interim look as in the full schedule', () => {
    const full = groupSequentialBoundaries([0.2, 0.45, 0.7, 1]);
    const interim = groupSequentialBoundaries([0.2, 0.45]);
    expect(interim.map((look) => look.zBoundary)).toEqual(full.slice(0, 2).map((look) => look.zBoundary));
  });

  it('with a single look at the end is the fixed-size test', () => {
    expectClose(groupSequentialBoundaries([1])[0].zBoundary, 1.959963984540054, 1e-10); // R: qnorm(0.975)
  });

  it('spends the rest of α at the first look past the plan and then stops spending', () => {
    const looks = groupSequentialBoundaries([0.5, 1.1, 1.3]);
    expect(looks[1].alphaSpent).toBe(0.05);
    expect(looks[2].zBoundary).toBe(Infinity);
    expect(looks[2].nominalAlpha).toBe(0);
    // The boundary past the plan uses the information actually reached (correlation √(0.5/1.1)):
    // R: c1 <- qnorm(1 - 4 * (1 - pnorm(qnorm(1 - 0.05/4) / sqrt(0.5))) / 2); S <- matrix(c(1, sqrt(0.5/1.1), sqrt(0.5/1.1), 1), 2)
    //    uniroot(function(c2) 1 - mvtnorm::pmvnorm(lower = -c(c1, c2), upper = c(c1, c2), sigma = S,
    //            algorithm = mvtnorm::Miwa(steps = 4097)) - 0.05, c(1.5, 3), tol = 1e-13)$root  # 1.97017464062149
    expectClose(looks[1].zBoundary, 1.97017464062149, 1e-8);
  });

  it('throws a RangeError for fractions that do not increase, are not positive, or no looks', () => {
    expect(() => groupSequentialBoundaries([])).toThrow(/at least one/);
    expect(() => groupSequentialBoundaries([0.5, 0.5])).toThrow(/increase/);
    expect(() => groupSequentialBoundaries([0, 1])).toThrow(/positive/);
    expect(() => groupSequentialBoundaries([0.5, 1], { alpha: 0 })).toThrow(/alpha/);
  });
});
