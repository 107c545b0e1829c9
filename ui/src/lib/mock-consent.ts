// The consent part of the in-memory mock: purposes, the append-only consent
// history, double opt-in, disclosures, exports and the versioned Art. 30
// register. Follows crates/core/src/{consent,register,mail,export}.rs.
import {
  CHANNELS,
  DEFAULT_SOURCES,
  findToken,
  isSourceName,
  LEGAL_BASES,
  MAX_EVIDENCE_BYTES,
  normalizeSource,
  PERSONAL_CATEGORIES,
} from './consent';
import { PERSON_FIELDS, ROLES } from './fields';
import { canRead, compartmentOf, requireAction } from './mock-roles';
import type {
  Bilingual,
  Category,
  Channel,
  ChannelStatus,
  ConsentEntry,
  ConsentInput,
  Disclosure,
  ExportedFile,
  IpcError,
  Lang,
  LegalBasisView,
  Purpose,
  PurposeStatus,
  ReconsentItem,
  Register,
  RegisterContent,
  RegisterVersionInfo,
  Role,
  SmtpSettings,
  UnjustifiedField,
  IpcCode,
} from './types';

type Stored = string | string[];

/** What the consent store needs to know about people. */
export interface PersonSource {
  /** Display name, or null when there is no such person. */
  display(id: string): string | null;
  /** The person's values the role can read (locked categories left out), by catalogue name. */
  readable(id: string, role: Role): Record<string, Stored>;
  /** Every person id. */
  ids(): string[];
}

interface StoredEntry extends ConsentEntry {
  /** The double opt-in token of a pending entry (the core keeps its hash). */
  token: string | null;
}

interface StoredDisclosure extends Disclosure {
  people: string[];
}

/** An evidence file kept with a consent entry. */
export interface StoredFile {
  name: string;
  bytes: Uint8Array;
}

/** A mail the mock "sent". */
export interface SentMail {
  to: string;
  purpose: string;
  token: string;
}

/** `at` plus whole months, the day clamped to the month's end (a copy of the core's rule, for the mock only). */
export function addMonths(iso: string, months: number): string {
  const d = new Date(iso);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth() + months;
  const last = new Date(Date.UTC(y, m + 1, 0)).getUTCDate();
  const out = new Date(
    Date.UTC(y, m, Math.min(d.getUTCDate(), last), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds(), d.getUTCMilliseconds()),
  );
  return out.toISOString();
}

/** A date plus whole months (mock only). */
export function addMonthsToDate(date: string, months: number): string {
  return addMonths(`${date}T00:00:00Z`, months).slice(0, 10);
}

const DAY = 86_400_000;

function fail(code: IpcCode, message: string, field: string | null = null): IpcError {
  return { code, message, field };
}

function invalid(field: string, message: string): IpcError {
  return fail('invalid', `${field}: ${message}`, field);
}

function clone<T>(x: T): T {
  return JSON.parse(JSON.stringify(x)) as T;
}

/** A stand-in for SHA-256 (64 hex digits; different contents give different values). */
export function fakeSha256(bytes: Uint8Array): string {
  let out = '';
  for (let round = 0; round < 8; round++) {
    let h = (0x811c9dc5 ^ Math.imul(round + 1, 0x9e3779b1)) >>> 0;
    for (const b of bytes) h = Math.imul(h ^ b, 0x01000193) >>> 0;
    h = Math.imul(h ^ bytes.length ^ (h >>> 15), 0x2c1b3c6d) >>> 0;
    out += h.toString(16).padStart(8, '0');
  }
  return out;
}

/** Stem and extension of a file name for the export folder (as Path::file_stem / extension). */
function fileParts(name: string): [string, string] {
  const base = name.split(/[\\/]/).pop() ?? '';
  if (base === '' || base === '.' || base === '..') return ['evidence', 'bin'];
  const dot = base.lastIndexOf('.');
  if (dot <= 0) return [slug(base), 'bin'];
  return [slug(base.slice(0, dot)), slug(base.slice(dot + 1))];
}

function first(v: Stored | undefined): string | null {
  if (v === undefined) return null;
  if (Array.isArray(v)) return v.length > 0 ? v[0] : null;
  return v;
}

function slug(s: string): string {
  let out = '';
  for (const c of s) {
    if (/[\p{L}\p{N}]/u.test(c)) out += c.toLowerCase();
    else if (out.length > 0 && !out.endsWith('-')) out += '-';
  }
  return [...out.replace(/-+$/, '')].slice(0, 40).join('');
}

export function defaultPurposes(): Purpose[] {
  return [
    {
      key: 'sales',
      name_de: 'Verkauf und Service',
      name_en: 'Sales and service',
      description:
        'Angebote, Aufträge, Kundendienst und die Korrespondenz dazu. / Offers, orders, customer service and the correspondence about them.',
      basis: 'contract',
      categories: ['identity', 'contact_details', 'business', 'segmentation', 'communication', 'notes', 'deal', 'consent'],
      recipients: ['Steuerberater / tax adviser'],
      consent_required: false,
      validity_months: null,
    },
    {
      key: 'e-marketing',
      name_de: 'E-Marketing',
      name_en: 'E-Marketing',
      description:
        'Newsletter und Werbung per E-Mail, Telefon oder SMS. / Newsletters and advertising by email, phone or text message.',
      basis: 'consent',
      categories: ['identity', 'contact_details', 'segmentation', 'consent', 'disclosures'],
      recipients: ['Versanddienstleister / mailing service provider'],
      consent_required: true,
      validity_months: 24,
    },
    {
      key: 'data-subject-rights',
      name_de: 'Betroffenenrechte',
      name_en: 'Data-subject rights',
      description:
        'Anfragen nach Art. 15–22 DSGVO beantworten und nachweisen. / Answering requests under Art. 15–22 GDPR and keeping proof of it.',
      basis: 'legal_obligation',
      categories: ['identity', 'contact_details', 'consent', 'disclosures', 'requests'],
      recipients: ['die betroffene Person / the data subject'],
      consent_required: false,
      validity_months: null,
    },
  ];
}

/** The field catalogue by category (all record kinds), as the register lists it. */
const CATALOGUE: [Category, string, string][] = [
  ...PERSON_FIELDS.map((f): [Category, string, string] => [f.category, f.label_de, f.label_en]),
  ['business', 'Firmenname', 'Company name'],
  ['business', 'Website', 'Website'],
  ['business', 'Telefon', 'Phone'],
  ['business', 'Anschrift', 'Address'],
  ['notes', 'Notiz', 'Note'],
  ['business', 'Person', 'Person'],
  ['business', 'Firma', 'Company'],
  ['business', 'Funktion', 'Role'],
  ['communication', 'Art', 'Kind'],
  ['communication', 'Zeitpunkt', 'When'],
  ['communication', 'Durch', 'By'],
  ['communication', 'Zusammenfassung', 'Summary'],
  ['notes', 'Text', 'Text'],
  ['consent', 'Einwilligung', 'Consent'],
  ['consent', 'Nachweisdatei', 'Evidence file'],
  ['disclosures', 'Weitergabe', 'Disclosure'],
  ['requests', 'Anfrage', 'Request'],
  ['requests', 'Einschränkung', 'Restriction'],
  ['requests', 'Sperrvermerk', 'Suppression'],
  ['requests', 'Herausgabe', 'Release'],
];

const RETENTION: Record<Category, Bilingual> = (() => {
  const contact: Bilingual = {
    de: 'bis zur Löschung auf Verlangen oder 2 Jahre nach dem letzten Kontakt ohne Geschäftsbeziehung',
    en: 'until erasure is requested or 2 years after the last contact without a business relationship',
  };
  const business: Bilingual = {
    de: 'Dauer der Geschäftsbeziehung; Handelsbriefe 6 Jahre (HGB §257, AO §147)',
    en: 'duration of the business relationship; business letters 6 years (HGB §257, AO §147)',
  };
  const communication: Bilingual = {
    de: '2 Jahre nach dem Kontakt, Handelsbriefe 6 Jahre (HGB §257)',
    en: '2 years after the contact, business letters 6 years (HGB §257)',
  };
  const proof: Bilingual = {
    de: '3 Jahre nach Widerruf oder Ende der Einwilligung (Nachweispflicht Art. 7 Abs. 1, Verjährung §195 BGB)',
    en: '3 years after withdrawal or end of the consent (proof under Art. 7(1), limitation §195 BGB)',
  };
  return {
    identity: contact,
    contact_details: contact,
    segmentation: contact,
    business,
    deal: business,
    communication,
    notes: communication,
    special: {
      de: 'nur solange der konkrete Zweck besteht; Löschung auf Verlangen',
      en: 'only while the specific purpose lasts; erased on request',
    },
    consent: proof,
    disclosures: {
      de: '3 Jahre nach der Weitergabe (Auskunft über Empfänger, Art. 15 Abs. 1 lit. c)',
      en: '3 years after the disclosure (to name recipients in access requests, Art. 15(1)(c))',
    },
    requests: {
      de: '3 Jahre nach Abschluss der Anfrage (Nachweis, Verjährung §195 BGB)',
      en: '3 years after the request was closed (proof, limitation §195 BGB)',
    },
    configuration: { de: 'unbegrenzt (keine personenbezogenen Daten)', en: 'indefinitely (no personal data)' },
  };
})();

const MEASURES: Bilingual[] = [
  {
    de: 'Verschlüsselung der Datenbank auf dem Gerät (SQLCipher, AES-256, zufälliger 256-Bit-Schlüssel)',
    en: 'Encryption of the database on the device (SQLCipher, AES-256, random 256-bit key)',
  },
  {
    de: 'Schlüssel nur mit Passphrase zugänglich (Argon2id, mindestens 64 MiB, 3 Durchläufe; XChaCha20-Poly1305)',
    en: 'Keys only reachable with a passphrase (Argon2id, at least 64 MiB, 3 passes; XChaCha20-Poly1305)',
  },
  {
    de: 'Rollen mit getrennten Schlüsseln: Notizen, Art.-9-Daten und Geschäftsdaten nur für berechtigte Rollen entschlüsselbar',
    en: 'Roles with separate keys: notes, Art. 9 data and deal data can only be decrypted by roles allowed to read them',
  },
  {
    de: 'Automatische Sperre bei Inaktivität (Standard 5 Minuten), Sperre per Tastenkürzel',
    en: 'Automatic lock when idle (default 5 minutes), lock by keyboard shortcut',
  },
  {
    de: 'Schlüsselwechsel beim Entfernen eines Benutzers oder Herabstufen einer Rolle',
    en: 'Keys rotated when a user is removed or a role is lowered',
  },
  {
    de: 'Protokoll jeder Änderung (wer, was, wann); Einwilligungen nur anhängend, nie überschrieben',
    en: 'Log of every change (who, what, when); consents append-only, never overwritten',
  },
  {
    de: 'Zweckbindung: Verteilerlisten nur mit gültiger Rechtsgrundlage je Zweck und Kanal; jede Ausgabe wird protokolliert',
    en: 'Purpose binding: mailing lists only with a valid basis per purpose and channel; every export is logged',
  },
  {
    de: 'Wiederherstellungsschlüssel auf Papier für den Verlust aller Admin-Passphrasen',
    en: 'Recovery key on paper for the loss of every admin passphrase',
  },
];

/** The register content derived from the purposes (register::derive). */
export function deriveRegister(purposes: Purpose[]): RegisterContent {
  return {
    purposes: clone(purposes),
    categories: PERSONAL_CATEGORIES.map((category) => ({
      category,
      fields: CATALOGUE.filter(([c]) => c === category).map(([, de, en]) => ({ de, en })),
      compartment: compartmentOf(category),
      roles: ROLES.filter((r) => canRead(r, category)),
      purposes: purposes.filter((p) => p.categories.includes(category)).map((p) => p.key),
      retention: { ...RETENTION[category] },
    })),
    measures: MEASURES.map((m) => ({ ...m })),
  };
}

function parseChannel(channel: string): Channel {
  const c = CHANNELS.find((x) => x === channel.trim());
  if (!c) throw invalid('channel', 'use email, phone, post or sms');
  return c;
}

function checkEvidence(text: string | null | undefined): string | null {
  const t = (text ?? '').trim();
  if (t === '') return null;
  if ([...t].length > 10_000) throw invalid('evidence', 'keep it under 10,000 characters');
  return t;
}

function validatePurpose(p: Purpose): void {
  if (!(p.key.length > 0 && p.key.length <= 40 && /^[a-z0-9-]+$/.test(p.key))) {
    throw invalid('key', 'use 1–40 lower-case letters, digits and dashes, e.g. e-marketing');
  }
  for (const field of ['name_de', 'name_en'] as const) {
    const v = p[field];
    if (v.trim() === '' || [...v].length > 120) throw invalid(field, 'a purpose needs a name of 1–120 characters');
  }
  if ([...p.description].length > 4000) throw invalid('description', 'keep it under 4000 characters');
  if (!LEGAL_BASES.includes(p.basis)) throw invalid('basis', 'unknown legal basis');
  if (p.categories.length === 0) throw invalid('categories', 'name at least one data category the purpose needs');
  if (p.categories.includes('configuration')) {
    throw invalid('categories', "'configuration' is not a category of personal data");
  }
  if (p.basis === 'consent' && !p.consent_required) {
    throw invalid('consent_required', 'a purpose resting on consent (Art. 6(1)(a)) requires consent');
  }
  if (p.validity_months !== null && (p.validity_months < 1 || p.validity_months > 600 || !Number.isInteger(p.validity_months))) {
    throw invalid('validity_months', 'use 1–600 months, or no limit');
  }
}

/** One vault's purposes, consents, disclosures, register and mail settings. */
export class MockConsent {
  purposes: Purpose[] = defaultPurposes();
  sources: string[] = [...DEFAULT_SOURCES];
  /** Every consent entry ever written, in recording order (append-only). */
  readonly entries: StoredEntry[] = [];
  readonly disclosures: StoredDisclosure[] = [];
  /** Evidence files by consent entry id. */
  readonly files = new Map<string, StoredFile>();
  readonly registers: Register[] = [];
  smtp: SmtpSettings | null = null;
  private smtpPassword: string | null = null;
  /** Files in the (pretend) export folder, with the people whose data each holds. */
  readonly written = new Map<string, Set<string>>();
  /** Mails the mock sent (double opt-in), for tests. */
  readonly sent: SentMail[] = [];
  private seq = 0;

  constructor(
    private readonly people: PersonSource,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  private now(): Date {
    return this.clock();
  }

  private nextId(): string {
    this.seq += 1;
    return `0190ffff-0000-7000-8000-${this.seq.toString(16).padStart(12, '0')}`;
  }

  /** Creates the first register version at the first sign-in (seed_consent_defaults). */
  seed(user: string): void {
    if (this.registers.length === 0) this.snapshot(user);
  }

  private snapshot(user: string): void {
    const content = deriveRegister(this.purposes);
    const last = this.registers.at(-1);
    if (last && JSON.stringify(last.content) === JSON.stringify(content)) return;
    this.registers.push({
      version: this.registers.length + 1,
      created: this.now().toISOString(),
      created_by: user,
      content,
    });
  }

  private purpose(key: string): Purpose {
    const wanted = key.trim().toLowerCase();
    const p = this.purposes.find(
      (x) => x.key === wanted || x.name_de.toLowerCase() === wanted || x.name_en.toLowerCase() === wanted,
    );
    if (!p) throw fail('not_found', `purpose '${key}' not found`);
    return p;
  }

  private person(id: string): string {
    const display = this.people.display(id);
    if (display === null) throw fail('not_found', `person '${id}' not found`);
    return display;
  }

  private expiry(e: ConsentEntry, p: Purpose | undefined): string | null {
    if (!p || p.validity_months === null) return null;
    return addMonths(e.at, p.validity_months);
  }

  private validNow(e: ConsentEntry, p: Purpose, now: Date): boolean {
    const end = this.expiry(e, p);
    return e.state === 'given' && (end === null || Date.parse(end) > now.getTime());
  }

  private entriesOf(person: string): StoredEntry[] {
    return this.entries.filter((e) => e.person === person);
  }

  private latest(): Map<string, StoredEntry> {
    const out = new Map<string, StoredEntry>();
    for (const e of this.entries) out.set(`${e.person}\u0000${e.purpose}\u0000${e.channel}`, e);
    return out;
  }

  private write(entry: Omit<StoredEntry, 'id'>): ConsentEntry {
    const stored: StoredEntry = { ...entry, id: this.nextId() };
    this.entries.push(stored);
    return this.public(stored);
  }

  private public(e: StoredEntry): ConsentEntry {
    const { token: _token, ...rest } = e;
    void _token;
    return clone(rest);
  }

  private exportPath(stem: string, ext: string, people: string[] = []): string {
    let path = `/exports/${stem}.${ext}`;
    for (let n = 2; this.written.has(path); n++) path = `/exports/${stem}-${n}.${ext}`;
    this.written.set(path, new Set(people));
    return path;
  }

  /** Files in the export folder holding data of the person (as the core's search finds them). */
  filesOf(person: string): string[] {
    return [...this.written].filter(([, people]) => people.has(person)).map(([path]) => path);
  }

  /** Deletes files of the export folder; as the core, refuses anything outside it. */
  deleteFiles(paths: string[]): number {
    let deleted = 0;
    for (const p of paths) {
      if (!p.startsWith('/exports/') || p.slice('/exports/'.length).includes('/')) {
        throw invalid('files', `${p} is not a file in /exports`);
      }
      if (this.written.delete(p)) deleted++;
    }
    return deleted;
  }

  private today(): string {
    return this.now().toISOString().slice(0, 10);
  }

  /**
   * Demo data as the core's demo seed: every third person gave e-marketing
   * consent by email some time in the last 30 months (so some have expired),
   * every thirtieth withdrew it since.
   */
  seedDemo(ids: string[], by: string): void {
    const sources = ['web_form', 'business_card', 'event', 'phone', 'email'];
    const now = this.now().getTime();
    ids.forEach((person, i) => {
      if (i % 3 !== 0) return;
      const days = (i * 7919) % 900;
      const given = now - days * DAY;
      const base = {
        person,
        purpose: 'e-marketing',
        channel: 'email' as const,
        basis: 'consent' as const,
        source: sources[i % sources.length],
        evidence: null,
        evidence_file: null,
        reason: null,
        by,
        token: null,
      };
      this.write({ ...base, state: 'given', at: new Date(given).toISOString() });
      if (i % 30 === 0) this.write({ ...base, state: 'withdrawn', at: new Date(given + Math.floor(days / 2) * DAY).toISOString() });
    });
  }

  // ---- purposes -------------------------------------------------------

  listPurposes(role: Role): Purpose[] {
    requireAction(role, 'view_consent');
    return clone(this.purposes);
  }

  savePurpose(role: Role, user: string, p: Purpose, mustBeNew: boolean): null {
    requireAction(role, 'manage_purposes');
    validatePurpose(p);
    const i = this.purposes.findIndex((q) => q.key === p.key);
    if (mustBeNew && i >= 0) throw invalid('key', `a purpose '${p.key}' exists already; use edit`);
    if (!mustBeNew && i < 0) throw fail('not_found', `purpose '${p.key}' not found`);
    if (i >= 0) this.purposes[i] = clone(p);
    else this.purposes.push(clone(p));
    this.snapshot(user);
    return null;
  }

  consentSources(role: Role): string[] {
    requireAction(role, 'view_consent');
    return [...this.sources];
  }

  setConsentSources(role: Role, sources: string[]): string[] {
    requireAction(role, 'manage_purposes');
    const clean: string[] = [];
    for (const raw of sources) {
      const s = normalizeSource(raw);
      if (!isSourceName(s)) throw invalid('sources', 'a source is 1–40 characters');
      if (!clean.includes(s)) clean.push(s);
    }
    if (clean.length === 0) throw invalid('sources', 'keep at least one source');
    this.sources = clean;
    return this.consentSources(role);
  }

  // ---- consents -------------------------------------------------------

  private status(p: Purpose, history: StoredEntry[], now: Date): PurposeStatus {
    const latest = new Map<Channel, StoredEntry>();
    for (const e of history) if (e.purpose === p.key) latest.set(e.channel, e);
    const channels: ChannelStatus[] = CHANNELS.filter((c) => latest.has(c)).map((c) => {
      const e = latest.get(c) as StoredEntry;
      const expires = e.state === 'given' ? this.expiry(e, p) : null;
      const state = e.state === 'given' && expires !== null && Date.parse(expires) <= now.getTime() ? 'expired' : e.state;
      return { channel: c, state, entry: this.public(e), expires };
    });
    const lawful = p.consent_required
      ? channels.some((c) => c.state === 'given')
      : !channels.some((c) => c.state === 'withdrawn') || channels.some((c) => c.state === 'given');
    return { purpose: clone(p), lawful, channels };
  }

  legalBasis(role: Role, id: string): LegalBasisView {
    requireAction(role, 'view_consent');
    const display = this.person(id);
    const now = this.now();
    const history = this.entriesOf(id);
    const purposes = this.purposes.map((p) => this.status(p, history, now));
    const justified = new Set<Category>(purposes.filter((s) => s.lawful).flatMap((s) => s.purpose.categories));
    const values = this.people.readable(id, role);
    const unjustified: UnjustifiedField[] = PERSON_FIELDS.filter((f) => {
      const v = values[f.name];
      return v !== undefined && !(Array.isArray(v) && v.length === 0) && !justified.has(f.category);
    }).map((f) => ({ field: f.name, category: f.category }));
    return {
      person: id,
      display,
      purposes,
      history: history.map((e) => this.public(e)),
      unjustified,
      disclosures: this.disclosures
        .filter((d) => d.people.includes(id))
        .map(({ people: _people, ...d }) => {
          void _people;
          return clone(d);
        }),
      generated: now.toISOString(),
    };
  }

  giveConsent(role: Role, user: string, id: string, input: ConsentInput, file: StoredFile | null = null): ConsentEntry {
    requireAction(role, 'record_consent');
    this.person(id);
    const purpose = this.purpose(input.purpose);
    const channel = parseChannel(input.channel);
    const source = normalizeSource(input.source);
    if (!this.sources.includes(source)) {
      throw invalid('source', `unknown source '${input.source}'; use one of: ${this.sources.join(', ')}`);
    }
    const evidence = checkEvidence(input.evidence);
    const now = this.now();
    let at = now.toISOString();
    if (input.at !== null && input.at !== undefined) {
      const d = new Date(input.at);
      if (Number.isNaN(d.getTime())) throw invalid('at', `'${input.at}' is not a date and time`);
      if (d.getTime() > now.getTime()) throw invalid('at', 'a consent cannot be given in the future');
      at = d.toISOString();
    }
    if (input.basis !== null && !LEGAL_BASES.includes(input.basis)) throw invalid('basis', 'unknown legal basis');
    if (file && file.bytes.length > MAX_EVIDENCE_BYTES) throw invalid('evidence_file', 'attach at most 20 MB');
    const entry = this.write({
      person: id,
      purpose: purpose.key,
      channel,
      state: 'given',
      basis: input.basis ?? 'consent',
      source,
      evidence,
      evidence_file: file ? { name: file.name, size: file.bytes.length, sha256: fakeSha256(file.bytes) } : null,
      reason: null,
      at,
      by: user,
      token: null,
    });
    if (file) this.files.set(entry.id, { name: file.name, bytes: file.bytes.slice() });
    return entry;
  }

  /** Writes an entry's evidence file to the (pretend) export folder. */
  saveEvidence(role: Role, entryId: string): ExportedFile {
    requireAction(role, 'view_consent');
    const file = this.files.get(entryId);
    if (!file) throw fail('not_found', `evidence file '${entryId}' not found`);
    const [stem, ext] = fileParts(file.name);
    return { path: this.exportPath(stem, ext), count: null };
  }

  withdrawConsent(role: Role, user: string, id: string, purposeKey: string, channelName: string, reason: string | null): ConsentEntry {
    requireAction(role, 'record_consent');
    this.person(id);
    const purpose = this.purpose(purposeKey);
    const channel = parseChannel(channelName);
    const last = this.entriesOf(id)
      .filter((e) => e.purpose === purpose.key && e.channel === channel)
      .at(-1);
    if (!last || last.state === 'withdrawn') {
      throw invalid('purpose', `there is no consent for '${purpose.key}' by ${channel} to withdraw`);
    }
    return this.write({
      person: id,
      purpose: purpose.key,
      channel,
      state: 'withdrawn',
      basis: last.basis,
      source: last.source,
      evidence: null,
      evidence_file: null,
      reason: checkEvidence(reason),
      at: this.now().toISOString(),
      by: user,
      token: null,
    });
  }

  private newToken(): string {
    const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
    let x = (this.seq + 1) * 2654435761 + this.entries.length * 40503 + Date.now();
    const chars: string[] = [];
    for (let i = 0; i < 20; i++) {
      x = (Math.imul(x ^ (x >>> 13), 0x5bd1e995) + 0x6b43a9b5) >>> 0;
      chars.push(alphabet[x % alphabet.length]);
    }
    const groups = [0, 4, 8, 12, 16].map((i) => chars.slice(i, i + 4).join(''));
    return `TRS-${groups.join('-')}`;
  }

  requestConsent(role: Role, user: string, id: string, purposeKey: string): ConsentEntry {
    requireAction(role, 'request_consent');
    const smtp = this.smtp;
    if (!smtp) throw invalid('smtp', 'no mail server is set up; an admin can set one with `tresor settings smtp`');
    const purpose = this.purpose(purposeKey);
    this.person(id);
    const to = first(this.people.readable(id, role).emails);
    if (!to) throw invalid('emails', 'the person has no email address to send the request to');
    if (smtp.user && this.smtpPassword === null) throw invalid('smtp', 'the mail server needs a password; none is stored');
    if (smtp.host.endsWith('.invalid')) {
      throw fail('mail', `the mail could not be sent (could not reach ${smtp.host}); nothing was recorded`);
    }
    const token = this.newToken();
    this.sent.push({ to, purpose: purpose.key, token });
    return this.write({
      person: id,
      purpose: purpose.key,
      channel: 'email',
      state: 'pending',
      basis: 'consent',
      source: 'double_opt_in',
      evidence: `confirmation mail sent to ${to}`,
      evidence_file: null,
      reason: null,
      at: this.now().toISOString(),
      by: user,
      token,
    });
  }

  confirmConsent(role: Role, user: string, text: string): ConsentEntry {
    requireAction(role, 'record_consent');
    const token = findToken(text);
    if (!token) throw invalid('token', 'no confirmation code (TRS-XXXX-XXXX-XXXX-XXXX-XXXX) found in the text');
    const pending = this.entries.find((e) => e.token === token);
    if (!pending) throw invalid('token', 'this confirmation code is unknown or was mistyped');
    const latest = this.entriesOf(pending.person)
      .filter((e) => e.purpose === pending.purpose && e.channel === pending.channel)
      .at(-1);
    if (latest && latest.id !== pending.id) {
      throw invalid(
        'token',
        latest.state === 'given'
          ? 'this consent is already confirmed'
          : 'a newer request or a withdrawal replaced this code; send a new request',
      );
    }
    const now = this.now();
    if (now.getTime() - Date.parse(pending.at) > 30 * DAY) {
      throw invalid('token', 'this confirmation code is older than 30 days; send a new request');
    }
    const reply = text.trim();
    const evidence =
      reply.length > token.length + 4
        ? `double opt-in confirmed with code ${token}; reply:\n${[...reply].slice(0, 8000).join('')}`
        : `double opt-in confirmed with code ${token}`;
    return this.write({
      person: pending.person,
      purpose: pending.purpose,
      channel: pending.channel,
      state: 'given',
      basis: 'consent',
      source: 'double_opt_in',
      evidence,
      evidence_file: null,
      reason: null,
      at: now.toISOString(),
      by: user,
      token: null,
    });
  }

  reconsentList(role: Role, aheadDays: number): ReconsentItem[] {
    requireAction(role, 'view_consent');
    const now = this.now().getTime();
    const horizon = now + aheadDays * DAY;
    const items: ReconsentItem[] = [];
    for (const e of this.latest().values()) {
      if (e.state !== 'given') continue;
      const expires = this.expiry(
        e,
        this.purposes.find((p) => p.key === e.purpose),
      );
      if (expires === null || Date.parse(expires) > horizon) continue;
      items.push({
        person: e.person,
        display: this.people.display(e.person) ?? e.person,
        purpose: e.purpose,
        channel: e.channel,
        expires,
        expired: Date.parse(expires) <= now,
      });
    }
    return items.sort((a, b) => Date.parse(a.expires) - Date.parse(b.expires) || a.display.localeCompare(b.display));
  }

  // ---- register -------------------------------------------------------

  registerVersions(role: Role): RegisterVersionInfo[] {
    requireAction(role, 'view_consent');
    return this.registers.map((r) => ({ version: r.version, created: r.created, created_by: r.created_by }));
  }

  getRegister(role: Role, version: number | null): Register {
    requireAction(role, 'view_consent');
    const r = version === null ? this.registers.at(-1) : this.registers.find((x) => x.version === version);
    if (!r) throw fail('not_found', `register version '${version ?? 'latest'}' not found`);
    return clone(r);
  }

  // ---- exports --------------------------------------------------------

  exportLegalBasis(role: Role, id: string, format: string, lang: Lang): ExportedFile {
    requireAction(role, 'export_records');
    const view = this.legalBasis(role, id);
    if (format !== 'xlsx' && format !== 'csv') throw invalid('format', 'the legal-basis view is exported as xlsx or csv');
    const stem = `${lang === 'de' ? 'rechtsgrundlagen' : 'legal-basis'}-${slug(view.display)}-${this.today()}`;
    return { path: this.exportPath(stem, format, [id]), count: null };
  }

  exportRegister(role: Role, version: number | null, format: string, lang: Lang): ExportedFile {
    requireAction(role, 'export_records');
    const r = this.getRegister(role, version);
    if (format !== 'xlsx' && format !== 'html') throw invalid('format', 'the register is exported as xlsx or html');
    const stem = `${lang === 'de' ? 'verarbeitungsverzeichnis' : 'processing-register'}-v${r.version}-${lang}`;
    return { path: this.exportPath(stem, format), count: null };
  }

  exportMailing(role: Role, user: string, purposeKey: string, channelName: string): ExportedFile {
    requireAction(role, 'export_mailing');
    const purpose = this.purpose(purposeKey);
    const channel = parseChannel(channelName);
    const now = this.now();
    const latest = [...this.latest().values()].filter((e) => e.purpose === purpose.key && e.channel === channel);
    const eligible = new Set(latest.filter((e) => this.validNow(e, purpose, now)).map((e) => e.person));
    if (!purpose.consent_required) {
      const objected = new Set(latest.filter((e) => e.state === 'withdrawn').map((e) => e.person));
      for (const id of this.people.ids()) if (!objected.has(id)) eligible.add(id);
    }
    const field = channel === 'email' ? 'emails' : channel === 'post' ? 'addresses' : 'phones';
    const people = [...eligible].filter((id) => first(this.people.readable(id, role)[field]) !== null);
    const stem = `mailing-${slug(purpose.key)}-${slug(channel)}-${this.today()}`;
    const path = this.exportPath(stem, 'csv', people);
    this.disclosures.push({
      id: this.nextId(),
      purpose: purpose.key,
      channel,
      count: people.length,
      at: now.toISOString(),
      by: user,
      file: path.slice(path.lastIndexOf('/') + 1),
      people,
    });
    return { path, count: people.length };
  }

  // ---- data-subject rights ---------------------------------------------

  /**
   * An objection (Art. 21): a withdrawal on every channel of the purpose at
   * once, whatever was recorded before. Returns the purpose.
   */
  object(user: string, person: string, purposeKey: string, reference: string): Purpose {
    this.person(person);
    const purpose = this.purpose(purposeKey);
    const at = this.now().toISOString();
    for (const channel of CHANNELS) {
      this.write({
        person,
        purpose: purpose.key,
        channel,
        state: 'withdrawn',
        basis: purpose.basis,
        source: 'objection',
        evidence: null,
        evidence_file: null,
        reason: `objection (Art. 21 GDPR), ${reference}`,
        at,
        by: user,
        token: null,
      });
    }
    return clone(purpose);
  }

  /** How many consent entries and disclosures concern the person. */
  countsOf(person: string): { entries: number; disclosures: number } {
    return {
      entries: this.entriesOf(person).length,
      disclosures: this.disclosures.filter((d) => d.people.includes(person)).length,
    };
  }

  /** Removes every consent entry of an erased person (and its files); returns how many. */
  forget(person: string): number {
    let n = 0;
    for (let i = this.entries.length - 1; i >= 0; i--) {
      if (this.entries[i].person === person) {
        this.files.delete(this.entries[i].id);
        this.entries.splice(i, 1);
        n += 1;
      }
    }
    for (const d of this.disclosures) d.people = d.people.filter((x) => x !== person);
    return n;
  }

  /** Everything the store holds, as text (for the erasure check). */
  dump(): string {
    return JSON.stringify({ entries: this.entries, disclosures: this.disclosures });
  }

  // ---- mail server ----------------------------------------------------

  smtpSettings(role: Role): SmtpSettings | null {
    requireAction(role, 'view_consent');
    return this.smtp ? { ...this.smtp } : null;
  }

  saveSmtp(role: Role, settings: SmtpSettings, password: string | null): null {
    requireAction(role, 'manage_settings');
    const host = settings.host.trim();
    if (host === '' || host.length > 253 || /\s/.test(host)) throw invalid('host', 'name the mail server, e.g. smtp.example.de');
    if (!Number.isInteger(settings.port) || settings.port < 1 || settings.port > 65535) {
      throw invalid('port', 'use a port from 1 to 65535');
    }
    const from = settings.from.trim();
    if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(from)) throw invalid('from', 'use the business address, e.g. info@example.de');
    const pw = password !== null && password !== '' ? password : null;
    if (pw !== null) this.smtpPassword = pw;
    const user = settings.user?.trim() || null;
    this.smtp = { host, port: settings.port, tls: settings.tls, from, user, has_password: this.smtpPassword !== null };
    return null;
  }
}
