import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Logger } from 'pino';
import type { Runtime } from '../runtime.js';
import { createObjectStore, partitionPrefix, type ObjectStore } from './storage.js';
import { VisitorSalts, visitorHash } from './visitor.js';

const gzipAsync = promisify(gzip);

/** A page view as the collect endpoint took it; the address and browser stay in memory only, for the hash. */
export interface PageView {
  at: Date;
  tenantId: string;
  path: string;
  referrer: string | null;
  screen: string | null;
  language: string | null;
  ip: string;
  userAgent: string;
}

/** One line of the stored NDJSON files. */
export interface StoredEvent {
  ts: string;
  tenant_id: string;
  path: string;
  referrer: string | null;
  screen: string | null;
  language: string | null;
  device: 'phone' | 'tablet' | 'desktop' | null;
  visitor: string;
}

export interface CollectorSettings {
  maxEvents: number;
  flushMs: number;
  flushEvents: number;
}

interface BeaconMetrics {
  accepted: Counter;
  dropped: Counter<'reason'>;
  flushed: Counter;
  buffered: Gauge;
}

// One set of series per registry, however many apps a runtime builds (tests build several).
const metricsByRegistry = new WeakMap<Registry, BeaconMetrics>();

function beaconMetrics(registry: Registry): BeaconMetrics {
  let metrics = metricsByRegistry.get(registry);
  if (!metrics) {
    metrics = {
      accepted: new Counter({ name: 'studiohive_beacon_events_accepted_total', help: 'Page views taken into the beacon buffer', registers: [registry] }),
      dropped: new Counter({ name: 'studiohive_beacon_events_dropped_total', help: 'Page views not kept: the buffer was full, or a bot sent them', labelNames: ['reason'], registers: [registry] }),
      flushed: new Counter({ name: 'studiohive_beacon_events_flushed_total', help: 'Page views written to analytics storage', registers: [registry] }),
      buffered: new Gauge({ name: 'studiohive_beacon_buffer_events', help: 'Page views in memory, waiting or being written', registers: [registry] }),
    };
    metricsByRegistry.set(registry, metrics);
  }
  return metrics;
}

function deviceOf(screen: string | null): StoredEvent['device'] {
  const width = screen ? Number(screen.split('x')[0]) : NaN;
  if (!Number.isFinite(width)) return null;
  return width < 768 ? 'phone' : width < 1200 ? 'tablet' : 'desktop';
}

async function eachLimited<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/**
 * Page views in bounded memory, written to object storage in batches: every flushMs, as soon as flushEvents are
 * waiting, and at close. The bound counts the batch being written too, so memory never holds more than
 * maxEvents; past it, new views are dropped and counted. One flush runs at a time; views arriving meanwhile go
 * to the next batch, and the partitions a failed write did not store stay in memory for the next try.
 */
export class BeaconCollector {
  private buffer: PageView[] = [];
  private inFlight = 0;
  private flushing: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private readonly instance = randomBytes(4).toString('hex');
  private sequence = 0;
  private readonly metrics: BeaconMetrics;
  readonly counts = { accepted: 0, droppedFull: 0, droppedBot: 0, flushed: 0 };

  constructor(
    private readonly settings: CollectorSettings,
    private readonly store: ObjectStore,
    private readonly salts: VisitorSalts,
    private readonly log: Logger,
    registry: Registry,
  ) {
    this.metrics = beaconMetrics(registry);
  }

  /** Takes a view if there is room; never waits. */
  accept(view: PageView): boolean {
    if (this.buffer.length + this.inFlight >= this.settings.maxEvents) {
      this.counts.droppedFull++;
      this.metrics.dropped.inc({ reason: 'buffer_full' });
      return false;
    }
    this.buffer.push(view);
    this.counts.accepted++;
    this.metrics.accepted.inc();
    this.metrics.buffered.inc();
    if (this.buffer.length >= this.settings.flushEvents && !this.flushing) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), this.settings.flushMs).unref();
    return true;
  }

  dropBot(): void {
    this.counts.droppedBot++;
    this.metrics.dropped.inc({ reason: 'bot' });
  }

  /** Views in memory (waiting or being written). */
  get size(): number {
    return this.buffer.length + this.inFlight;
  }

  /** The views waiting, for tests. */
  waiting(): readonly PageView[] {
    return this.buffer;
  }

  /** Writes what is waiting now; a flush already running is awaited instead of run twice. */
  flush(): Promise<void> {
    if (this.flushing) return this.flushing;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.buffer.length === 0) return Promise.resolve();
    const batch = this.buffer;
    this.buffer = [];
    this.inFlight = batch.length;
    this.flushing = this.write(batch)
      .then((kept) => {
        // Unwritten partitions go back ahead of the newer views; they were inside the bound all along.
        this.buffer = kept.concat(this.buffer);
        const written = batch.length - kept.length;
        this.counts.flushed += written;
        this.metrics.flushed.inc(written);
        this.metrics.buffered.dec(written);
      })
      .finally(() => {
        this.inFlight = 0;
        this.flushing = null;
        if (this.buffer.length >= this.settings.flushEvents) void this.flush();
        else if (this.buffer.length > 0) this.timer ??= setTimeout(() => void this.flush(), this.settings.flushMs).unref();
      });
    return this.flushing;
  }

  /** At shutdown, after the last request: writes everything left. */
  async close(): Promise<void> {
    await this.flushing;
    await this.flush();
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.buffer.length > 0) this.log.error({ events: this.buffer.length }, 'beacon events could not be written at shutdown');
  }

  /** One file per (day, tenant); returns the views of the partitions that failed. */
  private async write(batch: PageView[]): Promise<PageView[]> {
    const partitions = new Map<string, PageView[]>();
    for (const view of batch) {
      const key = partitionPrefix(view.at.toISOString().slice(0, 10), view.tenantId);
      const list = partitions.get(key);
      if (list) list.push(view);
      else partitions.set(key, [view]);
    }
    const failed: PageView[] = [];
    const stamp = new Date().toISOString().replace(/[-:.]/g, '');
    await eachLimited([...partitions], 16, async ([prefix, views]) => {
      try {
        const day = prefix.slice(3, 13);
        const salt = await this.salts.saltFor(day);
        const lines = views.map((v) => JSON.stringify(this.stored(v, salt))).join('\n') + '\n';
        const name = `${stamp}-${this.instance}-${String(this.sequence++).padStart(6, '0')}.ndjson.gz`;
        await this.store.put(prefix + name, await gzipAsync(lines));
      } catch (error) {
        this.log.warn({ err: error, prefix, events: views.length }, 'beacon batch not written; kept for the next flush');
        failed.push(...views);
      }
    });
    return failed;
  }

  private stored(v: PageView, salt: Buffer): StoredEvent {
    return {
      ts: v.at.toISOString(),
      tenant_id: v.tenantId,
      path: v.path,
      referrer: v.referrer,
      screen: v.screen,
      language: v.language,
      device: deviceOf(v.screen),
      visitor: visitorHash(salt, v.tenantId, v.ip, v.userAgent),
    };
  }
}

const collectors = new WeakMap<Runtime, BeaconCollector>();

/** The runtime's one collector, made on first use. */
export function collectorFor(runtime: Runtime): BeaconCollector {
  let collector = collectors.get(runtime);
  if (!collector) {
    const { config } = runtime;
    collector = new BeaconCollector(
      { maxEvents: config.BEACON_BUFFER_MAX, flushMs: config.BEACON_FLUSH_MS, flushEvents: config.BEACON_FLUSH_EVENTS },
      createObjectStore(config),
      new VisitorSalts(runtime.databases.platform, () => runtime.clock.now()),
      runtime.log.child({ component: 'beacon' }),
      runtime.metrics.registry,
    );
    collectors.set(runtime, collector);
  }
  return collector;
}
