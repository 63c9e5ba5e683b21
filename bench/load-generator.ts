import { Agent, request } from 'node:http';

/**
 * The HTTP load generator, run in its own process (bench/core.ts forks it) so
 * it never shares the server's event loop. It receives one job at a time over
 * IPC, sends the requests with keep-alive connections and a fixed number in
 * flight, and replies with the count, time and status codes.
 */
export interface LoadJob {
  baseUrl: string;
  path: string;
  headers: Record<string, string>;
  /** One request per body, in order. */
  bodies: string[];
  concurrency: number;
}

export interface LoadResult {
  requests: number;
  seconds: number;
  statuses: Record<string, number>;
  errors: number;
  /** Milliseconds: median and 95th percentile of request latency. */
  p50: number;
  p95: number;
}

async function runJob(job: LoadJob): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: job.concurrency });
  const url = new URL(job.path, job.baseUrl);
  const statuses: Record<string, number> = {};
  const latencies: number[] = [];
  let errors = 0;
  let next = 0;

  const send = (body: string) =>
    new Promise<void>((done) => {
      const started = performance.now();
      const req = request(
        url,
        { method: 'POST', agent, headers: { ...job.headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
        (res) => {
          res.on('data', () => {});
          res.on('end', () => {
            statuses[res.statusCode ?? 0] = (statuses[res.statusCode ?? 0] ?? 0) + 1;
            latencies.push(performance.now() - started);
            done();
          });
        },
      );
      req.on('error', () => {
        errors++;
        done();
      });
      req.end(body);
    });

  const worker = async () => {
    while (next < job.bodies.length) await send(job.bodies[next++]);
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: job.concurrency }, worker));
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return { requests: job.bodies.length, seconds, statuses, errors, p50: at(0.5), p95: at(0.95) };
}

process.on('message', (job: LoadJob | 'exit') => {
  if (job === 'exit') process.exit(0);
  void runJob(job).then((result) => process.send!(result));
});
process.send?.('ready');
