import { ConfigError, loadConfig } from './config.js';
import { buildApp } from './platform/http/app.js';
import { crontab, taskList } from './platform/jobs/tasks.js';
import { createLogger } from './platform/runtime.js';
import { openAppRuntime } from './app/composition.js';
import { seedDemoTenant } from './app/demo-seed.js';

async function main() {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(78); // EX_CONFIG
    }
    throw error;
  }
  const log = createLogger(config);
  const runtime = await openAppRuntime(config, log);
  if (config.MIGRATE_ON_START) {
    // A control-plane failure throws (the instance does not start); a placement's failure only stops its tenants.
    const report = await runtime.migrate();
    if (report.controlPlane.applied.length > 0) log.info({ applied: report.controlPlane.applied }, 'control-plane migrations applied');
    for (const p of report.placements) {
      if (p.status === 'failed') {
        log.error({ placement: p.id, cluster: p.cluster, database: p.database, error: p.error },
          `placement migration failed; its tenants get 503 maintenance until \`studiohive migrate --placement ${p.id}\` succeeds`);
      } else if (p.applied.length > 0) log.info({ placement: p.id, applied: p.applied }, 'placement migrations applied');
    }
  } else {
    const pending = await runtime.pendingControlPlaneMigrations();
    if (pending.length > 0) {
      console.error(
        `The control-plane database is not migrated far enough for this version (${pending.length} pending: ${pending.join(', ')}). ` +
          'Run `studiohive migrate` (the release step) first, or start with MIGRATE_ON_START=true.',
      );
      await runtime.close();
      process.exit(1);
    }
  }
  const demo = config.SEED_DEMO && runtime.embedded ? await seedDemoTenant(runtime) : null;
  const app = await buildApp(runtime);
  if (config.RUN_WORKER) {
    await runtime.jobs.start(taskList(runtime), { crontab: crontab(runtime) });
    // Messages left by a worker that died, or queued while none ran, go now rather than at the next sweep.
    if (runtime.messaging.canDeliver) await runtime.jobs.add('messages_sweep', {}, { jobKey: 'messages_sweep' });
  }
  await app.listen({ port: config.PORT, host: config.HOST });

  const port = (app.server.address() as { port: number }).port;
  const lines = [
    '',
    `Studiohive is running on port ${port}${runtime.embedded ? ` (embedded PostgreSQL, data in ${config.DATA_DIR}/)` : ''}`,
    `  Health:       http://localhost:${port}/healthz`,
    `  API document: http://localhost:${port}/openapi.json`,
  ];
  if (!runtime.messaging.senders.mail) lines.push('  Mail:         SMTP_URL is not set, so mail stays in the outbox (staff can see it)');
  if (!runtime.messaging.push) lines.push('  Web Push:     off (set VAPID_PUBLIC_KEY and VAPID_PRIVATE_KEY, see docs/push.md)');
  const metricsPort = app.observability.metricsAddress()?.port;
  lines.push(
    metricsPort !== undefined
      ? `  Metrics:      http://localhost:${metricsPort}/metrics`
      : `  Metrics:      http://localhost:${port}/metrics (Authorization: Bearer <METRICS_TOKEN or the platform admin token>)`,
  );
  if (demo) {
    lines.push(
      `  Demo studio:  ${demo.url}`,
      `  Demo login:   ${demo.email} / ${demo.password}`,
      `  Try:          curl -s ${demo.url}/api/auth/login -H 'content-type: application/json' -d '{"email":"${demo.email}","password":"${demo.password}"}'`,
    );
  }
  if (runtime.embedded && runtime.platformAdminToken && !config.PLATFORM_ADMIN_TOKEN) {
    lines.push(`  Platform admin token (kept in ${config.DATA_DIR}/secrets.json): ${runtime.platformAdminToken}`);
  }
  console.log(lines.join('\n') + '\n');

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'draining');
    const force = setTimeout(() => {
      log.error('drain took too long; exiting');
      process.exit(1);
    }, config.SHUTDOWN_GRACE_MS);
    force.unref();
    await app.close(); // stops accepting, answers 503 to new requests, waits for in-flight ones
    await runtime.close();
    log.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
