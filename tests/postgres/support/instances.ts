import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(new URL('../../..', import.meta.url)));
const script = join(root, 'scripts/throwaway-postgres.sh');

/** A free loopback port. */
export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });
}

export interface Cluster {
  url: string;
  /** Stops the server at once (no checkpoint, as a crash would) and starts it again after `downMs`. */
  crashAndRestart(downMs: number): Promise<void>;
  stop(): void;
}

/**
 * A PostgreSQL server of this test's own (scripts/throwaway-postgres.sh), so that
 * restarting it disturbs no other test.
 */
export async function startCluster(): Promise<Cluster> {
  const dir = mkdtempSync(join(tmpdir(), 'eiu-pg-instances-'));
  const port = await freePort();
  const run = (...args: string[]) => {
    const result = spawnSync('bash', [script, ...args], { encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`throwaway-postgres ${args[0]} failed: ${result.stderr}`);
    return result.stdout.trim();
  };
  const url = run('start', dir, String(port));
  const pgCtl = (...args: string[]) => {
    const bin = spawnSync('bash', ['-c', 'ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1'], { encoding: 'utf8' }).stdout.trim();
    const command = process.getuid?.() === 0 ? ['runuser', '-u', 'postgres', '--', `${bin}/pg_ctl`, ...args] : [`${bin}/pg_ctl`, ...args];
    const result = spawnSync(command[0], command.slice(1), { encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`pg_ctl ${args.join(' ')} failed: ${result.stderr}`);
  };
  return {
    url,
    async crashAndRestart(downMs) {
      pgCtl('-D', join(dir, 'data'), '-m', 'immediate', '-w', 'stop');
      await new Promise((r) => setTimeout(r, downMs));
      pgCtl('-D', join(dir, 'data'), '-l', join(dir, 'server.log'), '-w', '-t', '60', 'start');
    },
    stop() {
      run('stop', dir);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface Instance {
  baseUrl: string;
  process: ChildProcess;
  output: () => string;
  /** SIGKILL: no shutdown handler runs. */
  kill9(): Promise<void>;
  stop(): Promise<void>;
}

/** `npm start`'s server (server/main.ts) as a separate process on `databaseUrl`. */
export async function startInstance(databaseUrl: string): Promise<Instance> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'server/main.ts')], {
    cwd: root,
    env: { ...process.env, EIU_DB: databaseUrl, PORT: String(port), EIU_DEMO: 'false', EIU_SECRET: 'multi-instance-test-secret-0123456789' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const baseUrl = `http://127.0.0.1:${port}`;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`The server exited at start-up: ${output}`);
    try {
      if ((await fetch(`${baseUrl}/health`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`The server did not start: ${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    baseUrl,
    process: child,
    output: () => output,
    async kill9() {
      child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
    },
  };
}

/** One JSON request; a refused connection or reset is `status: 0`. */
export async function call(baseUrl: string, token: string, method: string, path: string, body?: unknown) {
  try {
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    let json: unknown = undefined;
    try {
      json = JSON.parse(text);
    } catch {
      json = text;
    }
    return { status: response.status, body: json as Record<string, unknown>, retryAfter: response.headers.get('retry-after') };
  } catch {
    return { status: 0, body: {} as Record<string, unknown>, retryAfter: null };
  }
}
