import { describe, expect, it } from 'vitest';
import { toBase64 } from './files';
import { addMonths } from './mock-consent';
import { MockBackend, sessionFor } from './mock-backend';
import type { Channel, ConsentInput, Role } from './types';

const PASS = 'passphrase-123';
const ROLES: Role[] = ['admin', 'dpo', 'sales', 'agent', 'auditor'];

function vault(now?: () => Date) {
  const b = new MockBackend({ users: ROLES.map((role) => ({ name: role, role, passphrase: PASS })), now });
  const id = b.seedPerson({ given_name: 'Erika', family_name: 'Muster', emails: ['erika@example.de'] });
  return { b, id };
}

function given(purpose = 'e-marketing', channel: Channel = 'email', at: string | null = null): ConsentInput {
  return { purpose, channel, source: 'web_form', evidence: null, basis: null, at };
}

describe('MockBackend: consents', () => {
  it('starts with the three default purposes and the core\'s permission flags', async () => {
    const { b } = vault();
    await b.unlock('admin', PASS);
    const purposes = await b.listPurposes();
    expect(purposes.map((p) => [p.key, p.basis, p.consent_required, p.validity_months])).toEqual([
      ['sales', 'contract', false, null],
      ['e-marketing', 'consent', true, 24],
      ['data-subject-rights', 'legal_obligation', false, null],
    ]);
    expect(purposes[0].name_de).toBe('Verkauf und Service');
    expect(purposes[0].name_en).toBe('Sales and service');
    expect(purposes[2].name_de).toBe('Betroffenenrechte');
    expect(purposes[2].name_en).toBe('Data-subject rights');
    expect(purposes[2].categories).toEqual(['identity', 'contact_details', 'consent', 'disclosures', 'requests']);
    const flags = (r: Role) => {
      const s = sessionFor(r, r);
      return [s.may_record_consent, s.may_request_consent, s.may_manage_purposes, s.may_manage_settings, s.may_export_mailing, s.may_export_records];
    };
    expect(flags('admin')).toEqual([true, true, true, true, true, true]);
    expect(flags('dpo')).toEqual([true, true, true, false, true, true]);
    expect(flags('sales')).toEqual([true, true, false, false, true, false]);
    expect(flags('agent')).toEqual([true, false, false, false, false, false]);
    expect(flags('auditor')).toEqual([false, false, false, false, false, true]);
    expect(sessionFor('a', 'admin').readable).toContain('consent');
  });

  it('keeps an append-only history and computes expiry from the purpose', async () => {
    let now = new Date('2026-03-01T12:00:00Z');
    const { b, id } = vault(() => now);
    await b.unlock('sales', PASS);
    await b.giveConsent(id, given('e-marketing', 'email', '2024-02-29T09:00:00Z'));
    let view = await b.legalBasis(id);
    const email = view.purposes[1].channels[0];
    expect(email.expires).toBe('2026-02-28T09:00:00.000Z');
    expect(email.state).toBe('expired');
    expect(view.purposes[1].lawful).toBe(false);
    expect(view.history.map((e) => e.state)).toEqual(['given']);

    await b.giveConsent(id, given());
    await b.withdrawConsent(id, 'e-marketing', 'email', 'no more');
    view = await b.legalBasis(id);
    expect(view.history.map((e) => [e.state, e.by, e.reason])).toEqual([
      ['given', 'sales', null],
      ['given', 'sales', null],
      ['withdrawn', 'sales', 'no more'],
    ]);
    expect(view.purposes[1].channels.map((c) => c.state)).toEqual(['withdrawn']);
    // The entries returned earlier are copies: changing them changes nothing stored.
    view.history[0].state = 'withdrawn';
    expect((await b.legalBasis(id)).history[0].state).toBe('given');

    // Nothing left to withdraw.
    await expect(b.withdrawConsent(id, 'e-marketing', 'email', null)).rejects.toMatchObject({ code: 'invalid', field: 'purpose' });
    await expect(b.withdrawConsent(id, 'e-marketing', 'sms', null)).rejects.toMatchObject({ code: 'invalid', field: 'purpose' });
    // Validation names the field.
    await expect(b.giveConsent(id, { ...given(), source: 'pigeon' })).rejects.toMatchObject({ field: 'source' });
    await expect(b.giveConsent(id, { ...given(), channel: 'fax' as unknown as Channel })).rejects.toMatchObject({ field: 'channel' });
    await expect(b.giveConsent(id, given('e-marketing', 'email', '2026-03-02T00:00:00Z'))).rejects.toMatchObject({ field: 'at' });
    await expect(b.giveConsent(id, given('nope'))).rejects.toMatchObject({ code: 'not_found' });

    // Within 30 days of the end it is listed as expiring, after it as expired.
    await b.giveConsent(id, given('e-marketing', 'phone', '2024-03-20T00:00:00Z'));
    expect((await b.reconsentList(30)).map((r) => [r.channel, r.expired])).toEqual([['phone', false]]);
    now = new Date('2026-04-01T00:00:00Z');
    expect((await b.reconsentList(30)).map((r) => [r.channel, r.expired])).toEqual([['phone', true]]);
  });

  it('adds months like chrono (clamped to the end of the month)', () => {
    expect(addMonths('2024-01-31T10:00:00Z', 1)).toBe('2024-02-29T10:00:00.000Z');
    expect(addMonths('2024-02-29T10:00:00Z', 24)).toBe('2026-02-28T10:00:00.000Z');
    expect(addMonths('2025-11-15T00:00:00Z', 3)).toBe('2026-02-15T00:00:00.000Z');
  });

  it('refuses what a role may not do', async () => {
    const { b, id } = vault();
    await b.unlock('auditor', PASS);
    await expect(b.giveConsent(id, given())).rejects.toMatchObject({ code: 'forbidden' });
    await expect(b.exportLegalBasis(id, 'xlsx', 'en')).resolves.toMatchObject({ count: null });
    await b.unlock('agent', PASS);
    await expect(b.requestConsent(id, 'e-marketing')).rejects.toMatchObject({ code: 'forbidden' });
    await expect(b.exportRegister(null, 'xlsx', 'de')).rejects.toMatchObject({ code: 'forbidden' });
    await expect(b.exportMailing('e-marketing', 'email')).rejects.toMatchObject({ code: 'forbidden' });
    await b.unlock('dpo', PASS);
    await expect(b.saveSmtp({ host: 'h', port: 25, tls: 'none', from: 'a@b.de', user: null, has_password: false }, null)).rejects.toMatchObject({
      code: 'forbidden',
    });
    await b.unlock('sales', PASS);
    const sales = (await b.listPurposes())[0];
    await expect(b.savePurpose({ ...sales, validity_months: 12 }, false)).rejects.toMatchObject({ code: 'forbidden' });
  });

  it('sends a double opt-in only with a mail server, and confirms it once', async () => {
    const { b, id } = vault();
    await b.unlock('admin', PASS);
    await expect(b.requestConsent(id, 'e-marketing')).rejects.toMatchObject({ code: 'invalid', field: 'smtp' });
    await b.saveSmtp({ host: 'smtp.example.de', port: 587, tls: 'starttls', from: 'info@example.de', user: 'info', has_password: false }, null);
    // A user name without a stored password cannot sign in.
    await expect(b.requestConsent(id, 'e-marketing')).rejects.toMatchObject({ code: 'invalid', field: 'smtp' });
    await b.saveSmtp({ host: 'smtp.example.de', port: 587, tls: 'starttls', from: 'info@example.de', user: 'info', has_password: false }, 'pw');
    expect(await b.smtpSettings()).toEqual({
      host: 'smtp.example.de',
      port: 587,
      tls: 'starttls',
      from: 'info@example.de',
      user: 'info',
      has_password: true,
    });
    const nobody = b.seedPerson({ family_name: 'Ohne' });
    await expect(b.requestConsent(nobody, 'e-marketing')).rejects.toMatchObject({ code: 'invalid', field: 'emails' });

    const pending = await b.requestConsent(id, 'e-marketing');
    expect(pending).toMatchObject({ state: 'pending', channel: 'email', source: 'double_opt_in', by: 'admin' });
    expect(pending).not.toHaveProperty('token');
    const [{ token }] = b.sentMails();
    expect(token).toMatch(/^TRS-([A-Z2-9]{4}-){4}[A-Z2-9]{4}$/);
    await expect(b.confirmConsent('thanks!')).rejects.toMatchObject({ field: 'token' });
    await expect(b.confirmConsent('TRS-AAAA-AAAA-AAAA-AAAA-AAAA')).rejects.toMatchObject({ field: 'token' });
    const ok = await b.confirmConsent(`Re: [${token.toLowerCase()}]`);
    expect(ok).toMatchObject({ state: 'given', person: id, purpose: 'e-marketing' });
    await expect(b.confirmConsent(token)).rejects.toMatchObject({ field: 'token', message: 'token: this consent is already confirmed' });

    // An unreachable server: a mail error, nothing recorded.
    await b.saveSmtp({ host: 'smtp.example.invalid', port: 587, tls: 'tls', from: 'info@example.de', user: null, has_password: true }, null);
    const before = (await b.legalBasis(id)).history.length;
    await expect(b.requestConsent(id, 'e-marketing')).rejects.toMatchObject({ code: 'mail' });
    expect((await b.legalBasis(id)).history).toHaveLength(before);
  });

  it('versions the register when a purpose changes it', async () => {
    const { b } = vault();
    await b.unlock('dpo', PASS);
    expect((await b.registerVersions()).map((v) => [v.version, v.created_by])).toEqual([[1, 'dpo']]);
    const first = await b.getRegister(null);
    expect(first.content.categories.map((c) => c.category)).not.toContain('configuration');
    expect(first.content.categories.find((c) => c.category === 'special')?.purposes).toEqual([]);

    const marketing = (await b.listPurposes())[1];
    await b.savePurpose(marketing, false);
    expect(await b.registerVersions()).toHaveLength(1);
    await b.savePurpose({ ...marketing, categories: [...marketing.categories, 'special'] }, false);
    expect(await b.registerVersions()).toHaveLength(2);
    expect((await b.getRegister(null)).content.categories.find((c) => c.category === 'special')?.purposes).toEqual(['e-marketing']);
    expect((await b.getRegister(1)).content.categories.find((c) => c.category === 'special')?.purposes).toEqual([]);
    await expect(b.getRegister(9)).rejects.toMatchObject({ code: 'not_found' });

    await expect(b.savePurpose({ ...marketing, key: 'Bad Key' }, true)).rejects.toMatchObject({ field: 'key' });
    await expect(b.savePurpose({ ...marketing }, true)).rejects.toMatchObject({ field: 'key' });
    await expect(b.savePurpose({ ...marketing, key: 'new-one' }, false)).rejects.toMatchObject({ code: 'not_found' });
    await expect(b.savePurpose({ ...marketing, consent_required: false }, false)).rejects.toMatchObject({ field: 'consent_required' });
    await expect(b.savePurpose({ ...marketing, categories: ['configuration'] }, false)).rejects.toMatchObject({ field: 'categories' });
    await expect(b.savePurpose({ ...marketing, validity_months: 0 }, false)).rejects.toMatchObject({ field: 'validity_months' });
    await expect(b.savePurpose({ ...marketing, name_en: ' ' }, false)).rejects.toMatchObject({ field: 'name_en' });
    expect(await b.registerVersions()).toHaveLength(2);
  });

  it('exports mailing lists bound to purpose and channel, and records the disclosure', async () => {
    const { b, id } = vault();
    const noMail = b.seedPerson({ family_name: 'Ohne' });
    const objected = b.seedPerson({ family_name: 'Nein', emails: ['nein@example.de'] });
    await b.unlock('sales', PASS);
    await b.giveConsent(id, given());
    await b.giveConsent(objected, given('sales', 'email'));
    await b.withdrawConsent(objected, 'sales', 'email', 'objection');

    const marketing = await b.exportMailing('e-marketing', 'email');
    expect(marketing.count).toBe(1);
    expect(marketing.path).toMatch(/^\/exports\/mailing-e-marketing-email-\d{4}-\d{2}-\d{2}\.csv$/);
    expect(await b.exportMailing('e-marketing', 'sms')).toMatchObject({ count: 0 });
    // Sales rests on a contract: everyone with an address who has not objected.
    expect(await b.exportMailing('sales', 'email')).toMatchObject({ count: 1 });

    const view = await b.legalBasis(id);
    expect(view.disclosures.map((d) => [d.purpose, d.channel, d.count, d.by])).toEqual([
      ['e-marketing', 'email', 1, 'sales'],
      ['sales', 'email', 1, 'sales'],
    ]);
    expect(view.disclosures[0]).not.toHaveProperty('people');
    expect((await b.legalBasis(noMail)).disclosures).toEqual([]);
    expect((await b.legalBasis(objected)).disclosures).toEqual([]);
  });

  it('replaces the consent sources as the core does: normalised, deduplicated, never empty', async () => {
    const { b, id } = vault();
    await b.unlock('agent', PASS);
    await expect(b.setConsentSources(['web_form'])).rejects.toMatchObject({ code: 'forbidden' });
    await b.unlock('dpo', PASS);
    expect(await b.setConsentSources(['web_form', ' Trade Fair ', 'trade_fair', 'WEB_FORM'])).toEqual(['web_form', 'trade_fair']);
    expect(await b.consentSources()).toEqual(['web_form', 'trade_fair']);
    await expect(b.setConsentSources([])).rejects.toMatchObject({ code: 'invalid', field: 'sources' });
    await expect(b.setConsentSources(['  '])).rejects.toMatchObject({ code: 'invalid', field: 'sources' });
    await expect(b.setConsentSources(['x'.repeat(41)])).rejects.toMatchObject({ code: 'invalid', field: 'sources' });
    // 40 bytes is the limit, not 40 characters (as String::len in the core).
    await expect(b.setConsentSources(['ü'.repeat(21)])).rejects.toMatchObject({ field: 'sources' });
    expect(await b.setConsentSources(['x'.repeat(40)])).toEqual(['x'.repeat(40)]);
    // A removed source is refused for new consents.
    await expect(b.giveConsent(id, given())).rejects.toMatchObject({ field: 'source' });
    await expect(b.giveConsent(id, { ...given(), source: 'x'.repeat(40) })).resolves.toMatchObject({ source: 'x'.repeat(40) });
  });

  it('keeps an evidence file with a consent and writes it to the export folder', async () => {
    const { b, id } = vault();
    await b.unlock('agent', PASS);
    const a = await b.giveConsent(id, given(), { name: 'Scan Mai.PDF', dataBase64: btoa('%PDF-1.7 signed') });
    const c = await b.giveConsent(id, given(), { name: 'other.pdf', dataBase64: btoa('%PDF-1.7 signet') });
    const none = await b.giveConsent(id, given(), null);
    expect(a.evidence_file).toMatchObject({ name: 'Scan Mai.PDF', size: 15 });
    expect(a.evidence_file?.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(c.evidence_file?.sha256).not.toBe(a.evidence_file?.sha256);
    expect(none.evidence_file).toBeNull();
    expect((await b.legalBasis(id)).history.map((e) => e.evidence_file?.name ?? null)).toEqual(['Scan Mai.PDF', 'other.pdf', null]);

    expect(await b.saveEvidence(a.id)).toEqual({ path: '/exports/scan-mai.pdf', count: null });
    expect((await b.saveEvidence(a.id)).path).toBe('/exports/scan-mai-2.pdf');
    await expect(b.saveEvidence(none.id)).rejects.toMatchObject({ code: 'not_found' });
    await b.unlock('auditor', PASS);
    expect((await b.saveEvidence(c.id)).path).toBe('/exports/other.pdf');

    await b.unlock('agent', PASS);
    await expect(b.giveConsent(id, given(), { name: 'x.bin', dataBase64: '***' })).rejects.toMatchObject({
      code: 'invalid',
      field: 'evidence_file',
    });
    const big = new Uint8Array(20 * 1024 * 1024 + 1);
    await expect(b.giveConsent(id, given(), { name: 'big.bin', dataBase64: toBase64(big) })).rejects.toMatchObject({
      code: 'invalid',
      field: 'evidence_file',
    });
    expect((await b.legalBasis(id)).history).toHaveLength(3);
  });
});
