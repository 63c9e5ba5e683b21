/**
 * How an outcome event counts once corrected (docs/decisions/0035), as SQL
 * fragments for queries over `outcome_events` (alias `o`): the event's latest
 * correction (alias `k`) decides. No correction: the event as recorded.
 * 'correct': the corrected occurred_at, value and detail. 'withdraw': it does
 * not count. The view `effective_outcome_events` (migration 0004) applies the
 * same rule; the read model uses these fragments because a view on the right
 * of a LEFT JOIN cannot be flattened by SQLite and would be slow at scale.
 */
export const latestCorrectionJoin = (event = 'o', correction = 'k') =>
  `LEFT JOIN outcome_corrections ${correction} ON ${correction}.id = (SELECT MAX(latest.id) FROM outcome_corrections latest WHERE latest.event_id = ${event}.id)`;

/** The value of a column as it now counts. */
export const effectiveColumn = (column: 'occurred_at' | 'value' | 'detail', event = 'o', correction = 'k') =>
  `(CASE WHEN ${correction}.kind = 'correct' THEN ${correction}.${column} ELSE ${event}.${column} END)`;

/** True unless the event's latest correction withdrew it. */
export const notWithdrawn = (correction = 'k') => `(${correction}.kind IS NULL OR ${correction}.kind <> 'withdraw')`;
