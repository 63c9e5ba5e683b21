import { createReadStream } from 'node:fs';
import { parse, type Options as CsvOptions } from 'csv-parse';
import type { BinaryArmStats } from '../analysis/types.ts';
import { weekContaining } from '../experiments/calendar/reporting-calendar.ts';

/**
 * Streams a CSV with one row per person into the sufficient statistics
 * `eiu analyse` needs: people and successes per arm, and per (level, arm) for
 * each breakdown column (--by, --cluster, --week). Memory does not grow with the number
 * of rows, except for the duplicate-id check (about 16 bytes a person).
 *
 * Speed matters here (a million rows should cost little more than parsing
 * them), so the per-row work avoids anything csv-parse does not already pay
 * for: records are arrays, not objects; columns are looked up once; each
 * distinct arm, outcome or level text is normalised once and then found by a
 * Map lookup; and line numbers, which csv-parse only gives at twice the parsing
 * cost (`info: true`), are found by reading the file again, which only happens
 * when there is an error to report.
 */

/** Input the analyst can fix; reported on stderr without a stack trace. */
export class InputError extends Error {}

export interface CountOptions {
  /** Column holding the outcome: 0/1 or true/false (any case, surrounding spaces allowed). */
  outcome: string;
  /** Column holding the assigned arm. Arm names are taken exactly as written. */
  arm: string;
  /** Column to break results down by; a blank value counts as NOT_RECORDED. */
  by?: string;
  /** Column to cluster on (e.g. the work coach); a blank value is an error. */
  cluster?: string;
  /** Column of person ids to check for duplicates; when not given, `id` if the file has it. */
  id?: string;
  /**
   * Column holding each person's week of entry: a date YYYY-MM-DD (counted in
   * its reporting week, Monday to Sunday UTC) or a week number 1, 2, 3 …; one
   * or the other throughout the file. A blank value is an error.
   */
  week?: string;
}

/** People and successes per arm within one level of a breakdown column (one subgroup, one coach…). */
export interface LevelCounts {
  level: string;
  /** Only the arms with at least one person at this level, in order of first appearance. */
  arms: BinaryArmStats[];
}

export interface TrialCounts {
  /** Per arm, in order of first appearance in the file: callers choose the order they report in. */
  arms: BinaryArmStats[];
  /** Per level of --by, in order of first appearance. */
  by?: LevelCounts[];
  /** Per level of --cluster, in order of first appearance. */
  cluster?: LevelCounts[];
  /**
   * Per week of --week (people who entered that week, not cumulative), oldest
   * first. A date's level is the Sunday ending its reporting week (YYYY-MM-DD);
   * a week number's level is the number ("3").
   */
  weeks?: LevelCounts[];
  /** The column whose ids were checked for duplicates, or null when there was none to check. */
  idColumn: string | null;
}

/** Label for people whose --by value is blank (e.g. they chose not to say). */
export const NOT_RECORDED = '(not recorded)';

const CSV_OPTIONS: CsvOptions = { bom: true, skip_empty_lines: true };

// ---------------------------------------------------------------------------
// Duplicate ids

/** Remembers ids; `add` returns false when the id may have been seen before. */
export interface SeenIds {
  add(id: string): boolean;
}

/** Exact, but slower and larger than HashedIds: a million ids added 0.6 s and 57 MB to a 1.3 s parse (docs/decisions/0025). */
export class ExactIds implements SeenIds {
  private readonly ids = new Set<string>();
  add(id: string): boolean {
    const before = this.ids.size;
    this.ids.add(id);
    return this.ids.size !== before;
  }
}

/**
 * Two independent 32-bit hashes of a string (FNV-1a and a Murmur-style mix),
 * each finalised with Murmur3's fmix32, written into `out` so that hashing a
 * million ids allocates nothing.
 */
export function hashId(id: string, out: Uint32Array): void {
  let first = 0x811c9dc5 ^ id.length;
  let second = 0x9747b28c;
  for (let index = 0; index < id.length; index++) {
    const code = id.charCodeAt(index);
    first = Math.imul(first ^ code, 0x01000193);
    second = Math.imul(second ^ code, 0x5bd1e995);
    second ^= second >>> 15;
  }
  out[0] = fmix32(first);
  out[1] = fmix32(second);
}

function fmix32(hash: number): number {
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  return (hash ^ (hash >>> 16)) >>> 0;
}

/**
 * Keeps a 64-bit hash of each id in an open-addressing table (one Uint32Array
 * of (low, high) pairs side by side, so a probe touches one cache line; at most
 * half full), so a million ids take 16 to 24 MB and no strings are kept alive
 * for the garbage collector to move. A repeated hash is only a possible
 * duplicate: the caller confirms it by comparing the ids themselves.
 */
export class HashedIds implements SeenIds {
  private slots = 1 << 16;
  private table = new Uint32Array(2 * this.slots);
  private size = 0;
  private readonly hashed = new Uint32Array(2);

  constructor(private readonly hash: (id: string, out: Uint32Array) => void = hashId) {}

  add(id: string): boolean {
    this.hash(id, this.hashed);
    let low = this.hashed[0];
    const high = this.hashed[1];
    if (low === 0 && high === 0) low = 1; // (0, 0) marks an empty slot
    if (this.size * 2 >= this.slots) this.grow();
    if (!this.insert(low, high)) return false;
    this.size++;
    return true;
  }

  private insert(low: number, high: number): boolean {
    const table = this.table;
    const mask = this.slots - 1;
    for (let slot = high & mask; ; slot = (slot + 1) & mask) {
      const slotLow = table[2 * slot];
      const slotHigh = table[2 * slot + 1];
      if (slotLow === 0 && slotHigh === 0) {
        table[2 * slot] = low;
        table[2 * slot + 1] = high;
        return true;
      }
      if (slotLow === low && slotHigh === high) return false;
    }
  }

  private grow(): void {
    const old = this.table;
    this.slots *= 2;
    this.table = new Uint32Array(2 * this.slots);
    for (let index = 0; index < old.length; index += 2) {
      if (old[index] !== 0 || old[index + 1] !== 0) this.insert(old[index], old[index + 1]);
    }
  }
}

// ---------------------------------------------------------------------------
// Reading records

/** A cell a breakdown cannot place in a level; becomes a RowError naming the line. */
class CellProblem extends Error {}

/** A problem with one data row, reported once its line number has been found. */
class RowError extends Error {
  constructor(
    readonly recordIndex: number,
    message: string,
  ) {
    super(message);
  }
}

/** An id whose hash was seen before: a duplicate, unless two different ids share a hash. */
class PossibleDuplicateId extends Error {
  constructor(
    readonly recordIndex: number,
    readonly id: string,
    readonly idIndex: number,
    readonly idColumn: string,
  ) {
    super(`id ${JSON.stringify(id)} may be a duplicate`);
  }
}

function cannotRead(file: string, error: NodeJS.ErrnoException): InputError {
  const reason = error.code === 'ENOENT' ? 'no such file' : error.code === 'EISDIR' ? 'it is a directory' : error.message;
  return new InputError(`cannot read ${file}: ${reason}`);
}

/**
 * Calls `onRecord` with each record (the header is record 0) as csv-parse
 * streams them. Reading stops at the first error `onRecord` throws, which the
 * promise rejects with.
 */
function streamRecords(file: string, onRecord: (record: string[], recordIndex: number) => void): Promise<number> {
  return new Promise((resolve, reject) => {
    const source = createReadStream(file);
    const parser = parse(CSV_OPTIONS);
    let recordIndex = 0;
    let failed = false;
    const fail = (error: unknown) => {
      if (failed) return;
      failed = true;
      source.destroy();
      parser.destroy();
      reject(error);
    };
    source.on('error', (error) => fail(cannotRead(file, error)));
    parser.on('error', (error) => fail(new InputError(`${file} is not valid CSV: ${error.message}`)));
    parser.on('readable', () => {
      try {
        let record: string[] | null;
        while (!failed && (record = parser.read()) !== null) onRecord(record, recordIndex++);
      } catch (error) {
        fail(error);
      }
    });
    parser.on('end', () => {
      if (!failed) resolve(recordIndex);
    });
    source.pipe(parser);
  });
}

/**
 * Reads the file again, with csv-parse's line information, and returns the
 * line each record starts on (the header is line 1), stopping once `visit`
 * returns true. Twice as slow as streamRecords, so only used to report errors.
 */
async function visitWithLines(file: string, visit: (record: string[], recordIndex: number, line: number) => boolean): Promise<void> {
  const parser = createReadStream(file).pipe(parse({ ...CSV_OPTIONS, info: true }));
  let recordIndex = 0;
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      // csv-parse gives the line a record ends on; step back over newlines inside quoted fields.
      const embeddedNewlines = record.reduce((count, field) => count + (field.match(/\n/g)?.length ?? 0), 0);
      if (visit(record, recordIndex++, info.lines - embeddedNewlines)) return;
    }
  } finally {
    parser.destroy();
  }
}

async function lineOf(file: string, wanted: number): Promise<number> {
  let found = -1;
  await visitWithLines(file, (_record, recordIndex, line) => {
    if (recordIndex === wanted) found = line;
    return found !== -1;
  });
  return found;
}

/** The lines of the first earlier row with the same id and of the row itself, or null if there is none. */
async function duplicateLines(file: string, idIndex: number, id: string, wanted: number): Promise<[number, number] | null> {
  let first = -1;
  let second = -1;
  await visitWithLines(file, (record, recordIndex, line) => {
    if (recordIndex === wanted) second = line;
    else if (recordIndex > 0 && first === -1 && record[idIndex].trim() === id) first = line;
    return recordIndex >= wanted;
  });
  return first === -1 || second === -1 ? null : [first, second];
}

// ---------------------------------------------------------------------------
// Counting

/**
 * People and successes per (level, arm) for one breakdown column. Kept general
 * so that another column (a reporting week, say) is one more instance.
 */
class ArmBreakdown {
  readonly levels: string[] = [];
  /** [level][arm slot], always one entry per arm seen so far (packed arrays keep the per-row increment cheap). */
  readonly people: number[][] = [];
  readonly successes: number[][] = [];
  private arms = 0;
  private readonly levelByText = new Map<string, number>();
  private readonly levelByName = new Map<string, number>();

  constructor(
    readonly columnIndex: number,
    /** The level's name for a raw cell (trimmed, blank replaced); throws CellProblem for a cell that fits no level. */
    private readonly levelName: (text: string) => string,
  ) {}

  /** The level slot for a row's raw text; normalises each distinct text once. */
  levelOf(text: string, recordIndex: number): number {
    const known = this.levelByText.get(text);
    if (known !== undefined) return known;
    let name: string;
    try {
      name = this.levelName(text);
    } catch (error) {
      if (error instanceof CellProblem) throw new RowError(recordIndex, error.message);
      throw error;
    }
    let slot = this.levelByName.get(name);
    if (slot === undefined) {
      slot = this.levels.length;
      this.levels.push(name);
      this.people.push(new Array<number>(this.arms).fill(0));
      this.successes.push(new Array<number>(this.arms).fill(0));
      this.levelByName.set(name, slot);
    }
    this.levelByText.set(text, slot);
    return slot;
  }

  addArm(): void {
    this.arms++;
    for (const counts of this.people) counts.push(0);
    for (const counts of this.successes) counts.push(0);
  }

  count(level: number, arm: number, success: number): void {
    this.people[level][arm]++;
    this.successes[level][arm] += success;
  }

  counts(armNames: string[]): LevelCounts[] {
    return this.levels.map((level, slot) => ({
      level,
      arms: armNames.flatMap((arm, armSlot) =>
        this.people[slot][armSlot] ? [{ arm, n: this.people[slot][armSlot], successes: this.successes[slot][armSlot] }] : [],
      ),
    }));
  }
}

function columnIndex(header: string[], column: string, option: string): number {
  const index = header.indexOf(column);
  if (index === -1) {
    throw new InputError(`column "${column}" (${option}) is not in the file; columns found: ${header.join(', ')}`);
  }
  return index;
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const WEEK_NUMBER = /^\d+$/;

/**
 * Names the level of a --week cell: the Sunday ending the reporting week of a
 * date (weekContaining, so the CLI's weeks are the dashboard's), or the week
 * number as written without leading zeros. The first cell fixes which of the
 * two the file uses, so a mixed column is caught rather than sorted oddly.
 */
function weekLevel(column: string): (text: string) => string {
  let kind: 'date' | 'number' | undefined;
  const expected = 'expected a date YYYY-MM-DD or a whole week number (1, 2, 3 …)';
  return (text) => {
    const value = text.trim();
    if (value === '') throw new CellProblem(`the week (column "${column}") is empty; ${expected}`);
    const isDate = ISO_DATE.test(value);
    if (!isDate && !WEEK_NUMBER.test(value)) throw new CellProblem(`week column "${column}" has ${JSON.stringify(text)}; ${expected}`);
    const thisKind = isDate ? 'date' : 'number';
    if (kind !== undefined && kind !== thisKind) {
      throw new CellProblem(
        `week column "${column}" has ${JSON.stringify(text)}, a ${thisKind === 'date' ? 'date' : 'week number'}, but earlier rows have ${kind === 'date' ? 'dates' : 'week numbers'}; use one or the other`,
      );
    }
    kind = thisKind;
    if (!isDate) return String(Number(value));
    const moment = new Date(`${value}T00:00:00.000Z`);
    if (Number.isNaN(moment.getTime()) || moment.toISOString().slice(0, 10) !== value) {
      throw new CellProblem(`week column "${column}" has ${JSON.stringify(text)}, which is not a real date; ${expected}`);
    }
    return weekContaining(moment).weekEnding;
  };
}

/** Weeks in time order: Sundays as YYYY-MM-DD sort as text, week numbers as numbers. */
function oldestFirst(weeks: LevelCounts[]): LevelCounts[] {
  return [...weeks].sort((a, b) => {
    const byNumber = Number(a.level) - Number(b.level);
    if (Number.isFinite(byNumber) && byNumber !== 0) return byNumber;
    return a.level < b.level ? -1 : a.level > b.level ? 1 : 0;
  });
}

const TRUE_VALUES = new Set(['1', 'true']);
const FALSE_VALUES = new Set(['0', 'false']);

/** One pass over the file; throws RowError or PossibleDuplicateId for the caller to turn into a message with lines. */
async function countOnce(file: string, options: CountOptions, seenIds: SeenIds): Promise<TrialCounts> {
  let outcomeIndex = -1;
  let armIndex = -1;
  let idIndex = -1;
  let idColumn: string | null = null;
  let by: ArmBreakdown | undefined;
  let cluster: ArmBreakdown | undefined;
  let week: ArmBreakdown | undefined;

  const armNames: string[] = [];
  const armByText = new Map<string, number>();
  const people: number[] = [];
  const successes: number[] = [];
  /** 1 or 0 for each distinct outcome text seen other than "1" and "0", e.g. " TRUE " → 1. */
  const outcomeByText = new Map<string, number>();

  const readHeader = (record: string[]) => {
    const header = record.map((name) => name.trim());
    outcomeIndex = columnIndex(header, options.outcome, '--outcome');
    armIndex = columnIndex(header, options.arm, '--arm');
    if (options.id !== undefined) idIndex = columnIndex(header, options.id, '--id');
    else idIndex = header.indexOf('id');
    idColumn = idIndex === -1 ? null : header[idIndex];
    if (options.by !== undefined) {
      by = new ArmBreakdown(columnIndex(header, options.by, '--by'), (text) => text.trim() || NOT_RECORDED);
    }
    if (options.cluster !== undefined) {
      const column = options.cluster;
      cluster = new ArmBreakdown(columnIndex(header, column, '--cluster'), (text) => {
        const name = text.trim();
        if (name === '') throw new CellProblem(`the cluster (column "${column}") is empty`);
        return name;
      });
    }
    if (options.week !== undefined) week = new ArmBreakdown(columnIndex(header, options.week, '--week'), weekLevel(options.week));
  };

  const armOf = (text: string, recordIndex: number): number => {
    // Arms are kept exactly as written (no trimming): "control" and " control" are
    // different arms, which the command warns about rather than merging silently.
    if (text.trim() === '') throw new RowError(recordIndex, `the arm (column "${options.arm}") is empty`);
    const slot = armNames.length;
    armNames.push(text);
    people.push(0);
    successes.push(0);
    armByText.set(text, slot);
    by?.addArm();
    cluster?.addArm();
    week?.addArm();
    return slot;
  };

  const outcomeOf = (text: string, recordIndex: number): number => {
    const normalised = text.trim().toLowerCase();
    const value = TRUE_VALUES.has(normalised) ? 1 : FALSE_VALUES.has(normalised) ? 0 : -1;
    if (value === -1) {
      throw new RowError(recordIndex, `outcome column "${options.outcome}" has ${JSON.stringify(text)}; expected 0, 1, true or false`);
    }
    outcomeByText.set(text, value);
    return value;
  };

  const records = await streamRecords(file, (record, recordIndex) => {
    if (recordIndex === 0) return readHeader(record);
    const armText = record[armIndex];
    const arm = armByText.get(armText) ?? armOf(armText, recordIndex);
    const outcomeText = record[outcomeIndex];
    // "1" and "0" are nearly every row: a comparison is cheaper than a Map lookup.
    const success = outcomeText === '1' ? 1 : outcomeText === '0' ? 0 : (outcomeByText.get(outcomeText) ?? outcomeOf(outcomeText, recordIndex));
    if (idIndex !== -1) {
      const id = record[idIndex].trim();
      if (id === '') throw new RowError(recordIndex, `the id (column "${idColumn}") is empty`);
      if (!seenIds.add(id)) throw new PossibleDuplicateId(recordIndex, id, idIndex, idColumn!);
    }
    people[arm]++;
    successes[arm] += success;
    if (by !== undefined) by.count(by.levelOf(record[by.columnIndex], recordIndex), arm, success);
    if (cluster !== undefined) cluster.count(cluster.levelOf(record[cluster.columnIndex], recordIndex), arm, success);
    if (week !== undefined) week.count(week.levelOf(record[week.columnIndex], recordIndex), arm, success);
  });

  if (records === 0) throw new InputError('the file is empty; expected a header row and one row per person');
  return {
    arms: armNames.map((arm, slot) => ({ arm, n: people[slot], successes: successes[slot] })),
    ...(by ? { by: by.counts(armNames) } : {}),
    ...(cluster ? { cluster: cluster.counts(armNames) } : {}),
    ...(week ? { weeks: oldestFirst(week.counts(armNames)) } : {}),
    idColumn,
  };
}

/**
 * Counts people and successes per arm (and per level of --by, --cluster and --week)
 * in one streaming pass over `file`, checking that no id appears twice.
 *
 * Errors are InputErrors naming the CSV line (the header is line 1), e.g.
 * `line 12: outcome column "attended" has "yes"; …` or
 * `id "P0042" appears on line 12 and line 530; …`.
 *
 * @example
 * await countTrialCsv('trial.csv', { outcome: 'attended', arm: 'arm' })
 * // { arms: [{ arm: 'control', n: 200, successes: 10 }, { arm: 'text', n: 200, successes: 14 }], idColumn: 'id' }
 */
export async function countTrialCsv(
  file: string,
  options: CountOptions,
  /** How ids are remembered; tests pass a deliberately weak hash to check that collisions are told apart. */
  newSeenIds: () => SeenIds = () => new HashedIds(),
): Promise<TrialCounts> {
  try {
    return await countOnce(file, options, newSeenIds());
  } catch (error) {
    if (error instanceof RowError) throw new InputError(`line ${await lineOf(file, error.recordIndex)}: ${error.message}`);
    if (!(error instanceof PossibleDuplicateId)) throw error;
    const lines = await duplicateLines(file, error.idIndex, error.id, error.recordIndex);
    if (lines !== null) {
      throw new InputError(
        `id ${JSON.stringify(error.id)} appears on line ${lines[0]} and line ${lines[1]}; each person should have one row (column "${error.idColumn}")`,
      );
    }
    // Two different ids shared a 64-bit hash (odds about 1 in 40 million for a million ids): count again comparing ids exactly.
    return countTrialCsv(file, options, () => new ExactIds());
  }
}
