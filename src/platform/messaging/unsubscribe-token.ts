import { uuidBytes, uuidOf } from '../auth/signing-keys.js';
import { signToken, verifyToken } from '../auth/signed-token.js';

/**
 * The token of a one-click unsubscribe link (RFC 8058): `u1.<payload>.<mac>` (auth/signed-token.ts). The payload
 * is the member id (16 bytes) and the kind of message (ASCII), signed with the studio's own unsubscribe key, so a
 * link works only at the studio whose mail carried it. It does not expire: a member may use a months-old mail's
 * link, and all it can do is turn one kind of message off.
 */
const VERSION = 'u1';
const KIND_PATTERN = /^[a-z_]{1,60}$/;

export function signUnsubscribeToken(secret: Buffer, claims: { memberId: string; kind: string }): string {
  return signToken(VERSION, secret, Buffer.concat([uuidBytes(claims.memberId), Buffer.from(claims.kind, 'ascii')]));
}

/** The member and kind a token names, or null when it is not a token this studio's key signed. */
export function verifyUnsubscribeToken(token: string, secret: Buffer | undefined): { memberId: string; kind: string } | null {
  const payload = verifyToken(VERSION, token, secret, 16 + 60);
  if (!payload || payload.length <= 16) return null;
  const kind = payload.subarray(16).toString('ascii');
  if (!KIND_PATTERN.test(kind)) return null;
  return { memberId: uuidOf(payload.subarray(0, 16)), kind };
}
