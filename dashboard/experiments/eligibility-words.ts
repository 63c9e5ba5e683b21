import { evalCondition } from '@growthbook/growthbook';
import { humanise } from '../format.ts';

/**
 * An experiment's eligibility condition (a GrowthBook condition, as the
 * design form writes it or an analyst types it under "Advanced") in plain
 * English, and, for one person, which parts they do not meet.
 *
 * Covers every operator GrowthBook's evalCondition knows (SDK 1.8,
 * src/mongrule.ts): the logical $and, $or, $nor, $not and $savedGroup at any
 * level, and on a value $eq, $ne, $lt, $lte, $gt, $gte, $veq, $vne, $vgt,
 * $vgte, $vlt, $vlte, $exists, $in, $ini, $nin, $nini, $all, $alli,
 * $elemMatch, $size, $not, $regex, $regexi, $type, $inGroup and $notInGroup,
 * plus plain values (equality) and null ("not recorded"). An operator
 * GrowthBook does not know matches nobody, and the words say so.
 *
 * @example eligibilityInWords({ preferredChannel: 'text', ageBand: { $in: ['25-34', '35-49'] } })
 * // ['preferred channel is text', 'age band is 25–34 or 35–49']
 */

/** Attributes that hold a list (the person's reasonable adjustments): "include", not "is". */
const LIST_ATTRIBUTES = new Set(['adjustments']);

const ADJUSTMENT_WORDS: Record<string, string> = {
  interpreter: 'an interpreter',
  extra_time: 'extra time',
  private_room: 'a private room',
  phone_meeting: 'meetings by phone',
  home_meeting: 'meetings at home',
  easy_read: 'easy-read information',
};

const TYPE_WORDS: Record<string, string> = {
  string: 'text',
  number: 'a number',
  boolean: 'yes or no',
  array: 'a list',
  object: 'a set of values',
  null: 'empty',
  undefined: 'not set',
};

type Condition = Record<string, unknown>;

const isPlainObject = (value: unknown): value is Condition => value !== null && typeof value === 'object' && !Array.isArray(value);
const isOperatorObject = (value: unknown): value is Condition =>
  isPlainObject(value) && Object.keys(value).length > 0 && Object.keys(value).every((k) => k.startsWith('$'));

/** The attribute's name as words: `preferredChannel` → "preferred channel". */
function attributeWords(path: string): string {
  return path
    .split('.')
    .map((part) => {
      const words = humanise(part);
      return words === part ? part.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase() : words;
    })
    .join(' ');
}

/** One value as words: adjustments with their article, bands with an en dash, booleans as yes or no. */
function valueWords(attribute: string, value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (Array.isArray(value)) return listWords(attribute, value, 'and');
  if (isPlainObject(value)) return JSON.stringify(value);
  const text = String(value);
  if (attribute === 'adjustments' && text in ADJUSTMENT_WORDS) return ADJUSTMENT_WORDS[text];
  if (/^\d+-\d+$/.test(text)) return text.replace('-', '–');
  if (text === '') return 'blank';
  return humanise(text);
}

function listWords(attribute: string, values: unknown[], joiner: 'or' | 'and' | 'nor'): string {
  const words = values.map((v) => valueWords(attribute, v));
  if (words.length === 0) return 'nothing';
  if (words.length === 1) return words[0];
  return `${words.slice(0, -1).join(', ')} ${joiner} ${words.at(-1)}`;
}

const quoted = (text: unknown) => `“${String(text)}”`;

/** A sentence about one attribute: `subject` is its name in words, `list` whether it holds a list. */
function valueConditionWords(subject: string, attribute: string, condition: unknown, list: boolean): string {
  const is = list ? 'are' : 'is';
  if (condition === null) return `${subject} ${is} not recorded`;
  if (typeof condition === 'boolean') return `${subject}: ${condition ? 'yes' : 'no'}`;
  if (typeof condition === 'string' || typeof condition === 'number') return `${subject} ${is} ${valueWords(attribute, condition)}`;
  if (Array.isArray(condition))
    return condition.length === 0 ? `${subject}: none recorded` : `${subject} ${is} exactly ${listWords(attribute, condition, 'and')}`;
  if (!isOperatorObject(condition)) {
    if (isPlainObject(condition) && Object.keys(condition).length === 0) return `${subject} ${is} an empty set of values`;
    return `${subject} ${is} exactly ${JSON.stringify(condition)}`;
  }
  return Object.entries(condition)
    .map(([operator, expected]) => operatorWords(subject, attribute, operator, expected, list))
    .join(' and ');
}

function operatorWords(subject: string, attribute: string, operator: string, expected: unknown, list: boolean): string {
  const is = list ? 'are' : 'is';
  const include = list ? 'include' : 'is';
  const value = (v: unknown) => valueWords(attribute, v);
  const values = (joiner: 'or' | 'and') => (Array.isArray(expected) ? listWords(attribute, expected, joiner) : value(expected));
  const ignoringCapitals = ' (ignoring capitals)';
  switch (operator) {
    case '$eq':
      return `${subject} ${is} ${value(expected)}`;
    case '$ne':
      return `${subject} ${is} not ${value(expected)}`;
    case '$lt':
      return `${subject} ${is} below ${value(expected)}`;
    case '$lte':
      return `${subject} ${is} ${value(expected)} or below`;
    case '$gt':
      return `${subject} ${is} above ${value(expected)}`;
    case '$gte':
      return `${subject} ${is} ${value(expected)} or above`;
    case '$veq':
      return `${subject} ${is} version ${expected}`;
    case '$vne':
      return `${subject} ${is} not version ${expected}`;
    case '$vgt':
      return `${subject} ${is} a version after ${expected}`;
    case '$vgte':
      return `${subject} ${is} version ${expected} or later`;
    case '$vlt':
      return `${subject} ${is} a version before ${expected}`;
    case '$vlte':
      return `${subject} ${is} version ${expected} or earlier`;
    case '$exists':
      return expected ? `${subject} ${is} recorded` : `${subject} ${is} not recorded`;
    case '$in':
    case '$ini':
      if (!Array.isArray(expected)) return `${subject}: nobody matches (the list of values is missing)`;
      if (expected.length === 0) return `${subject}: nobody matches (the list of values is empty)`;
      return `${subject} ${include} ${values('or')}${operator === '$ini' ? ignoringCapitals : ''}`;
    case '$nin':
    case '$nini': {
      if (!Array.isArray(expected)) return `${subject}: nobody matches (the list of values is missing)`;
      const tail = operator === '$nini' ? ignoringCapitals : '';
      if (expected.length === 0) return `${subject}: anything${tail}`;
      if (list) return `${subject} do not include ${values('or')}${tail}`;
      return expected.length === 1 ? `${subject} is not ${value(expected[0])}${tail}` : `${subject} is neither ${listWords(attribute, expected, 'nor')}${tail}`;
    }
    case '$all':
    case '$alli':
      if (!Array.isArray(expected)) return `${subject}: nobody matches (the list of values is missing)`;
      return `${subject} ${list ? 'include' : 'includes'} all of ${values('and')}${operator === '$alli' ? ignoringCapitals : ''}`;
    case '$elemMatch':
      if (isOperatorObject(expected)) return `${subject} ${list ? 'include' : 'includes'} one that ${valueConditionWords('', attribute, expected, false).trim()}`;
      return `${subject} ${list ? 'include' : 'includes'} one where ${isPlainObject(expected) ? conditionInWords(expected) : value(expected)}`;
    case '$size':
      return valueConditionWords(`the number of ${subject}`, '', expected, false);
    case '$not':
      return `not (${valueConditionWords(subject, attribute, expected, list)})`;
    case '$regex':
      return `${subject} matches the pattern ${quoted(expected)}`;
    case '$regexi':
      return `${subject} matches the pattern ${quoted(expected)}${ignoringCapitals}`;
    case '$type':
      return `${subject} ${is} ${TYPE_WORDS[String(expected)] ?? quoted(expected)}`;
    case '$inGroup':
      return `${subject} ${is} in the saved group ${quoted(expected)} (no saved groups are set up here, so nobody matches)`;
    case '$notInGroup':
      return `${subject} ${is} not in the saved group ${quoted(expected)} (no saved groups are set up here, so everyone matches)`;
    default:
      return `${subject}: the rule ${quoted(operator)} is not one GrowthBook knows, so nobody matches`;
  }
}

function joined(parts: string[], joiner: 'and' | 'or' | 'nor'): string {
  if (parts.length === 1) return parts[0];
  return `${parts.slice(0, -1).join('; ')}; ${joiner} ${parts.at(-1)}`;
}

/** One clause of a condition (a key and what it requires) as words. */
function clauseWords(key: string, value: unknown): string {
  const conditions = (v: unknown) => (Array.isArray(v) ? v.filter(isPlainObject) : []);
  switch (key) {
    case '$and': {
      const parts = conditions(value).map(conditionInWords);
      return parts.length === 0 ? 'anyone' : parts.length === 1 ? parts[0] : `all of: ${joined(parts, 'and')}`;
    }
    case '$or': {
      const parts = conditions(value).map(conditionInWords);
      return parts.length === 0 ? 'anyone' : parts.length === 1 ? parts[0] : `either ${joined(parts, 'or')}`;
    }
    case '$nor': {
      const parts = conditions(value).map(conditionInWords);
      return parts.length === 0 ? 'nobody (an empty “none of” matches nobody)' : parts.length === 1 ? `not (${parts[0]})` : `none of: ${joined(parts, 'nor')}`;
    }
    case '$not':
      return `not (${isPlainObject(value) ? conditionInWords(value) : String(value)})`;
    case '$savedGroup': {
      const id = isPlainObject(value) ? value.id : value;
      return `in the saved group ${quoted(id)} (no saved groups are set up here, so nobody matches)`;
    }
    default:
      return valueConditionWords(attributeWords(key), key.split('.').at(-1)!, value, LIST_ATTRIBUTES.has(key));
  }
}

/** A whole condition in one phrase, its clauses joined by "and". */
export function conditionInWords(condition: Condition): string {
  const parts = Object.entries(condition).map(([key, value]) => clauseWords(key, value));
  return parts.length === 0 ? 'anyone' : parts.join(' and ');
}

/** One line per top-level clause (all must hold); empty for "everyone who has not opted out". */
export function eligibilityInWords(condition: Condition): string[] {
  return Object.entries(condition).map(([key, value]) => clauseWords(key, value));
}

/** The negation of the simple clauses the design form writes, as a fact about the person. */
function negatedClauseWords(key: string, value: unknown): string | null {
  if (key.startsWith('$')) return null;
  const subject = attributeWords(key);
  const attribute = key.split('.').at(-1)!;
  const list = LIST_ATTRIBUTES.has(key);
  const is = list ? 'are' : 'is';
  if (value === null) return list ? `${subject} are recorded` : `a ${subject} is recorded`;
  if (typeof value === 'boolean') return `${subject}: ${value ? 'no' : 'yes'}`;
  if (typeof value === 'string' || typeof value === 'number') return `${subject} ${is} not ${valueWords(attribute, value)}`;
  if (!isOperatorObject(value) || Object.keys(value).length !== 1) return null;
  const [[operator, expected]] = Object.entries(value);
  if (operator === '$eq') return `${subject} ${is} not ${valueWords(attribute, expected)}`;
  if (operator === '$ne') return `${subject} ${is} ${valueWords(attribute, expected)}`;
  if (operator === '$exists') return expected ? `${subject} ${is} not recorded` : `${subject} ${is} recorded`;
  if (operator === '$in' && Array.isArray(expected))
    return list ? `${subject} do not include ${listWords(attribute, expected, 'or')}` : `${subject} is not ${listWords(attribute, expected, 'or')}`;
  if (operator === '$nin' && Array.isArray(expected)) return list ? `${subject} include ${listWords(attribute, expected, 'or')}` : `${subject} is ${listWords(attribute, expected, 'or')}`;
  return null;
}

/**
 * Why a person does not meet the condition: one line for each top-level
 * clause they fail, as a fact about them where the clause is simple
 * ("preferred channel is not text"), else the clause they do not meet.
 * Evaluated with GrowthBook's own evalCondition, clause by clause, so it
 * agrees with the assignment service. Empty when they are eligible.
 */
export function whyNotEligible(condition: Condition, attributes: Record<string, unknown>): string[] {
  return Object.entries(condition)
    .filter(([key, value]) => !evalCondition(attributes, { [key]: value } as never))
    .map(([key, value]) => negatedClauseWords(key, value) ?? `does not meet “${clauseWords(key, value)}”`);
}
