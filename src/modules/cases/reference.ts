import { randomInt } from 'node:crypto';

/**
 * Case references such as BKS-4F7K-92QX: a three-letter service prefix, seven random
 * Crockford base32 characters and one check character. Crockford's alphabet leaves out
 * I, L, O and U, so what residents read aloud or copy from a letter is hard to get wrong,
 * and the check character (Luhn mod 32) catches every single mistyped character and
 * most swapped neighbours, so we can say "check the reference" rather than "not found".
 */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const BODY_LENGTH = 7;
export const REFERENCE_EXAMPLE = 'BKS-4F7K-92QX';

export class InvalidReferenceError extends Error {
  override name = 'InvalidReferenceError';
  constructor(readonly input: string) {
    super(`Check the reference — it should look like ${REFERENCE_EXAMPLE}`);
  }
}

/** A service prefix must be three letters from the Crockford alphabet (no I, L, O or U). */
export function isValidPrefix(prefix: string): boolean {
  return /^[A-Z]{3}$/.test(prefix) && Array.from(prefix).every((c) => ALPHABET.includes(c));
}

export function newReference(prefix: string): string {
  if (!isValidPrefix(prefix))
    throw new Error(`Reference prefix "${prefix}" must be 3 letters without I, L, O or U`);
  let body = '';
  for (let i = 0; i < BODY_LENGTH; i++) body += ALPHABET.charAt(randomInt(32));
  return format(prefix, body + checkCharacter(prefix + body));
}

/**
 * Reads a reference as a resident might type it — any case, spaces or dashes anywhere,
 * O for 0 and I or L for 1 — and returns it in canonical form, or throws
 * InvalidReferenceError when it cannot be a reference we issued.
 */
export function parseReference(input: string): string {
  const compact = input.toUpperCase().replace(/[\s\-–—_.]/g, '');
  if (compact.length !== 3 + BODY_LENGTH + 1) throw new InvalidReferenceError(input);
  const prefix = compact.slice(0, 3);
  const rest = compact.slice(3).replace(/O/g, '0').replace(/[IL]/g, '1');
  if (!isValidPrefix(prefix) || !Array.from(rest).every((c) => ALPHABET.includes(c)))
    throw new InvalidReferenceError(input);
  const body = rest.slice(0, BODY_LENGTH);
  if (checkCharacter(prefix + body) !== rest.slice(BODY_LENGTH))
    throw new InvalidReferenceError(input);
  return format(prefix, rest);
}

export function isValidReference(input: string): boolean {
  try {
    parseReference(input);
    return true;
  } catch {
    return false;
  }
}

function format(prefix: string, code: string): string {
  return `${prefix}-${code.slice(0, 4)}-${code.slice(4)}`;
}

/** Luhn mod N over the Crockford values, N = 32. */
function checkCharacter(chars: string): string {
  let factor = 2;
  let sum = 0;
  for (let i = chars.length - 1; i >= 0; i--) {
    let addend = factor * ALPHABET.indexOf(chars.charAt(i));
    factor = factor === 2 ? 1 : 2;
    addend = Math.floor(addend / 32) + (addend % 32);
    sum += addend;
  }
  return ALPHABET.charAt((32 - (sum % 32)) % 32);
}
