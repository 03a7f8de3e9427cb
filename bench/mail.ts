/**
 * Mail delivery (section 9): the outbox of many studios sent to a local SMTP server by the platform's own worker
 * (graphile-worker jobs, `messages_deliver` per studio), against a baseline of nodemailer sending straight to the same
 * server with the same pool of connections and no database; then one studio's password reset queued while another
 * studio's campaign is being sent, timed from its commit to its arrival.
 */
import os from 'node:os';
import nodemailer from 'nodemailer';
import { SMTPServer } from 'smtp-server';
import type { AddressInfo } from 'node:net';
import { inTenantTransaction } from '../src/platform/db/databases.js';
import { crontab, taskList } from '../src/platform/jobs/tasks.js';
import { queueMail } from '../src/platform/messaging/outbox.js';
import { createLogger } from '../src/platform/runtime.js';
import { openAppRuntime } from '../src/app/composition.js';
import { startBenchCluster, withAdmin } from './cluster.js';
import { runtimeConfig, type DensitySettings } from './density.js';
import { fmt, log, mapConcurrent, sleep, table, sectionRun, unmeasuredSection } from './lib.js';

export interface MailBenchSettings {
  tenants: number;
  perTenant: number;
  /** The other studio's campaign, during which the password reset is queued. */
  campaign: number;
  /** Messages the baseline sends. */
  baseline: number;
}

export type MailOutcome =
  | { skipped: string }
  | {
      settings: MailBenchSettings;
      batch: number;
      jobConcurrency: number;
      baseline: { messages: number; seconds: number; perSecond: number };
      spread: { messages: number; tenants: number; seconds: number; perSecond: number };
      campaign: { messages: number; seconds: number; perSecond: number; resetAfterMs: number; campaignSentBeforeReset: number };
      loadAverage: { start: number[]; end: number[] };
      date: string;
      seconds: number;
    };

/** An SMTP server that takes every message and throws it away, counting it, and noting when a watched address arrives. */
async function sink() {
  const state = { count: 0, watched: new Map<string, number>() };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, callback) {
      stream.on('data', () => undefined);
      stream.on('end', () => {
        state.count += 1;
        for (const rcpt of session.envelope.rcptTo) if (rcpt.address.startsWith('watch-')) state.watched.set(rcpt.address, performance.now());
        callback();
      });
    },
  });
  server.on('error', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  return { url: `smtp://127.0.0.1:${port}`, state, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

async function until(check: () => boolean, timeoutMs: number, what: string) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`mail bench: timed out waiting for ${what}`);
    await sleep(20);
  }
}

const mailRows = (n: number, priority: number) =>
  `select 'member' || n || '@example.test', 'bench', 'Lesson ' || n, 'Your lesson ' || n || ' was moved to 10:00. See you there.', ${priority}
     from generate_series(1, ${n}) n`;

export async function runMailBench(port: number, s: MailBenchSettings, density: DensitySettings): Promise<MailOutcome> {
  const t0 = performance.now();
  const cluster = await startBenchCluster('mail', port, density.pgPassword);
  const smtp = await sink();
  try {
    // The baseline: nodemailer straight to the sink, the same pool of 5 connections the platform opens.
    const direct = nodemailer.createTransport({ url: smtp.url, pool: true, maxConnections: 5 });
    const b0 = performance.now();
    await mapConcurrent(
      Array.from({ length: s.baseline }, (_, i) => i),
      50,
      (i) => direct.sendMail({ from: 'no-reply@bench.test', to: `member${i}@example.test`, subject: `Lesson ${i}`, text: 'Your lesson was moved to 10:00. See you there.' }),
    );
    const baselineSeconds = (performance.now() - b0) / 1000;
    direct.close();
    log(`mail: baseline, ${s.baseline} messages straight to SMTP in ${fmt(baselineSeconds, 1)} s`);

    const config = { ...runtimeConfig(cluster.adminUrl, density), SMTP_URL: smtp.url, MAIL_FROM: 'no-reply@bench.test' };
    const runtime = await openAppRuntime(config, createLogger({ LOG_LEVEL: 'warn' }));
    try {
      await runtime.migrate();
      await withAdmin(cluster.adminUrl, (c) => c.query(`update platform.placements set tenant_capacity = greatest(tenant_capacity, $1) where id = 'pool-main'`, [s.tenants + 1]));
      const ids = await mapConcurrent(
        Array.from({ length: s.tenants + 1 }, (_, i) => i + 1),
        4,
        async (i) => (await runtime.tenants.create({ slug: `mail-${String(i).padStart(5, '0')}`, displayName: `Mail Studio ${i}`, tier: 'pool', plan: 'starter', owner: { email: `owner${i}@example.test`, displayName: 'Owner' } })).tenant.id,
      );
      const [campaigner, ...spread] = ids as [string, ...string[]];
      log(`mail: ${ids.length} studios created`);
      // Their invitations go too, but are not part of what is measured.
      await withAdmin(cluster.adminUrl, async (c) => {
        await c.query('delete from app.outbox');
        await c.query(
          `insert into app.outbox (tenant_id, to_address, template, subject, body, priority)
           select t, x.* from unnest($1::uuid[]) t cross join lateral (${mailRows(s.perTenant, 0)}) x`,
          [spread],
        );
      });
      const loadStart = os.loadavg();
      await runtime.jobs.start(taskList(runtime), { crontab: crontab(runtime) });
      const spreadTotal = s.perTenant * spread.length;
      const s0 = performance.now();
      await runtime.jobs.add('messages_sweep', {}, { jobKey: 'messages_sweep' });
      await until(() => smtp.state.count >= s.baseline + spreadTotal, 3_600_000, 'the spread outbox');
      const spreadSeconds = (performance.now() - s0) / 1000;
      log(`mail: ${spreadTotal} messages of ${spread.length} studios in ${fmt(spreadSeconds, 1)} s`);

      // One studio's campaign (bulk), and, once it is well under way, another studio's password reset.
      const before = smtp.state.count;
      await withAdmin(cluster.adminUrl, (c) =>
        c.query(`insert into app.outbox (tenant_id, to_address, template, subject, body, priority) select $1, x.* from (${mailRows(s.campaign, 1)}) x`, [campaigner]),
      );
      const c0 = performance.now();
      await runtime.jobs.add('messages_deliver', { tenantId: campaigner }, { jobKey: `messages:${campaigner}` });
      await until(() => smtp.state.count - before >= Math.min(2_000, s.campaign / 10), 600_000, 'the campaign to be under way');
      const resetStudio = spread[0]!;
      const tenant = (await runtime.directory.byId(resetStudio))!;
      const db = await runtime.directory.dbFor(tenant);
      await inTenantTransaction(db, resetStudio, (trx) =>
        queueMail(trx, [{ to_address: 'watch-reset@example.test', template: 'password_reset', subject: 'Reset your password', body: 'https://example.test/reset-password?token=x' }]),
      );
      const committed = performance.now();
      const campaignSentBeforeReset = smtp.state.count - before;
      await until(() => smtp.state.watched.has('watch-reset@example.test'), 600_000, 'the password reset');
      const resetAfterMs = smtp.state.watched.get('watch-reset@example.test')! - committed;
      log(`mail: the password reset arrived ${fmt(resetAfterMs, 0)} ms after its commit, ${campaignSentBeforeReset} campaign mails in`);
      await until(() => smtp.state.count - before >= s.campaign + 1, 3_600_000, 'the campaign');
      const campaignSeconds = (performance.now() - c0) / 1000;
      log(`mail: the campaign of ${s.campaign} in ${fmt(campaignSeconds, 1)} s`);
      return {
        settings: s,
        batch: config.MAIL_BATCH,
        jobConcurrency: 2,
        baseline: { messages: s.baseline, seconds: baselineSeconds, perSecond: s.baseline / baselineSeconds },
        spread: { messages: spreadTotal, tenants: spread.length, seconds: spreadSeconds, perSecond: spreadTotal / spreadSeconds },
        campaign: { messages: s.campaign, seconds: campaignSeconds, perSecond: s.campaign / campaignSeconds, resetAfterMs, campaignSentBeforeReset },
        ...sectionRun(t0, loadStart),
      };
    } finally {
      await runtime.close();
    }
  } finally {
    await smtp.close();
    await cluster.stop();
  }
}

const n0 = (v: number) => fmt(v, 0);

export function mailHeadline(r: MailOutcome | undefined): string[] {
  if (!r || 'skipped' in r) return [];
  return [
    `- Mail delivery: **${n0(r.spread.perSecond)} messages/s** from ${n0(r.spread.tenants)} studios' outboxes to a local SMTP server (${fmt(r.spread.perSecond / r.baseline.perSecond, 2)}× nodemailer sending straight to it with no database); another studio's password reset arrived **${n0(r.campaign.resetAfterMs)} ms** after its commit, in the middle of a ${n0(r.campaign.messages)}-message campaign.`,
  ];
}

export function renderMailSection(r: MailOutcome | undefined, n: number): string {
  const heading = `## ${n}. Mail delivery`;
  if (!r || 'skipped' in r) return unmeasuredSection(heading, r);
  const s = r.settings;
  const out: string[] = [heading];
  out.push(`### Method

- **SMTP server.** nodemailer's \`smtp-server\` in the bench process on loopback, without TLS, taking every message and throwing it away (it counts them, and notes when a watched address arrives).
- **Baseline.** nodemailer sending ${n0(s.baseline)} messages straight to that server over a pool of 5 connections (what the platform's transport opens), 50 in flight, with no database: the ceiling of this sender and server on this machine.
- **Platform.** A bench cluster of its own (\`mail\`), ${n0(s.tenants + 1)} studios in its pool cell (\`runtime.tenants.create\`). ${n0(s.perTenant)} transactional mails queued in each of ${n0(s.tenants)} studios' outboxes (${n0(s.perTenant * s.tenants)} in all, inserted in bulk as the superuser, for the queueing is not what is measured), then the platform's own worker started in the bench process (graphile-worker, the default ${r.jobConcurrency} jobs at a time, \`MAIL_BATCH=${r.batch}\`) and a \`messages_sweep\` queued, as a worker does at start: one \`messages_deliver\` job per studio, each sending a batch, recording it, and queueing itself again. Timed until the server has every message.
- **A reset during a campaign.** ${n0(s.campaign)} bulk mails queued for one more studio and its job kicked; once ${n0(Math.min(2000, s.campaign / 10))} of them had arrived, a password reset queued for another studio the way the request path queues it (\`queueMail\` in a tenant transaction, whose commit kicks that studio's job), timed from the commit until the server had it.
- The bench process (worker and SMTP server), PostgreSQL and whatever else runs on the machine share its 2 cores; the load average is given below.`);
  out.push('### Results');
  out.push(
    table(
      ['Run', 'Messages', 'Time', 'Messages/s', 'vs baseline'],
      [
        ['nodemailer straight to SMTP (baseline)', n0(r.baseline.messages), `${fmt(r.baseline.seconds, 1)} s`, `**${n0(r.baseline.perSecond)}**`, '1.00×'],
        [`Platform, ${n0(r.spread.tenants)} studios' outboxes`, n0(r.spread.messages), `${fmt(r.spread.seconds, 1)} s`, `**${n0(r.spread.perSecond)}**`, `${fmt(r.spread.perSecond / r.baseline.perSecond, 2)}×`],
        ['Platform, one studio\'s campaign (with the reset)', n0(r.campaign.messages), `${fmt(r.campaign.seconds, 1)} s`, `**${n0(r.campaign.perSecond)}**`, `${fmt(r.campaign.perSecond / r.baseline.perSecond, 2)}×`],
      ],
    ),
  );
  out.push(
    `The password reset of another studio arrived **${n0(r.campaign.resetAfterMs)} ms** after its commit (the aim: under 5 s), when ${n0(r.campaign.campaignSentBeforeReset)} of the campaign's ${n0(r.campaign.messages)} mails had gone: its studio's job, kicked at the commit, waited behind at most the campaign's current batch, because the campaign's job queues itself again at the back of the queue after every ${r.batch} mails. ` +
      `Each platform batch also claims its mails and records their outcome in two transactions, which is the price of sending each mail once across crashes; it is what separates the platform's rate from the baseline's. ` +
      `One studio's campaign goes one job at a time (a studio has one queued job, under its key), so it gets about half the rate of many studios' outboxes, which keep both of the worker's job slots busy: the same key that keeps a campaign from taking both slots is why the reset did not wait. Load average (1 min) ${fmt(r.loadAverage.start[0]!, 2)} at the start of the platform's runs, ${fmt(r.loadAverage.end[0]!, 2)} at the end.`,
  );
  out.push(`Measured on ${r.date}, ${fmt(r.seconds, 0)} s for the whole section.`);
  return out.join('\n\n');
}
