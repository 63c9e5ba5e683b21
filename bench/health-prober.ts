import { Agent, request } from 'node:http';

/**
 * Asks GET /health every few milliseconds, one request at a time, from its own
 * process (bench/import-bench.ts forks it), so a stalled server shows as slow
 * answers rather than as a prober that could not send. Started with
 * { url, intervalMs }; on 'stop' it replies with every latency in ms.
 */
interface ProbeJob {
  url: string;
  intervalMs: number;
}

let stopping = false;
const latencies: number[] = [];

function probe(url: URL, agent: Agent): Promise<void> {
  return new Promise((done) => {
    const started = performance.now();
    const req = request(url, { agent }, (res) => {
      res.resume();
      res.on('end', () => {
        latencies.push(performance.now() - started);
        done();
      });
    });
    req.on('error', () => done());
    req.end();
  });
}

async function run(job: ProbeJob) {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const url = new URL(job.url);
  // Bounded: stops by itself after ten minutes even if never told to.
  const deadline = performance.now() + 600_000;
  while (!stopping && performance.now() < deadline) {
    const started = performance.now();
    await probe(url, agent);
    const wait = job.intervalMs - (performance.now() - started);
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  }
  agent.destroy();
  process.send!(latencies);
}

process.on('message', (message: ProbeJob | 'stop') => {
  if (message === 'stop') stopping = true;
  else void run(message);
});
process.send?.('ready');
