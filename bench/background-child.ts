/**
 * Other tenants' everyday requests at a fixed rate (open loop), in a process of its own: in the process that also
 * sends a rush, the rush's own client work (2,000 requests built, their answers parsed) would hold this load's
 * event loop, and show up as latency of the other tenants' requests that the server never caused.
 *
 *   node --import tsx bench/background-child.ts '{"targets": [LoadTarget…], "ratePerS": 100}'
 *
 * Prints `started` once the first request is out, and, when a line `stop` arrives on stdin, waits for the
 * requests in flight and prints `{samples, firstFailure}` as one JSON line. Each sample's `at` is its send time on
 * the wall clock in ms (`performance.timeOrigin + performance.now()`), which the parent maps onto its own clock.
 */
import http from 'node:http';
import { createInterface } from 'node:readline';
import { sleep } from './lib.js';
import { request, type LoadTarget } from './load.js';

const { targets, ratePerS } = JSON.parse(process.argv[2] ?? '{}') as { targets: LoadTarget[]; ratePerS: number };
const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });
const samples: Array<{ at: number; ms: number; status: number }> = [];
let firstFailure: string | null = null;
let inFlight = 0;
let i = 0;
const interval = 1000 / ratePerS;
const start = performance.now();
let stopped = false;

const tick = () => {
  if (stopped) return;
  // Catch up on the schedule (timers drift under load), so the rate stays what was asked.
  const due = Math.floor((performance.now() - start) / interval);
  while (i <= due) {
    const target = targets[i % targets.length]!;
    i += 1;
    const at = performance.now();
    inFlight += 1;
    request(agent, target).then(
      (res) => {
        inFlight -= 1;
        samples.push({ at: performance.timeOrigin + at, ms: performance.now() - at, status: res.status });
        if (res.status !== 200) firstFailure ??= `${res.status} from ${target.path}: ${res.body.slice(0, 300)}`;
      },
      (error: unknown) => {
        inFlight -= 1;
        samples.push({ at: performance.timeOrigin + at, ms: performance.now() - at, status: 0 });
        firstFailure ??= `${(error as Error).message} (${target.path})`;
      },
    );
  }
  setTimeout(tick, Math.max(1, interval / 2));
};
tick();
process.stdout.write('started\n');

for await (const line of createInterface({ input: process.stdin })) {
  if (line.trim() === 'stop') break;
}
stopped = true;
while (inFlight > 0) await sleep(20);
agent.destroy();
// Exit only once the pipe has taken every byte: exiting straight after a large write would cut it short.
process.stdout.write(`${JSON.stringify({ samples, firstFailure })}\n`, () => process.exit(0));
