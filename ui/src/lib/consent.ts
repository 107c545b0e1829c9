// Purposes, legal bases, channels and consents: the closed sets the core
// knows (mirrors crates/core/src/consent.rs; the core stays the judge) and
// small pure helpers shared by the forms and the mock.
import type { Category, Channel, ConsentState, LegalBasis, TlsMode } from './types';

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

/** A source name as the core stores it: trimmed, lower-case, spaces as '_'. */
export function normalizeSource(source: string): string {
  return source.trim().toLowerCase().replace(/ /g, '_');
}

/** Whether a normalised source name is one the core keeps: 1–40 bytes, no control characters. */
export function isSourceName(source: string): boolean {
  const bytes = new TextEncoder().encode(source).length;
  return bytes > 0 && bytes <= 40 && !/\p{Cc}/u.test(source);
}

/** The largest evidence file the core keeps with a consent (its constant). */
export { MAX_EVIDENCE_BYTES } from './bindings/limits';

/** Days ahead the re-consent list looks. */
export const RECONSENT_DAYS = 30;

/** A `datetime-local` value (local time) as RFC 3339 in UTC; null if it is not one. */
export function localToIso(local: string): string | null {
  const d = new Date(local);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}
