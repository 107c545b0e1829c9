// Purposes, legal bases, channels and consents: the closed sets the core
// knows (mirrors crates/core/src/consent.rs; the core stays the judge) and
// small pure helpers shared by the forms and the mock.
import type { Category, Channel, ConsentState, LegalBasis, Purpose, TlsMode } from './types';

/** Art. 6(1)(a)–(f) GDPR, in order. */
export const LEGAL_BASES: readonly LegalBasis[] = [
  'consent',
  'contract',
  'legal_obligation',
  'vital_interests',
  'public_task',
  'legitimate_interests',
];

export const CHANNELS: readonly Channel[] = ['email', 'phone', 'post', 'sms'];

export const CONSENT_STATES: readonly ConsentState[] = ['given', 'pending', 'withdrawn', 'expired'];

export const TLS_MODES: readonly TlsMode[] = ['starttls', 'tls', 'none'];

/** Every data category, in display order (as Category::ALL). */
export const ALL_CATEGORIES: readonly Category[] = [
  'identity',
  'contact_details',
  'business',
  'segmentation',
  'communication',
  'notes',
  'special',
  'deal',
  'consent',
  'disclosures',
  'requests',
  'configuration',
];

/** Categories of personal data: what a purpose may name (not "configuration"). */
export const PERSONAL_CATEGORIES: readonly Category[] = ALL_CATEGORIES.filter((c) => c !== 'configuration');

/** The consent sources a new vault offers. */
export const DEFAULT_SOURCES: readonly string[] = [
  'web_form',
  'business_card',
  'email',
  'phone',
  'chat',
  'event',
  'letter',
  'import',
  'double_opt_in',
];

/** A source name as the core stores it: trimmed, lower-case, spaces as '_'. */
export function normalizeSource(source: string): string {
  return source.trim().toLowerCase().replace(/ /g, '_');
}

/** Whether a normalised source name is one the core keeps: 1–40 bytes, no control characters. */
export function isSourceName(source: string): boolean {
  const bytes = new TextEncoder().encode(source).length;
  return bytes > 0 && bytes <= 40 && !/\p{Cc}/u.test(source);
}

/** The largest evidence file the core keeps with a consent (20 MB). */
export const MAX_EVIDENCE_BYTES = 20 * 1024 * 1024;

/** Days ahead the re-consent list looks. */
export const RECONSENT_DAYS = 30;

/** The Art. 6(1) letter of a basis. */
export function basisLetter(b: LegalBasis): string {
  return 'abcdef'[LEGAL_BASES.indexOf(b)] ?? '?';
}

/** A purpose key as the core accepts it. */
export function isPurposeKey(key: string): boolean {
  return key.length > 0 && key.length <= 40 && /^[a-z0-9-]+$/.test(key);
}

/**
 * Checks a purpose as the core does; returns field → message key
 * (only the first problem per field).
 */
export function purposeProblems(p: Purpose): Record<string, string> {
  const out: Record<string, string> = {};
  if (!isPurposeKey(p.key)) out.key = 'err.purpose_key';
  for (const f of ['name_de', 'name_en'] as const) {
    const v = p[f];
    if (v.trim() === '' || [...v].length > 120) out[f] = 'err.purpose_name';
  }
  if ([...p.description].length > 4000) out.description = 'err.too_long';
  if (p.categories.length === 0 || p.categories.includes('configuration')) out.categories = 'err.purpose_categories';
  if (p.basis === 'consent' && !p.consent_required) out.consent_required = 'err.purpose_consent';
  if (p.validity_months !== null && (!Number.isInteger(p.validity_months) || p.validity_months < 1 || p.validity_months > 600)) {
    out.validity_months = 'err.purpose_validity';
  }
  return out;
}

/** Finds a double opt-in code in a pasted reply (as find_token in the core). */
export function findToken(text: string): string | null {
  const m = /TRS-(?:[A-Z0-9]{4}-){4}[A-Z0-9]{4}/.exec(text.toUpperCase());
  return m ? m[0] : null;
}

/** A `datetime-local` value (local time) as RFC 3339 in UTC; null if it is not one. */
export function localToIso(local: string): string | null {
  const d = new Date(local);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}
