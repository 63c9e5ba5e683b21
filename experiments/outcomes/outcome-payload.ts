import { createHash } from 'node:crypto';
import type { OutcomeInput } from './outcome-schema.ts';

/**
 * What an idempotency key promises: a retry with the same key is the same
 * outcome. These helpers say whether it is (docs/decisions/0031).
 */

/** JSON with object keys sorted at every level, so equal values give equal text. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object')
    return `{${Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`)
      .join(',')}}`;
  return JSON.stringify(value ?? null);
}

/** No detail and an empty detail are the same. */
const detailText = (detail: Record<string, unknown> | null | undefined) => (detail && Object.keys(detail).length > 0 ? canonicalJson(detail) : 'null');

/** A time as sent, to the millisecond; null when the caller left it to the server ("now"). */
const sentTime = (occurredAt: string | undefined) => (occurredAt ? new Date(occurredAt).toISOString() : null);

/**
 * sha256 of the outcome as the caller sent it: contact (by id), stage, value,
 * detail and occurredAt (null when omitted, so a retry that omits it again
 * matches, however much later it arrives).
 */
export function outcomePayloadHash(contactId: number, input: Pick<OutcomeInput, 'stage' | 'value' | 'detail' | 'occurredAt'>): string {
  const text = canonicalJson({ contactId, stage: input.stage, value: input.value ?? null, detail: detailText(input.detail), occurredAt: sentTime(input.occurredAt) });
  return createHash('sha256').update(text).digest('hex');
}

export interface StoredOutcome {
  contactId: number;
  stage: string;
  value: number | null;
  detail: string | null;
  occurredAt: string;
  payloadHash: string | null;
}

/**
 * The fields in which a retry differs from the event its key recorded; empty
 * when it is the same outcome. `contactId` is undefined when the reference is
 * not on the caller's caseload.
 */
export function outcomeDifferences(stored: StoredOutcome, contactId: number | undefined, input: Pick<OutcomeInput, 'stage' | 'value' | 'detail' | 'occurredAt'>): string[] {
  if (contactId !== undefined && stored.payloadHash !== null && stored.payloadHash === outcomePayloadHash(contactId, input)) return [];
  const differences: string[] = [];
  if (contactId !== stored.contactId) differences.push('contact');
  if (input.stage !== stored.stage) differences.push('stage');
  if ((input.value ?? null) !== stored.value) differences.push('value');
  if (detailText(input.detail) !== detailText(stored.detail ? (JSON.parse(stored.detail) as Record<string, unknown>) : null)) differences.push('detail');
  const sent = sentTime(input.occurredAt);
  if (sent !== null && sent !== new Date(stored.occurredAt).toISOString()) differences.push('occurredAt');
  // Events recorded before payload hashes have only their fields to go on.
  if (stored.payloadHash === null || differences.length > 0) return differences;
  // Every field matches but the hash does not: one request gave the time and the other left it to the server.
  return ['occurredAt'];
}
