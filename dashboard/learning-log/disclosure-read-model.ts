import type { Db } from '../../server/db/database.ts';
import { dialectSql } from '../../server/db/dialect-sql.ts';

// Compared through the contacts_reference_compact_idx index on this expression.
const COMPACT_REFERENCE = "replace(upper(reference), '-', '')";
const PLACE_NAMES = 'SELECT name FROM sites ORDER BY id';

/**
 * What the disclosure check compares free text against: the contact references
 * that exist, and the names of the sites. Read wherever someone writes text
 * others will see (learning notes and summaries, opt-out reasons, corrections).
 */
export function createDisclosureReadModel(db: Db) {
  const referencesAmong = `SELECT DISTINCT ${COMPACT_REFERENCE} AS compact FROM contacts WHERE ${COMPACT_REFERENCE} IN ${dialectSql(db.dialect).jsonList('text')}`;

  return {
    /** Which of these compact references (upper case, without hyphens) belong to a contact. */
    async contactReferencesAmong(compacts: string[]): Promise<Set<string>> {
      const rows = await db.all<{ compact: string }>(referencesAmong, [JSON.stringify(compacts)]);
      return new Set(rows.map((row) => row.compact));
    },
    /** The sites' names, in the order they were added. */
    async placeNames(): Promise<string[]> {
      return (await db.all<{ name: string }>(PLACE_NAMES)).map((s) => s.name);
    },
  };
}

export type DisclosureReadModel = ReturnType<typeof createDisclosureReadModel>;
