import type { contacts } from '../../server/db/schema.ts';

/** Attributes of a contact that eligibility conditions and strata may use. */
export const CONTACT_ATTRIBUTE_KEYS = [
  'healthGroup',
  'ageBand',
  'sex',
  'ethnicityGroup',
  'caring',
  'timeOnBenefits',
  'previousWork',
  'benefitType',
  'preferredChannel',
  'adjustments',
  'coachId',
  'siteId',
] as const;

export type ContactAttributes = Record<(typeof CONTACT_ATTRIBUTE_KEYS)[number], unknown>;

export function contactAttributes(row: typeof contacts.$inferSelect): ContactAttributes {
  return {
    healthGroup: row.healthGroup,
    ageBand: row.ageBand,
    sex: row.sex,
    ethnicityGroup: row.ethnicityGroup,
    caring: row.caring,
    timeOnBenefits: row.timeOnBenefits,
    previousWork: row.previousWork,
    benefitType: row.benefitType,
    preferredChannel: row.preferredChannel,
    adjustments: JSON.parse(row.adjustments) as string[],
    coachId: row.coachId,
    siteId: row.siteId,
  };
}
