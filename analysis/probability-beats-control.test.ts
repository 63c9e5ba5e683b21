import { describe, expect, it } from 'vitest';
import { expectClose } from './expect-close.ts';
import { expectedLoss, probabilityBeatsControl } from './probability-beats-control.ts';

const arm = (successes: number, n: number, name = 'arm') => ({ arm: name, n, successes });

// Reference values: R numerical integration over the Beta(1 + x, 1 + n − x) posteriors.
//   P(arm > control):  integrate(function(x) dbeta(x, a1, b1) * pbeta(x, a2, b2), 0, 1, rel.tol = 1e-12, subdivisions = 1000L)
//   loss of arm:       integrate(function(x) dbeta(x, a1, b1) * (a2/(a2+b2) * pbeta(x, a2+1, b2, lower.tail = FALSE) - x * pbeta(x, a2, b2, lower.tail = FALSE)), 0, 1, rel.tol = 1e-12, subdivisions = 1000L)
//   loss of control:   the same with the arms swapped
// with a1 = 1 + x_arm, b1 = 1 + n_arm − x_arm, a2 = 1 + x_control, b2 = 1 + n_control − x_control.
// (Monte Carlo with 2e6 draws agreed to 3 decimals in every case.)
describe('probabilityBeatsControl', () => {
  it('matches R numerical integration for a typical small trial', () => {
    // a1 = 16, b1 = 36, a2 = 9, b2 = 43
    expectClose(probabilityBeatsControl(arm(15, 50), arm(8, 50)), 0.94945234798984934, 1e-9);
  });

  it('matches R numerical integration with counts in the thousands', () => {
    // a1 = 121, b1 = 881, a2 = 96, b2 = 906
    expectClose(probabilityBeatsControl(arm(120, 1000), arm(95, 1000)), 0.96424356945392398, 1e-9);
    // a1 = 2401, b1 = 601, a2 = 2351, b2 = 651
    expectClose(probabilityBeatsControl(arm(2400, 3000), arm(2350, 3000)), 0.94397024243250982, 1e-9);
    // a1 = 31, b1 = 1971, a2 = 46, b2 = 2456
    expectClose(probabilityBeatsControl(arm(30, 2000), arm(45, 2500)), 0.22319383661299966, 1e-9);
    // a1 = 301, b1 = 3701, a2 = 261, b2 = 3741
    expectClose(probabilityBeatsControl(arm(300, 4000), arm(260, 4000)), 0.960093500822785, 1e-9);
  });

  it('matches R numerical integration with counts in the tens and hundreds of thousands (quadrature path)', () => {
    // R, integrating over the arm posterior's mean ± 15 sd (integrate over [0, 1] misses so sharp a peak):
    // f <- function(a1,b1,a2,b2) { m <- a1/(a1+b1); s <- sqrt(a1*b1/((a1+b1)^2*(a1+b1+1)));
    //   integrate(function(x) dbeta(x,a1,b1)*pbeta(x,a2,b2), m-15*s, m+15*s, rel.tol=1e-12, subdivisions=2000)$value }
    // f(1+30500, 1+250000-30500, 1+30000, 1+250000-30000)
    expectClose(probabilityBeatsControl(arm(30500, 250000), arm(30000, 250000)), 0.984927701597, 1e-7);
    // f(1+112000, 1+250000-112000, 1+112500, 1+250000-112500)
    expectClose(probabilityBeatsControl(arm(112000, 250000), arm(112500, 250000)), 0.077567490686, 1e-6);
    // f(1+1500, 1+25000-1500, 1+1400, 1+25000-1400)
    expectClose(probabilityBeatsControl(arm(1500, 25000), arm(1400, 25000)), 0.972131399004, 1e-7);
    // f(1+4200, 1+8000-4200, 1+4100, 1+8000-4100): every parameter above 1,000
    expectClose(probabilityBeatsControl(arm(4200, 8000), arm(4100, 8000)), 0.943194049885, 1e-7);
  });

  it('is one half when nobody reached the stage in either arm', () => {
    expectClose(probabilityBeatsControl(arm(0, 10), arm(0, 10)), 0.5, 1e-12); // R: 0.50000000000000011
  });

  it('is near one when everybody in the arm and nobody in control reached the stage', () => {
    expectClose(probabilityBeatsControl(arm(10, 10), arm(0, 10)), 0.99999858242892325, 1e-9); // a1 = 11, b1 = 1, a2 = 1, b2 = 11
  });

  it('handles one person per arm and an arm with nobody yet (the prior)', () => {
    expectClose(probabilityBeatsControl(arm(1, 1), arm(0, 1)), 0.83333333333333326, 1e-12); // a1 = 2, b1 = 1, a2 = 1, b2 = 2
    expectClose(probabilityBeatsControl(arm(0, 0), arm(5, 20)), 0.72727272727272718, 1e-12); // a1 = 1, b1 = 1, a2 = 6, b2 = 16
  });

  it('is symmetric: the chances of each arm beating the other add to one', () => {
    const forward = probabilityBeatsControl(arm(37, 120), arm(22, 118));
    const backward = probabilityBeatsControl(arm(22, 118), arm(37, 120));
    expectClose(forward + backward, 1, 1e-12);
  });

  it('throws a RangeError for impossible counts', () => {
    expect(() => probabilityBeatsControl(arm(11, 10), arm(1, 10))).toThrow(RangeError);
    expect(() => probabilityBeatsControl(arm(1, 10), arm(-1, 10))).toThrow(RangeError);
  });
});

describe('expectedLoss', () => {
  it('matches R numerical integration for both decisions', () => {
    const small = expectedLoss(arm(15, 50), arm(8, 50));
    expectClose(small.chooseArm, 0.0017725919294274417, 1e-8);
    expectClose(small.chooseControl, 0.13638797654481205, 1e-8);
    const large = expectedLoss(arm(120, 1000), arm(95, 1000));
    expectClose(large.chooseArm, 0.00019720849172120074, 1e-8);
    expectClose(large.chooseControl, 0.025147308292120404, 1e-8);
    const thousands = expectedLoss(arm(2400, 3000), arm(2350, 3000));
    expectClose(thousands.chooseArm, 0.000250104163868988, 1e-8);
    expectClose(thousands.chooseControl, 0.016905667121897023, 1e-8);
    const worse = expectedLoss(arm(30, 2000), arm(45, 2500));
    expectClose(worse.chooseArm, 0.0034056949605503284, 1e-8);
    expectClose(worse.chooseControl, 0.00050491867847908371, 1e-8);
  });

  it('handles zero, all and single successes', () => {
    const none = expectedLoss(arm(0, 10), arm(0, 10));
    expectClose(none.chooseArm, 0.039855072463768119, 1e-9);
    expectClose(none.chooseControl, 0.039855072463768119, 1e-9);
    const all = expectedLoss(arm(10, 10), arm(0, 10));
    expectClose(all.chooseArm, 6.1633525087556636e-8, 1e-6);
    expectClose(all.chooseControl, 0.83333339496685854, 1e-9);
    const single = expectedLoss(arm(1, 1), arm(0, 1));
    expectClose(single.chooseArm, 0.033333333333333326, 1e-9);
    expectClose(single.chooseControl, 0.36666666666666664, 1e-9);
  });

  it('differs between the two decisions by exactly the difference in posterior means', () => {
    const loss = expectedLoss(arm(37, 120), arm(22, 118));
    expectClose(loss.chooseControl - loss.chooseArm, 38 / 122 - 23 / 120, 1e-10);
  });
});
