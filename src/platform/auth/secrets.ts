import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { hash, verify } from '@node-rs/argon2';

// OWASP's argon2id minimum: 19 MiB, 2 iterations, 1 lane. (2 is Algorithm.Argon2id, an ambient const enum.)
const ARGON2 = { algorithm: 2, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export const hashPassword = (password: string) => hash(password, ARGON2);

let dummyHash: Promise<string> | undefined;

/** Verifies against a real hash, or against a dummy one so an unknown email takes as long as a known one. */
export async function verifyPassword(passwordHash: string | null | undefined, password: string): Promise<boolean> {
  if (!passwordHash) {
    dummyHash ??= hashPassword('studiohive-dummy-password');
    await verify(await dummyHash, password).catch(() => false);
    return false;
  }
  return verify(passwordHash, password).catch(() => false);
}

export const sha256 = (value: string): Buffer => createHash('sha256').update(value).digest();

/**
 * An opaque bearer secret: the prefix says what it is (shs_ staff session, shm_ member session, shk_ API key,
 * shr_ mailed single-use token), the database keeps only its SHA-256.
 */
export function newSecret(prefix: 'shs' | 'shm' | 'shk' | 'shr'): { token: string; hash: Buffer } {
  const token = `${prefix}_${randomBytes(32).toString('base64url')}`;
  return { token, hash: sha256(token) };
}

export function constantTimeEqual(a: string, b: string): boolean {
  const x = sha256(a);
  const y = sha256(b);
  return timingSafeEqual(x, y);
}
