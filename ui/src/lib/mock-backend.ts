// An in-memory stand-in for the Rust core, for `npm run dev` in a browser
// and for the component tests. It follows the core's rules closely: roles
// and the categories they can read, locked fields, validation errors naming
// the field, wrong passphrases, prefix search, paging and history; the
// consent part (purposes, consents, register, exports) is in mock-consent.ts,
// sync through a shared folder in mock-sync.ts.
import { CHANGES_VAULT, type Backend, type EvidencePick } from './backend';
import { ALL_CATEGORIES } from './consent';
import { PERSON_FIELDS, SALUTATIONS, INTERACTION_KINDS, ROLES, personField } from './fields';
import { fromBase64 } from './files';
import { fakeSha256, MockConsent, type PersonSource, type SentMail } from './mock-consent';
import { MockRetention } from './mock-retention';
import { MockRights } from './mock-rights';
import { canRead, mayDo, requireAction } from './mock-roles';
import { MockSync, type MockDevice, type MockSyncOptions } from './mock-sync';
import type {
  AppStatus,
  Category,
  Channel,
  ConsentEntry,
  ConsentInput,
  ContactPage,
  ContactView,
  Created,
  DirectoryRow,
  DsRequest,
  ErasureReport,
  ExportedFile,
  FieldChange,
  FieldValue,
  FieldView,
  HistoryEntry,
  InteractionView,
  IpcError,
  Lang,
  LegalBasisView,
  NewInteraction,
  NewRequest,
  PackagePreview,
  PackageRelease,
  PreviewField,
  Purpose,
  ReconsentItem,
  RecordKind,
  Register,
  RegisterVersionInfo,
  ReleasedPackage,
  RequestRow,
  Restriction,
  Role,
  SessionInfo,
  SmtpSettings,
  UserInfo,
  VerifyReport,
  DeletionLogEntry,
  DeviceInfo,
  DueItem,
  HeldPerson,
  Hold,
  RetentionRule,
  SweepReport,
  SyncReport,
  SyncState,
  IpcCode,
} from './types';
import { checkBirthday, isEmail, isLanguageCode, isPhone, MIN_PASSPHRASE } from './validate';

export const MOCK_VAULT_DIR = '/home/anna/.local/share/tresor';
export const MOCK_DEMO_DIR = '/home/anna/.local/share/tresor-demo';
export const DEMO_PASSPHRASE = 'demo-passphrase';

const CATEGORY_EN: Record<Category, string> = {
  identity: 'Identity',
  contact_details: 'Contact details',
  business: 'Business relationship',
  segmentation: 'Segmentation',
  communication: 'Communication',
  notes: 'Notes',
  special: 'Special categories (Art. 9)',
  deal: 'Deal data',
  consent: 'Consents',
  disclosures: 'Disclosures',
  requests: 'Data-subject requests',
  configuration: 'Configuration',
};

export { canRead };

export function sessionFor(user: string, role: Role): SessionInfo {
  const writes = role !== 'auditor';
  return {
    user,
    role,
    may_write: writes,
    may_add_interactions: writes,
    may_view_history: true,
    may_manage_users: role === 'admin',
    may_record_consent: mayDo(role, 'record_consent'),
    may_request_consent: mayDo(role, 'request_consent'),
    may_manage_purposes: mayDo(role, 'manage_purposes'),
    may_manage_settings: mayDo(role, 'manage_settings'),
    may_export_mailing: mayDo(role, 'export_mailing'),
    may_export_records: mayDo(role, 'export_records'),
    may_view_requests: mayDo(role, 'view_requests'),
    may_handle_requests: mayDo(role, 'handle_requests') && mayDo(role, 'erase') && mayDo(role, 'export_package'),
    may_view_retention: mayDo(role, 'view_retention'),
    may_manage_retention: mayDo(role, 'manage_retention'),
    readable: ALL_CATEGORIES.filter((c) => canRead(role, c)),
  };
}

function fail(code: IpcCode, message: string, field: string | null = null): IpcError {
  return { code, message, field };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Deterministic pseudo-random numbers (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)];
}

type Stored = string | string[];

interface Affiliation {
  company: string;
  role: string | null;
}

interface Interaction {
  id: string;
  kind: string;
  at: string;
  by: string;
  summary: string;
  text: string | null;
}

interface RawHistory {
  at: string;
  author: string;
  device: string;
  record: string;
  record_kind: RecordKind;
  field: string;
  category: Category;
  value: Stored | null;
}

interface PersonRec {
  id: string;
  kind: 'person';
  fields: Record<string, Stored>;
  links: Affiliation[];
  interactions: Interaction[] | null;
  history: RawHistory[] | null;
  created: string;
  createdBy: string;
  sortKey: string;
  seed: number;
}

interface CompanyRec {
  id: string;
  kind: 'company';
  fields: Record<string, Stored>;
  created: string;
  sortKey: string;
}

interface MockUser {
  name: string;
  role: Role;
  passphrase: string;
  created: string;
}

const GIVEN = [
  'Anna', 'Ben', 'Clara', 'David', 'Emma', 'Felix', 'Greta', 'Hannah', 'Ida', 'Jonas', 'Karl', 'Lena',
  'Maximilian', 'Nora', 'Oskar', 'Paula', 'Quirin', 'Rosa', 'Simon', 'Tilda', 'Ulrich', 'Vera', 'Wilhelm',
  'Yasemin', 'Zoe', 'Mehmet', 'Aylin', 'Lukas', 'Sophie', 'Jürgen', 'Özlem', 'Björn', 'Małgorzata', 'Chiara',
];
const FAMILY = [
  'Müller', 'Schmidt', 'Schneider', 'Fischer', 'Weber', 'Meyer', 'Wagner', 'Becker', 'Schulz', 'Hoffmann',
  'Schäfer', 'Koch', 'Bauer', 'Richter', 'Klein', 'Wolf', 'Schröder', 'Neumann', 'Schwarz', 'Zimmermann',
  'Braun', 'Krüger', 'Hofmann', 'Hartmann', 'Lange', 'Schmitt', 'Werner', 'Schmitz', 'Krause', 'Meier',
  'Lehmann', 'Yilmaz', 'Kaya', 'Nowak', 'Kowalski', 'Rossi', 'Öztürk', 'Albrecht', 'Vogel', 'Engel',
];
const COMPANY_A = ['Nord', 'Süd', 'Rhein', 'Alpen', 'Elb', 'Spree', 'Main', 'Harz', 'Isar', 'Ostsee', 'Weser', 'Donau'];
const COMPANY_B = ['Bau', 'Druck', 'Logistik', 'Metall', 'Holz', 'Textil', 'Software', 'Pflege', 'Optik', 'Energie'];
const COMPANY_C = ['GmbH', 'AG', 'KG', 'GmbH & Co. KG', 'e.K.', 'UG'];
const CITIES = [
  ['10115', 'Berlin'], ['20095', 'Hamburg'], ['80331', 'München'], ['50667', 'Köln'], ['60311', 'Frankfurt am Main'],
  ['70173', 'Stuttgart'], ['40213', 'Düsseldorf'], ['04109', 'Leipzig'], ['28195', 'Bremen'], ['01067', 'Dresden'],
] as const;
const STREETS = ['Hauptstraße', 'Bahnhofstraße', 'Gartenweg', 'Lindenallee', 'Am Markt', 'Schulstraße', 'Mühlenweg'];
const ROLES_AT = ['Geschäftsführung', 'Einkauf', 'Buchhaltung', 'Vertrieb', 'IT', 'Personal', null];
const TAGS = ['newsletter', 'messe-2026', 'stammkunde', 'b2b', 'interessent', 'vip'];
const STAGES = ['Erstkontakt', 'Angebot', 'Verhandlung', 'Gewonnen', 'Verloren'];
const SUMMARIES = [
  'Rückfrage zum Angebot',
  'Termin für Vorführung vereinbart',
  'Rechnung erläutert',
  'Katalog zugeschickt',
  'Reklamation aufgenommen',
  'Jahresgespräch',
];

function fold(s: string): string {
  return s
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase();
}

function words(s: string): string[] {
  return fold(s)
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => w.length > 0);
}

function uuid(n: number, kind: number): string {
  const hex = n.toString(16).padStart(12, '0');
  return `0190${kind.toString(16).padStart(4, '0')}-0000-7000-8000-${hex}`;
}

function first(v: Stored | undefined): string | null {
  if (v === undefined) return null;
  if (Array.isArray(v)) return v.length > 0 ? v[0] : null;
  return v;
}

function list(v: Stored | undefined): string[] {
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}

function displayOf(f: Record<string, Stored>): string {
  const name = [first(f.title), first(f.given_name), first(f.family_name)].filter((x) => x).join(' ');
  return name || '?';
}

function sortKeyOf(f: Record<string, Stored>): string {
  return `${fold(first(f.family_name) ?? '')}\u0000${fold(first(f.given_name) ?? '')}`;
}

export interface MockOptions {
  /** Users of an existing vault at the default folder (none: no vault yet). */
  users?: { name: string; role: Role; passphrase: string }[];
  /** Generated people in that vault. */
  people?: number;
  /** People in the demo vault. */
  demoPeople?: number;
  /** Delay of every call, in ms. */
  latencyMs?: number;
  /** Delay of unlock and vault creation (key derivation), in ms. */
  unlockMs?: number;
  /** Delay of opening the demo vault the first time, in ms. */
  demoMs?: number;
  seed?: number;
  /** The clock of consents, expiry and exports (default: the real time). */
  now?: () => Date;
  /** The existing vault syncs with this shared folder. */
  sync?: MockSyncOptions;
  /** Shared folders of teams that this computer can join. */
  teams?: { folder: string; users: { name: string; role: Role; passphrase: string }[]; devices?: MockDevice[] }[];
  /** Folders that hold other files (sync setup refuses them). */
  nonEmptyFolders?: string[];
  /** Delay of a sync, in ms. */
  syncMs?: number;
}

/** One vault's content. */
class MockVault implements PersonSource {
  users: MockUser[] = [];
  persons = new Map<string, PersonRec>();
  companies = new Map<string, CompanyRec>();
  readonly consent: MockConsent;
  readonly rights: MockRights;
  readonly retention = new MockRetention();
  readonly sync: MockSync;
  /** Access packages released (the core's PackageRelease records). */
  readonly releases: PackageRelease[] = [];
  private order: PersonRec[] | null = null;
  private counter = 0;

  constructor(
    readonly dir: string,
    readonly isDemo: boolean,
    now?: () => Date,
  ) {
    this.consent = new MockConsent(this, now);
    this.rights = new MockRights(now);
    this.sync = new MockSync(now ?? (() => new Date()));
  }

  display(id: string): string | null {
    const p = this.persons.get(id);
    return p ? displayOf(p.fields) : null;
  }

  readable(id: string, role: Role): Record<string, Stored> {
    const p = this.persons.get(id);
    const out: Record<string, Stored> = {};
    if (!p) return out;
    for (const def of PERSON_FIELDS) {
      const v = p.fields[def.name];
      if (v !== undefined && canRead(role, def.category)) out[def.name] = v;
    }
    return out;
  }

  ids(): string[] {
    return [...this.persons.keys()];
  }

  nextId(kind: number): string {
    this.counter += 1;
    return uuid(this.counter, kind);
  }

  sorted(): PersonRec[] {
    if (!this.order) {
      this.order = [...this.persons.values()].sort((a, b) =>
        a.sortKey < b.sortKey ? -1 : a.sortKey > b.sortKey ? 1 : a.id < b.id ? -1 : 1,
      );
    }
    return this.order;
  }

  dirty(): void {
    this.order = null;
  }

  companyByName(name: string): CompanyRec | undefined {
    for (const c of this.companies.values()) if (first(c.fields.name) === name) return c;
    return undefined;
  }

  ensureCompany(name: string, at: string): CompanyRec {
    const found = this.companyByName(name);
    if (found) return found;
    const c: CompanyRec = { id: this.nextId(2), kind: 'company', fields: { name }, created: at, sortKey: fold(name) };
    this.companies.set(c.id, c);
    return c;
  }

  /** Fills the vault with invented people and companies. */
  generate(people: number, seed: number): void {
    const r = rng(seed);
    const companies: CompanyRec[] = [];
    const nCompanies = Math.max(1, Math.min(400, Math.ceil(people / 20)));
    for (let i = 0; i < nCompanies; i++) {
      const name = `${pick(r, COMPANY_A)}${pick(r, COMPANY_B).toLowerCase()} ${pick(r, COMPANY_C)}`;
      const [zip, city] = pick(r, CITIES);
      const c = this.companyByName(name) ?? {
        id: this.nextId(2),
        kind: 'company' as const,
        fields: {
          name,
          website: `www.${fold(name).replace(/[^a-z]+/g, '-').replace(/-+$/, '')}.de`,
          phones: [`+49 ${Math.floor(r() * 900 + 100)} ${Math.floor(r() * 9000000 + 1000000)}`],
          addresses: [`${pick(r, STREETS)} ${Math.floor(r() * 120 + 1)}\n${zip} ${city}`],
        },
        created: new Date(Date.UTC(2024, 0, 1) + Math.floor(r() * 6e10)).toISOString(),
        sortKey: fold(name),
      };
      this.companies.set(c.id, c);
      companies.push(c);
    }
    const base = Date.UTC(2025, 0, 1);
    for (let i = 0; i < people; i++) {
      const given = pick(r, GIVEN);
      const family = pick(r, FAMILY);
      const company = r() < 0.8 ? companies[Math.floor(r() * companies.length)] : null;
      const domain = company
        ? String(company.fields.website).replace(/^www\./, '')
        : pick(r, ['example.de', 'mail.example', 'posteo.example']);
      const [zip, city] = pick(r, CITIES);
      const f: Record<string, Stored> = {
        salutation: pick(r, ['ms', 'mr', 'mx', 'none']),
        given_name: given,
        family_name: family,
        language: r() < 0.85 ? 'de' : 'en',
        emails: [`${fold(given)}.${fold(family)}${i % 7 === 0 ? i : ''}@${domain}`],
        phones: [`+49 ${Math.floor(r() * 900 + 100)} ${Math.floor(r() * 9000000 + 1000000)}`],
        addresses: [`${pick(r, STREETS)} ${Math.floor(r() * 120 + 1)}\n${zip} ${city}`],
        tags: TAGS.filter(() => r() < 0.2),
      };
      if (r() < 0.1) f.title = 'Dr.';
      if (r() < 0.5) {
        const y = 1950 + Math.floor(r() * 50);
        f.birthday = `${y}-${String(1 + Math.floor(r() * 12)).padStart(2, '0')}-${String(1 + Math.floor(r() * 28)).padStart(2, '0')}`;
      }
      if (r() < 0.4) f.note = `Bevorzugt Kontakt per E-Mail.\nRückruf am Vormittag.`;
      if (r() < 0.05) f.special = 'Rollstuhlnutzung: barrierefreien Zugang für Termine einplanen.';
      if (r() < 0.3) {
        f.deal_stage = pick(r, STAGES);
        f.deal_value = `${Math.floor(r() * 90 + 5) * 500} €`;
      }
      if ((f.tags as string[]).length === 0) delete f.tags;
      const p: PersonRec = {
        id: this.nextId(1),
        kind: 'person',
        fields: f,
        links: company ? [{ company: company.id, role: pick(r, ROLES_AT) }] : [],
        interactions: null,
        history: null,
        created: new Date(base + i * 60_000).toISOString(),
        createdBy: 'admin',
        sortKey: sortKeyOf(f),
        seed: Math.floor(r() * 1e9),
      };
      this.persons.set(p.id, p);
    }
    this.dirty();
  }

  interactionsOf(p: PersonRec): Interaction[] {
    if (!p.interactions) {
      const r = rng(p.seed);
      const n = Math.floor(r() * 4);
      p.interactions = [];
      for (let i = 0; i < n; i++) {
        p.interactions.push({
          id: this.nextId(3),
          kind: pick(r, INTERACTION_KINDS),
          at: new Date(Date.parse(p.created) + Math.floor(r() * 3e10)).toISOString(),
          by: pick(r, ['admin', 'sam', 'carl']),
          summary: pick(r, SUMMARIES),
          text: r() < 0.6 ? 'Kunde wünscht ein überarbeitetes Angebot bis Monatsende.' : null,
        });
      }
    }
    return p.interactions;
  }

  historyOf(p: PersonRec): RawHistory[] {
    if (!p.history) {
      const device = 'laptop-admin';
      const base = { at: p.created, author: p.createdBy, device, record: p.id, record_kind: 'person' as const };
      p.history = [{ ...base, field: '', category: 'identity', value: null }];
      for (const def of PERSON_FIELDS) {
        const v = p.fields[def.name];
        if (v !== undefined) p.history.push({ ...base, field: def.name, category: def.category, value: v });
      }
      for (const link of p.links) {
        p.history.push({
          ...base,
          record_kind: 'affiliation',
          field: 'company',
          category: 'business',
          value: first(this.companies.get(link.company)?.fields.name) ?? link.company,
        });
      }
      for (const i of this.interactionsOf(p)) {
        p.history.push({
          at: i.at,
          author: i.by,
          device: `laptop-${i.by}`,
          record: i.id,
          record_kind: 'interaction',
          field: 'summary',
          category: 'communication',
          value: i.summary,
        });
      }
    }
    return p.history;
  }
}

/** The in-memory backend. */
export class MockBackend implements Backend {
  private vaults = new Map<string, MockVault>();
  private current: string;
  private session: { user: string; role: Role } | null = null;
  private readonly latency: number;
  private readonly unlockMs: number;
  private readonly demoMs: number;
  private readonly demoPeople: number;
  private readonly seed: number;
  private readonly now: (() => Date) | undefined;
  /** Team folders by path: the vault whose team is in them. */
  private readonly teams = new Map<string, MockVault>();
  private readonly nonEmpty: Set<string>;
  private readonly syncMs: number;
  /** Every command called, in order (for tests). */
  readonly calls: string[] = [];
  /**
   * Stands in for the native save dialog: given the suggested path, the
   * chosen one, or null for Cancel. Accepts the suggestion unless a test
   * replaces it.
   */
  saveDialog: (suggested: string) => string | null = (suggested) => suggested;
  /** Files the last erasure named: the only ones that may be deleted. */
  private erasedFiles: string[] = [];

  constructor(opts: MockOptions = {}) {
    this.latency = opts.latencyMs ?? 0;
    this.unlockMs = opts.unlockMs ?? this.latency;
    this.demoMs = opts.demoMs ?? this.latency;
    this.demoPeople = opts.demoPeople ?? 2000;
    this.seed = opts.seed ?? 1;
    this.now = opts.now;
    this.syncMs = opts.syncMs ?? this.latency;
    this.nonEmpty = new Set(opts.nonEmptyFolders ?? []);
    this.current = MOCK_VAULT_DIR;
    const created = new Date(Date.UTC(2026, 0, 5, 9, 0)).toISOString();
    if (opts.users && opts.users.length > 0) {
      const v = new MockVault(MOCK_VAULT_DIR, false, this.now);
      v.users = opts.users.map((u) => ({ ...u, created }));
      v.generate(opts.people ?? 0, this.seed);
      this.vaults.set(MOCK_VAULT_DIR, v);
      if (opts.sync) {
        v.sync.seed(opts.sync, v.users.find((u) => u.role === 'admin')?.name ?? v.users[0].name);
        this.teams.set(opts.sync.folder, v);
      }
    }
    for (const team of opts.teams ?? []) {
      // A vault on another laptop; only its shared folder is here.
      const v = new MockVault(`(${team.folder})`, false, this.now);
      v.users = team.users.map((u) => ({ ...u, created }));
      v.generate(opts.people ?? 0, this.seed);
      v.sync.seed({ folder: team.folder, devices: team.devices }, team.users[0].name);
      v.sync.devices = v.sync.devices.filter((d) => !d.this_device);
      this.teams.set(team.folder, v);
    }
    // Every change leaves something for the next sync, as in the core.
    const self = this as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
    for (const name of Object.keys(CHANGES_VAULT) as (keyof Backend)[]) {
      if (!CHANGES_VAULT[name]) continue;
      const run = self[name].bind(this);
      self[name] = async (...args: unknown[]) => {
        const result = await run(...args);
        this.vault()?.sync.changed();
        return result;
      };
    }
  }

  // ----- helpers -------------------------------------------------------

  private async tick(name: string, ms = this.latency): Promise<void> {
    this.calls.push(name);
    if (ms > 0) await sleep(ms);
    else await Promise.resolve();
  }

  private vault(): MockVault | undefined {
    return this.vaults.get(this.current);
  }

  private open(): { v: MockVault; user: string; role: Role } {
    const v = this.vault();
    if (!v || !this.session) throw fail('locked', 'the vault is locked');
    return { v, ...this.session };
  }

  private status(): AppStatus {
    const v = this.vault();
    return {
      vault_dir: this.current,
      default_vault_dir: MOCK_VAULT_DIR,
      vault_exists: v !== undefined,
      is_demo: v?.isDemo ?? false,
      users: v ? v.users.map((u) => u.name).sort() : [],
      demo_passphrase: v?.isDemo ? DEMO_PASSPHRASE : null,
      session: this.session ? sessionFor(this.session.user, this.session.role) : null,
    };
  }

  private lockedReason(role: Role, category: Category): string {
    return `your role '${role}' holds no key for the category '${CATEGORY_EN[category]}'`;
  }

  private view(role: Role, category: Category, v: Stored | null | undefined): FieldValue {
    if (!canRead(role, category)) return { state: 'locked', reason: this.lockedReason(role, category) };
    if (v === undefined || v === null || (Array.isArray(v) && v.length === 0)) return { state: 'empty' };
    return { state: 'value', value: v };
  }

  private row(v: MockVault, p: PersonRec): DirectoryRow {
    const link = p.links[0];
    return {
      id: p.id,
      kind: 'person',
      display: displayOf(p.fields),
      company: link ? (first(v.companies.get(link.company)?.fields.name) ?? null) : null,
      email: first(p.fields.emails),
      phone: first(p.fields.phones),
    };
  }

  private companyRow(c: CompanyRec): DirectoryRow {
    return {
      id: c.id,
      kind: 'company',
      display: first(c.fields.name) ?? '?',
      company: null,
      email: null,
      phone: first(c.fields.phones),
    };
  }

  private password(p: string): void {
    if ([...p].length < MIN_PASSPHRASE) throw fail('invalid', 'passphrase: use at least 10 characters', 'passphrase');
  }

  private userName(name: string): void {
    const ok = name.length > 0 && [...name].length <= 64 && /^[\p{L}\p{N}._-]+$/u.test(name);
    if (!ok) throw fail('invalid', "user name: use 1–64 letters, digits, '.', '-' or '_'", 'user name');
  }

  /** Validates one change the way the core does; returns the value to store (null: clear). */
  private normalise(role: Role, change: FieldChange): Stored | null {
    const def = personField(change.field);
    if (!def) throw fail('invalid', `${change.field}: is not a field of a person`, change.field);
    if (!canRead(role, def.category)) {
      throw fail(
        'compartment_locked',
        `${def.name}: your role '${role}' holds no key for the category '${CATEGORY_EN[def.category]}'`,
        def.name,
      );
    }
    const values = change.values;
    if (values.length === 0) return null;
    const controls = (s: string, newlines: boolean) => {
      // eslint-disable-next-line no-control-regex
      const re = newlines ? /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/ : /[\u0000-\u001f\u007f-\u009f]/;
      if (re.test(s)) throw fail('invalid', `${def.name}: contains control characters`, def.name);
    };
    const maxLen = (s: string, max: number) => {
      if ([...s].length > max) throw fail('invalid', `${def.name}: is longer than ${max} characters`, def.name);
    };
    const one = values[0].trim();
    switch (def.shape) {
      case 'text':
        controls(one, false);
        maxLen(one, 500);
        return one === '' ? null : one;
      case 'long':
        controls(values[0], true);
        maxLen(values[0], 100_000);
        return values[0].trim() === '' ? null : values[0];
      case 'date': {
        const problem = checkBirthday(one);
        if (problem === 'format') throw fail('invalid', `birthday: '${one}' is not a date (YYYY-MM-DD)`, 'birthday');
        if (problem === 'future') throw fail('invalid', 'birthday: lies in the future', 'birthday');
        if (problem === 'old') throw fail('invalid', 'birthday: lies before 1900', 'birthday');
        return one;
      }
      case 'language':
        if (!isLanguageCode(one)) {
          throw fail('invalid', 'language: use a two-letter language code such as de or en', 'language');
        }
        return one.toLowerCase();
      case 'salutation':
        if (!(SALUTATIONS as readonly string[]).includes(one.toLowerCase())) {
          throw fail('invalid', `salutation: must be one of: ${SALUTATIONS.join(', ')}`, 'salutation');
        }
        return one.toLowerCase();
      case 'list':
      case 'addresses': {
        const items = values.map((x) => x.trim()).filter((x) => x.length > 0);
        for (const item of items) {
          if (def.name === 'emails' && !isEmail(item)) {
            throw fail('invalid', `email: '${item}' is not an email address (name@example.de)`, 'email');
          }
          if (def.name === 'phones' && !isPhone(item)) {
            throw fail('invalid', `phone: '${item}' is not a phone number (+49 30 1234567)`, 'phone');
          }
          if (def.name === 'tags') {
            controls(item, false);
            maxLen(item, 50);
          }
          if (def.name === 'addresses') {
            controls(item, true);
            maxLen(item, 500);
          }
        }
        return items.length > 0 ? items : null;
      }
    }
  }

  private apply(
    v: MockVault,
    user: string,
    role: Role,
    p: PersonRec,
    changes: FieldChange[],
    isNew: boolean,
  ): void {
    // Validate everything before changing anything.
    const plan: { field: string; value: Stored | null }[] = [];
    let company: string | null | undefined;
    let companyRole: string | null | undefined;
    for (const c of changes) {
      if (c.field === 'company' || c.field === 'company_role') {
        const value = (c.values[0] ?? '').trim();
        if (value.length > 500) throw fail('invalid', `${c.field}: is longer than 500 characters`, c.field);
        if (c.field === 'company') company = value || null;
        else companyRole = value || null;
        continue;
      }
      plan.push({ field: c.field, value: this.normalise(role, c) });
    }
    if (isNew) {
      const named = plan.some((x) => (x.field === 'given_name' || x.field === 'family_name') && x.value);
      if (!named) throw fail('invalid', 'name: a person needs a given or a family name', 'name');
    } else {
      const after = { ...p.fields };
      for (const x of plan) {
        if (x.value === null) delete after[x.field];
        else after[x.field] = x.value;
      }
      if (!first(after.given_name) && !first(after.family_name)) {
        throw fail('invalid', 'name: a person needs a given or a family name', 'name');
      }
    }
    const at = new Date().toISOString();
    const history = v.historyOf(p);
    const device = `laptop-${user}`;
    if (isNew) {
      history.push({ at, author: user, device, record: p.id, record_kind: 'person', field: '', category: 'identity', value: null });
    }
    for (const x of plan) {
      if (x.value === null) delete p.fields[x.field];
      else p.fields[x.field] = x.value;
      const def = personField(x.field);
      history.push({
        at,
        author: user,
        device,
        record: p.id,
        record_kind: 'person',
        field: x.field,
        category: def?.category ?? 'identity',
        value: x.value,
      });
    }
    if (company) {
      const c = v.ensureCompany(company, at);
      const existing = p.links.find((l) => l.company === c.id);
      if (existing) existing.role = companyRole ?? existing.role;
      else p.links.unshift({ company: c.id, role: companyRole ?? null });
      history.push({ at, author: user, device, record: p.id, record_kind: 'affiliation', field: 'company', category: 'business', value: company });
    } else if (companyRole !== undefined && p.links.length > 0) {
      p.links[0].role = companyRole;
      history.push({ at, author: user, device, record: p.id, record_kind: 'affiliation', field: 'role', category: 'business', value: companyRole });
    }
    p.sortKey = sortKeyOf(p.fields);
    v.dirty();
  }

  // ----- test helpers ---------------------------------------------------

  /**
   * Puts a person straight into the open (or default) vault, bypassing all
   * validation: what a hostile or damaged peer could have written.
   */
  seedPerson(fields: Record<string, Stored>, links: { company: string; role: string | null }[] = [], interactions: Omit<Interaction, 'id'>[] = []): string {
    const v = this.vault();
    if (!v) throw new Error('no vault');
    const p: PersonRec = {
      id: v.nextId(1),
      kind: 'person',
      fields: { ...fields },
      links: [],
      interactions: [],
      history: null,
      created: new Date(Date.UTC(2026, 1, 2, 10, 30)).toISOString(),
      createdBy: 'admin',
      sortKey: sortKeyOf(fields),
      seed: 1,
    };
    for (const l of links) {
      const c = v.ensureCompany(l.company, p.created);
      p.links.push({ company: c.id, role: l.role });
    }
    p.interactions = interactions.map((i) => ({ ...i, id: v.nextId(3) }));
    v.persons.set(p.id, p);
    v.dirty();
    return p.id;
  }

  /** The open vault's consent store (signs nothing in; for tests). */
  consentStore(): MockConsent {
    const v = this.vault();
    if (!v) throw new Error('no vault');
    return v.consent;
  }

  /** The double opt-in mails sent so far in the open vault. */
  sentMails(): SentMail[] {
    return this.consentStore().sent;
  }

  /** The open (or default) vault's sync model, for tests to steer. */
  syncModel(): MockSync {
    const v = this.vault();
    if (!v) throw new Error('no vault');
    return v.sync;
  }

  /** Drops the session as the core does when it locks itself. */
  expireSession(): void {
    this.session = null;
  }

  // ----- Backend ----------------------------------------------------------

  async appStatus(): Promise<AppStatus> {
    await this.tick('app_status');
    return this.status();
  }

  async createVault(admin: string, passphrase: string): Promise<Created> {
    await this.tick('create_vault', this.unlockMs);
    if (this.vault()) throw fail('vault_exists', `a vault already exists in ${this.current}`);
    this.userName(admin);
    this.password(passphrase);
    const v = new MockVault(this.current, false, this.now);
    const created = new Date().toISOString();
    v.users = [{ name: admin, role: 'admin', passphrase, created }];
    this.vaults.set(this.current, v);
    this.session = { user: admin, role: 'admin' };
    const r = rng(Date.now());
    const groups = Array.from({ length: 8 }, () =>
      Array.from({ length: 4 }, () => 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789'[Math.floor(r() * 32)]).join(''),
    );
    const recovery_kit = [
      'TRESOR RECOVERY KIT',
      '===================',
      '',
      `Vault:          ${this.current}`,
      `Administrator:  ${admin}`,
      `Created:        ${created}`,
      '',
      'Recovery key:',
      `    ${groups.slice(0, 4).join('-')}`,
      `    ${groups.slice(4).join('-')}`,
      '',
      'Keep this sheet offline, away from the computer. With it,',
      `"tresor recover --admin ${admin}" sets a new passphrase.`,
    ].join('\n');
    return { recovery_kit, session: sessionFor(admin, 'admin') };
  }

  async openVault(dir: string): Promise<AppStatus> {
    await this.tick('open_vault');
    const d = dir.trim();
    if (!this.vaults.has(d)) throw fail('vault_not_found', `no vault in ${d}`);
    this.session = null;
    this.current = d;
    return this.status();
  }

  async openDemo(): Promise<AppStatus> {
    this.session = null;
    const exists = this.vaults.has(MOCK_DEMO_DIR);
    await this.tick('open_demo', exists ? this.latency : this.demoMs);
    if (!exists) {
      const v = new MockVault(MOCK_DEMO_DIR, true, this.now);
      const created = new Date(Date.UTC(2026, 0, 5, 9, 0)).toISOString();
      v.users = [
        { name: 'demo', role: 'admin', passphrase: DEMO_PASSPHRASE, created },
        { name: 'dora', role: 'dpo', passphrase: DEMO_PASSPHRASE, created },
        { name: 'sam', role: 'sales', passphrase: DEMO_PASSPHRASE, created },
        { name: 'carl', role: 'agent', passphrase: DEMO_PASSPHRASE, created },
        { name: 'ida', role: 'auditor', passphrase: DEMO_PASSPHRASE, created },
      ];
      v.generate(this.demoPeople, this.seed + 1);
      v.consent.seed('demo');
      v.consent.seedDemo(v.ids(), 'demo');
      this.vaults.set(MOCK_DEMO_DIR, v);
    }
    this.current = MOCK_DEMO_DIR;
    this.session = { user: 'demo', role: 'admin' };
    return this.status();
  }

  async unlock(user: string, passphrase: string): Promise<SessionInfo> {
    await this.tick('unlock', this.unlockMs);
    this.session = null;
    const v = this.vault();
    if (!v) throw fail('vault_not_found', `no vault in ${this.current}`);
    const u = v.users.find((x) => x.name === user);
    // An unknown user gets the same answer as a wrong passphrase.
    if (!u || u.passphrase !== passphrase) throw fail('wrong_passphrase', 'wrong passphrase');
    this.session = { user: u.name, role: u.role };
    return sessionFor(u.name, u.role);
  }

  async lock(): Promise<AppStatus> {
    await this.tick('lock');
    this.session = null;
    return this.status();
  }

  async listContacts(offset: number, limit: number): Promise<ContactPage> {
    await this.tick('list_contacts');
    const { v } = this.open();
    const all = v.sorted();
    return { total: all.length, rows: all.slice(offset, offset + limit).map((p) => this.row(v, p)) };
  }

  async searchContacts(query: string, limit: number): Promise<DirectoryRow[]> {
    await this.tick('search_contacts');
    const { v } = this.open();
    const terms = words(query);
    if (terms.length === 0) return [];
    const matches = (texts: (string | null)[]) => {
      const ws = texts.flatMap((x) => (x ? words(x) : []));
      return terms.every((term) => ws.some((w) => w.startsWith(term)));
    };
    const out: { row: DirectoryRow; key: string; kind: number }[] = [];
    for (const c of v.companies.values()) {
      const row = this.companyRow(c);
      if (matches([row.display])) out.push({ row, key: c.sortKey, kind: 1 });
    }
    for (const p of v.sorted()) {
      const row = this.row(v, p);
      if (matches([row.display, row.company, row.email])) out.push({ row, key: p.sortKey, kind: 0 });
      if (out.length >= limit * 4 + 64) break;
    }
    out.sort((a, b) => a.kind - b.kind || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return out.slice(0, limit).map((x) => x.row);
  }

  async getContact(id: string): Promise<ContactView> {
    await this.tick('get_contact');
    const { v, role } = this.open();
    const p = v.persons.get(id);
    if (p) {
      const fields: FieldView[] = PERSON_FIELDS.map((def) => ({
        name: def.name,
        label_en: def.label_en,
        label_de: def.label_de,
        category: def.category,
        value: this.view(role, def.category, p.fields[def.name]),
      }));
      const interactions: InteractionView[] = v
        .interactionsOf(p)
        .map((i) => ({
          id: i.id,
          kind: i.kind,
          at: i.at,
          by: i.by,
          summary: i.summary,
          text: this.view(role, 'notes', i.text),
          keep: null,
        }));
      return {
        id: p.id,
        kind: 'person',
        display: displayOf(p.fields),
        fields,
        companies: p.links.map((l) => ({
          company: l.company,
          name: first(v.companies.get(l.company)?.fields.name) ?? '?',
          role: l.role,
        })),
        interactions,
      };
    }
    const c = v.companies.get(id);
    if (c) {
      const defs: [string, Category, string, string][] = [
        ['name', 'business', 'Firmenname', 'Company name'],
        ['website', 'business', 'Website', 'Website'],
        ['phones', 'business', 'Telefon', 'Phone'],
        ['addresses', 'business', 'Anschrift', 'Address'],
        ['note', 'notes', 'Notiz', 'Note'],
      ];
      return {
        id: c.id,
        kind: 'company',
        display: first(c.fields.name) ?? '?',
        fields: defs.map(([name, category, label_de, label_en]) => ({
          name,
          label_de,
          label_en,
          category,
          value: this.view(role, category, c.fields[name]),
        })),
        companies: [],
        interactions: [],
      };
    }
    throw fail('not_found', `no record ${id}`);
  }

  async contactHistory(id: string): Promise<HistoryEntry[]> {
    await this.tick('contact_history');
    const { v, role } = this.open();
    const p = v.persons.get(id);
    if (!p) {
      if (v.companies.has(id)) return [];
      throw fail('not_found', `no record ${id}`);
    }
    return v.historyOf(p).map((h) => ({
      at: h.at,
      author: h.author,
      device: h.device,
      record: h.record,
      record_kind: h.record_kind,
      field: h.field,
      value: h.field === '' ? { state: 'empty' } : this.view(role, h.category, h.value),
    }));
  }

  async addContact(changes: FieldChange[]): Promise<string> {
    await this.tick('add_contact');
    const { v, user, role } = this.open();
    if (role === 'auditor') throw fail('forbidden', `the role '${role}' may not change contacts`);
    const p: PersonRec = {
      id: v.nextId(1),
      kind: 'person',
      fields: {},
      links: [],
      interactions: [],
      history: [],
      created: new Date().toISOString(),
      createdBy: user,
      sortKey: '',
      seed: 0,
    };
    const given = (field: string) => changes.filter((c) => c.field === field).flatMap((c) => c.values.map((x) => x.trim()).filter((x) => x));
    v.rights.checkSuppressed(given('emails'), given('phones'));
    this.apply(v, user, role, p, changes, true);
    v.persons.set(p.id, p);
    v.dirty();
    return p.id;
  }

  async editContact(id: string, changes: FieldChange[]): Promise<null> {
    await this.tick('edit_contact');
    const { v, user, role } = this.open();
    if (role === 'auditor') throw fail('forbidden', `the role '${role}' may not change contacts`);
    const p = v.persons.get(id);
    if (!p) throw fail('not_found', `no record ${id}`);
    v.rights.refuseIfRestricted(id);
    if (changes.length === 0) throw fail('invalid', 'edit: nothing to change', 'edit');
    this.apply(v, user, role, p, changes, false);
    return null;
  }

  async addInteraction(contact: string, interaction: NewInteraction): Promise<string> {
    await this.tick('add_interaction');
    const { v, user, role } = this.open();
    if (role === 'auditor') throw fail('forbidden', `the role '${role}' may not record interactions`);
    const p = v.persons.get(contact);
    if (!p) throw fail('not_found', `no record ${contact}`);
    v.rights.refuseIfRestricted(contact);
    if (!(INTERACTION_KINDS as readonly string[]).includes(interaction.kind)) {
      throw fail('invalid', `kind: must be one of: ${INTERACTION_KINDS.join(', ')}`, 'kind');
    }
    if (interaction.summary.trim() === '') throw fail('invalid', 'summary: an interaction needs a summary', 'summary');
    const text = interaction.text && interaction.text.trim() !== '' ? interaction.text : null;
    if (text !== null && !canRead(role, 'notes')) {
      throw fail('compartment_locked', `text: your role '${role}' holds no key for the category 'Notes'`, 'text');
    }
    let at = new Date().toISOString();
    if (interaction.at && interaction.at.trim() !== '') {
      const d = new Date(interaction.at);
      if (Number.isNaN(d.getTime())) throw fail('invalid', `at: '${interaction.at}' is not a date and time`, 'at');
      at = d.toISOString();
    }
    const i: Interaction = { id: v.nextId(3), kind: interaction.kind, at, by: user, summary: interaction.summary.trim(), text };
    v.interactionsOf(p).push(i);
    const history = v.historyOf(p);
    const base = { at: new Date().toISOString(), author: user, device: `laptop-${user}`, record: i.id, record_kind: 'interaction' as const };
    history.push({ ...base, field: '', category: 'communication', value: null });
    history.push({ ...base, field: 'summary', category: 'communication', value: i.summary });
    if (text !== null) history.push({ ...base, field: 'text', category: 'notes', value: text });
    return i.id;
  }

  async listUsers(): Promise<UserInfo[]> {
    await this.tick('list_users');
    const { v } = this.open();
    return v.users.map((u) => ({ name: u.name, role: u.role, created: u.created })).sort((a, b) => a.name.localeCompare(b.name));
  }

  private admin(): MockVault {
    const { v, role } = this.open();
    if (role !== 'admin') throw fail('forbidden', `the role '${role}' may not manage users and roles`);
    return v;
  }

  async addUser(name: string, role: Role, passphrase: string): Promise<null> {
    await this.tick('add_user', this.unlockMs);
    const v = this.admin();
    if (!(ROLES as readonly string[]).includes(role)) throw fail('invalid', `role: unknown role '${role}'`, 'role');
    this.userName(name);
    if (v.users.some((u) => u.name === name)) throw fail('user_exists', `a user named '${name}' already exists`);
    this.password(passphrase);
    v.users.push({ name, role, passphrase, created: new Date().toISOString() });
    return null;
  }

  async setUserRole(name: string, role: Role): Promise<null> {
    await this.tick('set_user_role');
    const v = this.admin();
    if (!(ROLES as readonly string[]).includes(role)) throw fail('invalid', `role: unknown role '${role}'`, 'role');
    const u = v.users.find((x) => x.name === name);
    if (!u) throw fail('not_found', `no user '${name}'`);
    if (u.role === 'admin' && role !== 'admin' && v.users.filter((x) => x.role === 'admin').length === 1) {
      throw fail('last_admin', 'the vault needs at least one admin');
    }
    u.role = role;
    if (this.session?.user === name) this.session = { user: name, role };
    return null;
  }

  async removeUser(name: string): Promise<null> {
    await this.tick('remove_user', this.unlockMs);
    const v = this.admin();
    const u = v.users.find((x) => x.name === name);
    if (!u) throw fail('not_found', `no user '${name}'`);
    if (u.role === 'admin' && v.users.filter((x) => x.role === 'admin').length === 1) {
      throw fail('last_admin', 'the vault needs at least one admin');
    }
    v.users = v.users.filter((x) => x.name !== name);
    return null;
  }

  async changePassphrase(name: string, passphrase: string): Promise<null> {
    await this.tick('change_passphrase', this.unlockMs);
    const { v, user, role } = this.open();
    if (name !== user && role !== 'admin') throw fail('forbidden', `the role '${role}' may not manage users and roles`);
    const u = v.users.find((x) => x.name === name);
    if (!u) throw fail('not_found', `no user '${name}'`);
    this.password(passphrase);
    u.passphrase = passphrase;
    return null;
  }
  // ----- purposes, consents, register, exports ------------------------------

  /** The open session's consent store; the first sign-in makes register version 1. */
  private consent(): { c: MockConsent; user: string; role: Role } {
    const { v, user, role } = this.open();
    v.consent.seed(user);
    return { c: v.consent, user, role };
  }

  async listPurposes(): Promise<Purpose[]> {
    await this.tick('list_purposes');
    const { c, role } = this.consent();
    return c.listPurposes(role);
  }

  async savePurpose(purpose: Purpose, isNew: boolean): Promise<null> {
    await this.tick('save_purpose');
    const { c, user, role } = this.consent();
    return c.savePurpose(role, user, purpose, isNew);
  }

  async consentSources(): Promise<string[]> {
    await this.tick('consent_sources');
    const { c, role } = this.consent();
    return c.consentSources(role);
  }

  async legalBasis(id: string): Promise<LegalBasisView> {
    await this.tick('legal_basis');
    const { c, role } = this.consent();
    return c.legalBasis(role, id);
  }

  async setConsentSources(sources: string[]): Promise<string[]> {
    await this.tick('set_consent_sources');
    const { c, role } = this.consent();
    return c.setConsentSources(role, sources);
  }

  async giveConsent(id: string, consent: ConsentInput, file: EvidencePick | null = null): Promise<ConsentEntry> {
    await this.tick('give_consent');
    // The shell decodes the file before it asks the core (as give_consent in src-tauri).
    const bytes = file ? fromBase64(file.dataBase64) : null;
    if (file && !bytes) throw fail('invalid', 'evidence_file: the file could not be read', 'evidence_file');
    const { c, user, role } = this.consent();
    this.open().v.rights.refuseIfRestricted(id);
    return c.giveConsent(role, user, id, consent, file && bytes ? { name: file.name, bytes } : null);
  }

  async saveEvidence(entryId: string): Promise<ExportedFile> {
    await this.tick('save_evidence');
    const { c, role } = this.consent();
    return c.saveEvidence(role, entryId);
  }

  async withdrawConsent(id: string, purpose: string, channel: Channel, reason: string | null): Promise<ConsentEntry> {
    await this.tick('withdraw_consent');
    const { c, user, role } = this.consent();
    return c.withdrawConsent(role, user, id, purpose, channel, reason);
  }

  async requestConsent(id: string, purpose: string): Promise<ConsentEntry> {
    await this.tick('request_consent');
    const { c, user, role } = this.consent();
    this.open().v.rights.refuseIfRestricted(id);
    return c.requestConsent(role, user, id, purpose);
  }

  async confirmConsent(text: string): Promise<ConsentEntry> {
    await this.tick('confirm_consent');
    const { c, user, role } = this.consent();
    return c.confirmConsent(role, user, text);
  }

  async reconsentList(withinDays: number): Promise<ReconsentItem[]> {
    await this.tick('reconsent_list');
    const { c, role } = this.consent();
    return c.reconsentList(role, withinDays);
  }

  async registerVersions(): Promise<RegisterVersionInfo[]> {
    await this.tick('register_versions');
    const { c, role } = this.consent();
    return c.registerVersions(role);
  }

  async getRegister(version: number | null): Promise<Register> {
    await this.tick('get_register');
    const { c, role } = this.consent();
    return c.getRegister(role, version);
  }

  async exportLegalBasis(id: string, format: 'xlsx' | 'csv', lang: Lang): Promise<ExportedFile> {
    await this.tick('export_legal_basis');
    const { c, role } = this.consent();
    return c.exportLegalBasis(role, id, format, lang);
  }

  async exportRegister(version: number | null, format: 'xlsx' | 'html', lang: Lang): Promise<ExportedFile> {
    await this.tick('export_register');
    const { c, role } = this.consent();
    return c.exportRegister(role, version, format, lang);
  }

  async exportMailing(purpose: string, channel: Channel): Promise<ExportedFile> {
    await this.tick('export_mailing');
    const { c, user, role } = this.consent();
    return c.exportMailing(role, user, purpose, channel);
  }

  async smtpSettings(): Promise<SmtpSettings | null> {
    await this.tick('smtp_settings');
    const { c, role } = this.consent();
    return c.smtpSettings(role);
  }

  async saveSmtp(settings: SmtpSettings, password: string | null): Promise<null> {
    await this.tick('save_smtp');
    const { c, role } = this.consent();
    return c.saveSmtp(role, settings, password);
  }

  // ----- data-subject requests and rights -----------------------------------

  private rights(): { v: MockVault; r: MockRights; user: string; role: Role } {
    const { v, user, role } = this.open();
    v.consent.seed(user);
    return { v, r: v.rights, user, role };
  }

  private person(v: MockVault, id: string): PersonRec {
    const p = v.persons.get(id);
    if (!p) throw fail('not_found', `person '${id}' not found`);
    return p;
  }

  async listRequests(): Promise<RequestRow[]> {
    await this.tick('list_requests');
    const { r, role } = this.rights();
    return r.listRequests(role);
  }

  async openRequest(request: NewRequest): Promise<DsRequest> {
    await this.tick('open_request');
    const { v, r, user, role } = this.rights();
    return r.openRequest(role, user, request, (id) => v.persons.has(id));
  }

  async extendRequest(reference: string, reason: string): Promise<DsRequest> {
    await this.tick('extend_request');
    const { r, user, role } = this.rights();
    return r.extendRequest(role, user, reference, reason);
  }

  async closeRequest(reference: string, outcome: string | null): Promise<DsRequest> {
    await this.tick('close_request');
    const { r, user, role } = this.rights();
    return r.closeRequest(role, user, reference, outcome);
  }

  /** The package's content as the core's access_package collects it. */
  private preview(v: MockVault, role: Role, id: string, lang: Lang): PackagePreview {
    requireAction(role, 'export_package');
    const p = this.person(v, id);
    const fields: PreviewField[] = [];
    for (const def of PERSON_FIELDS) {
      const value = p.fields[def.name];
      if (value === undefined || !canRead(role, def.category)) continue;
      const text = Array.isArray(value) ? value.join(', ') : value;
      if (text.trim() === '') continue;
      fields.push({ label: lang === 'de' ? def.label_de : def.label_en, category: def.category, value: text });
    }
    const withheld = [...new Set(PERSON_FIELDS.map((f) => f.category))].filter((c) => !canRead(role, c));
    const counts = v.consent.countsOf(id);
    return {
      display: displayOf(p.fields),
      fields,
      withheld,
      companies: p.links.length,
      interactions: v.interactionsOf(p).length,
      consent_entries: counts.entries,
      changes: v.historyOf(p).length,
      disclosures: counts.disclosures,
      requests: v.rights.requests.filter((q) => q.person === id).length,
      files: ['report.html', 'data.json', 'data.csv', 'contact.vcf', 'consents.csv'],
    };
  }

  async previewPackage(id: string, lang: Lang): Promise<PackagePreview> {
    await this.tick('preview_package');
    const { v, role } = this.rights();
    return this.preview(v, role, id, lang);
  }

  async generatePackagePassphrase(): Promise<string> {
    await this.tick('generate_package_passphrase');
    // A fixed reply at the IPC boundary: generating it is the core's job.
    return 'abend-tulpe-hafen-kiesel-morgen-wolke';
  }

  async releasePackage(id: string, lang: Lang, _uiLang: Lang, request: string | null, passphrase: string | null): Promise<ReleasedPackage | null> {
    await this.tick('release_package');
    const { v, r, user, role } = this.rights();
    const preview = this.preview(v, role, id, lang);
    const pass = passphrase && passphrase !== '' ? passphrase : null;
    if (pass !== null && [...pass].length < MIN_PASSPHRASE) {
      throw fail('invalid', 'passphrase: use at least 10 characters for the package', 'passphrase');
    }
    const req = request && request.trim() !== '' ? r.request(request) : null;
    const slug = fold(preview.display).replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
    let file = `${lang === 'de' ? 'auskunft' : 'access'}-${slug}-${r.today()}.zip`;
    for (let n = 2; v.releases.some((x) => x.file === file); n++) {
      file = `${lang === 'de' ? 'auskunft' : 'access'}-${slug}-${r.today()}-${n}.zip`;
    }
    const chosen = this.saveDialog(`/exports/${file}`);
    if (chosen === null) return null;
    if (chosen.startsWith('/exports/')) v.consent.written.set(chosen, new Set([id]));
    file = chosen.slice(chosen.lastIndexOf('/') + 1);
    const bytes = new TextEncoder().encode(JSON.stringify({ preview, pass: pass !== null, n: v.releases.length }));
    const release = {
      person: id,
      request: req ? req.reference : null,
      sha256: fakeSha256(bytes),
      size: bytes.length + 2048,
      encrypted: pass !== null,
      file,
      at: r.now().toISOString(),
      by: user,
    };
    v.releases.push(release);
    return { path: chosen, release: { ...release } };
  }

  async contactRestriction(id: string): Promise<Restriction | null> {
    await this.tick('contact_restriction');
    const { v, r } = this.rights();
    this.person(v, id);
    return r.restriction(id);
  }

  async restrictContact(id: string, request: string): Promise<Restriction> {
    await this.tick('restrict_contact');
    const { v, r, user, role } = this.rights();
    requireAction(role, 'handle_requests');
    this.person(v, id);
    return r.restrict(role, user, id, request);
  }

  async unrestrictContact(id: string): Promise<null> {
    await this.tick('unrestrict_contact');
    const { v, r, user, role } = this.rights();
    requireAction(role, 'handle_requests');
    this.person(v, id);
    return r.unrestrict(role, user, id);
  }

  async objectContact(id: string, purpose: string, request: string): Promise<number> {
    await this.tick('object_contact');
    const { v, r, user, role } = this.rights();
    requireAction(role, 'handle_requests');
    const p = this.person(v, id);
    const req = r.request(request);
    if (req.kind !== 'objection') throw fail('invalid', `request: ${req.reference} is not an objection`, 'request');
    const chosen = v.consent.object(user, id, purpose, req.reference);
    return chosen.consent_required ? r.suppress(list(p.fields.emails), list(p.fields.phones)) : 0;
  }

  async eraseContact(id: string, request: string, suppress: boolean): Promise<ErasureReport> {
    await this.tick('erase_contact');
    const { v, r, role } = this.rights();
    requireAction(role, 'erase');
    const p = this.person(v, id);
    const req = r.request(request);
    if (req.kind !== 'erasure') {
      throw fail('invalid', `request: ${req.reference} is a request for ${req.kind}, not for erasure`, 'request');
    }
    if (req.person !== null && req.person !== id) {
      throw fail('invalid', `request: ${req.reference} is about another person`, 'request');
    }
    if (suppress) r.suppress(list(p.fields.emails), list(p.fields.phones));
    const changes = v.historyOf(p).length;
    const files = v.consent.filesOf(id);
    this.erasedFiles = files;
    // As in the core, the records of released packages go with the person.
    const releases = v.releases.filter((x) => x.person === id).length;
    v.releases.splice(0, v.releases.length, ...v.releases.filter((x) => x.person !== id));
    const records = 1 + p.links.length + v.interactionsOf(p).length + v.consent.forget(id) + r.forget(id) + releases;
    v.persons.delete(id);
    v.dirty();
    return { person: id, request: req.reference, records, changes, kept: [], erase_after: null, files };
  }
  async deleteExportFiles(files: string[]): Promise<number> {
    await this.tick('delete_export_files');
    const { v, role } = this.rights();
    requireAction(role, 'erase');
    // As the shell: only what the last erasure named.
    const other = files.find((f) => !this.erasedFiles.includes(f));
    if (other !== undefined) throw fail('invalid', `files: ${other} was not named by the last erasure; nothing was deleted`, 'files');
    this.erasedFiles = this.erasedFiles.filter((f) => !files.includes(f));
    return v.consent.deleteFiles(files);
  }


  private retentionPeople(v: MockVault) {
    return [...v.persons.values()].map((p) => {
      const lc = p.fields.last_contact;
      return {
        id: p.id,
        display: [p.fields.given_name, p.fields.family_name].filter(Boolean).join(' '),
        lastContact: typeof lc === 'string' ? lc : null,
      };
    });
  }

  async retentionRules(): Promise<RetentionRule[]> {
    await this.tick('retention_rules');
    const { v, role } = this.open();
    requireAction(role, 'view_retention');
    return structuredClone(v.retention.rules);
  }

  async retentionPreview(days: number, lang: Lang): Promise<DueItem[]> {
    await this.tick('retention_preview');
    const { v, role } = this.open();
    requireAction(role, 'view_retention');
    const until = new Date(Date.now() + days * 86_400_000);
    return v.retention.due(this.retentionPeople(v), until, lang);
  }

  async runRetention(): Promise<SweepReport> {
    await this.tick('run_retention');
    const { v, user, role } = this.open();
    requireAction(role, 'manage_retention');
    const at = new Date().toISOString();
    const due = v.retention.due(this.retentionPeople(v), new Date(), 'en');
    const gone = due.filter((d) => !d.held);
    for (const d of gone) v.persons.delete(d.record);
    if (gone.length > 0) v.dirty();
    const entries = gone.length
      ? [{ at, rule: 'people', action: 'delete' as const, counts: [['person', gone.length] as [string, number]], by: user }]
      : [];
    v.retention.log.unshift(...entries);
    return { at, entries, held: due.length - gone.length };
  }

  async deletionLog(): Promise<DeletionLogEntry[]> {
    await this.tick('deletion_log');
    const { v, role } = this.open();
    requireAction(role, 'view_retention');
    return structuredClone(v.retention.log);
  }

  async legalHolds(): Promise<HeldPerson[]> {
    await this.tick('legal_holds');
    const { v, role } = this.open();
    requireAction(role, 'view_retention');
    return v.retention.held((id) => {
      const p = v.persons.get(id);
      return p ? [p.fields.given_name, p.fields.family_name].filter(Boolean).join(' ') : '';
    });
  }

  async addHold(id: string, reason: string): Promise<Hold> {
    await this.tick('add_hold');
    const { v, user, role } = this.open();
    requireAction(role, 'manage_retention');
    this.person(v, id);
    if (!reason.trim()) throw fail('invalid', "reason: say why in 1–500 characters (e.g. 'lawsuit 3 O 123/26')", 'reason');
    if (v.retention.holds.get(id)?.active) throw fail('invalid', 'contact: the person is already under a legal hold', 'contact');
    const hold: Hold = { active: true, reason: reason.trim(), at: new Date().toISOString(), by: user };
    v.retention.holds.set(id, hold);
    return hold;
  }

  async removeHold(id: string): Promise<null> {
    await this.tick('remove_hold');
    const { v, user, role } = this.open();
    requireAction(role, 'manage_retention');
    const h = v.retention.holds.get(id);
    if (!h?.active) throw fail('invalid', 'contact: the person is not under a legal hold', 'contact');
    v.retention.holds.set(id, { ...h, active: false, at: new Date().toISOString(), by: user });
    return null;
  }

  async verifyErasure(texts: string[]): Promise<VerifyReport> {
    await this.tick('verify_erasure');
    const { v, r, role } = this.rights();
    requireAction(role, 'erase');
    const needles = texts.map((t) => t.trim().toLowerCase());
    if (needles.length === 0 || needles.some((n) => [...n].length < 3)) {
      throw fail('invalid', 'text: give at least one text of three or more characters', 'text');
    }
    const people = [...v.persons.values()];
    const places: [string, unknown][] = [
      ['vault.db: contacts', [people.map((p) => p.fields), [...v.companies.values()].map((c) => c.fields)]],
      ['vault.db: interactions', people.map((p) => v.interactionsOf(p))],
      ['vault.db: history', people.map((p) => v.historyOf(p))],
      ['vault.db: consents', v.consent.dump()],
      ['vault.db: requests', [r.requests, v.releases]],
    ];
    const count = (hay: string, needle: string) => {
      let n = 0;
      for (let i = hay.indexOf(needle); i >= 0; i = hay.indexOf(needle, i + needle.length)) n += 1;
      return n;
    };
    return {
      places: places.map(([place, data]) => {
        const hay = (typeof data === 'string' ? data : JSON.stringify(data)).toLowerCase();
        return { place, counts: needles.map((n) => count(hay, n)) };
      }),
    };
  }

  // ----- sync through a shared folder -------------------------------------

  async syncStatus(): Promise<SyncState> {
    await this.tick('sync_status');
    const { v, role } = this.open();
    return v.sync.state(role);
  }

  /** As a sync that takes over keys changed on another laptop, with a new role for the signed-in user. */
  roleChangedElsewhere(role: Role): void {
    const { v, user } = this.open();
    const u = v.users.find((x) => x.name === user);
    if (u) u.role = role;
    this.session = { user, role };
  }

  async syncNow(): Promise<SyncReport> {
    await this.tick('sync_now', this.syncMs);
    const { v } = this.open();
    return v.sync.sync();
  }

  async syncDevices(): Promise<DeviceInfo[]> {
    await this.tick('sync_devices');
    const { v } = this.open();
    if (!v.sync.folder) throw fail('sync_not_set_up', 'this vault does not sync with a shared folder yet');
    return structuredClone(v.sync.devices);
  }

  async syncSetup(folder: string): Promise<SyncReport> {
    await this.tick('sync_setup', this.syncMs);
    const { v, user, role } = this.open();
    requireAction(role, 'manage_users');
    const f = folder.trim();
    const refuse = (detail: string) => fail('sync_folder', `the shared folder ${f} cannot be used: ${detail}`);
    if (v.dir === f || v.dir.startsWith(`${f}/`)) {
      throw fail('invalid', 'folder: the shared folder must not contain the vault itself; the database stays on this laptop', 'folder');
    }
    const team = this.teams.get(f);
    if (team && team !== v) throw refuse("it already holds another vault's team; choose an empty folder");
    if (!team && this.nonEmpty.has(f)) throw refuse('it is not empty; choose an empty folder for the team');
    v.sync.folder = f;
    v.sync.addThisDevice(user);
    this.teams.set(f, v);
    return v.sync.sync();
  }

  async retireDevice(id: string): Promise<null> {
    await this.tick('retire_device');
    const { v, role } = this.open();
    requireAction(role, 'manage_users');
    v.sync.retire(id);
    return null;
  }

  async joinTeam(folder: string, user: string, passphrase: string): Promise<SessionInfo> {
    await this.tick('join_team', this.unlockMs);
    this.session = null;
    const f = folder.trim();
    const team = this.teams.get(f);
    if (!team) {
      throw fail(
        'sync_folder',
        `the shared folder ${f} cannot be used: it holds no Tresor team (team/keyring.json is missing); check that the folder is shared and complete, or set it up on the first laptop with \`tresor sync setup\``,
      );
    }
    const u = team.users.find((x) => x.name === user.trim());
    if (!u || u.passphrase !== passphrase) throw fail('wrong_passphrase', 'wrong passphrase');
    if (this.vaults.has(MOCK_VAULT_DIR)) {
      throw fail('vault_exists', `a vault already exists in ${MOCK_VAULT_DIR}`);
    }
    // A new local vault with everything the team's devices wrote.
    const v = new MockVault(MOCK_VAULT_DIR, false, this.now);
    v.users = team.users.map((x) => ({ ...x }));
    v.persons = new Map(team.persons);
    v.companies = new Map(team.companies);
    v.dirty();
    v.sync.folder = f;
    v.sync.devices = team.sync.devices.map((d) => ({ ...d, this_device: false }));
    v.sync.folderProblems = [...team.sync.folderProblems];
    v.sync.addThisDevice(u.name);
    v.sync.sync();
    this.vaults.set(MOCK_VAULT_DIR, v);
    this.current = MOCK_VAULT_DIR;
    this.session = { user: u.name, role: u.role };
    return sessionFor(u.name, u.role);
  }
}
