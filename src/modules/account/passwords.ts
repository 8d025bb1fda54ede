import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/**
 * Passwords as the NCSC advises: at least 8 characters, no composition rules, refused if they
 * are on a list of common passwords, and stored with a memory-hard hash (scrypt, built into
 * Node, so no native dependency). The hash is a PHC string carrying its own parameters, so
 * they can be raised later and older hashes upgraded when their owner next signs in.
 */

export const MIN_PASSWORD_LENGTH = 8;
export const MAX_PASSWORD_LENGTH = 256;

/** scrypt with N = 2^15, r = 8, p = 1: 32 MiB and a few tens of milliseconds per hash. */
const CURRENT = { ln: 15, r: 8, p: 1 } as const;
const KEY_BYTES = 32;
const SALT_BYTES = 16;

interface Params {
  ln: number;
  r: number;
  p: number;
}

function derive(password: string, salt: Buffer, params: Params): Promise<Buffer> {
  const N = 2 ** params.ln;
  const options: ScryptOptions = {
    N,
    r: params.r,
    p: params.p,
    // Node refuses more than 32 MiB unless told; scrypt needs 128·N·r bytes, plus headroom.
    maxmem: 256 * N * params.r,
  };
  return new Promise((resolve, reject) => {
    scrypt(normalise(password), salt, KEY_BYTES, options, (err, key) => {
      if (err) reject(err);
      else resolve(key);
    });
  });
}

/** The same password typed on another keyboard (composed or decomposed accents) is the same password. */
function normalise(password: string): string {
  return password.normalize('NFKC');
}

const b64 = (bytes: Buffer) => bytes.toString('base64').replace(/=+$/, '');

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, CURRENT);
  return `$scrypt$ln=${CURRENT.ln},r=${CURRENT.r},p=${CURRENT.p}$${b64(salt)}$${b64(key)}`;
}

const PHC = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;

function parse(stored: string): { params: Params; salt: Buffer; key: Buffer } | undefined {
  const match = PHC.exec(stored);
  if (!match) return undefined;
  const [, ln, r, p, salt = '', key = ''] = match;
  const params = { ln: Number(ln), r: Number(r), p: Number(p) };
  // Parameters outside these bounds were not written by us; refuse rather than burn memory.
  if (params.ln < 10 || params.ln > 20 || params.r < 1 || params.r > 32 || params.p < 1)
    return undefined;
  return { params, salt: Buffer.from(salt, 'base64'), key: Buffer.from(key, 'base64') };
}

export async function verifyPassword(stored: string, password: string): Promise<boolean> {
  const parsed = parse(stored);
  if (!parsed || password.length > MAX_PASSWORD_LENGTH * 4) return false;
  const key = await derive(password, parsed.salt, parsed.params);
  return key.length === parsed.key.length && timingSafeEqual(key, parsed.key);
}

/** True when the hash was made with weaker parameters than we use now. */
export function needsRehash(stored: string): boolean {
  const parsed = parse(stored);
  return (
    !parsed ||
    parsed.params.ln < CURRENT.ln ||
    parsed.params.r < CURRENT.r ||
    parsed.params.p < CURRENT.p
  );
}

let dummy: Promise<string> | undefined;
/**
 * Checks a password against a hash nobody's password matches, so a sign-in with an unknown
 * email address takes as long as one with a known address, and timing reveals nothing.
 */
export async function verifyNothing(password: string): Promise<false> {
  dummy ??= hashPassword(randomBytes(18).toString('base64url'));
  await verifyPassword(await dummy, password);
  return false;
}

let common: Promise<Set<string>> | undefined;
/**
 * The ~49,000 most common passwords from breaches, as zxcvbn-ts ships them (MIT, lower-case),
 * loaded on first use.
 */
function commonPasswords(): Promise<Set<string>> {
  common ??= import('@zxcvbn-ts/language-common').then(
    ({ dictionary }) => new Set(dictionary['passwords-common']),
  );
  return common;
}

export async function isCommonPassword(password: string): Promise<boolean> {
  return (await commonPasswords()).has(normalise(password).toLowerCase());
}

/** What is wrong with a new password, in GOV.UK words, or undefined if it will do. */
export async function newPasswordProblem(password: string): Promise<string | undefined> {
  // Characters as people count them: an accented letter typed as two code points is one.
  const length =
    password.length > MAX_PASSWORD_LENGTH * 8
      ? password.length
      : Array.from(new Intl.Segmenter('en-GB').segment(password)).length;
  if (length === 0) return 'Enter a password';
  if (length < MIN_PASSWORD_LENGTH)
    return `Password must be ${MIN_PASSWORD_LENGTH} characters or more`;
  if (length > MAX_PASSWORD_LENGTH)
    return `Password must be ${MAX_PASSWORD_LENGTH} characters or fewer`;
  if (await isCommonPassword(password)) return 'Enter a password that is harder to guess';
  return undefined;
}
