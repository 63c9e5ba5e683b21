import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isTriggerRefusal, isUniqueViolation, openDatabase, type Db } from './database.ts';

/** A promise to hold a transaction open, and the function that lets it go on. */
function gate() {
  let open!: () => void;
  const shut = new Promise<void>((resolve) => (open = resolve));
  return { shut, open };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 10));

let db: Db;
beforeEach(async () => {
  db = await openDatabase(':memory:');
});
afterEach(async () => {
  await db.close();
});

const addLease = (job: string) => db.run("INSERT INTO job_leases (job, holder, expires_at) VALUES (?, 'test', '2030-01-01T00:00:00.000Z')", [job]);
const leases = async () => (await db.all<{ job: string }>('SELECT job FROM job_leases ORDER BY job')).map((r) => r.job);

describe('the SQLite database', () => {
  it('migrates a new database and reads rows back as plain values', async () => {
    expect(db.dialect).toBe('sqlite');
    expect(await db.get('SELECT COUNT(*) AS n, ? AS flag FROM audit_retention', [true])).toEqual({ n: 1, flag: 1 });
  });

  it('commits the work of a transaction', async () => {
    const result = await db.withTransaction(async () => {
      await addLease('a');
      await addLease('b');
      return 'done';
    });
    expect(result).toBe('done');
    expect(await leases()).toEqual(['a', 'b']);
  });

  it('rolls the whole transaction back when its work fails, and passes the error on', async () => {
    await addLease('before');
    const failure = new Error('stop');
    await expect(
      db.withTransaction(async () => {
        await addLease('inside');
        expect(await leases()).toEqual(['before', 'inside']);
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect(await leases()).toEqual(['before']);
    // The connection is usable again.
    await db.withTransaction(() => addLease('after'));
    expect(await leases()).toEqual(['after', 'before']);
  });

  it('makes a query from another async flow wait for the open transaction, and does not roll it back with it', async () => {
    const hold = gate();
    const events: string[] = [];
    const transaction = db.withTransaction(async () => {
      await addLease('inside');
      events.push('transaction wrote');
      await hold.shut;
      events.push('transaction failing');
      throw new Error('roll back');
    });
    await tick();
    const outside = addLease('outside').then(() => events.push('outside wrote'));
    const reader = leases().then((jobs) => events.push(`outside read ${jobs.join(',')}`));
    await tick();
    expect(events).toEqual(['transaction wrote']);
    hold.open();
    await expect(transaction).rejects.toThrow('roll back');
    await Promise.all([outside, reader]);
    expect(events).toEqual(['transaction wrote', 'transaction failing', 'outside wrote', 'outside read outside']);
    expect(await leases()).toEqual(['outside']);
  });

  it('runs a second transaction from another flow after the first, not inside it', async () => {
    const hold = gate();
    const first = db.withTransaction(async () => {
      await addLease('first');
      await hold.shut;
    });
    await tick();
    const second = db.withTransaction(async () => {
      // The first has committed by the time this runs.
      expect(await leases()).toEqual(['first']);
      await addLease('second');
      throw new Error('second fails');
    });
    await tick();
    hold.open();
    await first;
    await expect(second).rejects.toThrow('second fails');
    expect(await leases()).toEqual(['first']);
  });

  it('queues many transactions and queries started at once, each outside query outside every transaction', async () => {
    const flows: Promise<string>[] = [];
    for (let i = 0; i < 10; i++) {
      flows.push(
        db
          .withTransaction(async () => {
            await addLease(`tx${i}`);
            await tick();
            throw new Error('rolled back');
          })
          .catch((error: Error) => error.message),
      );
      flows.push(addLease(`out${i}`).then(() => 'written'));
    }
    const results = await Promise.all(flows);
    expect(results).toEqual(Array.from({ length: 20 }, (_, i) => (i % 2 ? 'written' : 'rolled back')));
    expect(await leases()).toEqual(Array.from({ length: 10 }, (_, i) => `out${i}`).sort());
  });

  it('joins a nested transaction to the outer one: both land or neither', async () => {
    await expect(
      db.withTransaction(async () => {
        await addLease('outer');
        const inner = await db.withTransaction(async () => {
          await addLease('inner');
          return 'inner result';
        });
        expect(inner).toBe('inner result');
        expect(await leases()).toEqual(['inner', 'outer']);
        throw new Error('outer fails after the inner one finished');
      }),
    ).rejects.toThrow('outer fails');
    expect(await leases()).toEqual([]);

    await db.withTransaction(async () => {
      await addLease('outer');
      await db.withTransaction(() => addLease('inner'));
    });
    expect(await leases()).toEqual(['inner', 'outer']);
  });

  it('undoes only a nested transaction that fails, so the outer one can catch the error and go on', async () => {
    await db.withTransaction(async () => {
      await addLease('outer');
      await expect(
        db.withTransaction(async () => {
          await addLease('inner');
          await addLease('outer'); // the same job again: a unique violation
        }),
      ).rejects.toSatisfy(isUniqueViolation);
      await addLease('after');
    });
    expect(await leases()).toEqual(['after', 'outer']);
  });

  it('tells whoever asked when their transaction rolls back, and nobody when it commits', async () => {
    const heard: string[] = [];
    await db.withTransaction(async () => db.onRollback(() => heard.push('committed one')));
    await expect(
      db.withTransaction(async () => {
        db.onRollback(() => heard.push('rolled back'));
        throw new Error('fails');
      }),
    ).rejects.toThrow('fails');
    db.onRollback(() => heard.push('outside any transaction'));
    expect(heard).toEqual(['rolled back']);
  });

  it('lets only one run of a job at a time, and the next one after it', async () => {
    const hold = gate();
    const first = db.exclusively('freeze', async () => {
      await hold.shut;
      return 'first';
    });
    await tick();
    expect(await db.exclusively('freeze', async () => 'second')).toEqual({ ran: false });
    // Another job is not held up.
    expect(await db.exclusively('purge', async () => 'purge')).toEqual({ ran: true, result: 'purge' });
    hold.open();
    expect(await first).toEqual({ ran: true, result: 'first' });
    expect(await db.exclusively('freeze', async () => 'third')).toEqual({ ran: true, result: 'third' });
  });

  it('frees a job whose run failed', async () => {
    await expect(db.exclusively('freeze', async () => Promise.reject(new Error('failed')))).rejects.toThrow('failed');
    expect(await db.exclusively('freeze', async () => 'again')).toEqual({ ran: true, result: 'again' });
  });

  it('recognises unique violations and trigger refusals', async () => {
    await addLease('a');
    const duplicate = await addLease('a').catch((error: unknown) => error);
    expect(isUniqueViolation(duplicate)).toBe(true);
    expect(isTriggerRefusal(duplicate)).toBe(false);
    const refused = await db.run('DELETE FROM audit_retention').catch((error: unknown) => error);
    expect(isTriggerRefusal(refused)).toBe(true);
    expect(isUniqueViolation(refused)).toBe(false);
    expect((refused as Error).message).toBe('The audit retention setting cannot be removed: set delete_before instead');
  });

  it('waits for an open transaction before closing', async () => {
    const other = await openDatabase(':memory:');
    const hold = gate();
    const transaction = other.withTransaction(async () => {
      await hold.shut;
      await other.run("INSERT INTO job_leases (job, holder, expires_at) VALUES ('x', 'y', 'z')");
    });
    await tick();
    const closed = other.close();
    hold.open();
    await transaction;
    await closed;
  });
});
