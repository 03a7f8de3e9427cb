import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { uuidBytes, uuidOf } from '../../platform/auth/signing-keys.js';
import { refusal } from '../../platform/errors.js';
import { text } from '../../platform/i18n.js';

/**
 * The member's check-in QR code: `v1.<payload>.<mac>`, both base64url (111 characters, URL-safe, a small QR code).
 * The payload is 48 fixed bytes: tenant id, member id (16 bytes each), issued-at and expiry (Unix seconds, 4 bytes
 * each) and an 8-byte nonce, so two codes made in the same second still differ. The MAC is HMAC-SHA256 over
 * `v1.<payload>` with the studio's own secret (app.signing_keys), so a code verifies only at the studio that made it.
 */
const VERSION = 'v1';
const PAYLOAD_BYTES = 48;
const MAC_BYTES = 32;
export const CHECK_IN_TOKEN_TTL_SECONDS = 30 * 60;
const TOKEN_PATTERN = /^v1\.([A-Za-z0-9_-]{64})\.([A-Za-z0-9_-]{43})$/;

export interface CheckInClaims {
  tenantId: string;
  memberId: string;
  issuedAt: Date;
  expiresAt: Date;
}

const mac = (secret: Buffer, signed: string) => createHmac('sha256', secret).update(signed).digest();

export function signCheckInToken(secret: Buffer, claims: { tenantId: string; memberId: string; now: Date }): { token: string; expiresAt: Date } {
  const issued = Math.floor(claims.now.getTime() / 1000);
  const expires = issued + CHECK_IN_TOKEN_TTL_SECONDS;
  const payload = Buffer.alloc(PAYLOAD_BYTES);
  uuidBytes(claims.tenantId).copy(payload, 0);
  uuidBytes(claims.memberId).copy(payload, 16);
  payload.writeUInt32BE(issued, 32);
  payload.writeUInt32BE(expires, 36);
  randomBytes(8).copy(payload, 40);
  const signed = `${VERSION}.${payload.toString('base64url')}`;
  return { token: `${signed}.${mac(secret, signed).toString('base64url')}`, expiresAt: new Date(expires * 1000) };
}

/**
 * The claims of a code, unverified: only its shape is checked. The caller compares the tenant before looking up
 * a key, so a code from another studio is refused as such rather than as a forgery.
 */
export function readCheckInToken(token: string): CheckInClaims & { signed: string; mac: Buffer } {
  const match = TOKEN_PATTERN.exec(token);
  if (!match) throw refusal('invalid_token', text('checkin.not_a_code'));
  const payload = Buffer.from(match[1]!, 'base64url');
  const tag = Buffer.from(match[2]!, 'base64url');
  // base64url with non-canonical trailing bits decodes to the same bytes; refuse it so one code has one spelling.
  if (payload.length !== PAYLOAD_BYTES || tag.length !== MAC_BYTES || payload.toString('base64url') !== match[1] || tag.toString('base64url') !== match[2]) {
    throw refusal('invalid_token', text('checkin.not_a_code'));
  }
  return {
    tenantId: uuidOf(payload.subarray(0, 16)),
    memberId: uuidOf(payload.subarray(16, 32)),
    issuedAt: new Date(payload.readUInt32BE(32) * 1000),
    expiresAt: new Date(payload.readUInt32BE(36) * 1000),
    signed: `${VERSION}.${match[1]}`,
    mac: tag,
  };
}

/**
 * Verifies a code for the studio serving the request: the studio first (a clear answer for a code shown at the
 * wrong studio), then the MAC (constant time), then the expiry. `secretFor` is asked only for a code of this
 * studio; undefined means the studio never issued one.
 */
export async function verifyCheckInToken(
  token: string,
  expected: { tenantId: string; now: Date },
  secretFor: () => Promise<Buffer | undefined>,
): Promise<CheckInClaims> {
  const claims = readCheckInToken(token);
  if (claims.tenantId !== expected.tenantId) {
    throw refusal('other_studio', text('checkin.other_studio'));
  }
  const secret = await secretFor();
  if (!secret || !timingSafeEqual(mac(secret, claims.signed), claims.mac)) {
    throw refusal('invalid_token', text('checkin.forged'));
  }
  if (expected.now.getTime() >= claims.expiresAt.getTime()) {
    throw refusal('expired_token', text('checkin.expired'));
  }
  const { signed: _signed, mac: _mac, ...verified } = claims;
  return verified;
}
