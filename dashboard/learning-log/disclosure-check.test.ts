import { describe, expect, it } from 'vitest';
import { checkDisclosure, compactIdentifier, containsIdentifier, referenceCandidates, type DisclosureKind } from './disclosure-check.ts';
import { DEMO_LEARNING_NOTES } from '../../seed/learning-notes.ts';
import { DEMO_SITES } from '../../seed/demo.ts';

const SITES = DEMO_SITES.map((site) => site.name);
const kinds = (text: string, references: string[] = []) =>
  checkDisclosure(text, { placeNames: SITES, isContactReference: (compact) => references.map(compactIdentifier).includes(compact) }).map((w) => w.kind);
const matches = (text: string, kind: DisclosureKind) => checkDisclosure(text, { placeNames: SITES }).find((w) => w.kind === kind)?.matches ?? [];

describe('the disclosure check on the note that reached a minister', () => {
  const note = 'The 58-year-old Black woman with MS who cares for her son, seen at Riverside, said the letter frightened her.';

  it('warns about her age, her condition, the place and the combination of details', () => {
    expect(kinds(note)).toEqual(['descriptors', 'age', 'health', 'place']);
    expect(matches(note, 'age')).toEqual(['58-year-old']);
    expect(matches(note, 'health')).toEqual(['MS']);
    expect(matches(note, 'place')).toEqual(['Riverside']);
  });

  it('gives each warning a heading and a message that says what to do', () => {
    for (const warning of checkDisclosure(note, { placeNames: SITES })) {
      expect(warning.title.length).toBeGreaterThan(3);
      expect(warning.message).toMatch(/^(Remove|A |Ages|Places|Numbers)/);
    }
  });
});

describe('identifiers however they are written', () => {
  it('finds a reference written with spaces and dashes, which got past the old filter', () => {
    expect(matches('EIU - 12 34 rang back after the letter', 'identifier')).toEqual(['EIU - 12 34']);
    expect(matches('Spoke to eiu.7k2q.9d today', 'identifier')).toEqual([]);
    expect(kinds('Spoke to eiu.7k2q.9d today', ['EIU-7K2Q9D'])).toEqual(['identifier']);
    expect(matches('P 0011 said the letter scared them', 'identifier')).toEqual(['P 0011']);
  });

  it('finds a National Insurance number however it is spaced or punctuated', () => {
    for (const written of ['QQ123456C', 'QQ 12 34 56 C', 'qq-12-34-56-c', 'Q Q 1 2 3 4 5 6', 'QQ.12.34.56.C', 'QQ 123 456 C'])
      expect({ written, found: matches(`Their number is ${written} on file`, 'identifier').length }).toEqual({ written, found: 1 });
  });

  it('does not mistake ordinary figures and words for identifiers', () => {
    for (const text of ['People taking part rose to 120 this week', 'Long COVID-19 came up in the extended meetings', 'The EIU team met on Tuesday', 'About 40% replied within 13 weeks'])
      expect({ text, found: matches(text, 'identifier') }).toEqual({ text, found: [] });
  });

  it('offers every spacing of a reference as a compact candidate', () => {
    expect(referenceCandidates('EIU - 12 34').map((c) => c.compact)).toEqual(expect.arrayContaining(['EIU12', 'EIU1234', '1234']));
    expect(compactIdentifier('eiu - 7k2q . 9d')).toBe('EIU7K2Q9D');
  });

  it('tells the learning log a note names someone when the reference is real, however it is spaced', () => {
    const known = (compact: string) => compact === 'EIU1234';
    expect(containsIdentifier('EIU - 12 34 rang back', known)).toBe(true);
    expect(containsIdentifier('eiu 1234 rang back', known)).toBe(true);
    expect(containsIdentifier('QQ 12 34 56 C rang back', known)).toBe(true);
    expect(containsIdentifier('EIU - 12 35 rang back', known)).toBe(false);
  });
});

describe('small numbers', () => {
  it('flags exactly the four demo notes that count fewer than 10 people or events', () => {
    const flagged = DEMO_LEARNING_NOTES.filter((n) => matches(n.note, 'small-number').length > 0).map((n) => n.note.slice(0, 30));
    expect(DEMO_LEARNING_NOTES).toHaveLength(15);
    expect(flagged).toEqual(['Two people rang after the warm', 'The standard letter reads like', 'Phone meetings suit people hav', 'Travel cost came up twice for ']);
    expect(matches(DEMO_LEARNING_NOTES[1].note, 'small-number')).toEqual(['One']);
    expect(matches(DEMO_LEARNING_NOTES[7].note, 'small-number')).toEqual(['twice']);
  });

  it('flags digits and number words under 10, but not durations, percentages, labels or larger numbers', () => {
    expect(matches('3 people said so, and three more agreed', 'small-number')).toEqual(['3', 'three']);
    expect(matches('After 8 weeks, in phase 2, 4% of 120 people and 13 replies', 'small-number')).toEqual([]);
    expect(matches('No one minded the one-to-one meetings, one of the better changes', 'small-number')).toEqual([]);
    expect(matches('A couple of weeks later', 'small-number')).toEqual([]);
  });
});

describe('ages, health, places and descriptors', () => {
  it('finds ages written in several ways', () => {
    expect(matches('She is aged 58; he is in his late fifties; a man in her 50s; mid-40s; a 34 year old', 'age')).toEqual([
      'aged 58',
      'in his late fifties',
      'in her 50s',
      'mid-40s',
      '34 year old',
    ]);
  });

  it('finds named health conditions, acronyms only in capitals', () => {
    expect(matches('People with multiple sclerosis, depression or HIV, and one with epilepsy', 'health')).toEqual(['multiple sclerosis', 'depression', 'HIV', 'epilepsy']);
    expect(matches('Several people told me they felt heard; ms and me are just words here', 'health')).toEqual([]);
  });

  it('finds site names from the database, capitalised places after "at" or "in", and postcodes', () => {
    expect(matches('Meetings at the Riverside Community Wellbeing Hub went well', 'place')).toEqual(['Riverside Community Wellbeing Hub']);
    expect(matches('Someone from Leeds, near LS1 4AP, came to Park Street Library', 'place')).toEqual(['Leeds', 'LS1 4AP', 'Park Street Library']);
    expect(matches('In January we met in English at the community hub and the jobcentre', 'place')).toEqual([]);
  });

  it('warns about ethnicity or sex only when a sentence combines it with another detail', () => {
    expect(kinds('Women in the extended arm asked more about training.')).toEqual([]);
    expect(kinds('A Pakistani man in his 40s said the letter scared him.')).toEqual(['descriptors', 'age']);
    expect(kinds('One mother who cares for her son asked for phone meetings.')).toContain('descriptors');
  });

  it('has nothing to say about a summary written in aggregate language', () => {
    const summary =
      'People who received the warm, voluntary message were more likely to ring back to check that taking part would not affect their benefits. ' +
      'Once reassured, most went on to book a first meeting. Coaches noted that meetings away from the jobcentre felt less formal.';
    expect(checkDisclosure(summary, { placeNames: SITES, isContactReference: () => false })).toEqual([]);
  });
});
