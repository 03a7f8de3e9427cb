import { Writable } from 'node:stream';
import { AppError } from '../errors.js';
import { text } from '../i18n.js';
import type { Runtime } from '../runtime.js';
import type { TenantContext, TenantSession } from './context.js';
import { writeTenantArchive } from './archive.js';

/** An archive reads every row of the studio: one per this long, so a button held down cannot load its database. */
export const ARCHIVE_DOWNLOAD_INTERVAL_MS = 10 * 60_000;

/** The owner's download of the studio's archive, from Settings. */
export function archiveDownloads(runtime: Runtime) {
  const route = '/api/settings/archive';
  return {
    route,

    /**
     * Refuses a download within the interval of the last one. The audit log is the record: each download is
     * written there once its archive is made (the route is an audited write), by whichever instance served it.
     */
    async allow(ctx: TenantContext): Promise<null> {
      const last = await ctx.db
        .selectFrom('app.audit_log').select('at')
        .where('route', '=', route).where('outcome', '=', 'done')
        .orderBy('at', 'desc').limit(1).executeTakeFirst();
      const wait = last ? last.at.getTime() + ARCHIVE_DOWNLOAD_INTERVAL_MS - ctx.now.getTime() : 0;
      if (wait > 0) {
        const minutes = Math.ceil(wait / 60_000);
        throw new AppError('rate_limited', text('platform.archive.too_soon', { minutes }), { retryAfterSeconds: Math.ceil(wait / 1000) });
      }
      return null;
    },

    /** The archive as one answer (the documents in the reader's language), read in a snapshot of its own. */
    async build(session: TenantSession): Promise<Buffer> {
      const chunks: Buffer[] = [];
      const sink = new Writable({
        write(chunk: Buffer, _encoding, done) {
          chunks.push(chunk);
          done();
        },
      });
      await writeTenantArchive(runtime, session.tenant, sink, { locale: session.request.locale });
      return Buffer.concat(chunks);
    },
  };
}
