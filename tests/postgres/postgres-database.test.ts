import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { getTableConfig, PgTable } from 'drizzle-orm/pg-core';
import { is } from 'drizzle-orm';
import { isTriggerRefusal, isUniqueViolation, openDatabase, type Db } from '../../server/db/database.ts';
import * as postgresSchema from '../../server/db/schema.postgres.ts';
import { openTestDatabase, withDatabase } from '../support/test-database.ts';

/**
 * The PostgreSQL implementation against a real server: these run when the suite
 * runs on PostgreSQL (EIU_TEST_PG).
 * Each test works in a fresh database cloned from a migrated template.
 */
const server = process.env.EIU_TEST_PG!;


/** A promise to hold work open, and the function that lets it go on. */
function gate() {
  let open!: () => void;
  const shut = new Promise<void>((resolve) => (open = resolve));
  return { shut, open };
}
const tick = () => new Promise((resolve) => setTimeout(resolve, 20));

async function admin<T>(work: (client: pg.Client) => Promise<T>, url = server!): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

const addLease = (db: Db, job: string, holder = 'test') => db.run("INSERT INTO job_leases (job, holder, expires_at) VALUES (?, ?, '2030-01-01T00:00:00.000Z')", [job, holder]);
const leases = async (db: Db) => (await db.all<{ job: string }>('SELECT job FROM job_leases ORDER BY job')).map((r) => r.job);
const caught = (promise: Promise<unknown>) => promise.then(() => undefined, (error: unknown) => error);

describe('the PostgreSQL database', () => {
  let db: Db;
  beforeAll(async () => {
    db = await openTestDatabase();
  });
  afterAll(async () => {
    await db?.close();
  });

  it('migrates one new database from two instances starting at once', async () => {
    const name = `eiu_test_${process.pid}_migrate_${Date.now().toString(36)}`;
    await admin((client) => client.query(`CREATE DATABASE "${name}"`));
    try {
      const url = withDatabase(server!, name);
      const both = await Promise.all([openDatabase(url, { poolSize: 2 }), openDatabase(url, { poolSize: 2 })]);
      try {
        for (const instance of both) expect(await instance.get('SELECT COUNT(*) AS n FROM audit_retention')).toEqual({ n: 1 });
        const applied = await both[0].all<{ n: number }>('SELECT COUNT(*) AS n FROM drizzle.__drizzle_migrations');
        expect(applied).toEqual([{ n: 2 }]);
      } finally {
        await Promise.all(both.map((instance) => instance.close()));
      }
    } finally {
      await admin((client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
    }
  });

  it('reads counts, sums and averages as numbers, and booleans as 0/1', async () => {
    await addLease(db, 'numbers-1');
    await addLease(db, 'numbers-2');
    const row = await db.get(
      "SELECT COUNT(*) AS n, SUM(LENGTH(job)) AS total, AVG(LENGTH(job)) AS mean, CAST(? AS INTEGER) AS flag FROM job_leases WHERE job LIKE 'numbers-%'",
      [true],
    );
    expect(row).toEqual({ n: 2, total: 18, mean: 9, flag: 1 });
    await db.run("DELETE FROM job_leases WHERE job LIKE 'numbers-%'");
  });

  it('commits a transaction, or rolls all of it back when its work fails', async () => {
    await db.withTransaction(async () => {
      await addLease(db, 'kept');
      await db.withTransaction(() => addLease(db, 'kept-inner'));
    });
    await expect(
      db.withTransaction(async () => {
        await addLease(db, 'lost');
        await db.withTransaction(() => addLease(db, 'lost-inner'));
        throw new Error('stop');
      }),
    ).rejects.toThrow('stop');
    expect(await leases(db)).toEqual(['kept', 'kept-inner']);
    await db.run("DELETE FROM job_leases WHERE job LIKE 'kept%'");
  });

  it('keeps a query from another async flow out of an open transaction', async () => {
    const hold = gate();
    const transaction = db.withTransaction(async () => {
      await addLease(db, 'inside');
      await hold.shut;
      throw new Error('roll back');
    });
    await tick();
    await addLease(db, 'outside');
    expect(await leases(db)).toEqual(['outside']);
    hold.open();
    await expect(transaction).rejects.toThrow('roll back');
    expect(await leases(db)).toEqual(['outside']);
    await db.run("DELETE FROM job_leases WHERE job = 'outside'");
  });

  it('retries a transaction that met a serialisation failure, with the first attempt rolled back', async () => {
    await addLease(db, 'counter', 'start');
    const other = new pg.Client({ connectionString: db.location });
    await other.connect();
    try {
      let attempts = 0;
      const seen = await db.withTransaction(async () => {
        attempts++;
        await db.run('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ');
        const row = await db.get<{ holder: string }>("SELECT holder FROM job_leases WHERE job = 'counter'");
        await addLease(db, `attempt-${attempts}`);
        // Another connection changes the row after this transaction's snapshot: updating it must fail (40001).
        if (attempts === 1) await other.query("UPDATE job_leases SET holder = 'other' WHERE job = 'counter'");
        await db.run("UPDATE job_leases SET holder = ? WHERE job = 'counter'", [`${row!.holder}+mine`]);
        return row!.holder;
      });
      expect(attempts).toBe(2);
      expect(seen).toBe('other');
      expect(await db.all('SELECT job, holder FROM job_leases ORDER BY job')).toEqual([
        { job: 'attempt-2', holder: 'test' },
        { job: 'counter', holder: 'other+mine' },
      ]);
    } finally {
      await other.end();
      await db.run("DELETE FROM job_leases WHERE job IN ('counter', 'attempt-1', 'attempt-2')");
    }
  });

  it('does not retry other failures', async () => {
    let attempts = 0;
    const error = await caught(
      db.withTransaction(async () => {
        attempts++;
        await db.run('SELECT 1/0 AS boom');
      }),
    );
    expect((error as { code?: string }).code).toBe('22012');
    expect(attempts).toBe(1);
  });

  it('lets only one of two instances run a job at a time', async () => {
    const second = await openDatabase(db.location, { migrate: false, poolSize: 2 });
    try {
      const hold = gate();
      const first = db.exclusively('weekly-freeze', async () => {
        await hold.shut;
        return 'first';
      });
      await tick();
      expect(await second.exclusively('weekly-freeze', async () => 'second')).toEqual({ ran: false });
      expect(await db.exclusively('weekly-freeze', async () => 'same instance')).toEqual({ ran: false });
      expect(await second.exclusively('purge', async () => 'purge')).toEqual({ ran: true, result: 'purge' });
      hold.open();
      expect(await first).toEqual({ ran: true, result: 'first' });
      expect(await second.exclusively('weekly-freeze', async () => 'after')).toEqual({ ran: true, result: 'after' });
      // A failed run frees the job too.
      await expect(second.exclusively('weekly-freeze', () => Promise.reject(new Error('failed')))).rejects.toThrow('failed');
      expect(await db.exclusively('weekly-freeze', async () => 'again')).toEqual({ ran: true, result: 'again' });
    } finally {
      await second.close();
    }
  });

  it('recognises a unique violation', async () => {
    await addLease(db, 'unique');
    const error = await caught(addLease(db, 'unique'));
    expect(isUniqueViolation(error)).toBe(true);
    expect(isTriggerRefusal(error)).toBe(false);
    const refused = await caught(db.run('DELETE FROM audit_retention'));
    expect(isTriggerRefusal(refused)).toBe(true);
    expect(isUniqueViolation(refused)).toBe(false);
    await db.run("DELETE FROM job_leases WHERE job = 'unique'");
  });

  it('builds the tables, columns, indexes and identities of schema.postgres.ts', async () => {
    const expected: string[] = [];
    for (const table of Object.values(postgresSchema as Record<string, unknown>).filter((value): value is PgTable => is(value, PgTable))) {
      const config = getTableConfig(table);
      for (const column of config.columns) {
        expected.push(`${config.name}.${column.name} ${column.getSQLType()}${column.notNull ? ' not null' : ''}${column.generatedIdentity ? ' identity' : ''}`);
      }
      for (const index of config.indexes) expected.push(`${config.name} index ${index.config.name}`);
      for (const column of config.columns.filter((c) => c.isUnique)) expected.push(`${config.name} index ${column.uniqueName}`);
      // PostgreSQL names a one-column key's index table_pkey, and cuts names to 63 bytes.
      const primaryKey = config.primaryKeys[0]?.getName() ?? (config.columns.some((c) => c.primary) ? `${config.name}_pkey` : undefined);
      if (primaryKey) expected.push(`${config.name} index ${primaryKey.slice(0, 63)}`);
    }
    const columns = await db.all<{ line: string }>(
      `SELECT table_name || '.' || column_name || ' ' || data_type
          || CASE WHEN is_nullable = 'NO' THEN ' not null' ELSE '' END
          || CASE WHEN is_identity = 'YES' THEN ' identity' ELSE '' END AS line
       FROM information_schema.columns
       WHERE table_schema = 'public' AND table_name IN (SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE')
       ORDER BY table_name, ordinal_position`,
    );
    const indexes = await db.all<{ line: string }>(`SELECT tablename || ' index ' || indexname AS line FROM pg_indexes WHERE schemaname = 'public' ORDER BY tablename, indexname`);
    const found = [...columns, ...indexes].map((r) => r.line);
    const tableOf = (line: string) => line.split(/[. ]/)[0];
    // A stable sort by table name keeps each table's columns in schema order.
    const byTable = (lines: string[]) => [...lines].sort((a, b) => (tableOf(a) === tableOf(b) ? 0 : tableOf(a) < tableOf(b) ? -1 : 1));
    // Columns in schema order within each table; indexes in any order.
    expect(found.filter((l) => !l.includes(' index ')).join('\n')).toBe(byTable(expected.filter((l) => !l.includes(' index '))).join('\n'));
    expect(found.filter((l) => l.includes(' index ')).sort()).toEqual(expected.filter((l) => l.includes(' index ')).sort());
  });
});

/**
 * The same writes and reads on a fresh SQLite database and a fresh PostgreSQL
 * one: the hand-written migrations (append-only triggers, the retention row,
 * effective_outcome_events) must refuse the same writes with the same messages
 * and give the same rows.
 */
describe('the hand-written migrations behave the same on both engines', () => {
  type Step = { sql: string; params?: unknown[] } | { read: string; params?: unknown[] };

  const now = new Date().toISOString();
  const steps: Step[] = [
    // Refused outright.
    { sql: "UPDATE outcome_corrections SET reason = 'other'" },
    { sql: "UPDATE opt_ins SET reason = 'other'" },
    { sql: "UPDATE learning_summary_approvals SET text = 'changed'" },
    { sql: "UPDATE audit_log SET entity_id = 'R-9999' WHERE entity_id = 'R-0001'" },
    { sql: 'UPDATE audit_log SET user_id = NULL' },
    { sql: "UPDATE audit_log SET entity_id = 'ERASED-0001' WHERE entity_id = 'R-0001'" },
    // While an erasure holds its marker: only a redaction, every other column unchanged.
    { sql: "INSERT INTO job_leases (job, holder, expires_at) VALUES ('erasure-redaction', 'test', ?)", params: [now] },
    { sql: "UPDATE learning_summary_approvals SET text = 'Coaches met [reference removed] twice.'" },
    { sql: "UPDATE learning_summary_approvals SET text = '[reference removed]', approved_at = '2000-01-01T00:00:00.000Z'" },
    { sql: "UPDATE learning_summary_approvals SET text = 'no redaction'" },
    { sql: "UPDATE audit_log SET entity_id = 'ERASED-0001' WHERE entity_id = 'R-0001'" },
    { sql: "UPDATE audit_log SET entity_id = 'erased-0002' WHERE entity_id = 'R-0002'" },
    { sql: "UPDATE audit_log SET entity_id = 'ERASED-0003', action = 'other' WHERE entity_id = 'R-0003'" },
    { sql: "UPDATE audit_log SET entity_id = NULL WHERE entity_id = 'R-0003'" },
    { sql: "DELETE FROM job_leases WHERE job = 'erasure-redaction'" },
    { read: 'SELECT id, summary_id, text, approved_by, approved_at FROM learning_summary_approvals ORDER BY id' },
    // Deleting audit rows and the retention setting.
    { sql: 'DELETE FROM audit_log WHERE id = 1' },
    { sql: "UPDATE audit_retention SET delete_before = '2999-01-01T00:00:00.000Z'" },
    { sql: "UPDATE audit_retention SET delete_before = 'yesterday'" },
    { sql: "UPDATE audit_retention SET delete_before = '2021-01-01' WHERE id = 1" },
    { sql: 'DELETE FROM audit_retention' },
    { sql: 'INSERT INTO audit_retention (id, delete_before) VALUES (2, NULL)' },
    { sql: "UPDATE audit_retention SET delete_before = '2021-01-01T00:00:00Z' WHERE id = 1" },
    { read: "SELECT user_id, action, entity, entity_id, CASE WHEN at >= ? THEN 'now' ELSE at END AS at FROM audit_log WHERE action = 'set-retention-cutoff'", params: [now.slice(0, 10)] },
    { sql: "DELETE FROM audit_log WHERE at >= '2021-01-01T00:00:00Z'" },
    { sql: 'DELETE FROM audit_log WHERE at < (SELECT delete_before FROM audit_retention)' },
    { read: 'SELECT id, delete_before FROM audit_retention' },
    { read: "SELECT id, user_id, action, entity, entity_id, experiment_key, at FROM audit_log WHERE action <> 'set-retention-cutoff' ORDER BY id" },
    // The view.
    { read: 'SELECT * FROM effective_outcome_events ORDER BY id' },
    { read: "SELECT stage, COUNT(*) AS n, SUM(corrected) AS corrected FROM effective_outcome_events GROUP BY stage ORDER BY stage" },
  ];

  async function seed(db: Db) {
    const user = (await db.get<{ id: number }>("INSERT INTO users (username, display_name, role, password_hash, created_at) VALUES ('a', 'Analyst', 'analyst', 'x', ?) RETURNING id", [now]))!.id;
    const site = (await db.get<{ id: number }>("INSERT INTO sites (code, name, kind, created_at) VALUES ('S1', 'Site', 'jobcentre', ?) RETURNING id", [now]))!.id;
    const coach = (await db.get<{ id: number }>("INSERT INTO work_coaches (code, name, site_id, created_at) VALUES ('C1', 'Coach', ?, ?) RETURNING id", [site, now]))!.id;
    const contact = (await db.get<{ id: number }>(
      `INSERT INTO contacts (reference, coach_id, site_id, health_group, age_band, sex, ethnicity_group, caring, time_on_benefits, previous_work, benefit_type, created_at, updated_at)
       VALUES ('R-0001', ?, ?, 'none', '25-34', 'f', 'white', ?, 'under_1y', 'recent', 'uc', ?, ?) RETURNING id`,
      [coach, site, true, now, now],
    ))!.id;
    const event = async (stage: string, value: number | null, key: string) =>
      (await db.get<{ id: number }>(
        'INSERT INTO outcome_events (contact_id, stage, value, detail, occurred_at, recorded_at, recorded_by, idempotency_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id',
        [contact, stage, value, value === null ? null : JSON.stringify({ note: key }), `2026-01-0${key.length % 9}T10:00:00.000Z`, now, user, key],
      ))!.id;
    const useful = await event('found_useful', 3, 'k1');
    const responded = await event('responded', null, 'k22');
    const attended = await event('meeting_attended', null, 'k333');
    const optedOut = await event('opted_out', null, 'k4444');
    await event('found_useful', 2.5, 'k55555');
    const correct = (id: number, kind: string, value: number | null, at: string | null) =>
      db.run(
        'INSERT INTO outcome_corrections (event_id, kind, occurred_at, value, detail, reason, corrected_by, corrected_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
        [id, kind, at, value, kind === 'correct' ? '{"corrected":true}' : null, 'typo', user, now],
      );
    await correct(useful, 'correct', 4, '2026-01-02T09:00:00.000Z');
    await correct(useful, 'correct', 5, '2026-01-03T09:00:00.000Z');
    await correct(responded, 'withdraw', null, null);
    await correct(attended, 'withdraw', null, null);
    await correct(attended, 'correct', null, '2026-01-04T09:00:00.000Z');
    await db.run('INSERT INTO opt_ins (contact_id, opt_out_event_id, reason, recorded_by, recorded_at) VALUES (?, ?, ?, ?, ?)', [contact, optedOut, 'asked', user, now]);
    const summary = (await db.get<{ id: number }>(
      "INSERT INTO learning_summaries (week_ending, text, status, created_by, updated_by, created_at, updated_at) VALUES ('2026-01-04', 'Coaches met R-0001 twice.', 'approved', ?, ?, ?, ?) RETURNING id",
      [user, user, now, now],
    ))!.id;
    await db.run('INSERT INTO learning_summary_approvals (summary_id, text, approved_by, approved_at) VALUES (?, ?, ?, ?)', [summary, 'Coaches met R-0001 twice.', user, now]);
    for (const [entityId, at] of [
      ['R-0001', '2020-06-01T00:00:00.000Z'],
      ['R-0002', '2020-07-01T00:00:00.000Z'],
      ['R-0003', '2025-01-01T00:00:00.000Z'],
    ]) {
      await db.run("INSERT INTO audit_log (user_id, action, entity, entity_id, experiment_key, at) VALUES (?, 'view', 'contact', ?, NULL, ?)", [user, entityId, at]);
    }
  }

  async function play(db: Db) {
    await seed(db);
    const results: unknown[] = [];
    for (const step of steps) {
      if ('read' in step) {
        const rows = await db.all(step.read, step.params);
        results.push({ read: step.read, columns: rows[0] ? Object.keys(rows[0]) : [], rows });
        continue;
      }
      try {
        const { changes } = await db.run(step.sql, step.params);
        results.push({ sql: step.sql, changes });
      } catch (error) {
        // Other constraint errors are worded by each engine; trigger refusals must read the same.
        results.push({ sql: step.sql, refused: isTriggerRefusal(error) ? (error as Error).message : 'by a constraint' });
      }
    }
    return results;
  }

  let sqlite: unknown[];
  let postgres: unknown[];
  beforeAll(async () => {
    const a = await openDatabase(':memory:');
    const b = await openTestDatabase();
    try {
      sqlite = await play(a);
      postgres = await play(b);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('refuse the same writes with the same messages, and allow the same ones', () => {
    const outcome = (results: unknown[]) => results.filter((r) => 'sql' in (r as object));
    expect(outcome(postgres)).toEqual(outcome(sqlite));
    // The messages the application and its tests rely on.
    expect(outcome(sqlite).map((r) => ('refused' in (r as object) ? (r as { refused: string }).refused : (r as { changes: number }).changes))).toEqual([
      'outcome corrections are append-only',
      'opt-ins are append-only',
      'an approved learning summary cannot be changed: approve a new version instead',
      'audit_log is append-only: audit rows cannot be changed',
      'audit_log is append-only: audit rows cannot be changed',
      'audit_log is append-only: audit rows cannot be changed',
      1,
      1,
      'an approved learning summary cannot be changed: approve a new version instead',
      'an approved learning summary cannot be changed: approve a new version instead',
      1,
      1,
      'audit_log is append-only: audit rows cannot be changed',
      // As in SQLite's WHEN clause, a null in the condition lets the change through.
      1,
      1,
      'audit_log is append-only: only rows older than the retention cutoff in audit_retention can be deleted',
      'The audit retention cutoff must be an ISO-8601 UTC time in the past',
      'The audit retention cutoff must be an ISO-8601 UTC time in the past',
      'The audit retention cutoff must be an ISO-8601 UTC time in the past',
      'The audit retention setting cannot be removed: set delete_before instead',
      'by a constraint',
      1,
      'audit_log is append-only: only rows older than the retention cutoff in audit_retention can be deleted',
      2,
    ]);
  });

  it('read back the same rows, with the same columns in the same order', () => {
    const reads = (results: unknown[]) => results.filter((r) => 'read' in (r as object));
    expect(reads(postgres)).toEqual(reads(sqlite));
    for (const [i, read] of reads(sqlite).entries()) expect((reads(postgres)[i] as { columns: string[] }).columns).toEqual((read as { columns: string[] }).columns);
    const view = reads(sqlite).find((r) => (r as { read: string }).read.startsWith('SELECT * FROM effective')) as { columns: string[]; rows: unknown[] };
    expect(view.columns).toEqual(['id', 'contact_id', 'stage', 'value', 'detail', 'occurred_at', 'recorded_at', 'recorded_by', 'idempotency_key', 'corrected']);
    expect(view.rows.map((r) => (r as { id: number; value: unknown; corrected: number }) && [(r as { id: number }).id, (r as { value: unknown }).value, (r as { corrected: number }).corrected])).toEqual([
      [1, 5, 1],
      [3, null, 1],
      [4, null, 0],
      [5, 2.5, 0],
    ]);
  });

  it('have the same triggers and views (PostgreSQL also refuses TRUNCATE of the audit tables)', async () => {
    const a = await openDatabase(':memory:');
    const b = await openTestDatabase();
    try {
      const sqliteTriggers = (await a.all<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'trigger' ORDER BY name")).map((r) => r.name);
      const postgresTriggers = (await b.all<{ name: string }>('SELECT DISTINCT trigger_name AS name FROM information_schema.triggers ORDER BY trigger_name')).map((r) => r.name);
      const truncateTriggers = (await b.all<{ name: string }>('SELECT tgname AS name FROM pg_trigger WHERE NOT tgisinternal AND (tgtype & 32) <> 0 ORDER BY tgname')).map((r) => r.name);
      expect(truncateTriggers).toEqual(['audit_log_no_truncate', 'audit_retention_no_truncate']);
      expect([...postgresTriggers, ...truncateTriggers].sort()).toEqual([...sqliteTriggers, ...truncateTriggers].sort());
      const sqliteViews = (await a.all<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'view' ORDER BY name")).map((r) => r.name);
      const postgresViews = (await b.all<{ name: string }>("SELECT table_name AS name FROM information_schema.views WHERE table_schema = 'public' ORDER BY table_name")).map((r) => r.name);
      expect(postgresViews).toEqual(sqliteViews);
      const truncate = await caught(b.run('TRUNCATE audit_log'));
      expect(isTriggerRefusal(truncate)).toBe(true);
    } finally {
      await a.close();
      await b.close();
    }
  });
});
