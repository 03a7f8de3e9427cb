import { randomBytes } from 'node:crypto';
import { generateSecret, generateURI, verify } from 'otplib';
import QRCode from 'qrcode';
import { AppError } from '../errors.js';
import { text } from '../i18n.js';
import type { Tx } from '../db/databases.js';
import type { Principal, TenantContext, TenantSession } from '../tenancy/context.js';
import type { RealmFlows } from './realm.js';
import { hashPassword, newSecret, sha256, verifyPassword } from './secrets.js';
import { challengesRepo, recoveryCodesRepo, staffSecurityRepo, twoFactorRepo } from './two-factor.repo.js';

/** How long the password step's challenge lets the code be typed; enrolment (scanning, typing) takes longer. */
const CODE_CHALLENGE_TTL_MS = 5 * 60_000;
const ENROL_CHALLENGE_TTL_MS = 15 * 60_000;
const RECOVERY_CODES = 10;
/** Authenticator clocks drift: one 30 s step either side is accepted (RFC 6238 §5.2). */
const EPOCH_TOLERANCE_S = 30;
// Without look-alikes (0/o, 1/l/i), so a code read off paper is typed right.
const RECOVERY_ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';

export type SecondStep = { twoFactor: 'code' | 'enrol'; challenge: string; expiresAt: string };

export const isTotpCode = (code: string) => /^\d{6}$/.test(code);
const normaliseRecoveryCode = (code: string) => code.toLowerCase().replace(/[^a-z0-9]/g, '');

function newRecoveryCode(): string {
  const bytes = randomBytes(10);
  const chars = [...bytes].map((b) => RECOVERY_ALPHABET[b % RECOVERY_ALPHABET.length]).join('');
  return `${chars.slice(0, 5)}-${chars.slice(5)}`;
}

/** Ten fresh recovery codes and their argon2id hashes (the codes are shown once, the hashes kept). */
async function newRecoveryCodes() {
  const codes = Array.from({ length: RECOVERY_CODES }, newRecoveryCode);
  return { codes, hashes: await Promise.all(codes.map((c) => hashPassword(normaliseRecoveryCode(c)))) };
}

/** The time step a TOTP code matched (newer than the last one used), or null; `now` is the app's clock. */
async function matchedStep(secret: string, code: string, lastUsedStep: number | null, now: Date): Promise<number | null> {
  if (!isTotpCode(code)) return null;
  const epoch = Math.floor(now.getTime() / 1000);
  const result = await verify({ secret, token: code, epoch, epochTolerance: EPOCH_TOLERANCE_S, ...(lastUsedStep === null ? {} : { afterTimeStep: lastUsedStep }) });
  return result.valid && 'timeStep' in result ? result.timeStep : null;
}

/** The recovery code's row it matches, or null. argon2id is slow on purpose: this runs with no connection held. */
async function matchedRecoveryCode(rows: { id: string; code_hash: string }[], code: string): Promise<string | null> {
  const plain = normaliseRecoveryCode(code);
  if (plain.length !== 10) return null;
  for (const row of rows) if (await verifyPassword(row.code_hash, plain)) return row.id;
  return null;
}

const wrongCode = () => new AppError('unprocessable', text('twofactor.code_wrong'), { reason: 'code_wrong' });

async function setupOf(secret: string, label: string, issuer: string) {
  const uri = generateURI({ issuer, label, secret });
  return { secret, otpauthUri: uri, qrCode: await QRCode.toDataURL(uri, { margin: 1, width: 220 }) };
}

export function staffIdOf(principal: Principal | null | undefined): string {
  if (principal?.kind !== 'staff') throw new AppError('forbidden', text('platform.staff_profile_only'));
  return principal.staffId;
}

/** What a second factor check needs, loaded under the throttle's lock. */
interface Loaded {
  staffId: string;
  secret: string | null;
  lastUsedStep: number | null;
  recovery: { id: string; code_hash: string }[];
}

/**
 * Checks a code (TOTP or, where allowed, a recovery code) throttled like a password, counted per staff member
 * apart from password attempts (so a right password does not reset the count of wrong codes). `settle` runs
 * only after a right code, under the authenticator row's lock, after the code's use has been recorded.
 */
export function createCodeCheck(flows: RealmFlows) {
  return async function checkCode<T>(
    session: TenantSession,
    staffId: string,
    input: { code: string; recovery: boolean; pending?: boolean },
    settle: (db: Tx) => Promise<T>,
  ): Promise<T> {
    let step: number | null = null;
    let recoveryId: string | null = null;
    const result = await flows.attempt(session, 'staff', `2fa:${staffId}`, {
      load: async (db): Promise<Loaded> => {
        const row = await twoFactorRepo.get(db, staffId);
        const usable = row && (input.pending ? !row.enabled_at : row.enabled_at);
        return {
          staffId,
          secret: usable ? row.secret : null,
          lastUsedStep: row?.last_used_step ?? null,
          recovery: usable && input.recovery && !isTotpCode(input.code) ? await recoveryCodesRepo.unused(db, staffId) : [],
        };
      },
      check: async (loaded) => {
        if (!loaded.secret) return false;
        step = await matchedStep(loaded.secret, input.code, loaded.lastUsedStep, session.now);
        if (step === null) recoveryId = await matchedRecoveryCode(loaded.recovery, input.code);
        return step !== null || recoveryId !== null;
      },
      settle: async (db) => {
        const row = await twoFactorRepo.lock(db, staffId);
        if (!row) return null;
        if (step !== null) {
          // Two requests with the same code: the row lock lets the first record its step; the second sees it.
          if (row.last_used_step !== null && step <= row.last_used_step) return null;
          await twoFactorRepo.useStep(db, staffId, step);
        } else if (!recoveryId || !(await recoveryCodesRepo.use(db, recoveryId))) {
          return null;
        }
        return { value: await settle(db) };
      },
    });
    if (!result) throw wrongCode();
    return result.value;
  };
}

export type CodeCheck = ReturnType<typeof createCodeCheck>;

export const twoFactorChallenges = {
  /** After a right password: a challenge instead of a session, when the staff member has (or must set up) TOTP. */
  async secondStep(db: Tx, staffId: string): Promise<SecondStep | null> {
    const enabled = Boolean((await twoFactorRepo.get(db, staffId))?.enabled_at);
    if (!enabled && !(await staffSecurityRepo.requireTwoFactor(db))) return null;
    const purpose = enabled ? 'code' : 'enrol';
    const secret = newSecret('shr');
    const expiresAt = new Date(Date.now() + (enabled ? CODE_CHALLENGE_TTL_MS : ENROL_CHALLENGE_TTL_MS));
    await challengesRepo.insert(db, { staff_id: staffId, token_hash: secret.hash, purpose, expires_at: expiresAt });
    await challengesRepo.pruneOld(db);
    return { twoFactor: purpose, challenge: secret.token, expiresAt: expiresAt.toISOString() };
  },

  async find(db: Tx, challenge: string, purpose: 'code' | 'enrol') {
    const found = await challengesRepo.find(db, sha256(challenge), [purpose]);
    if (!found) throw new AppError('unauthenticated', text('twofactor.challenge_expired'), { reason: 'challenge_expired' });
    return found;
  },

  /** Marks the challenge used; a second use of one challenge (two right codes at once) opens no second session. */
  async use(db: Tx, id: string) {
    if (!(await challengesRepo.use(db, id))) throw new AppError('unauthenticated', text('twofactor.challenge_expired'), { reason: 'challenge_expired' });
  },
};

/** Setting up, confirming, replacing and removing a staff member's own authenticator. */
export function createTwoFactorService(checkCode: CodeCheck) {
  return {
    /** A new pending secret with its QR code; refused while one is enabled. */
    async start(db: Tx, staffId: string, label: string, issuer: string) {
      const row = await twoFactorRepo.startPending(db, staffId, generateSecret());
      if (!row) throw new AppError('conflict', text('twofactor.already_enabled'), { reason: 'already_enabled' });
      return setupOf(row.secret, label, issuer);
    },

    /** Confirms the pending secret with a code from it: enabled from now on, with ten recovery codes shown once. */
    async confirm(session: TenantSession, staffId: string, code: string, then?: (db: Tx) => Promise<void>) {
      const { codes, hashes } = await newRecoveryCodes();
      await checkCode(session, staffId, { code, recovery: false, pending: true }, async (db) => {
        const row = await twoFactorRepo.get(db, staffId);
        if (!row || row.enabled_at) throw new AppError('conflict', text('twofactor.already_enabled'), { reason: 'already_enabled' });
        await twoFactorRepo.enable(db, staffId, row.last_used_step!);
        await recoveryCodesRepo.replace(db, staffId, hashes);
        await then?.(db);
      });
      return { recoveryCodes: codes };
    },

    async status(db: Tx, staffId: string) {
      const row = await twoFactorRepo.get(db, staffId);
      return {
        enabled: Boolean(row?.enabled_at),
        enabledAt: row?.enabled_at?.toISOString() ?? null,
        recoveryCodesLeft: row?.enabled_at ? await recoveryCodesRepo.countUnused(db, staffId) : 0,
        requiredByStudio: await staffSecurityRepo.requireTwoFactor(db),
      };
    },

    /** New recovery codes (the old ones stop working), after a current code. */
    async regenerateRecoveryCodes(session: TenantSession, staffId: string, code: string) {
      const { codes, hashes } = await newRecoveryCodes();
      await checkCode(session, staffId, { code, recovery: false }, (db) => recoveryCodesRepo.replace(db, staffId, hashes));
      return { recoveryCodes: codes };
    },

    /** Turns it off after a current code (or a recovery code); not while the studio requires it. */
    async disable(session: TenantSession, staffId: string, code: string) {
      const refuseIfRequired = async (db: Tx) => {
        if (await staffSecurityRepo.requireTwoFactor(db)) throw new AppError('conflict', text('twofactor.required_by_studio'), { reason: 'required_by_studio' });
      };
      // Said before a code is spent on it; checked again with the code, in case the owner switched it meanwhile.
      await session.transaction(({ db }) => refuseIfRequired(db));
      await checkCode(session, staffId, { code, recovery: true }, async (db) => {
        await refuseIfRequired(db);
        await twoFactorRepo.remove(db, staffId);
      });
    },

    async policy(db: Tx) {
      return { requireStaffTwoFactor: await staffSecurityRepo.requireTwoFactor(db) };
    },

    /**
     * Requiring it ends the sessions of staff without it (no staff session exists without two-factor sign-in
     * there); the owner turning it on must have it on first, so they are not signed out by their own switch.
     */
    async setPolicy(ctx: TenantContext, requireStaffTwoFactor: boolean) {
      if (requireStaffTwoFactor) {
        if (!(await twoFactorRepo.get(ctx.db, staffIdOf(ctx.principal)))?.enabled_at) {
          throw new AppError('conflict', text('twofactor.enable_own_first'), { reason: 'enable_own_first' });
        }
        await staffSecurityRepo.revokeSessionsWithoutTwoFactor(ctx.db);
      }
      await staffSecurityRepo.setRequireTwoFactor(ctx.db, requireStaffTwoFactor);
      return { requireStaffTwoFactor };
    },
  };
}

export type TwoFactorService = ReturnType<typeof createTwoFactorService>;
