import { createHmac, timingSafeEqual } from 'node:crypto';
import { uuidBytes, uuidOf } from '../auth/signing-keys.js';

/**
 * The token of a one-click unsubscribe link (RFC 8058): `u1.<payload>.<mac>`, both base64url. The payload is the
 * member id (16 bytes) and the kind of message (ASCII); the MAC is HMAC-SHA256 over `u1.<payload>` with the
 * studio's own unsubscribe key (app.signing_keys), so a link works only at the studio whose mail carried it. It does
 * not expire: a member may use a months-old mail's link, and all it can do is turn one kind of message off.
 */
const VERSION = 'u1';
const TOKEN_PATTERN = /^u1\.([A-Za-z0-9_-]{23,107})\.([A-Za-z0-9_-]{43})$/;
const KIND_PATTERN = /^[a-z_]{1,60}$/;

const mac = (secret: Buffer, signed: string) => createHmac('sha256', secret).update(signed).digest();

export function signUnsubscribeToken(secret: Buffer, claims: { memberId: string; kind: string }): string {
  const payload = Buffer.concat([uuidBytes(claims.memberId), Buffer.from(claims.kind, 'ascii')]);
  const signed = `${VERSION}.${payload.toString('base64url')}`;
  return `${signed}.${mac(secret, signed).toString('base64url')}`;
}

/** The member and kind a token names, or null when it is not a token this studio's key signed. */
export function verifyUnsubscribeToken(token: string, secret: Buffer | undefined): { memberId: string; kind: string } | null {
  const match = TOKEN_PATTERN.exec(token);
  if (!match || !secret) return null;
  const payload = Buffer.from(match[1]!, 'base64url');
  const tag = Buffer.from(match[2]!, 'base64url');
  // Base64url's last character carries bits decoding ignores: only the one spelling the signer wrote is the token.
  if (tag.length !== 32 || tag.toString('base64url') !== match[2] || !timingSafeEqual(mac(secret, `${VERSION}.${match[1]}`), tag)) return null;
  const kind = payload.subarray(16).toString('ascii');
  if (payload.length <= 16 || !KIND_PATTERN.test(kind)) return null;
  return { memberId: uuidOf(payload.subarray(0, 16)), kind };
}
