/**
 * The steady load of the moves bench (section 13), in a process of its own so that the mover's work in the bench
 * process (the copy streams every row through it) does not delay the load's own event loop, and so its latencies.
 *
 *   node --import tsx bench/moves-load-child.ts <a file of MovesLoadOptions as JSON>
 *
 * Open loop at fixed rates (a request is sent on schedule whether or not the last one was answered, at most
 * maxInFlight of a stream at once): the moving studio's reads and writes, and the neighbours' reads. Every write
 * has an Idempotency-Key of its own and is sent again with the same key after a 503 or a transport error, 1–2 s
 * later, as a member tapping again would. Requests go through bench/load.ts's `request`.
 *
 * stdout, one JSON object a line:
 *   {"k":"q","s":"mr"|"mw"|"n","t":<send, epoch ms>,"ms":<latency>,"st":<status, 0 for a transport error>}  every request
 *   {"k":"w","w":"member"|"booking","t0":…,"t1":…,"tries":n,"st":<last status>,"id":<the new row's id or null>}  every write, once done
 *   {"k":"skip","s":…,"t":…}     a request not sent: its stream had maxInFlight under way
 *   {"k":"fail","s":…,"st":…,"body":…}   the first few answers that were neither 2xx nor 503, for diagnosis
 *   {"k":"paused"} / {"k":"stopped"}
 * stdin, a word a line: `pause` (no new writes; "paused" once every write under way is done), `resume`, `stop`
 * (nothing new; "stopped" once everything under way is done, then the process exits).
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { createInterface } from 'node:readline';
import { request, type LoadTarget } from './load.js';

export interface MovesLoadOptions {
  port: number;
  mover: {
    host: string;
    token: string;
    /** GET paths, one picked at random per read. */
    reads: string[];
    readRate: number;
    writeRate: number;
    /** Bookings to make, in order (every other write), each a new member on a lesson with seats left. */
    bookings: Array<{ lessonId: string; memberId: string }>;
  };
  neighbours: Array<{ host: string; token: string }>;
  neighbourPath: string;
  /** All the neighbours together, in turn. */
  neighbourRate: number;
  retryMs: [number, number];
  giveUpMs: number;
  maxInFlight: number;
}

const opts = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as MovesLoadOptions;
const agent = new http.Agent({ keepAlive: true, maxSockets: opts.maxInFlight * 3 });
const emit = (o: object) => process.stdout.write(`${JSON.stringify(o)}\n`);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

let stopping = false;
let paused = false;
const inFlight = { mr: 0, mw: 0, n: 0 };
let failures = 0;

async function send(stream: keyof typeof inFlight, target: LoadTarget): Promise<{ status: number; body: string }> {
  const t = Date.now();
  const t0 = performance.now();
  let res: { status: number; body: string };
  try {
    res = await request(agent, target);
  } catch (error) {
    res = { status: 0, body: String((error as Error).message) };
  }
  emit({ k: 'q', s: stream, t, ms: Math.round((performance.now() - t0) * 100) / 100, st: res.status });
  if ((res.status < 200 || res.status >= 300) && res.status !== 503 && failures < 10) {
    failures += 1;
    emit({ k: 'fail', s: stream, st: res.status, path: target.path, body: res.body.slice(0, 400) });
  }
  return res;
}

const mover = (path: string, extra: Partial<LoadTarget> = {}): LoadTarget => ({ port: opts.port, host: opts.mover.host, token: opts.mover.token, path, ...extra });

async function read() {
  inFlight.mr += 1;
  try {
    await send('mr', mover(opts.mover.reads[Math.floor(Math.random() * opts.mover.reads.length)]!));
  } finally {
    inFlight.mr -= 1;
  }
}

let neighbourTurn = 0;
async function neighbourRead() {
  const n = opts.neighbours[neighbourTurn++ % opts.neighbours.length]!;
  inFlight.n += 1;
  try {
    await send('n', { port: opts.port, host: n.host, token: n.token, path: opts.neighbourPath });
  } finally {
    inFlight.n -= 1;
  }
}

let writes = 0;
let booked = 0;
async function write() {
  const i = writes++;
  const booking = i % 2 === 0 && booked < opts.mover.bookings.length ? opts.mover.bookings[booked++]! : null;
  const key = randomUUID();
  const target = booking
    ? mover(`/api/lessons/${booking.lessonId}/reservations`, { method: 'POST', body: { memberId: booking.memberId } })
    : mover('/api/members', { method: 'POST', body: { familyName: '移行負荷', givenName: `負荷${i}` } });
  target.headers = { 'idempotency-key': key };
  inFlight.mw += 1;
  const t0 = Date.now();
  let tries = 0;
  let res: { status: number; body: string } = { status: 0, body: '' };
  try {
    for (;;) {
      tries += 1;
      res = await send('mw', target);
      if ((res.status !== 503 && res.status !== 0) || Date.now() - t0 > opts.giveUpMs) break;
      await sleep(opts.retryMs[0] + Math.random() * (opts.retryMs[1] - opts.retryMs[0]));
    }
  } finally {
    inFlight.mw -= 1;
  }
  let id: string | null = null;
  if (res.status >= 200 && res.status < 300) {
    const body = JSON.parse(res.body) as { id?: string; reservation?: { id: string } };
    id = booking ? (body.reservation?.id ?? null) : (body.id ?? null);
  }
  emit({ k: 'w', w: booking ? 'booking' : 'member', t0, t1: Date.now(), tries, st: res.status, id });
}

/** Calls fire `rate` times a second on schedule (catching up after a late timer), until stop. */
function paced(stream: keyof typeof inFlight, rate: number, fire: () => Promise<void>, skipWhen: () => boolean = () => false) {
  if (rate <= 0) return;
  const start = performance.now();
  let i = 0;
  const tick = () => {
    if (stopping) return;
    while (start + (i * 1000) / rate <= performance.now()) {
      i += 1;
      if (skipWhen()) continue;
      if (inFlight[stream] >= opts.maxInFlight) emit({ k: 'skip', s: stream, t: Date.now() });
      else void fire();
    }
    setTimeout(tick, Math.max(0, start + (i * 1000) / rate - performance.now()));
  };
  tick();
}

const idle = async (streams: Array<keyof typeof inFlight>) => {
  while (streams.some((s) => inFlight[s] > 0)) await sleep(10);
};

createInterface({ input: process.stdin }).on('line', (line) => {
  const word = line.trim();
  if (word === 'pause') {
    paused = true;
    void idle(['mw']).then(() => emit({ k: 'paused' }));
  } else if (word === 'resume') paused = false;
  else if (word === 'stop') {
    stopping = true;
    void idle(['mr', 'mw', 'n']).then(() => {
      emit({ k: 'stopped' });
      agent.destroy();
      process.exit(0);
    });
  }
});
// The bench process gone: stop at once.
process.stdin.on('end', () => process.exit(0));

paced('mr', opts.mover.readRate, read);
paced('mw', opts.mover.writeRate, write, () => paused);
paced('n', opts.neighbourRate, neighbourRead);
