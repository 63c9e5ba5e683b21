import { describe, expect, it } from 'vitest';
import { numberedPlaceholders } from './postgres-database.ts';

/** PostgreSQL numbers its placeholders; the platform writes `?` for both engines. */
describe('numberedPlaceholders', () => {
  it('numbers each ? outside quoted strings, quoted identifiers and comments', () => {
    expect(numberedPlaceholders(`SELECT '?' AS a, "?" AS b, ? AS c -- is it ?\nFROM t WHERE x = ? AND y IN (?, ?)`)).toBe(
      `SELECT '?' AS a, "?" AS b, $1 AS c -- is it ?\nFROM t WHERE x = $2 AND y IN ($3, $4)`,
    );
    expect(numberedPlaceholders(`SELECT 'it''s ?' AS "say ""?""", ? -- ?`)).toBe(`SELECT 'it''s ?' AS "say ""?""", $1 -- ?`);
    expect(numberedPlaceholders(`SELECT /* why? */ ?, '--?', ? /* ? */`)).toBe(`SELECT /* why? */ $1, '--?', $2 /* ? */`);
    expect(numberedPlaceholders('SELECT 1')).toBe('SELECT 1');
    // The same text gives the same translation (it is cached).
    expect(numberedPlaceholders(`SELECT ? -- ?`)).toBe(numberedPlaceholders(`SELECT ? -- ?`));
  });
});
