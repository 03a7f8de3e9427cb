import { Writable } from 'node:stream';
import { sql } from 'kysely';
import { AppError } from '../errors.js';
import { text } from '../i18n.js';
import type { Runtime } from '../runtime.js';
import type { TenantContext } from './context.js';
import { writeTenantArchive } from './archive.js';

/** An archive reads every row of the studio: one per this long, so a button held down cannot load its database. */
export const ARCHIVE_DOWNLOAD_INTERVAL_MS = 10 * 60_000;

/** The owner's download of the studio's archive, from Settings. */
export function archiveDownloads(runtime: Runtime) {
  const route = '/api/settings/archive';
  return {
    route,

    /**
     * The archive, unless one was made within the interval. The request's transaction holds the studio's archive
     * lock while the archive is made (in a snapshot of its own), and its audit row commits with it: a second
     * request, on any instance, waits for the first and then finds its row, so two are never made at once. A
     * download that fails leaves no row, and may be tried again at once.
     */
    async download(ctx: TenantContext): Promise<Buffer> {
      await sql`select pg_advisory_xact_lock(hashtextextended(${`archive:${ctx.tenant.id}`}, 0))`.execute(ctx.db);
      const last = await ctx.db
        .selectFrom('app.audit_log').select('at')
        .where('route', '=', route).where('outcome', '=', 'done')
        .orderBy('at', 'desc').limit(1).executeTakeFirst();
      const wait = last ? last.at.getTime() + ARCHIVE_DOWNLOAD_INTERVAL_MS - ctx.now.getTime() : 0;
      if (wait > 0) {
        const minutes = Math.ceil(wait / 60_000);
        throw new AppError('rate_limited', text('platform.archive.too_soon', { minutes }), { retryAfterSeconds: Math.ceil(wait / 1000) });
      }
      const chunks: Buffer[] = [];
      const sink = new Writable({
        write(chunk: Buffer, _encoding, done) {
          chunks.push(chunk);
          done();
        },
      });
      await writeTenantArchive(runtime, ctx.tenant, sink, { locale: ctx.request.locale });
      return Buffer.concat(chunks);
    },
  };
}
