import { AppError } from '../errors.js';
import { text } from '../i18n.js';

/** How a pool shares its connections among tenants (config ADMISSION_*; docs/operating.md "Fair admission"). */
export interface AdmissionSettings {
  /** The part of a pool cell's connections one tenant may hold at once (a silo's one tenant holds them all). */
  tenantShare: number;
  /** Requests of one tenant waiting at once for a connection of one pool; more are refused at once. */
  queueMax: number;
  /** How long a request waits for its turn before it is refused. */
  waitMs: number;
}

export type AdmissionTier = 'pool' | 'silo';
export type Refusal = 'queue_full' | 'deadline';

/** What a gate reports as it works: the metrics and the per-tenant usage count it (no tenant label on metrics). */
export interface AdmissionObserver {
  waited(tier: AdmissionTier, tenantId: string, ms: number): void;
  refused(tier: AdmissionTier, tenantId: string, why: Refusal): void;
}

interface Waiter {
  since: number;
  grant: (release: () => void) => void;
  refuse: (error: Error) => void;
  timer: NodeJS.Timeout;
}

export interface GateStats {
  tier: AdmissionTier;
  capacity: number;
  perTenant: number;
  inUse: number;
  queued: number;
}

/**
 * Fair admission to one pool's connections (a bulkhead per tenant with fair queues), in front of pg's own pool:
 * - no tenant holds more than `perTenant` of the pool's `capacity` connections at once;
 * - a tenant's excess requests wait in that tenant's own FIFO queue (bounded, with a deadline), so another
 *   tenant's request never waits behind them: it takes a free connection at once, or the next one that frees,
 *   since free connections are handed out round robin over the tenants that wait (one each per turn);
 * - a full queue or a passed deadline is a 503 with Retry-After, never a hang.
 * It is per process: across app instances each gates its own pool, which is its share of the database's
 * connections, so a tenant holds at most `tenantShare` of the connections of every instance (no shared store).
 */
export class FairGate {
  private inUse = 0;
  private readonly held = new Map<string, number>();
  /** Tenants with waiters, in the order they are served; `next` is whose turn it is. */
  private readonly queues = new Map<string, Waiter[]>();
  private ring: string[] = [];
  private next = 0;

  constructor(
    readonly tier: AdmissionTier,
    readonly capacity: number,
    private readonly settings: AdmissionSettings,
    private readonly observing: () => AdmissionObserver | null,
    private readonly clock: () => number = () => performance.now(),
  ) {}

  /** Reports to the observer; a failing observer (metrics) must never lose a waiter or a release. */
  private report(fn: (o: AdmissionObserver) => void): void {
    const observer = this.observing();
    if (!observer) return;
    try {
      fn(observer);
    } catch {
      // metrics only
    }
  }

  /** The pool is closing (an evicted silo pool): its waiters are refused (503, retry) rather than given a dead pool. */
  close(): void {
    for (const [tenantId, queue] of [...this.queues]) {
      for (const waiter of [...queue]) {
        clearTimeout(waiter.timer);
        this.remove(tenantId, waiter);
        waiter.refuse(busy());
      }
    }
  }

  get perTenant(): number {
    return this.tier === 'silo' ? this.capacity : Math.max(1, Math.floor(this.capacity * this.settings.tenantShare));
  }

  stats(): GateStats {
    let queued = 0;
    for (const q of this.queues.values()) queued += q.length;
    return { tier: this.tier, capacity: this.capacity, perTenant: this.perTenant, inUse: this.inUse, queued };
  }

  /** Waits for the tenant's turn; the returned function gives the connection's place back (call it exactly once). */
  acquire(tenantId: string): Promise<() => void> {
    if (!this.queues.has(tenantId) && this.inUse < this.capacity && (this.held.get(tenantId) ?? 0) < this.perTenant) {
      return Promise.resolve(this.take(tenantId));
    }
    const queue = this.queues.get(tenantId) ?? [];
    if (queue.length >= this.settings.queueMax) {
      this.report((o) => o.refused(this.tier, tenantId, 'queue_full'));
      return Promise.reject(busy());
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        since: this.clock(),
        grant: resolve,
        refuse: reject,
        timer: setTimeout(() => {
          this.remove(tenantId, waiter);
          this.report((o) => o.refused(this.tier, tenantId, 'deadline'));
          reject(busy());
        }, this.settings.waitMs),
      };
      queue.push(waiter);
      if (!this.queues.has(tenantId)) {
        this.queues.set(tenantId, queue);
        this.ring.push(tenantId);
      }
    });
  }

  private take(tenantId: string): () => void {
    this.inUse += 1;
    this.held.set(tenantId, (this.held.get(tenantId) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.inUse -= 1;
      const left = this.held.get(tenantId)! - 1;
      if (left === 0) this.held.delete(tenantId);
      else this.held.set(tenantId, left);
      this.dispatch();
    };
  }

  /** Hands free connections to waiting tenants, one per tenant per turn, skipping those at their share. */
  private dispatch(): void {
    while (this.inUse < this.capacity && this.ring.length > 0) {
      let granted = false;
      for (let looked = 0; looked < this.ring.length; looked++) {
        const index = (this.next + looked) % this.ring.length;
        const tenantId = this.ring[index]!;
        if ((this.held.get(tenantId) ?? 0) >= this.perTenant) continue;
        const waiter = this.queues.get(tenantId)!.shift()!;
        clearTimeout(waiter.timer);
        const waitedMs = this.clock() - waiter.since;
        this.report((o) => o.waited(this.tier, tenantId, waitedMs));
        if (this.queues.get(tenantId)!.length === 0) {
          this.dropFromRing(tenantId);
          this.next = index % Math.max(1, this.ring.length);
        } else {
          this.next = (index + 1) % this.ring.length;
        }
        waiter.grant(this.take(tenantId));
        granted = true;
        break;
      }
      if (!granted) return;
    }
  }

  private remove(tenantId: string, waiter: Waiter): void {
    const queue = this.queues.get(tenantId);
    if (!queue) return;
    const at = queue.indexOf(waiter);
    if (at >= 0) queue.splice(at, 1);
    if (queue.length === 0) {
      const index = this.ring.indexOf(tenantId);
      this.dropFromRing(tenantId);
      if (index >= 0 && index < this.next) this.next -= 1;
      if (this.next >= this.ring.length) this.next = 0;
    }
  }

  private dropFromRing(tenantId: string): void {
    this.queues.delete(tenantId);
    this.ring = this.ring.filter((t) => t !== tenantId);
  }
}

const busy = () => new AppError('unavailable', text('problems.studio_busy'), { retryAfterSeconds: 1, reason: 'busy' });
