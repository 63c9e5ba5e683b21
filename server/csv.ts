import { stringify, type Options } from 'csv-stringify';
import { stringify as stringifySync } from 'csv-stringify/sync';

/**
 * Every CSV the platform writes goes through here, so no cell can run as a
 * formula when opened in a spreadsheet (OWASP "CSV injection"): a text cell
 * beginning with =, +, -, @, a tab or a carriage return gets a leading
 * apostrophe, which spreadsheets show as text. Numbers are written as numbers,
 * so a negative number stays a number.
 */
const FORMULA_START = /^[=+\-@\t\r]/;

export function neutraliseCell(value: string): string {
  return FORMULA_START.test(value) ? `'${value}` : value;
}

const safeOptions = (options: Options = {}): Options => ({ ...options, cast: { ...options.cast, string: (value: string) => neutraliseCell(value) } });

/** A whole CSV document from rows of cells. */
export function csvText(rows: unknown[][]): string {
  return stringifySync(rows, safeOptions());
}

/** A streaming CSV writer (for exports too large to hold in memory). */
export function csvStream(options: Options = {}) {
  return stringify(safeOptions(options));
}
