// Checks a form makes before it sends (the core checks again). The limits
// are the core's own constants, generated into bindings/limits.ts.
import { MIN_PASSPHRASE } from './bindings/limits';

export { MIN_PASSPHRASE };

/** Which part of a new user's name and passphrase is wrong (translation keys). */
export interface NewUserProblems {
  name?: 'required';
  pass?: 'err.passphrase_short';
  pass2?: 'err.passphrase_mismatch';
}

/**
 * Checks that a new user has a name and the passphrase typed twice is
 * long enough and the same (the name's form is the core's to judge).
 */
export function newUserProblems(name: string, pass: string, pass2: string): NewUserProblems {
  const e: NewUserProblems = {};
  if (!name.trim()) e.name = 'required';
  if ([...pass].length < MIN_PASSPHRASE) e.pass = 'err.passphrase_short';
  if (pass2 !== pass) e.pass2 = 'err.passphrase_mismatch';
  return e;
}

/** One `@`, something before it, a dotted domain after, no spaces (the SMTP form's sender; the core checks again). */
export function isEmail(s: string): boolean {
  if (s.length > 254 || /\s/.test(s)) return false;
  const at = s.indexOf('@');
  if (at <= 0) return false;
  const domain = s.slice(at + 1);
  return !domain.includes('@') && domain.includes('.') && !domain.startsWith('.') && !domain.endsWith('.');
}

/** `YYYY-MM-DDTHH:MM` (datetime-local) or with seconds. */
export function isLocalDateTime(s: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(:\d{2})?$/.exec(s);
  if (!m) return false;
  const d = new Date(s);
  return !Number.isNaN(d.getTime()) && Number(m[4]) < 24 && Number(m[5]) < 60;
}

/** Splits a comma- or semicolon-separated list (as the core does for text input). */
export function splitList(s: string): string[] {
  return s
    .split(/[,;]/)
    .map((x) => x.trim())
    .filter((x) => x.length > 0);
}

/** Addresses: blocks separated by one or more blank lines; lines trimmed. */
export function splitAddresses(s: string): string[] {
  return s
    .replace(/\r\n?/g, '\n')
    .split(/\n\s*\n/)
    .map((block) =>
      block
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l.length > 0)
        .join('\n'),
    )
    .filter((b) => b.length > 0);
}

/**
 * A rough passphrase strength from 0 (too short) to 4 (strong): length,
 * variety of characters and words, penalties for repetition and sequences.
 */
export function passphraseStrength(p: string): 0 | 1 | 2 | 3 | 4 {
  const chars = [...p];
  if (chars.length < MIN_PASSPHRASE) return 0;
  let pool = 0;
  if (/[a-z]/.test(p)) pool += 26;
  if (/[A-Z]/.test(p)) pool += 26;
  if (/[0-9]/.test(p)) pool += 10;
  if (/[^a-zA-Z0-9]/.test(p)) pool += 20;
  const unique = new Set(chars).size;
  // Effective length: repeated characters count less.
  const effective = Math.min(chars.length, unique * 2);
  let bits = effective * Math.log2(Math.max(pool, 2));
  if (/(.)\1\1/.test(p)) bits -= 10;
  if (/(0123|1234|2345|3456|4567|5678|6789|abcd|qwert|asdf|passwor|passwort|letmein)/i.test(p)) bits -= 20;
  const words = p.split(/[\s\-_.]+/).filter((w) => w.length >= 3).length;
  if (words >= 4) bits += 10;
  if (bits < 40) return 1;
  if (bits < 60) return 2;
  if (bits < 80) return 3;
  return 4;
}

/** A full path: `/…`, a drive `C:\…` or a network share `\\server\…` (a relative one would depend on where the app runs). */
export function isAbsolutePath(s: string): boolean {
  return /^(\/|[A-Za-z]:[\\/]|\\\\[^\\])/.test(s.trim());
}

/** A shared folder's path: what is wrong with it (a translation key), if anything. */
export function folderProblem(s: string): 'err.dir_required' | 'err.dir_absolute' | null {
  if (!s.trim()) return 'err.dir_required';
  return isAbsolutePath(s) ? null : 'err.dir_absolute';
}

/** Which part of a join-a-team form is wrong (translation keys). */
export interface JoinProblems {
  folder?: 'err.dir_required' | 'err.dir_absolute';
  user?: 'err.user_required';
  pass?: 'err.passphrase_required';
}

export function joinProblems(folder: string, user: string, pass: string): JoinProblems {
  const e: JoinProblems = {};
  const f = folderProblem(folder);
  if (f) e.folder = f;
  if (!user.trim()) e.user = 'err.user_required';
  if (!pass) e.pass = 'err.passphrase_required';
  return e;
}
