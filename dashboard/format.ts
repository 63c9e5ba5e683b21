import { stageByKey } from '../experiments/vocabulary.ts';

/**
 * How figures and codes read on the pages. One place, so every page writes a
 * percentage, an interval or a date the same way.
 */

const LABELS: Record<string, string> = {
  uc_lcwra: 'Universal Credit (LCWRA)',
  esa_support_group: 'ESA support group',
  in_person: 'in person',
  community_venue: 'community venue',
  under_1y: 'under 1 year',
  '1-2y': '1 to 2 years',
  '2-5y': '2 to 5 years',
  over_5y: 'over 5 years',
  over_5y_ago: 'more than 5 years ago',
  within_5y: 'within the last 5 years',
  within_1y: 'within the last year',
  never: 'never worked',
  healthGroup: 'health condition group',
  ageBand: 'age band',
  ethnicityGroup: 'ethnicity group',
  timeOnBenefits: 'time on benefits',
  previousWork: 'previous work',
  benefitType: 'benefit',
  preferredChannel: 'preferred channel',
  coachId: 'work coach',
  siteId: 'site',
  caring: 'caring responsibilities',
  hash: 'hashing (GrowthBook)',
  blocks: 'stratified permuted blocks',
  unwell_or_in_hospital: 'unwell or in hospital',
  caring_clash: 'clashed with caring',
  travel_cost: 'could not afford the travel',
  message_not_received: 'message never arrived',
  learning_disability_autism: 'learning disability or autism',
  cardiovascular_respiratory: 'heart or breathing condition',
  not_stated: 'not stated',
  next_meeting_only: 'next meeting only',
  warm_voluntary: 'warm, voluntary-framed',
};

/** A code as words: `community_venue` → "community venue". */
export function humanise(value: unknown): string {
  if (value === null || value === undefined || value === '') return '';
  const text = String(value);
  if (text in LABELS) return LABELS[text];
  if (stageByKey.has(text)) return stageByKey.get(text)!.label;
  return text.replace(/[_]/g, ' ').replace(/-(?=[a-z])/g, ' ');
}

export function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

export function stageLabel(key: string): string {
  return stageByKey.get(key)?.label ?? humanise(key);
}

const dateFormat = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'Europe/London' });
const timeFormat = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone: 'Europe/London' });

/** GOV.UK style: 10am, 5:30pm, midday, midnight (Intl's 12-hour en-GB output says "0:00 pm"). */
function formatTime(date: Date): string {
  const parts = Object.fromEntries(timeFormat.formatToParts(date).map((p) => [p.type, p.value]));
  const hour = Number(parts.hour) % 24;
  const minute = parts.minute;
  if (minute === '00' && hour === 12) return 'midday';
  if (minute === '00' && hour === 0) return 'midnight';
  const clock = `${hour % 12 || 12}${minute === '00' ? '' : `:${minute}`}`;
  return `${clock}${hour < 12 ? 'am' : 'pm'}`;
}

/** "23 November 2026" (UK time). */
export function formatDate(value: string | Date | null | undefined): string {
  if (!value) return '';
  const date = typeof value === 'string' ? new Date(value.length === 10 ? `${value}T12:00:00Z` : value) : value;
  return Number.isNaN(date.getTime()) ? '' : dateFormat.format(date);
}

/** "23 November 2026 at 9:05am" (UK time). */
export function formatDateTime(value: string | Date | null | undefined): string {
  if (!value) return '';
  const date = typeof value === 'string' ? new Date(value) : value;
  if (Number.isNaN(date.getTime())) return '';
  return `${dateFormat.format(date)} at ${formatTime(date)}`;
}

export function formatNumber(value: number | null | undefined, digits = 0): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '';
  return value.toLocaleString('en-GB', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** A fraction as a percentage: 0.1234 → "12.3%". */
export function formatPercent(value: number | null | undefined, digits = 1): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return 'not available';
  return `${(value * 100).toFixed(digits)}%`;
}

/** A difference of two rates in percentage points, signed: 0.031 → "+3.1 points". */
export function formatPercentagePoints(value: number | null | undefined, digits = 1): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return 'not available';
  const points = value * 100;
  const text = Math.abs(points).toFixed(digits);
  // A difference that rounds to zero has no sign: never "−0.0 points".
  const sign = Number(text) === 0 ? '' : points > 0 ? '+' : '−';
  return `${sign}${text} points`;
}

/**
 * An interval as words: `percent` for rates, `points` for rate differences,
 * `relative` for relative uplifts, `number` for means and mean differences.
 */
export function formatInterval(interval: [number, number] | null | undefined, kind: 'percent' | 'points' | 'relative' | 'number' = 'percent'): string {
  if (!interval || !interval.every((v) => Number.isFinite(v))) return 'not available';
  const [low, high] = interval;
  const one = (v: number) => {
    if (kind === 'percent') return formatPercent(v);
    if (kind === 'number') return formatSigned(v, 2);
    const text = formatPercentagePoints(v);
    return kind === 'relative' ? text.replace(' points', '%') : text;
  };
  return `${one(low)} to ${one(high)}`;
}

function formatSigned(value: number, digits: number): string {
  const text = Math.abs(value).toFixed(digits);
  const sign = value < 0 && Number(text) !== 0 ? '−' : '';
  return `${sign}${text}`;
}

export function formatPValue(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return 'not available';
  if (value < 0.001) return 'less than 0.001';
  return value.toFixed(3);
}
