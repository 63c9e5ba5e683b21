import { describe, expect, it } from 'vitest';
import { evalCondition } from '@growthbook/growthbook';
import { conditionInWords, eligibilityInWords, whyNotEligible } from './eligibility-words.ts';

const person = {
  healthGroup: 'mental_health',
  ageBand: '50-64',
  sex: 'female',
  ethnicityGroup: 'asian',
  caring: false,
  timeOnBenefits: '2-5y',
  previousWork: 'within_5y',
  benefitType: 'uc_lcwra',
  preferredChannel: 'letter',
  adjustments: ['phone_meeting'],
  coachId: 1,
  siteId: 1,
};

describe('eligibility in words: what the design form writes', () => {
  it('says "everyone" as no lines at all', () => {
    expect(eligibilityInWords({})).toEqual([]);
    expect(conditionInWords({})).toBe('anyone');
  });

  it('writes a chosen list of bands with an en dash and "or"', () => {
    expect(eligibilityInWords({ ageBand: { $in: ['25-34', '35-49'] } })).toEqual(['age band is 25–34 or 35–49']);
  });

  it('writes caring as yes or no', () => {
    expect(eligibilityInWords({ caring: true })).toEqual(['caring responsibilities: yes']);
    expect(eligibilityInWords({ caring: false })).toEqual(['caring responsibilities: no']);
  });

  it('writes a plain value and a missing value, never an empty line', () => {
    expect(eligibilityInWords({ preferredChannel: 'text' })).toEqual(['preferred channel is text']);
    expect(eligibilityInWords({ preferredChannel: null })).toEqual(['preferred channel is not recorded']);
  });

  it('writes one line per clause, in order', () => {
    expect(eligibilityInWords({ healthGroup: { $in: ['mental_health'] }, benefitType: { $in: ['esa_support_group'] } })).toEqual([
      'health condition group is mental health',
      'benefit is ESA support group',
    ]);
  });
});

describe('eligibility in words: every value operator', () => {
  const cases: [string, unknown, string][] = [
    ['$eq', { preferredChannel: { $eq: 'text' } }, 'preferred channel is text'],
    ['$ne', { preferredChannel: { $ne: 'letter' } }, 'preferred channel is not letter'],
    ['$lt', { ageBand: { $lt: '35-49' } }, 'age band is below 35–49'],
    ['$lte', { ageBand: { $lte: '25-34' } }, 'age band is 25–34 or below'],
    ['$gt', { coachId: { $gt: 3 } }, 'work coach is above 3'],
    ['$gte', { coachId: { $gte: 3 } }, 'work coach is 3 or above'],
    ['$veq', { appVersion: { $veq: '1.2.0' } }, 'app version is version 1.2.0'],
    ['$vne', { appVersion: { $vne: '1.2.0' } }, 'app version is not version 1.2.0'],
    ['$vgt', { appVersion: { $vgt: '1.2.0' } }, 'app version is a version after 1.2.0'],
    ['$vgte', { appVersion: { $vgte: '1.2.0' } }, 'app version is version 1.2.0 or later'],
    ['$vlt', { appVersion: { $vlt: '1.2.0' } }, 'app version is a version before 1.2.0'],
    ['$vlte', { appVersion: { $vlte: '1.2.0' } }, 'app version is version 1.2.0 or earlier'],
    ['$exists true', { preferredChannel: { $exists: true } }, 'preferred channel is recorded'],
    ['$exists false', { preferredChannel: { $exists: false } }, 'preferred channel is not recorded'],
    ['$in on a list', { adjustments: { $in: ['interpreter'] } }, 'adjustments include an interpreter'],
    ['$in, two values on a list', { adjustments: { $in: ['interpreter', 'extra_time'] } }, 'adjustments include an interpreter or extra time'],
    ['$in, empty', { ageBand: { $in: [] } }, 'age band: nobody matches (the list of values is empty)'],
    ['$ini', { preferredChannel: { $ini: ['TEXT'] } }, 'preferred channel is TEXT (ignoring capitals)'],
    ['$nin on a value', { ageBand: { $nin: ['16-24', '25-34'] } }, 'age band is neither 16–24 nor 25–34'],
    ['$nin, one value', { ageBand: { $nin: ['16-24'] } }, 'age band is not 16–24'],
    ['$nin on a list', { adjustments: { $nin: ['phone_meeting', 'home_meeting'] } }, 'adjustments do not include meetings by phone or meetings at home'],
    ['$nini', { sex: { $nini: ['MALE'] } }, 'sex is not MALE (ignoring capitals)'],
    ['$all', { adjustments: { $all: ['interpreter', 'extra_time'] } }, 'adjustments include all of an interpreter and extra time'],
    ['$alli', { adjustments: { $alli: ['INTERPRETER'] } }, 'adjustments include all of INTERPRETER (ignoring capitals)'],
    ['$elemMatch with an operator', { adjustments: { $elemMatch: { $eq: 'interpreter' } } }, 'adjustments include one that is an interpreter'],
    ['$elemMatch with a condition', { visits: { $elemMatch: { place: 'home' } } }, 'visits includes one where place is home'],
    ['$size', { adjustments: { $size: 2 } }, 'the number of adjustments is 2'],
    ['$size with an operator', { adjustments: { $size: { $gt: 0 } } }, 'the number of adjustments is above 0'],
    ['$not on a value', { ageBand: { $not: { $in: ['16-24'] } } }, 'not (age band is 16–24)'],
    ['$regex', { healthGroup: { $regex: '^mental' } }, 'health condition group matches the pattern “^mental”'],
    ['$regexi', { healthGroup: { $regexi: '^MENTAL' } }, 'health condition group matches the pattern “^MENTAL” (ignoring capitals)'],
    ['$type', { preferredChannel: { $type: 'string' } }, 'preferred channel is text'],
    ['$inGroup', { siteId: { $inGroup: 'pilot-sites' } }, 'site is in the saved group “pilot-sites” (no saved groups are set up here, so nobody matches)'],
    ['$notInGroup', { siteId: { $notInGroup: 'pilot-sites' } }, 'site is not in the saved group “pilot-sites” (no saved groups are set up here, so everyone matches)'],
    ['two operators on one attribute', { coachId: { $gte: 2, $lt: 5 } }, 'work coach is 2 or above and work coach is below 5'],
    ['a number', { coachId: 4 }, 'work coach is 4'],
    ['an exact list', { adjustments: ['interpreter', 'easy_read'] }, 'adjustments are exactly an interpreter and easy-read information'],
    ['an empty list', { adjustments: [] }, 'adjustments: none recorded'],
    ['an unknown operator', { ageBand: { $between: ['16-24', '35-49'] } }, 'age band: the rule “$between” is not one GrowthBook knows, so nobody matches'],
  ];
  it.each(cases)('writes %s in words', (_name, condition, words) => {
    expect(eligibilityInWords(condition as Record<string, unknown>)).toEqual([words]);
  });
});

describe('eligibility in words: the logical operators', () => {
  it('writes $or as "either … or …"', () => {
    expect(eligibilityInWords({ $or: [{ ageBand: '16-24' }, { caring: true }] })).toEqual(['either age band is 16–24; or caring responsibilities: yes']);
  });
  it('writes $and as "all of"', () => {
    expect(eligibilityInWords({ $and: [{ sex: 'female' }, { caring: true }] })).toEqual(['all of: sex is female; and caring responsibilities: yes']);
  });
  it('writes $nor as "none of"', () => {
    expect(eligibilityInWords({ $nor: [{ sex: 'male' }, { caring: true }] })).toEqual(['none of: sex is male; nor caring responsibilities: yes']);
  });
  it('writes a top-level $not', () => {
    expect(eligibilityInWords({ $not: { preferredChannel: 'phone' } })).toEqual(['not (preferred channel is phone)']);
  });
  it('writes $savedGroup, and says it matches nobody here', () => {
    expect(eligibilityInWords({ $savedGroup: { id: 'carers' } })).toEqual(['in the saved group “carers” (no saved groups are set up here, so nobody matches)']);
  });
  it('nests logical operators inside one another', () => {
    expect(conditionInWords({ $or: [{ $and: [{ sex: 'female' }, { caring: true }] }, { ageBand: { $in: ['16-24'] } }] })).toBe(
      'either all of: sex is female; and caring responsibilities: yes; or age band is 16–24',
    );
  });
});

describe('why a person is not eligible', () => {
  it('says nothing for someone who meets the condition', () => {
    const condition = { ageBand: { $in: ['50-64'] }, caring: false };
    expect(evalCondition(person, condition as never)).toBe(true);
    expect(whyNotEligible(condition, person)).toEqual([]);
  });

  it('states the failed simple clauses as facts about the person', () => {
    expect(whyNotEligible({ preferredChannel: 'text' }, person)).toEqual(['preferred channel is not text']);
    expect(whyNotEligible({ preferredChannel: null }, person)).toEqual(['a preferred channel is recorded']);
    expect(whyNotEligible({ caring: true }, person)).toEqual(['caring responsibilities: no']);
    expect(whyNotEligible({ ageBand: { $in: ['25-34', '35-49'] } }, person)).toEqual(['age band is not 25–34 or 35–49']);
    expect(whyNotEligible({ adjustments: { $nin: ['phone_meeting', 'home_meeting'] } }, person)).toEqual(['adjustments include meetings by phone or meetings at home']);
    expect(whyNotEligible({ adjustments: { $in: ['interpreter'] } }, person)).toEqual(['adjustments do not include an interpreter']);
  });

  it('lists only the clauses that fail, and quotes a complex one', () => {
    const condition = { caring: false, $or: [{ ageBand: '16-24' }, { sex: 'male' }] };
    expect(whyNotEligible(condition, person)).toEqual(['does not meet “either age band is 16–24; or sex is male”']);
  });

  it('agrees with GrowthBook for every clause it lists', () => {
    const conditions: Record<string, unknown>[] = [
      { preferredChannel: 'text', ageBand: { $in: ['50-64'] } },
      { adjustments: { $size: 0 } },
      { coachId: { $gte: 2 } },
      { healthGroup: { $regex: '^muscul' } },
    ];
    for (const condition of conditions) expect(whyNotEligible(condition, person).length === 0).toBe(evalCondition(person, condition as never));
  });
});
