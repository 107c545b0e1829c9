// The data-subject rights part of the in-memory mock: requests with their
// deadlines (crates/core/src/requests.rs), restrictions and suppressed
// addresses (rights.rs). What touches people (erasure, packages, objection)
// is in mock-backend.ts, which holds them.
import { requireAction } from './mock-roles';
import { addMonthsToDate } from './mock-consent';
import { REQUEST_KINDS } from './rights';
import type { DsRequest, IpcCode, IpcError, NewRequest, RequestRow, Restriction, Role } from './types';

const DAY = 86_400_000;

function fail(code: IpcCode, message: string, field: string | null = null): IpcError {
  return { code, message, field };
}

function invalid(field: string, message: string): IpcError {
  return fail('invalid', `${field}: ${message}`, field);
}

/** Trimmed text, null when empty; plain text of at most `max` characters (clean_text). */
function cleanText(field: string, text: string | null | undefined, max: number): string | null {
  const t = (text ?? '').trim();
  if (t === '') return null;
  // eslint-disable-next-line no-control-regex
  if ([...t].length > max || /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/.test(t)) {
    throw invalid(field, `use at most ${max} characters of plain text`);
  }
  return t;
}

/** An address as the core compares it: emails lower case, phones digits with 49 for a leading 0. */
export function normaliseAddress(kind: 'email' | 'phone', value: string): string {
  if (kind === 'email') return value.trim().toLowerCase();
  let digits = value.replace(/\D+/g, '');
  if (digits.startsWith('00')) digits = digits.slice(2);
  else if (digits.startsWith('0')) digits = `49${digits.slice(1)}`;
  return digits;
}

function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY).toISOString().slice(0, 10);
}

export class MockRights {
  readonly requests: DsRequest[] = [];
  /** Every restriction entry per person; the latest counts. */
  readonly restrictions = new Map<string, Restriction[]>();
  /** Suppressed addresses, normalised, as `kind:value`. */
  readonly suppressed = new Set<string>();
  private seq = 0;

  constructor(private readonly clock: () => Date = () => new Date()) {}

  now(): Date {
    return this.clock();
  }

  today(): string {
    return this.now().toISOString().slice(0, 10);
  }

  private nextId(): string {
    this.seq += 1;
    return `0190eeee-0000-7000-8000-${this.seq.toString(16).padStart(12, '0')}`;
  }

  private find(reference: string): DsRequest {
    const wanted = reference.trim().toUpperCase();
    const r = this.requests.find((x) => x.reference === wanted || x.id.toUpperCase() === wanted);
    if (!r) throw fail('not_found', `request '${reference}' not found`);
    return r;
  }

  /** A request by reference, for the other rights (kind checked by the caller). */
  request(reference: string): DsRequest {
    return this.find(reference);
  }

  listRequests(role: Role): RequestRow[] {
    requireAction(role, 'view_requests');
    const today = this.today();
    const week = addDays(today, 7);
    return this.requests.map((r) => {
      const open = r.status === 'open';
      return {
        request: { ...r },
        overdue: open && r.deadline < today,
        due_soon: open && r.deadline >= today && r.deadline <= week,
        extended_deadline: addMonthsToDate(r.received, 3),
      };
    });
  }

  openRequest(role: Role, user: string, input: NewRequest, personExists: (id: string) => boolean): DsRequest {
    requireAction(role, 'handle_requests');
    if (!REQUEST_KINDS.includes(input.kind)) throw invalid('kind', 'unknown kind of request');
    if (!/^\d{4}-\d{2}-\d{2}$/.test(input.received) || Number.isNaN(Date.parse(`${input.received}T00:00:00Z`))) {
      throw invalid('received', 'is not a usable date');
    }
    if (input.received > this.today()) throw invalid('received', 'a request cannot be received in the future');
    if (input.person !== null && !personExists(input.person)) throw fail('not_found', `person '${input.person}' not found`);
    const id = this.nextId();
    const r: DsRequest = {
      id,
      reference: `REQ-${id.replace(/-/g, '').slice(-8).toUpperCase()}`,
      kind: input.kind,
      person: input.person,
      received: input.received,
      identity_check: cleanText('identity_check', input.identity_check, 2000),
      deadline: addMonthsToDate(input.received, 1),
      extension_reason: null,
      status: 'open',
      opened_by: user,
      handled_by: user,
      closed: null,
      outcome: null,
    };
    this.requests.push(r);
    return { ...r };
  }

  extendRequest(role: Role, user: string, reference: string, reason: string): DsRequest {
    requireAction(role, 'handle_requests');
    const r = this.find(reference);
    if (r.status === 'closed') throw invalid('request', 'the request is closed');
    if (r.extension_reason !== null) {
      throw invalid('request', 'the deadline was already extended; Art. 12(3) allows one extension of two months');
    }
    const why = cleanText('reason', reason, 2000);
    if (why === null) throw invalid('reason', 'say why (Art. 12(3): complexity or number of requests)');
    r.deadline = addMonthsToDate(r.received, 3);
    r.extension_reason = why;
    r.handled_by = user;
    return { ...r };
  }

  closeRequest(role: Role, user: string, reference: string, outcome: string | null): DsRequest {
    requireAction(role, 'handle_requests');
    const r = this.find(reference);
    if (r.status === 'closed') throw invalid('request', 'the request is already closed');
    const text = cleanText('outcome', outcome, 4000);
    r.status = 'closed';
    r.closed = this.now().toISOString();
    r.outcome = text;
    r.handled_by = user;
    return { ...r };
  }

  restriction(person: string): Restriction | null {
    const last = this.restrictions.get(person)?.at(-1);
    return last && last.active ? { ...last } : null;
  }

  /** The core's `restricted` error when the person is restricted. */
  refuseIfRestricted(person: string): void {
    const r = this.restriction(person);
    if (r) {
      throw fail(
        'restricted',
        `the person is restricted since ${r.at.slice(0, 10)} (${r.request ?? ''}): the record is read-only and excluded from processing`,
      );
    }
  }

  restrict(role: Role, user: string, person: string, reference: string): Restriction {
    requireAction(role, 'handle_requests');
    const req = this.find(reference);
    if (req.kind !== 'restriction') throw invalid('request', `${req.reference} is not a restriction request`);
    if (this.restriction(person)) throw invalid('contact', 'the person is already restricted');
    const r: Restriction = { active: true, request: req.reference, at: this.now().toISOString(), by: user };
    this.restrictions.set(person, [...(this.restrictions.get(person) ?? []), r]);
    return { ...r };
  }

  unrestrict(role: Role, user: string, person: string): null {
    requireAction(role, 'handle_requests');
    const current = this.restriction(person);
    if (!current) throw invalid('contact', 'the person is not restricted');
    const r: Restriction = { active: false, request: current.request, at: this.now().toISOString(), by: user };
    this.restrictions.set(person, [...(this.restrictions.get(person) ?? []), r]);
    return null;
  }

  /** Suppresses the addresses; returns how many were new. */
  suppress(emails: string[], phones: string[]): number {
    let n = 0;
    for (const [kind, values] of [['email', emails], ['phone', phones]] as const) {
      for (const v of values) {
        const key = `${kind}:${normaliseAddress(kind, v)}`;
        if (!this.suppressed.has(key)) {
          this.suppressed.add(key);
          n += 1;
        }
      }
    }
    return n;
  }

  /** The core's `suppressed` error when one of the addresses is suppressed. */
  checkSuppressed(emails: string[], phones: string[]): void {
    for (const [kind, values] of [['email', emails], ['phone', phones]] as const) {
      for (const v of values) {
        if (this.suppressed.has(`${kind}:${normaliseAddress(kind, v)}`)) {
          throw fail(
            'suppressed',
            `the ${kind} ${v} is suppressed: the person objected or asked not to be contacted again; add it only with a reason (--allow-suppressed REASON), which is recorded`,
          );
        }
      }
    }
  }

  /** Restriction entries go with an erased person. */
  forget(person: string): number {
    const n = this.restrictions.get(person)?.length ?? 0;
    this.restrictions.delete(person);
    return n;
  }
}
