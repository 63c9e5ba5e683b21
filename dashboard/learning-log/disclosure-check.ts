/**
 * Checks a piece of free text meant for ministers (the weekly learning summary)
 * for details that could, alone or together, identify a person: identifiers,
 * small numbers, ages, health conditions, places, and a person described by
 * ethnicity or sex alongside other details. The categories follow the ONS and
 * ICO guidance on anonymisation (direct identifiers, small cells, and
 * "indirect identifiers" that combine). Warnings are advice for the analyst who
 * approves the text, not a filter: they will sometimes flag something harmless.
 *
 * Pure: the database's part (site names, and whether a candidate is a real
 * contact reference) is passed in.
 *
 * @example
 * checkDisclosure('Two people at Riverside said so', { placeNames: [] }).map((w) => w.kind)
 * // → ['place', 'small-number']
 */

export type DisclosureKind = 'identifier' | 'descriptors' | 'age' | 'health' | 'place' | 'small-number';

export interface DisclosureWarning {
  kind: DisclosureKind;
  /** A short heading for the warning. */
  title: string;
  /** What the analyst should do, in plain English. */
  message: string;
  /** The words that raised the warning, as written, without repeats. */
  matches: string[];
}

export interface DisclosureContext {
  /** Site names from the database (and any other places known to the service). */
  placeNames?: readonly string[];
  /** True when a compact candidate (upper case, no spaces, dashes or dots) is a real contact reference. */
  isContactReference?: (compact: string) => boolean;
}

const ORDER: DisclosureKind[] = ['identifier', 'descriptors', 'age', 'health', 'place', 'small-number'];

const TITLES: Record<DisclosureKind, string> = {
  identifier: 'A reference or National Insurance number',
  descriptors: 'A person described by ethnicity or sex with other details',
  age: 'Ages',
  health: 'Health conditions',
  place: 'Places',
  'small-number': 'Numbers under 10',
};

const MESSAGES: Record<DisclosureKind, string> = {
  identifier: 'Remove anything that looks like a contact reference or National Insurance number, however it is spaced.',
  descriptors: 'A sentence describes someone by their ethnicity or sex together with other details. Say what the team learned, not who the person was.',
  age: 'Ages can identify someone. Leave them out, or use a broad band for a group (for example “people over 50”).',
  health: 'A named health condition can identify someone when combined with other details. Describe health in general terms unless it is about a large group.',
  place: 'Places narrow down who someone is. Leave out the names of sites, streets, towns and other places.',
  'small-number': 'Numbers under 10 can identify people, and the report shows any count under 10 as “fewer than 10”. Say “a few” or “some”, or leave the number out.',
};

// ---------------------------------------------------------------------------
// Identifiers: contact references and National Insurance numbers, however they are spaced.

/** Characters people put inside an identifier when they write it out: spaces, dashes, dots, slashes, underscores. */
const SEPARATOR = String.raw`[\s.\-‐‑–—_/]*`;

/**
 * The National Insurance number shape the contacts schema refuses (two letters,
 * six digits, an optional A to D; any letters, so made-up examples such as
 * QQ 12 34 56 C count too), allowing any separators between characters.
 */
const NI_NUMBER = new RegExp(
  String.raw`(?<![A-Za-z0-9])[A-Z]${SEPARATOR}[A-Z]${SEPARATOR}(?:\d${SEPARATOR}){5}\d(?:${SEPARATOR}[A-D](?![A-Za-z0-9]))?(?![0-9])`,
  'gi',
);

/** Removes what people put between the characters of an identifier, and upper-cases it: "eiu - 12 34" → "EIU1234". */
export function compactIdentifier(text: string): string {
  return text.replace(/[\s.\-‐‑–—_/]+/g, '').toUpperCase();
}

/** Anything shaped like a National Insurance number, however it is spaced or punctuated. */
export function findNationalInsuranceNumbers(text: string): string[] {
  return [...text.matchAll(NI_NUMBER)].map((m) => m[0].trim());
}

/** Contact references are 4 to 32 letters, digits or hyphens (experiments/contacts/contact-schema.ts). */
const REFERENCE_MIN = 4;
const REFERENCE_MAX = 32;
/** What may sit between two parts of one identifier written out in prose. */
const JOIN = /^\s*[-‐‑–—._/]?\s*$/;
/** Well-known names that happen to have a reference's shape. */
const NOT_REFERENCES = new Set(['COVID19']);

interface Chunk {
  text: string;
  start: number;
  end: number;
}

/** Runs of letter-and-digit chunks joined only by spaces, dashes, dots or slashes. */
function chunkRuns(text: string): Chunk[][] {
  const runs: Chunk[][] = [];
  let run: Chunk[] = [];
  for (const match of text.matchAll(/[A-Za-z0-9]+/g)) {
    const chunk = { text: match[0], start: match.index, end: match.index + match[0].length };
    const previous = run.at(-1);
    if (previous && !JOIN.test(text.slice(previous.end, chunk.start))) {
      runs.push(run);
      run = [];
    }
    run.push(chunk);
  }
  if (run.length) runs.push(run);
  return runs;
}

/**
 * Every way a reference could have been written across neighbouring chunks:
 * each join of consecutive chunks that contains a digit and has a reference's
 * length once compacted. `written` is the text as it appears.
 */
export function referenceCandidates(text: string): { compact: string; written: string }[] {
  const candidates: { compact: string; written: string }[] = [];
  for (const run of chunkRuns(text)) {
    for (let first = 0; first < run.length; first++) {
      let compact = '';
      for (let last = first; last < run.length; last++) {
        compact += run[last].text.toUpperCase();
        if (compact.length > REFERENCE_MAX) break;
        if (compact.length >= REFERENCE_MIN && /\d/.test(compact)) candidates.push({ compact, written: text.slice(run[first].start, run[last].end) });
      }
    }
  }
  return candidates;
}

/**
 * Spans of text shaped like a pseudonymous reference even if no contact has
 * it: a short upper-case prefix then digits ("EIU - 12 34", "P 0011",
 * "EIU-7K2Q9D"), or one upper-case chunk that mixes letters and digits ("7K2Q9D").
 */
function referenceShaped(run: Chunk[]): [number, number][] {
  const found: [number, number][] = [];
  const shaped = (compact: string) =>
    compact.length >= REFERENCE_MIN && compact.length <= REFERENCE_MAX && !NOT_REFERENCES.has(compact) && compact.replace(/\D/g, '').length >= 2;
  for (let first = 0; first < run.length; first++) {
    if (!/^[A-Z]{1,5}(?:\d[A-Z0-9]*)?$/.test(run[first].text)) continue;
    let compact = '';
    for (let last = first; last < run.length && /^[A-Z0-9]+$/.test(run[last].text); last++) {
      compact += run[last].text;
      if (/^[A-Z]{1,5}\d[A-Z0-9]*$/.test(compact) && shaped(compact)) found.push([run[first].start, run[last].end]);
    }
  }
  for (const chunk of run) {
    if (/^[A-Z0-9]{5,}$/.test(chunk.text) && /\d[A-Z]/.test(chunk.text) && chunk.text.replace(/\d/g, '').length >= 2 && shaped(chunk.text)) found.push([chunk.start, chunk.end]);
  }
  return found;
}

function identifiers(text: string, isContactReference?: (compact: string) => boolean): string[] {
  const spans: [number, number][] = [];
  for (const m of text.matchAll(NI_NUMBER)) spans.push([m.index, m.index + m[0].trimEnd().length]);
  for (const run of chunkRuns(text)) spans.push(...referenceShaped(run));
  if (isContactReference) {
    for (const candidate of referenceCandidates(text)) {
      if (isContactReference(candidate.compact)) {
        const start = text.indexOf(candidate.written);
        spans.push([start, start + candidate.written.length]);
      }
    }
  }
  // The longest span that starts at each place wins, so "EIU - 12 34" is reported once, not also as "EIU - 12".
  spans.sort((a, b) => a[0] - b[0] || b[1] - a[1]);
  const kept: [number, number][] = [];
  for (const span of spans) if (!kept.some(([s, e]) => span[0] >= s && span[1] <= e)) kept.push(span);
  return kept.map(([s, e]) => text.slice(s, e));
}

/**
 * True when the text holds a contact reference (as `isContactReference` says)
 * or a National Insurance number, however spaced. The learning log refuses such notes.
 */
export function containsIdentifier(text: string, isContactReference: (compact: string) => boolean): boolean {
  if (findNationalInsuranceNumbers(text).length) return true;
  return referenceCandidates(text).some((candidate) => isContactReference(candidate.compact));
}

// ---------------------------------------------------------------------------
// Small numbers.

const NUMBER_WORDS = ['one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'twice', 'thrice', 'couple', 'pair', 'both', 'handful'];
/** A digit that labels or measures something rather than counting people. */
const LABEL_BEFORE = /(?:phase|week|weeks|stage|step|page|version|wave|option|level|type|number|no\.|year|day|chapter|section|point|tier|band|arm)\s*$/i;
const UNIT_AFTER = /^\s*-?\s*(?:%|per\s?cent|weeks?|days?|months?|years?|hours?|hrs?|minutes?|mins?|seconds?|am\b|pm\b|o[’']clock|miles?|km|pages?|times? a)/i;

function smallNumbers(text: string): string[] {
  const found: string[] = [];
  for (const m of text.matchAll(/(?<![\d.,:£$/])\b[1-9]\b(?![.,:]\d|\d)/g)) {
    if (LABEL_BEFORE.test(text.slice(Math.max(0, m.index - 12), m.index))) continue;
    if (UNIT_AFTER.test(text.slice(m.index + 1, m.index + 16))) continue;
    found.push(m[0]);
  }
  const words = new RegExp(String.raw`\b(${NUMBER_WORDS.join('|')})\b`, 'gi');
  for (const m of text.matchAll(words)) {
    const word = m[0].toLowerCase();
    const before = text.slice(Math.max(0, m.index - 4), m.index).toLowerCase();
    if (word === 'one' && /(?:-to-|\bto )$/.test(before)) continue;
    const after = text.slice(m.index + m[0].length, m.index + m[0].length + 20).toLowerCase();
    // "no one", "one-to-one", "one-off", "one of the" are not counts.
    if (word === 'one' && (/\bno\s$/.test(before) || /^(?:-to-one| to one|-off| of |self|\s+another)/.test(after))) continue;
    if ((word === 'pair' || word === 'couple') && /^\s+of\s+(?:weeks|days|months|years|hours|minutes|times)/.test(after)) continue;
    if (UNIT_AFTER.test(text.slice(m.index + m[0].length, m.index + m[0].length + 16))) continue;
    found.push(m[0]);
  }
  return found;
}

// ---------------------------------------------------------------------------
// Ages.

const DECADES = String.raw`(?:\d0[’']?s|teens|twenties|thirties|forties|fifties|sixties|seventies|eighties|nineties)`;
const AGE_PATTERNS = [
  /\b[\w]+(?:-[\w]+)*[-\s]+years?[-\s]+old\b/gi,
  /\b\d{1,3}\s?(?:yo|y\/o|yrs? old)\b/gi,
  /\b(?:aged?|age of)\s+(?:about |around |over |under |nearly |almost )?\d{1,3}\b/gi,
  new RegExp(String.raw`\bin\s+(?:her|his|their|my|your|the)\s+(?:(?:early|mid|late)[-\s]?)?${DECADES}`, 'gi'),
  new RegExp(String.raw`\b(?:early|mid|late)[-\s]?${DECADES}`, 'gi'),
  /\b\d0-something\b/gi,
  /\bteenager\b/gi,
];

function ages(text: string): string[] {
  return withoutOverlaps(text, AGE_PATTERNS.flatMap((pattern) => spansOf(text.matchAll(pattern))));
}

// ---------------------------------------------------------------------------
// Health conditions.

/** Written as acronyms: matched in capitals only, so "me" and "ms" are left alone. */
const HEALTH_ACRONYMS = ['MS', 'ME', 'CFS', 'HIV', 'AIDS', 'PTSD', 'ADHD', 'OCD', 'COPD', 'MND', 'IBS'];
const HEALTH_CONDITIONS = [
  'multiple sclerosis', 'cancer', 'leukaemia', 'tumour', 'chemotherapy', 'depression', 'depressed', 'anxiety', 'panic attacks', 'autism', 'autistic',
  'asperger', 'schizophrenia', 'schizophrenic', 'bipolar', 'psychosis', 'psychotic', 'personality disorder', 'eating disorder', 'anorexia', 'bulimia',
  'self-harm', 'self harm', 'suicidal', 'diabetes', 'diabetic', 'epilepsy', 'epileptic', 'seizures', 'dementia', 'alzheimer', 'stroke', 'heart attack',
  'heart disease', 'heart failure', 'arthritis', 'fibromyalgia', 'chronic fatigue', 'long covid', 'parkinson', 'motor neurone disease', 'muscular dystrophy',
  'cerebral palsy', 'spina bifida', 'cystic fibrosis', 'sickle cell', 'lupus', 'crohn', 'colitis', 'asthma', 'kidney failure', 'dialysis', 'amputee',
  'amputation', 'learning disability', 'learning disabilities', 'down syndrome', 'down’s syndrome', "down's syndrome", 'alcoholism', 'alcoholic', 'addiction',
  'substance misuse', 'paralysed', 'paraplegic', 'blind', 'deaf', 'hearing loss', 'sight loss', 'wheelchair user', 'hiv positive',
];

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const phrase = (s: string) => escape(s).replace(/\\?[’']/g, "[’']").replace(/\s+|-/g, String.raw`[\s-]+`);
const HEALTH = new RegExp(String.raw`\b(?:${HEALTH_CONDITIONS.map(phrase).join('|')})(?:[’']s)?(?:e?s)?\b`, 'gi');
const HEALTH_ACRONYM = new RegExp(String.raw`\b(?:${HEALTH_ACRONYMS.join('|')})\b`, 'g');

function healthConditions(text: string): string[] {
  return withoutOverlaps(text, [...spansOf(text.matchAll(HEALTH)), ...spansOf(text.matchAll(HEALTH_ACRONYM))]);
}

// ---------------------------------------------------------------------------
// Places.

/** Words in site names, and capitalised words after "at" or "in", that do not point to a place. */
const NOT_PLACES = new Set(
  (
    'the a an and of for to on at in by with jobcentre jobcentres plus community venue venues wellbeing hub hubs centre center unit engagement innovation ' +
    'local office offices site sites team dwp eiu uc esa universal credit work works job jobs support group service services council partner partners ' +
    'january february march april may june july august september october november december monday tuesday wednesday thursday friday saturday sunday ' +
    'english welsh gaelic british easy read phase week weeks access time first standard warm extended letter text phone email online home health'
  ).split(' '),
);
const PLACE_NOUNS = 'Road|Street|Lane|Avenue|Drive|Close|Crescent|Estate|Park|Square|Green|Hospital|Surgery|Clinic|Library|Church|Mosque|Temple|Gurdwara|Synagogue|School|College|Jobcentre|Centre|Hub|Ward|Court|House|Towers|Station';
const CAPITALISED = String.raw`[A-Z][a-z’'-]+`;
const AFTER_PREPOSITION = new RegExp(
  String.raw`\b(?:[Aa]t|[Ii]n|[Ff]rom|[Nn]ear|[Oo]utside|[Aa]round|[Tt]owards|[Vv]isiting|[Ii]nto)\s+(?:the\s+)?(${CAPITALISED}(?:\s+(?:${CAPITALISED}|upon|on|under))*)`,
  'g',
);
const BEFORE_PLACE_NOUN = new RegExp(String.raw`\b((?:${CAPITALISED}\s+)+(?:${PLACE_NOUNS}))\b`, 'g');
const POSTCODE = /\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b/g;

const distinctive = (words: string) => words.split(/[\s,]+/).filter((w) => w.length >= 3 && !NOT_PLACES.has(w.toLowerCase().replace(/[’']s$/, '')));

function places(text: string, placeNames: readonly string[]): string[] {
  const spans: [number, number][] = [];
  const siteWords = new Set<string>();
  for (const name of placeNames) {
    if (!name.trim()) continue;
    spans.push(...spansOf(text.matchAll(new RegExp(String.raw`\b${phrase(name.trim())}\b`, 'gi'))));
    for (const word of distinctive(name)) siteWords.add(word.replace(/[^\p{L}’'-]/gu, ''));
  }
  for (const word of siteWords) if (word) spans.push(...spansOf(text.matchAll(new RegExp(String.raw`\b${phrase(word)}\b`, 'gi'))));
  for (const m of text.matchAll(AFTER_PREPOSITION)) {
    const end = m.index + m[0].length;
    if (distinctive(m[1]).length) spans.push([end - m[1].length, end]);
  }
  for (const m of text.matchAll(BEFORE_PLACE_NOUN)) {
    // Only a distinctive name before the noun is a place: "Riverside Jobcentre", not "The Community Hub".
    if (distinctive(m[1].split(/\s+/).slice(0, -1).join(' ')).length) spans.push([m.index, m.index + m[0].length]);
  }
  spans.push(...spansOf(text.matchAll(POSTCODE)));
  return withoutOverlaps(text, spans);
}

// ---------------------------------------------------------------------------
// A person described by ethnicity or sex together with other details.

const ETHNICITY_CAPITALISED = /\b(?:Black|White|Asian|Mixed|Brown)\b/g;
const ETHNICITY = new RegExp(
  String.raw`\b(?:${[
    'mixed race', 'mixed-race', 'arab', 'chinese', 'indian', 'pakistani', 'bangladeshi', 'caribbean', 'african', 'somali', 'eritrean', 'nigerian', 'ghanaian',
    'polish', 'romanian', 'lithuanian', 'kurdish', 'turkish', 'afghan', 'syrian', 'iraqi', 'iranian', 'irish', 'gypsy', 'traveller', 'roma', 'jewish',
    'muslim', 'sikh', 'hindu',
  ]
    .map(phrase)
    .join('|')})\b`,
  'gi',
);
const SEX = /\b(?:woman|women|man|men|female|male|lady|ladies|gentleman|girl|boy|mother|father|mum|dad|son|daughter|wife|husband|widow|widower|grandmother|grandfather|gran|grandad|trans|transgender|non-binary|pregnant)\b/gi;
const CARING = /\b(?:cares? for|caring for|carer|looks after|single parent|lone parent)\b/gi;

function descriptorCombinations(text: string, placeNames: readonly string[]): string[] {
  const found: string[] = [];
  for (const sentence of text.split(/(?<=[.!?…])\s+|\n+/)) {
    const ethnicity = [...sentence.matchAll(ETHNICITY_CAPITALISED), ...sentence.matchAll(ETHNICITY)];
    const sex = [...sentence.matchAll(SEX)];
    if (!ethnicity.length && !sex.length) continue;
    const others = [
      ethnicity.length ? 1 : 0,
      sex.length ? 1 : 0,
      ages(sentence).length ? 1 : 0,
      healthConditions(sentence).length ? 1 : 0,
      places(sentence, placeNames).length ? 1 : 0,
      [...sentence.matchAll(CARING)].length ? 1 : 0,
    ].reduce((a, b) => a + b, 0);
    if (others >= 2) found.push(sentence.trim());
  }
  return found;
}

// ---------------------------------------------------------------------------

/** Keeps the longest of overlapping matches, in the order they appear. */
function withoutOverlaps(text: string, spans: [number, number][]): string[] {
  const sorted = [...spans].sort((a, b) => a[0] - b[0] || b[1] - a[1]);
  const kept: [number, number][] = [];
  for (const span of sorted) if (!kept.some(([s, e]) => span[0] < e && span[1] > s)) kept.push(span);
  return kept.map(([s, e]) => text.slice(s, e));
}

const spansOf = (matches: Iterable<RegExpMatchArray>): [number, number][] => [...matches].map((m) => [m.index!, m.index! + m[0].length]);

function unique(values: string[]): string[] {
  const seen = new Set<string>();
  return values.filter((v) => {
    const key = v.toLowerCase();
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Every warning for `text`, most serious first; an empty list when nothing was found. */
export function checkDisclosure(text: string, context: DisclosureContext = {}): DisclosureWarning[] {
  const placeNames = context.placeNames ?? [];
  const found: Record<DisclosureKind, string[]> = {
    identifier: identifiers(text, context.isContactReference),
    descriptors: descriptorCombinations(text, placeNames),
    age: ages(text),
    health: healthConditions(text),
    place: places(text, placeNames),
    'small-number': smallNumbers(text),
  };
  return ORDER.filter((kind) => found[kind].length > 0).map((kind) => ({ kind, title: TITLES[kind], message: MESSAGES[kind], matches: unique(found[kind]) }));
}
