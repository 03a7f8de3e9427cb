import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * A token that carries its own claims, signed with one of the studio's secrets (app.signing_keys):
 * `<version>.<payload>.<mac>`, both base64url, the MAC being HMAC-SHA256 over `<version>.<payload>`. Only the
 * studio whose key signed it accepts it. The version names what the token is for, so one purpose's token is
 * never read as another's.
 */
const mac = (secret: Buffer, signed: string) => createHmac('sha256', secret).update(signed).digest();

export function signToken(version: string, secret: Buffer, payload: Buffer): string {
  const signed = `${version}.${payload.toString('base64url')}`;
  return `${signed}.${mac(secret, signed).toString('base64url')}`;
}

/** The payload of a token of this version that this secret signed, or null. */
export function verifyToken(version: string, token: string, secret: Buffer | undefined, maxPayloadBytes: number): Buffer | null {
  const [v, body, tag64, ...rest] = token.split('.');
  if (!secret || v !== version || rest.length > 0 || !body || !tag64 || !/^[A-Za-z0-9_-]+$/.test(body + tag64)) return null;
  if (body.length > Math.ceil((maxPayloadBytes * 4) / 3)) return null;
  const tag = Buffer.from(tag64, 'base64url');
  // Base64url's last character carries bits decoding ignores: only the one spelling the signer wrote is the token.
  if (tag.length !== 32 || tag.toString('base64url') !== tag64 || !timingSafeEqual(mac(secret, `${version}.${body}`), tag)) return null;
  const payload = Buffer.from(body, 'base64url');
  return payload.toString('base64url') === body ? payload : null;
}
