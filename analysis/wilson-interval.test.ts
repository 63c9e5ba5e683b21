import { describe, expect, it } from 'vitest';
import { expectIntervalClose } from './expect-close.ts';
import { wilsonInterval } from './wilson-interval.ts';

describe('wilsonInterval', () => {
  it('matches R prop.test without continuity correction for a typical arm', () => {
    // R: prop.test(12, 40, correct = FALSE)$conf.int
    expectIntervalClose(wilsonInterval(12, 40), [0.18074845229746531, 0.45430018818144935]);
    // R: prop.test(150, 1000, correct = FALSE)$conf.int
    expectIntervalClose(wilsonInterval(150, 1000), [0.12921007251308828, 0.17346865842680032]);
    // R: prop.test(5, 2000, correct = FALSE)$conf.int
    expectIntervalClose(wilsonInterval(5, 2000), [0.0010683087284139149, 0.0058391533164327538]);
  });

  it('uses the requested confidence level', () => {
    // R: prop.test(3, 7, correct = FALSE, conf.level = 0.9)$conf.int
    expectIntervalClose(wilsonInterval(3, 7, 0.9), [0.18644319036395615, 0.71052290898640702]);
    // R: prop.test(7, 9, correct = FALSE, conf.level = 0.99)$conf.int
    expectIntervalClose(wilsonInterval(7, 9, 0.99), [0.36453041217234045, 0.95526703373295685]);
  });

  it('has a lower limit of exactly 0 when nobody reached the stage', () => {
    const interval = wilsonInterval(0, 20);
    expect(interval[0]).toBe(0);
    // R: prop.test(0, 20, correct = FALSE)$conf.int
    expectIntervalClose(interval, [0, 0.1611251580528193]);
  });

  it('has an upper limit of exactly 1 when everybody reached the stage', () => {
    const interval = wilsonInterval(20, 20);
    expect(interval[1]).toBe(1);
    // R: prop.test(20, 20, correct = FALSE)$conf.int
    expectIntervalClose(interval, [0.83887484194718065, 1]);
  });

  it('handles a single person', () => {
    // R: prop.test(1, 1, correct = FALSE)$conf.int
    expectIntervalClose(wilsonInterval(1, 1), [0.2065493143772375, 1]);
    // R: prop.test(0, 1, correct = FALSE)$conf.int
    expectIntervalClose(wilsonInterval(0, 1), [0, 0.79345068562276255]);
  });

  it('throws a RangeError for an empty arm, impossible counts or a bad level', () => {
    expect(() => wilsonInterval(0, 0)).toThrow(/n = 0/);
    expect(() => wilsonInterval(5, 4)).toThrow(RangeError);
    expect(() => wilsonInterval(-1, 4)).toThrow(RangeError);
    expect(() => wilsonInterval(1.5, 4)).toThrow(RangeError);
    expect(() => wilsonInterval(1, 4, 1)).toThrow(/confidence/);
    expect(() => wilsonInterval(1, 4, 0)).toThrow(RangeError);
  });
});
