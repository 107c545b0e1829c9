// Purposes, legal bases, channels and consents: the closed sets the core
// knows (from its catalogue, bindings/catalogue.ts) and small pure helpers
// shared by the forms.
export {
  ALL_CATEGORIES,
  CHANNELS,
  CONSENT_STATES,
  LEGAL_BASES,
  PERSONAL_CATEGORIES,
  TLS_MODES,
} from './bindings/catalogue';

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
