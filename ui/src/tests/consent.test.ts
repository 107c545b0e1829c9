import { fireEvent, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it, vi } from 'vitest';
import { formatDateTime } from '../lib/format';
import type { WebBackend } from '../lib/backend';
import type { Channel } from '../lib/types';
import { byTestId, openBySearch, renderSignedIn } from './helpers';
import { addPerson, as, NOW, useServer } from './server';
import { startSmtp, type SmtpServer } from './smtp';

const server = useServer();

async function seeded() {
  const mock = await server.vault([
    ['anna', 'admin'],
    ['carl', 'agent'],
    ['ida', 'auditor'],
    ['sam', 'sales'],
  ]);
  const id = await addPerson(mock, 'anna', {
    given_name: 'Erika',
    family_name: 'Mustermann',
    emails: ['erika@example.de'],
    phones: ['+49 30 1234567'],
  });
  return { mock, id };
}

/** The vault's clock less `days` days, as the consent form sends a time. */
function daysAgo(days: number): string {
  return new Date(Date.parse(NOW) - days * 86_400_000).toISOString();
}

/** Opens a person and the Consents tab; waits for the panel. */
async function openConsents(query: string, id: string): Promise<HTMLElement> {
  await openBySearch(query, id, fireEvent);
  await fireEvent.click(screen.getByTestId('tab-consents'));
  const panel = await screen.findByTestId('consent-panel');
  await waitFor(() => expect(panel.querySelector('[data-testid="purpose-status"]')).not.toBeNull());
  return panel;
}

function stateOf(purpose: string, channel: string): string | null {
  const el = document.querySelector(`[data-testid="consent-state"][data-purpose="${purpose}"][data-channel="${channel}"]`);
  return el ? el.getAttribute('data-state') : null;
}

function lawful(purpose: string): string | null {
  return document.querySelector(`[data-testid="purpose-status"][data-purpose="${purpose}"]`)?.getAttribute('data-lawful') ?? null;
}

function select(id: string, value: string) {
  return fireEvent.change(document.getElementById(id)!, { target: { value } });
}

function seedConsent(mock: WebBackend, user: string, id: string, at: string | null, channel: Channel = 'email') {
  return as(mock, user, (b) =>
    b.giveConsent(id, { purpose: 'e-marketing', channel, source: 'web_form', evidence: 'Newsletter box ticked', basis: null, at }),
  );
}

describe('consents on the contact', () => {
  it('records a consent and a withdrawal; the history keeps both with author and time', async () => {
    const { mock, id } = await seeded();
    await renderSignedIn(mock, 'sam');
    await openConsents('mustermann', id);

    // Sales rests on its own basis; e-marketing has no consent yet.
    expect(lawful('sales')).toBe('true');
    expect(lawful('e-marketing')).toBe('false');
    expect(screen.queryByTestId('consent-history')).toBeNull();

    await fireEvent.click(screen.getByTestId('give-consent'));
    await select('cg-purpose', 'e-marketing');
    await select('cg-channel', 'email');
    await select('cg-source', 'business_card');
    await fireEvent.input(document.getElementById('cg-evidence')!, { target: { value: 'Card handed over at the fair' } });
    await fireEvent.click(screen.getByTestId('consent-save'));
    await waitFor(() => expect(stateOf('e-marketing', 'email')).toBe('given'));
    expect(lawful('e-marketing')).toBe('true');
    expect(screen.getByTestId('consent-notice').textContent).toBe('The consent was recorded.');

    // Withdraw it from the channel row: the confirmation says exactly what happens.
    const row = document.querySelector('[data-testid="withdraw-channel"][data-purpose="e-marketing"][data-channel="email"]') as HTMLElement;
    await fireEvent.click(row);
    expect(screen.getByTestId('withdraw-effect').textContent?.trim()).toBe(
      'This records that Erika Mustermann withdrew the consent to “E-Marketing” by Email, effective now. From then on Erika Mustermann is no longer contacted by Email for this purpose and is left out of its mailing lists. Earlier entries stay in the history; nothing is deleted.',
    );
    await fireEvent.input(document.getElementById('cw-reason')!, { target: { value: 'Asked on the phone' } });
    await fireEvent.click(screen.getByTestId('withdraw-save'));
    await waitFor(() => expect(stateOf('e-marketing', 'email')).toBe('withdrawn'));
    expect(lawful('e-marketing')).toBe('false');

    const entries = within(screen.getByTestId('consent-history')).getAllByTestId('consent-entry');
    expect(entries.map((e) => e.getAttribute('data-state'))).toEqual(['withdrawn', 'given']);
    const view = await mock.legalBasis(id);
    expect(view.history).toHaveLength(2);
    for (const [el, entry] of [
      [entries[0], view.history[1]],
      [entries[1], view.history[0]],
    ] as const) {
      expect(within(el).getByTestId('consent-entry-by').textContent).toBe('sam');
      expect(within(el).getByTestId('consent-entry-at').textContent).toBe(formatDateTime(entry.at));
      expect(el.textContent).toContain('E-Marketing · Email');
      expect(el.textContent).toContain('Art. 6(1)(a) GDPR (consent)');
    }
    expect(entries[1].textContent).toContain('Business card');
    expect(entries[1].textContent).toContain('Card handed over at the fair');
    expect(entries[0].textContent).toContain('Asked on the phone');
  });

  it('shows a consent older than the purpose allows as expired, and lists it for re-consent', async () => {
    const { mock, id } = await seeded();
    const threeYearsAgo = daysAgo(3 * 365);
    await seedConsent(mock, 'anna', id, threeYearsAgo);
    await renderSignedIn(mock, 'anna');
    await openConsents('mustermann', id);

    expect(stateOf('e-marketing', 'email')).toBe('expired');
    expect(lawful('e-marketing')).toBe('false');
    const state = document.querySelector('[data-testid="consent-state"][data-channel="email"]') as HTMLElement;
    expect(state.textContent).toContain('Expired');
    // The history still records what was given.
    expect(screen.getAllByTestId('consent-entry').map((e) => e.getAttribute('data-state'))).toEqual(['given']);

    await fireEvent.click(screen.getByTestId('nav-reconsent'));
    const rows = await screen.findAllByTestId('reconsent-row');
    expect(rows).toHaveLength(1);
    expect(rows[0].getAttribute('data-expired')).toBe('true');
    expect(rows[0].textContent).toContain('Erika Mustermann');
    expect(rows[0].textContent).toContain('Expired');
    // Click-through opens the person's consents.
    await fireEvent.click(within(rows[0]).getByTestId('reconsent-open'));
    await screen.findByTestId('consent-panel');
    expect(screen.getByTestId('tab-consents').getAttribute('aria-selected')).toBe('true');
    await waitFor(() => expect(stateOf('e-marketing', 'email')).toBe('expired'));
  });

  it('lists consents that expire within 30 days as expiring, not expired', async () => {
    const { mock, id } = await seeded();
    const at = new Date(NOW);
    at.setUTCMonth(at.getUTCMonth() - 24);
    at.setUTCDate(at.getUTCDate() + 10);
    await seedConsent(mock, 'anna', id, at.toISOString());
    await renderSignedIn(mock, 'anna');
    await fireEvent.click(screen.getByTestId('nav-reconsent'));
    const rows = await screen.findAllByTestId('reconsent-row');
    expect(rows.map((r) => r.getAttribute('data-expired'))).toEqual(['false']);
    expect(rows[0].textContent).toContain('Expires soon');
  });

  it('warns about data that no purpose with a legal basis needs', async () => {
    const { mock } = await seeded();
    const id = await addPerson(mock, 'anna', { given_name: 'Hans', family_name: 'Gesund', special: 'Allergy', tags: ['vip'] });
    await renderSignedIn(mock, 'anna');
    await openConsents('gesund', id);
    const warning = screen.getByTestId('unjustified');
    expect(warning.textContent).toContain('Data without a purpose');
    const fields = within(warning).getAllByTestId('unjustified-field');
    expect(fields.map((f) => f.getAttribute('data-field'))).toEqual(['special']);
    expect(fields[0].textContent).toContain('Special categories (Art. 9)');

    // An objection to the sales purpose leaves segmentation without a basis;
    // the name stays justified by data-subject rights (a legal obligation,
    // lawful without consent), special categories never had a purpose.
    await fireEvent.click(screen.getByTestId('give-consent'));
    await select('cg-purpose', 'sales');
    await select('cg-channel', 'post');
    await fireEvent.click(screen.getByTestId('consent-save'));
    await waitFor(() => expect(stateOf('sales', 'post')).toBe('given'));
    await fireEvent.click(screen.getByTestId('withdraw-channel'));
    await fireEvent.click(screen.getByTestId('withdraw-save'));
    await waitFor(() => expect(lawful('sales')).toBe('false'));
    expect(lawful('data-subject-rights')).toBe('true');
    const after = within(screen.getByTestId('unjustified'))
      .getAllByTestId('unjustified-field')
      .map((f) => f.getAttribute('data-field'));
    expect(after).toEqual(['tags', 'special']);
  });

  it('shows no warning when every field in use has a purpose', async () => {
    const { mock, id } = await seeded();
    await renderSignedIn(mock, 'anna');
    await openConsents('mustermann', id);
    expect(screen.queryByTestId('unjustified')).toBeNull();
  });

  it('shows the core\'s error when there is nothing to withdraw, and records nothing', async () => {
    const { mock, id } = await seeded();
    await renderSignedIn(mock, 'carl');
    await openConsents('mustermann', id);
    await fireEvent.click(screen.getByTestId('withdraw-consent'));
    await select('cw-purpose', 'e-marketing');
    await select('cw-channel', 'sms');
    const withdraw = vi.spyOn(mock, 'withdrawConsent');
    await fireEvent.click(screen.getByTestId('withdraw-save'));
    expect((await screen.findByTestId('withdraw-error')).textContent).toBe(
      'There is no given or pending consent for this purpose and channel to withdraw.',
    );
    expect(withdraw).toHaveBeenCalledWith(id, 'e-marketing', 'sms', null);
    expect((await mock.legalBasis(id)).history).toEqual([]);
    // The form stays open to pick another purpose or channel.
    expect(screen.getByTestId('withdraw-save')).toBeTruthy();
  });

  it('rejects a consent date in the future next to the date field', async () => {
    const { mock, id } = await seeded();
    await renderSignedIn(mock, 'anna');
    await openConsents('mustermann', id);
    await fireEvent.click(screen.getByTestId('give-consent'));
    await fireEvent.input(document.getElementById('cg-at')!, { target: { value: '2999-01-01T10:00' } });
    const give = vi.spyOn(mock, 'giveConsent');
    await fireEvent.click(screen.getByTestId('consent-save'));
    const error = screen.getByTestId('error-cg-at');
    expect(error.textContent).toBe('A consent cannot be given in the future.');
    expect(document.getElementById('cg-at')?.closest('.field')?.contains(error)).toBe(true);
    expect(document.getElementById('cg-at')?.getAttribute('aria-invalid')).toBe('true');
    expect(give).not.toHaveBeenCalled();
  });

  it('stores the mail server in the settings and never shows its password back', async () => {
    const { mock, id } = await seeded();
    await renderSignedIn(mock, 'anna');
    await openConsents('mustermann', id);

    // No mail server yet: the core's error, in words.
    await fireEvent.click(screen.getByTestId('request-consent'));
    await fireEvent.click(screen.getByTestId('request-consent-send'));
    expect((await screen.findByTestId('request-error')).textContent).toBe(
      'No mail server is set up. An administrator can set one up in the settings.',
    );
    expect((await mock.legalBasis(id)).history).toEqual([]);

    await fireEvent.click(screen.getByTestId('nav-settings'));
    await waitFor(() => expect((document.getElementById('smtp-host') as HTMLInputElement).disabled).toBe(false));
    await fireEvent.input(document.getElementById('smtp-host')!, { target: { value: 'smtp.example.de' } });
    await fireEvent.input(document.getElementById('smtp-from')!, { target: { value: 'not an address' } });
    await fireEvent.click(screen.getByTestId('smtp-save'));
    expect((await screen.findByTestId('error-smtp-from')).textContent).toBe('Use the business address, for example info@example.de.');
    await fireEvent.input(document.getElementById('smtp-from')!, { target: { value: 'info@example.de' } });
    await fireEvent.input(document.getElementById('smtp-user')!, { target: { value: 'info' } });
    await fireEvent.input(document.getElementById('smtp-password')!, { target: { value: 's3cret-pass' } });
    await fireEvent.click(screen.getByTestId('smtp-save'));
    await waitFor(() => expect(screen.getByTestId('smtp-password-state').getAttribute('data-stored')).toBe('true'));
    expect((document.getElementById('smtp-password') as HTMLInputElement).value).toBe('');
    expect(document.body.textContent).not.toContain('s3cret-pass');
    expect(await mock.smtpSettings()).toMatchObject({ host: 'smtp.example.de', port: 587, tls: 'starttls', has_password: true });
  });

  it('asks by double opt-in through a real mail server, and confirms the pasted reply', async () => {
    const smtp = await startSmtp();
    try {
      await optIn(smtp);
    } finally {
      smtp.stop();
    }
  });
});

async function optIn(smtp: SmtpServer) {
    const { mock, id } = await seeded();
    await renderSignedIn(mock, 'anna');
    await fireEvent.click(screen.getByTestId('nav-settings'));
    await waitFor(() => expect((document.getElementById('smtp-host') as HTMLInputElement).disabled).toBe(false));
    await fireEvent.input(document.getElementById('smtp-host')!, { target: { value: '127.0.0.1' } });
    await fireEvent.input(document.getElementById('smtp-port')!, { target: { value: String(smtp.port) } });
    await select('smtp-tls', 'none');
    await fireEvent.input(document.getElementById('smtp-from')!, { target: { value: 'info@example.de' } });
    await fireEvent.click(screen.getByTestId('smtp-save'));
    await waitFor(async () => expect(await mock.smtpSettings()).toMatchObject({ host: '127.0.0.1', port: smtp.port, tls: 'none' }));

    await fireEvent.click(screen.getByTestId('nav-contacts'));
    await openConsents('mustermann', id);
    await fireEvent.click(screen.getByTestId('request-consent'));
    await fireEvent.click(screen.getByTestId('request-consent-send'));
    await waitFor(() => expect(stateOf('e-marketing', 'email')).toBe('pending'));
    expect(lawful('e-marketing')).toBe('false');
    await waitFor(() => expect(smtp.mails()).toHaveLength(1));
    const [text] = smtp.mails();
    expect(text).toContain('To: erika@example.de');
    const mail = { token: /TRS(-[0-9A-Z]{4}){5}/.exec(text)?.[0] ?? '' };
    expect(mail.token).not.toBe('');

    // A pasted reply without a code is refused next to the field.
    await fireEvent.input(screen.getByTestId('confirm-code'), { target: { value: 'Ja, gerne!' } });
    await fireEvent.click(screen.getByTestId('confirm-code-save'));
    expect((await screen.findByTestId('error-cc-text')).textContent).toBe(
      'No confirmation code (TRS-XXXX-XXXX-XXXX-XXXX-XXXX) was found in the text.',
    );
    // The whole reply, lower case, with the code in the subject.
    const reply = `Re: Bitte bestätigen [${mail.token.toLowerCase()}]\n\nJa, gerne!\n> quoted`;
    await fireEvent.input(screen.getByTestId('confirm-code'), { target: { value: reply } });
    await fireEvent.click(screen.getByTestId('confirm-code-save'));
    await waitFor(() => expect(stateOf('e-marketing', 'email')).toBe('given'));
    expect(screen.getByTestId('consent-notice').textContent).toBe('Confirmed: consent to “E-Marketing” by Email.');
    expect(screen.getAllByTestId('consent-entry').map((e) => e.getAttribute('data-state'))).toEqual(['given', 'pending']);
    expect(screen.getAllByTestId('consent-entry')[0].textContent).toContain(`double opt-in confirmed with code ${mail.token}`);

    // The same code again: already confirmed.
    await fireEvent.input(screen.getByTestId('confirm-code'), { target: { value: mail.token } });
    await fireEvent.click(screen.getByTestId('confirm-code-save'));
    expect((await screen.findByTestId('error-cc-text')).textContent).toBe('This consent is already confirmed.');
}

describe('consent exports and roles', () => {
  it('exports the legal-basis view and shows where the file was written', async () => {
    const { mock, id } = await seeded();
    await renderSignedIn(mock, 'ida');
    await openConsents('mustermann', id);
    // An auditor records nothing but may export.
    expect(screen.queryByTestId('give-consent')).toBeNull();
    expect(screen.queryByTestId('withdraw-consent')).toBeNull();
    expect(screen.queryByTestId('request-consent')).toBeNull();
    expect(screen.queryByTestId('confirm-code')).toBeNull();

    await select('lb-export-format', 'csv');
    await select('lb-export-lang', 'de');
    const spy = vi.spyOn(mock, 'exportLegalBasis');
    await fireEvent.click(screen.getByTestId('export-legal-basis'));
    const path = await screen.findByTestId('export-path');
    expect(spy).toHaveBeenCalledWith(id, 'csv', 'de');
    expect(path.textContent).toMatch(/\/exports\/rechtsgrundlagen-erika-mustermann-2026-03-02\.csv$/);
  });

  it('offers an agent recording only: no exports, no double opt-in, no purpose editing', async () => {
    const { mock, id } = await seeded();
    await renderSignedIn(mock, 'carl');
    await openConsents('mustermann', id);
    expect(screen.getByTestId('give-consent')).toBeTruthy();
    expect(screen.getByTestId('withdraw-consent')).toBeTruthy();
    expect(screen.getByTestId('confirm-code')).toBeTruthy();
    expect(screen.queryByTestId('request-consent')).toBeNull();
    expect(screen.queryByTestId('export-legal-basis')).toBeNull();

    await fireEvent.click(screen.getByTestId('nav-register'));
    await screen.findAllByTestId('register-purpose');
    expect(screen.queryByTestId('export-register')).toBeNull();

    await fireEvent.click(screen.getByTestId('nav-reconsent'));
    await screen.findByTestId('reconsent-empty');
    expect(screen.queryByTestId('export-mailing')).toBeNull();

    await fireEvent.click(screen.getByTestId('nav-settings'));
    await waitFor(() => expect(screen.getAllByTestId('purpose-row')).toHaveLength(3));
    expect(screen.queryByTestId('purpose-add')).toBeNull();
    expect(screen.queryByTestId('purpose-edit')).toBeNull();
    expect(document.getElementById('smtp-host')).toBeNull();
    expect(byTestId('export-path')).toEqual([]);
  });

  it('exports a mailing list only of people with a valid basis for that purpose and channel', async () => {
    const { mock, id } = await seeded();
    const other = await addPerson(mock, 'anna', { given_name: 'Otto', family_name: 'Ohne', emails: ['otto@example.de'] });
    const old = await addPerson(mock, 'anna', { given_name: 'Alma', family_name: 'Alt', emails: ['alma@example.de'] });
    await seedConsent(mock, 'anna', id, null);
    await seedConsent(mock, 'anna', old, daysAgo(3 * 365));
    await seedConsent(mock, 'anna', other, null, 'sms');
    await renderSignedIn(mock, 'sam');
    await fireEvent.click(screen.getByTestId('nav-reconsent'));
    await screen.findAllByTestId('reconsent-row');
    await select('ml-purpose', 'e-marketing');
    await select('ml-channel', 'email');
    await fireEvent.click(screen.getByTestId('export-mailing'));
    const count = await screen.findByTestId('export-count');
    expect(count.getAttribute('data-count')).toBe('1');
    expect(count.textContent).toBe('1 people. Written to:');
    expect(screen.getByTestId('export-path').textContent).toMatch(/\/exports\/mailing-e-marketing-email-2026-03-02\.csv$/);

    // The export is recorded as a disclosure on the person it contained.
    await fireEvent.click(screen.getByTestId('nav-contacts'));
    await openConsents('mustermann', id);
    const disclosures = screen.getAllByTestId('disclosure');
    expect(disclosures).toHaveLength(1);
    expect(disclosures[0].textContent).toContain('mailing list “E-Marketing” by Email, 1 people, by sam');
    expect((await mock.legalBasis(other)).disclosures).toEqual([]);
  });

  it('leaves a restricted person out of the mailing list, although their consent is valid (Art. 18)', async () => {
    const { mock, id } = await seeded();
    const kept = await addPerson(mock, 'anna', { given_name: 'Karl', family_name: 'Klar', emails: ['karl@example.de'] });
    await seedConsent(mock, 'anna', id, null);
    await seedConsent(mock, 'anna', kept, null);
    await as(mock, 'anna', async (b) => {
      const req = await b.openRequest({ kind: 'restriction', person: id, received: NOW.slice(0, 10), identity_check: 'called back' });
      await b.restrictContact(id, req.reference);
    });
    await renderSignedIn(mock, 'sam');
    await fireEvent.click(screen.getByTestId('nav-reconsent'));
    await screen.findByTestId('reconsent-empty');
    await select('ml-purpose', 'e-marketing');
    await select('ml-channel', 'email');
    await fireEvent.click(screen.getByTestId('export-mailing'));
    const count = await screen.findByTestId('export-count');
    expect(count.getAttribute('data-count')).toBe('1');
    // The restricted person's consent is valid; the core leaves them out all the same.
    expect((await mock.legalBasis(id)).disclosures).toEqual([]);
    expect((await mock.legalBasis(kept)).disclosures).toHaveLength(1);
  });
});
