import type { AddressInfo } from 'node:net';
import type pg from 'pg';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';
import { afterAll, beforeAll } from 'vitest';
import { startTestPlatform, type TestPlatform } from './platform.js';

/** How the server answers the next connection or message: as a working server, or as one of a provider's failures. */
export type SmtpBehaviour = 'accept' | 'busy-421' | 'reject-data-554' | 'reject-recipient-550' | 'silent';

export interface TestSmtpServer {
  url: string;
  /** Every message the server accepted, parsed, in arrival order; `raw` is the message as it came (for DKIM). */
  received: (ParsedMail & { raw: Buffer })[];
  /** Sets how the server behaves from now on (a mutable knob, so a test can play an outage step by step). */
  behave(behaviour: SmtpBehaviour): void;
  /** Holds each accepted message this long before answering, so a test can kill a sender mid-batch. */
  delayMs: number;
  close(): Promise<void>;
}

const smtpError = (message: string, responseCode: number) => Object.assign(new Error(message), { responseCode });

/** A real SMTP server (nodemailer's smtp-server) on a free local port, without TLS or authentication. */
export async function startSmtpServer(): Promise<TestSmtpServer> {
  let behaviour: SmtpBehaviour = 'accept';
  const received: (ParsedMail & { raw: Buffer })[] = [];
  const state = { delayMs: 0 };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onConnect(_session: SMTPServerSession, callback: (error?: Error) => void) {
      if (behaviour === 'busy-421') return callback(smtpError('Service busy, try again later', 421));
      // 'silent': never greets, as a provider that hangs; the sender's greeting timeout must end it.
      if (behaviour === 'silent') return;
      callback();
    },
    // A pooled sender keeps its connection open, so a failure is also played at the start of each message.
    onMailFrom(_address, _session, callback) {
      if (behaviour === 'busy-421') return callback(smtpError('Service busy, try again later', 421));
      if (behaviour === 'silent') return;
      callback();
    },
    onRcptTo(_address, _session, callback) {
      if (behaviour === 'reject-recipient-550') return callback(smtpError('No such mailbox', 550));
      callback();
    },
    onData(stream: SMTPServerDataStream, _session: SMTPServerSession, callback: (error?: Error | null) => void) {
      const reject = behaviour === 'reject-data-554';
      stream
        .toArray()
        .then(async (chunks: Buffer[]) => {
          const raw = Buffer.concat(chunks);
          const mail = await simpleParser(raw);
          if (reject) return callback(smtpError('Transaction failed', 554));
          if (state.delayMs > 0) await new Promise((r) => setTimeout(r, state.delayMs));
          received.push(Object.assign(mail, { raw }));
          callback();
        })
        .catch((error: Error) => callback(error));
    },
  });
  // A sender killed mid-conversation (the crash tests do that) resets its connections; smtp-server reports each
  // reset as an 'error' event, which would otherwise be thrown in the test process. A reset is no failure here.
  server.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'ECONNRESET' && error.code !== 'EPIPE') throw error;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  return {
    url: `smtp://127.0.0.1:${port}`,
    received,
    behave: (b) => (behaviour = b),
    get delayMs() {
      return state.delayMs;
    },
    set delayMs(ms: number) {
      state.delayMs = ms;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export interface MailPlatform {
  smtp: TestSmtpServer;
  platform: TestPlatform;
  /** A superuser connection, for what was queued whatever the tenant. */
  admin: pg.Client;
}

/**
 * A file's platform, sending mail to a real SMTP server started for it: started before the file's tests (and before
 * its own beforeAll, when declared above it) and closed after them, its clock back on real time. The fields are
 * filled in by the time a test runs.
 */
export function mailPlatformSuite(env: Record<string, string> = {}): MailPlatform {
  const suite = {} as MailPlatform;
  beforeAll(async () => {
    suite.smtp = await startSmtpServer();
    suite.platform = await startTestPlatform({ SMTP_URL: suite.smtp.url, MAIL_FROM: 'no-reply@mail.studiohive.test', ...env });
    suite.admin = await suite.platform.admin();
  });
  afterAll(async () => {
    suite.platform?.runtime.clock.set(null);
    await suite.platform?.close();
    await suite.smtp?.close();
  });
  return suite;
}
