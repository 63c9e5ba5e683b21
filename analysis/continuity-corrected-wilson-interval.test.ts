import { describe, expect, it } from 'vitest';
import { continuityCorrectedWilsonInterval } from './continuity-corrected-wilson-interval.ts';
import { expectIntervalClose } from './expect-close.ts';

describe('continuityCorrectedWilsonInterval', () => {
  it('matches R prop.test with the continuity correction', () => {
    // R: prop.test(12, 40, correct = TRUE)$conf.int
    expectIntervalClose(continuityCorrectedWilsonInterval(12, 40), [0.17085900282593669, 0.46711322831123314]);
    // R: prop.test(150, 1000, correct = TRUE)$conf.int
    expectIntervalClose(continuityCorrectedWilsonInterval(150, 1000), [0.12874217448498287, 0.17399684950542205]);
    // R: prop.test(21, 118, correct = TRUE)$conf.int
    expectIntervalClose(continuityCorrectedWilsonInterval(21, 118), [0.11595959534690782, 0.26149262489130148]);
  });

  it('keeps the correction when the count is half of n, where R drops it unless p is moved', () => {
    // R: prop.test(5, 10, p = 0.01, correct = TRUE)$conf.int (prop.test(5, 10) gives the uncorrected interval)
    expectIntervalClose(continuityCorrectedWilsonInterval(5, 10), [0.20142296959860717, 0.79857703040139294]);
  });

  it('works at other confidence levels', () => {
    // R: prop.test(3, 7, conf.level = 0.9, correct = TRUE)$conf.int
    expectIntervalClose(continuityCorrectedWilsonInterval(3, 7, 0.9), [0.14086547482558595, 0.7639899124268491]);
    // R: prop.test(7, 9, conf.level = 0.99, correct = TRUE)$conf.int
    expectIntervalClose(continuityCorrectedWilsonInterval(7, 9, 0.99), [0.32127916566357534, 0.9728571259289629]);
  });

  it('has limits of exactly 0 and 1 at the edges', () => {
    const none = continuityCorrectedWilsonInterval(0, 20);
    expect(none[0]).toBe(0);
    expectIntervalClose(none, [0, 0.20045334501348699]); // R: prop.test(0, 20, correct = TRUE)$conf.int
    const all = continuityCorrectedWilsonInterval(20, 20);
    expect(all[1]).toBe(1);
    expectIntervalClose(all, [0.79954665498651289, 1]); // R: prop.test(20, 20, correct = TRUE)$conf.int
    expectIntervalClose(continuityCorrectedWilsonInterval(1, 1), [0.054620755528852032, 1]); // R: prop.test(1, 1, correct = TRUE)$conf.int
  });

  it('throws a RangeError for impossible counts or confidence levels', () => {
    expect(() => continuityCorrectedWilsonInterval(0, 0)).toThrow(/n = 0/);
    expect(() => continuityCorrectedWilsonInterval(5, 4)).toThrow(RangeError);
    expect(() => continuityCorrectedWilsonInterval(1.5, 4)).toThrow(RangeError);
    expect(() => continuityCorrectedWilsonInterval(1, 4, 1)).toThrow(/confidence/);
  });
});
