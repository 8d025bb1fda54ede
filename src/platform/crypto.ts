import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';

/**
 * Sealing small JSON values for storage at rest (saved forms, outbox payloads that carry
 * secrets): AES-256-GCM with a key derived from SESSION_SECRET for one purpose, so a key
 * for one use can never open another's data.
 */
const keys = new Map<string, Buffer>();
/** Derived once per secret and purpose: the outbox seals and unseals thousands a minute. */
function keyFor(secret: string, purpose: string): Buffer {
  const id = `${purpose}\u0000${secret}`;
  let key = keys.get(id);
  if (!key) {
    key = Buffer.from(hkdfSync('sha256', secret, 'shire', purpose, 32));
    keys.set(id, key);
  }
  return key;
}

export function seal(secret: string, purpose: string, value: unknown): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', keyFor(secret, purpose), iv);
  const body = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
}

/** The sealed value, or undefined if it was tampered with or sealed with another key. */
export function unseal(secret: string, purpose: string, sealed: string): unknown {
  try {
    const bytes = Buffer.from(sealed, 'base64url');
    const decipher = createDecipheriv(
      'aes-256-gcm',
      keyFor(secret, purpose),
      bytes.subarray(0, 12),
    );
    decipher.setAuthTag(bytes.subarray(12, 28));
    const text = Buffer.concat([decipher.update(bytes.subarray(28)), decipher.final()]).toString(
      'utf8',
    );
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** A one-way fingerprint of a secret token, so the database never holds the token itself. */
export function fingerprint(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}
