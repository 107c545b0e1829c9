import { existsSync } from 'node:fs';
import { fireEvent, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it, vi } from 'vitest';
import type { WebBackend } from '../lib/backend';
import type { RequestKind } from '../lib/types';
import { byTestId, openBySearch, renderSignedIn } from './helpers';
import { addPerson, as, useServer } from './server';

// The vault's clock: every deadline below is computed from it by the core.
const server = useServer({ clock: '2026-03-10T10:00:00Z' });

async function seeded() {
  const mock = await server.vault([
    ['anna', 'admin'],
    ['dora', 'dpo'],
    ['ida', 'auditor'],
    ['sam', 'sales'],
  ]);
  const id = await addPerson(mock, 'anna', {
    given_name: 'Erika',
    family_name: 'Mustermann',
    emails: ['erika@example.de'],
    phones: ['+49 30 1234567'],
    company: 'Beispiel AG',
    company_role: 'Einkauf',
  });
  await as(mock, 'anna', (b) =>
    b.addInteraction(id, { kind: 'call', at: '2026-02-01T10:00:00Z', summary: 'Rückruf Mustermann', text: null, keep: null }),
  );
  const other = await addPerson(mock, 'anna', { given_name: 'Otto', family_name: 'Normal', emails: ['otto@example.de'] });
  return { mock, id, other };
}

function openReq(mock: WebBackend, kind: RequestKind, person: string | null, received: string) {
  return as(mock, 'anna', (b) => b.openRequest({ kind, person, received, identity_check: null }));
}

function row(reference: string): HTMLElement {
  return document.querySelector(`[data-testid="request-row"][data-reference="${reference}"]`) as HTMLElement;
}

async function openRights(query: string, id: string) {
  await openBySearch(query, id, fireEvent);
  await fireEvent.click(screen.getByTestId('tab-rights'));
  const panel = await screen.findByTestId('rights-panel');
  await waitFor(() => expect(panel.getAttribute('aria-busy')).toBe('false'));
  return panel;
}

describe('data-subject rights against the core', () => {
  it('reviews an access package (fields, counts, files) and releases it with path and SHA-256', async () => {
    const { mock, id } = await seeded();
    const r = await openReq(mock, 'access', id, '2026-03-01');
    await as(mock, 'anna', (b) =>
      b.giveConsent(id, { purpose: 'e-marketing', channel: 'email', source: 'web_form', evidence: null, basis: null, at: null }),
    );
    await renderSignedIn(mock, 'anna');
    await openRights('muster', id);
    expect(screen.getByTestId('rights-request').getAttribute('data-reference')).toBe(r.reference);

    await fireEvent.click(screen.getByTestId('package'));
    await fireEvent.change(document.getElementById('pkg-lang')!, { target: { value: 'de' } });
    const preview = await screen.findByTestId('package-preview');
    await waitFor(() => expect(preview.getAttribute('data-lang')).toBe('de'));
    const fields = within(preview).getAllByTestId('package-field');
    expect(fields.map((f) => f.textContent?.replace(/\s+/g, ' ').trim())).toEqual([
      'Vorname Erika',
      'Nachname Mustermann',
      'E-Mail erika@example.de',
      'Telefon +49 30 1234567',
      // The day of the call, though no last contact was typed.
      'Letzter Kontakt 2026-02-01',
    ]);
    const counts = Object.fromEntries(
      within(preview).getAllByTestId('package-count').map((c) => [c.getAttribute('data-name'), c.getAttribute('data-count')]),
    );
    expect(counts).toEqual({ companies: '1', interactions: '1', consent_entries: '1', changes: counts.changes, disclosures: '0', requests: '1' });
    expect(Number(counts.changes)).toBeGreaterThan(0);
    expect(within(preview).getAllByTestId('package-file').map((f) => f.textContent)).toEqual([
      'report.html',
      'data.json',
      'data.csv',
      'contact.vcf',
      'consents.csv',
    ]);
    expect((document.getElementById('pkg-request') as HTMLSelectElement).value).toBe(r.reference);

    // Encryption needs a passphrase of 10 characters.
    await fireEvent.click(document.getElementById('pkg-encrypt')!);
    await fireEvent.input(document.getElementById('pkg-passphrase')!, { target: { value: 'short' } });
    const release = vi.spyOn(mock, 'releasePackage');
    await fireEvent.click(screen.getByTestId('package-release'));
    expect(screen.getByTestId('error-pkg-passphrase').textContent).toBe('Use at least 10 characters.');
    expect(release).not.toHaveBeenCalled();
    await fireEvent.input(document.getElementById('pkg-passphrase')!, { target: { value: 'a long package passphrase' } });
    expect(screen.getByTestId('package-effect').textContent).toContain('encrypted with the passphrase');
    expect(screen.getByTestId('package-effect').textContent).toContain(`for ${r.reference}`);
    // Cancel in the save dialog: the review stays, nothing is recorded.
    await server.cancelSaveDialog(true);
    await fireEvent.click(screen.getByTestId('package-release'));
    expect((await screen.findByTestId('package-not-saved')).textContent).toContain('Nothing was written or recorded');
    expect(screen.queryByTestId('package-path')).toBeNull();
    await server.cancelSaveDialog(false);
    await fireEvent.click(screen.getByTestId('package-release'));

    const path = await screen.findByTestId('package-path');
    expect(path.textContent).toMatch(/\/exports\/auskunft-erika-mustermann-\d{4}-\d{2}-\d{2}\.zip$/);
    expect(screen.getByTestId('package-sha256').textContent).toMatch(/^[0-9a-f]{64}$/);
    expect(release).toHaveBeenCalledWith(id, 'de', 'en', r.reference, 'a long package passphrase');
  });

  it('generates a package passphrase, shows it once with the hint, and releases with it; a typed one keeps the minimum', async () => {
    const { mock, id } = await seeded();
    await renderSignedIn(mock, 'anna');
    await openRights('muster', id);
    await fireEvent.click(screen.getByTestId('package'));
    await screen.findByTestId('package-preview');
    expect(screen.queryByTestId('package-generate')).toBeNull();

    await fireEvent.click(document.getElementById('pkg-encrypt')!);
    const generate = vi.spyOn(mock, 'generatePackagePassphrase');
    await fireEvent.click(screen.getByTestId('package-generate'));
    const shown = await screen.findByTestId('package-generated');
    const words = screen.getByTestId('package-generated-words').textContent ?? '';
    expect(generate).toHaveBeenCalledTimes(1);
    expect(words.split('-')).toHaveLength(6);
    expect((document.getElementById('pkg-passphrase') as HTMLInputElement).value).toBe(words);
    expect(shown.textContent).toContain('give it to the person on another channel than the package');

    // Typed over, it is no longer the generated one: the box goes, and a
    // short one is refused as before.
    await fireEvent.input(document.getElementById('pkg-passphrase')!, { target: { value: 'short' } });
    expect(screen.queryByTestId('package-generated')).toBeNull();
    const release = vi.spyOn(mock, 'releasePackage');
    await fireEvent.click(screen.getByTestId('package-release'));
    expect(screen.getByTestId('error-pkg-passphrase').textContent).toBe('Use at least 10 characters.');
    expect(release).not.toHaveBeenCalled();

    await fireEvent.click(screen.getByTestId('package-generate'));
    const again = (await screen.findByTestId('package-generated-words')).textContent ?? '';
    expect(again.split('-')).toHaveLength(6);
    await fireEvent.click(screen.getByTestId('package-release'));
    await screen.findByTestId('package-path');
    expect(release).toHaveBeenCalledWith(id, 'en', 'en', null, again);
    // Still on screen after the release, to be given to the person; gone with the form.
    expect(screen.getByTestId('package-generated-released').textContent).toBe(again);
    await fireEvent.click(screen.getByTestId('package-close'));
    expect(screen.queryByText(again)).toBeNull();
  });

  it('restricts a person: the banner shows and editing is refused with the restricted error', async () => {
    const { mock, id } = await seeded();
    const r = await openReq(mock, 'restriction', id, '2026-03-01');
    await renderSignedIn(mock, 'dora');
    await openRights('muster', id);
    expect(screen.queryByTestId('restricted-banner')).toBeNull();
    expect(screen.queryByTestId('unrestrict')).toBeNull();

    await fireEvent.click(screen.getByTestId('restrict'));
    expect((document.getElementById('restrict-request') as HTMLSelectElement).value).toBe(r.reference);
    expect(screen.getByTestId('restrict-effect').textContent).toContain('cannot be edited');
    await fireEvent.click(screen.getByTestId('restrict-confirm'));
    const banner = await screen.findByTestId('restricted-banner');
    expect(banner.textContent).toContain('Processing restricted (Art. 18 GDPR)');
    expect(banner.textContent).toContain(r.reference);
    expect(screen.getByTestId('unrestrict')).toBeTruthy();
    expect(screen.queryByTestId('restrict')).toBeNull();
    // Still in the list, so it is found again, and marked there.
    const listed = () => document.querySelector(`[data-testid="contact-row"][data-id="${id}"]`) as HTMLElement;
    await waitFor(() => expect(within(listed()).getByTestId('row-restricted').textContent).toBe('restricted'));

    await fireEvent.click(screen.getByTestId('contact-edit'));
    await fireEvent.input(document.getElementById('f-family_name')!, { target: { value: 'Neu' } });
    await fireEvent.click(screen.getByTestId('form-save'));
    await waitFor(() => expect(screen.getByTestId('form-error').textContent).toContain('This person is restricted (Art. 18 GDPR)'));
    expect((await mock.legalBasis(id)).history).toHaveLength(0);
    await expect(mock.addInteraction(id, { kind: 'call', summary: 'x', text: null, at: null, keep: null })).rejects.toMatchObject({ code: 'restricted' });

    // Lifting it (after confirming) allows editing again.
    await fireEvent.click(screen.getByTestId('form-cancel'));
    await fireEvent.click(await screen.findByTestId('tab-rights'));
    await fireEvent.click(await screen.findByTestId('unrestrict'));
    await fireEvent.click(screen.getByTestId('unrestrict-confirm'));
    await waitFor(() => expect(screen.queryByTestId('restricted-banner')).toBeNull());
    await waitFor(() => expect(within(listed()).queryByTestId('row-restricted')).toBeNull());
    await expect(mock.editContact(id, [{ field: 'family_name', values: ['Neu'] }])).resolves.toBeNull();
  });

  it('records an objection on every channel; a marketing objection suppresses the addresses', async () => {
    const { mock, id } = await seeded();
    const r = await openReq(mock, 'objection', id, '2026-03-01');
    await renderSignedIn(mock, 'anna');
    await openRights('muster', id);
    await fireEvent.click(screen.getByTestId('object'));
    await fireEvent.change(document.getElementById('obj-purpose')!, { target: { value: 'e-marketing' } });
    expect((document.getElementById('obj-request') as HTMLSelectElement).value).toBe(r.reference);
    const effect = screen.getByTestId('obj-effect').textContent ?? '';
    expect(effect).toContain('applies at once on every channel');
    expect(effect).toContain('are also suppressed');
    await fireEvent.click(screen.getByTestId('object-confirm'));
    await waitFor(() =>
      expect(screen.getByTestId('rights-notice').textContent).toBe('The objection was recorded on every channel; 2 addresses suppressed.'),
    );
    const entries = (await mock.legalBasis(id)).history;
    expect(entries.map((e) => [e.purpose, e.channel, e.state])).toEqual([
      ['e-marketing', 'email', 'withdrawn'],
      ['e-marketing', 'phone', 'withdrawn'],
      ['e-marketing', 'post', 'withdrawn'],
      ['e-marketing', 'sms', 'withdrawn'],
    ]);

    // The address cannot come back unnoticed.
    await fireEvent.click(screen.getByTestId('contact-new'));
    await fireEvent.input(document.getElementById('f-family_name')!, { target: { value: 'Zweitkonto' } });
    await fireEvent.input(document.getElementById('f-emails')!, { target: { value: 'ERIKA@example.de' } });
    await fireEvent.click(screen.getByTestId('form-save'));
    await waitFor(() => expect(screen.getByTestId('form-error').textContent).toContain('This address is blocked'));
  });

  it('names the exports that still hold the erased person and deletes them after a confirmation', async () => {
    const { mock, id } = await seeded();
    const r = await openReq(mock, 'erasure', id, '2026-03-01');
    const lb = await as(mock, 'anna', (b) => b.exportLegalBasis(id, 'xlsx', 'en'));
    await renderSignedIn(mock, 'anna');
    await openRights('muster', id);
    await fireEvent.click(screen.getByTestId('erase'));
    expect(screen.getByTestId('erase-effect').textContent).toContain('are searched first and listed afterwards');
    await fireEvent.click(screen.getByTestId('erase-confirm'));
    await screen.findByTestId('erasure-report');
    expect(r.reference).toBeTruthy();
    expect(screen.getAllByTestId('erasure-file').map((f) => f.textContent)).toEqual([lb.path]);

    // Two steps: the confirmation says what goes and what stays untouched.
    const del = vi.spyOn(mock, 'deleteExportFiles');
    await fireEvent.click(screen.getByTestId('erasure-files-delete'));
    expect(del).not.toHaveBeenCalled();
    expect(screen.getByTestId('erasure-files').textContent).toContain('Copies elsewhere (sent by mail, on a USB stick) are not touched.');
    await fireEvent.click(screen.getByTestId('erasure-files-confirm'));
    expect((await screen.findByTestId('erasure-files-deleted')).textContent).toBe('Files deleted: 1.');
    expect(existsSync(lb.path)).toBe(false);
    await expect(mock.deleteExportFiles([lb.path])).rejects.toMatchObject({ code: 'invalid', field: 'files' });
  });

  it('erases only after confirmation, then returns to the list with the report; the check finds nothing', async () => {
    const { mock, id } = await seeded();
    const r = await openReq(mock, 'erasure', id, '2026-03-01');
    await renderSignedIn(mock, 'anna');
    await openRights('muster', id);

    await fireEvent.click(screen.getByTestId('erase'));
    const effect = screen.getByTestId('erase-effect').textContent ?? '';
    expect(effect).toContain('Erika Mustermann, their interactions, consents, links to companies and change history will be gone for good');
    expect(effect).toContain(`What stays: the record id, the date of the erasure and the request reference ${r.reference}.`);
    expect((document.getElementById('erase-suppress') as HTMLInputElement).checked).toBe(true);
    const erase = vi.spyOn(mock, 'eraseContact');
    await fireEvent.click(screen.getByTestId('erase-cancel'));
    expect(erase).not.toHaveBeenCalled();
    expect(screen.getByTestId('contact-detail').textContent).toContain('Erika Mustermann');
    expect(document.querySelector(`[data-testid="contact-row"][data-id="${id}"]`)).not.toBeNull();

    await fireEvent.click(screen.getByTestId('erase'));
    await fireEvent.click(screen.getByTestId('erase-confirm'));
    const report = await screen.findByTestId('erasure-report');
    expect(report.getAttribute('data-records')).toBe('3');
    expect(Number(report.getAttribute('data-changes'))).toBeGreaterThan(0);
    expect(report.textContent).toContain(r.reference);
    expect(screen.queryByTestId('contact-detail')).toBeNull();
    // The list reloads from the core.
    await waitFor(() => expect(document.querySelector(`[data-testid="contact-row"][data-id="${id}"]`)).toBeNull());
    await expect(mock.getContact(id)).rejects.toMatchObject({ code: 'not_found' });
    // No export of hers was written: no file list.
    expect(screen.queryByTestId('erasure-files')).toBeNull();

    // The erasure check in the Requests view.
    await fireEvent.click(screen.getByTestId('nav-requests'));
    await fireEvent.input(await screen.findByTestId('verify-run').then(() => document.getElementById('verify-texts')!), {
      target: { value: 'mustermann\nerika@example.de' },
    });
    await fireEvent.click(screen.getByTestId('verify-run'));
    const result = await screen.findByTestId('verify-result');
    expect(result.getAttribute('data-clean')).toBe('true');
    expect(result.textContent?.trim()).toBe('None remains: no text was found anywhere in the vault.');
    expect(byTestId('verify-place').length).toBeGreaterThan(1);
    expect(byTestId('verify-place').every((p) => p.getAttribute('data-counts') === '0,0')).toBe(true);

    await fireEvent.input(document.getElementById('verify-texts')!, { target: { value: 'Normal\nab' } });
    await fireEvent.click(screen.getByTestId('verify-run'));
    expect(screen.getByTestId('error-texts').textContent).toBe('Enter at least one text of three or more characters per line.');
    await fireEvent.input(document.getElementById('verify-texts')!, { target: { value: 'normal' } });
    await fireEvent.click(screen.getByTestId('verify-run'));
    await waitFor(() => expect(screen.getByTestId('verify-result').getAttribute('data-clean')).toBe('false'));
    expect(screen.getByTestId('verify-result').textContent).toContain('Found:');
  });

  it('erases single fields: the phone goes with its history and, suppressed, cannot come back', async () => {
    const { mock, id } = await seeded();
    const r = await openReq(mock, 'erasure', id, '2026-03-01');
    await renderSignedIn(mock, 'dora');
    await openRights('muster', id);
    await fireEvent.click(screen.getByTestId('erase'));
    expect(screen.queryByTestId('erase-fields')).toBeNull();
    await fireEvent.click(document.getElementById('erase-scope-fields')!);
    await fireEvent.click(document.getElementById('erase-field-phones')!);
    expect(screen.getByTestId('erase-effect').textContent).toContain('The person and everything else stay');
    expect((document.getElementById('erase-suppress') as HTMLInputElement).checked).toBe(true);
    await fireEvent.click(screen.getByTestId('erase-confirm'));
    await waitFor(() => expect(screen.getByTestId('rights-notice').textContent).toContain('Erased: Phone'));
    expect(screen.getByTestId('rights-notice').textContent).toContain('1 addresses put on the blocking list');
    // The person stays, without the phone; the request stays open for the rest.
    const after = await mock.getContact(id);
    expect(after.display).toContain('Mustermann');
    expect(JSON.stringify(after)).not.toContain('1234567');
    expect(JSON.stringify(after)).toContain('erika@example.de');
    expect((await mock.listRequests()).find((x) => x.request.reference === r.reference)?.request.status).toBe('open');

    // Erasing every name is refused by the core, and the refusal is shown.
    await fireEvent.click(screen.getByTestId('erase'));
    await fireEvent.click(document.getElementById('erase-scope-fields')!);
    await fireEvent.click(document.getElementById('erase-field-given_name')!);
    await fireEvent.click(document.getElementById('erase-field-family_name')!);
    await fireEvent.click(screen.getByTestId('erase-confirm'));
    await waitFor(() => expect(screen.getByTestId('erase-error').textContent).toContain('keeps a given or a family name'));
    // (Signing in as someone else locks the window's session: last.)
    await expect(
      as(mock, 'anna', (b) => b.addContact([{ field: 'given_name', values: ['Neu'] }, { field: 'phones', values: ['030 1234567'] }])),
    ).rejects.toMatchObject({ code: 'suppressed' });

  });

  it('sets a legal hold with its reason, which stops an erasure, and lifts it', async () => {
    const { mock, id } = await seeded();
    await openReq(mock, 'erasure', id, '2026-03-01');
    await renderSignedIn(mock, 'anna');
    await openRights('muster', id);
    expect(screen.queryByTestId('hold-banner')).toBeNull();
    await fireEvent.click(screen.getByTestId('hold'));
    await fireEvent.input(document.getElementById('hold-reason')!, { target: { value: 'Klage 3 O 123/26' } });
    await fireEvent.click(screen.getByTestId('hold-confirm'));
    const banner = await screen.findByTestId('hold-banner');
    expect(banner.textContent).toContain('Klage 3 O 123/26');
    expect(banner.textContent).toContain('anna');
    expect((await mock.contactHold(id))?.reason).toBe('Klage 3 O 123/26');

    await fireEvent.click(screen.getByTestId('erase'));
    await fireEvent.click(screen.getByTestId('erase-confirm'));
    await waitFor(() => expect(screen.getByTestId('erase-error').textContent).not.toBe(''));
    expect((await mock.getContact(id)).display).toContain('Mustermann');
    await fireEvent.click(screen.getByText('Cancel'));

    await fireEvent.click(await screen.findByTestId('unhold'));
    await fireEvent.click(screen.getByTestId('unhold-confirm'));
    await waitFor(() => expect(screen.queryByTestId('hold-banner')).toBeNull());
    expect((await mock.contactHold(id))?.active ?? false).toBe(false);
    expect(screen.getByTestId('hold')).toBeTruthy();
  });

  it('an auditor sees the requests but no action; no Rights tab', async () => {
    const { mock, id } = await seeded();
    const r = await openReq(mock, 'erasure', id, '2026-01-05');
    await renderSignedIn(mock, 'ida');
    expect((await screen.findByTestId('requests-due-count')).getAttribute('data-count')).toBe('1');
    await fireEvent.click(screen.getByTestId('nav-requests'));
    await waitFor(() => expect(row(r.reference)).toBeTruthy());
    expect(row(r.reference).getAttribute('data-overdue')).toBe('true');
    for (const action of ['request-new', 'request-extend', 'request-close', 'verify-run']) {
      expect(screen.queryByTestId(action), action).toBeNull();
    }
    await fireEvent.click(within(row(r.reference)).getByTestId('request-person'));
    await waitFor(() => expect(screen.getByTestId('contact-detail').textContent).toContain('Erika Mustermann'));
    expect(screen.queryByTestId('tab-rights')).toBeNull();
    await expect(mock.openRequest({ kind: 'access', person: null, received: '2026-03-01', identity_check: null })).rejects.toMatchObject({
      code: 'forbidden',
    });
  });

  it('a sales user sees no Requests and no Rights tab', async () => {
    const { mock, id } = await seeded();
    await openReq(mock, 'erasure', id, '2026-01-05');
    const list = vi.spyOn(mock, 'listRequests');
    await renderSignedIn(mock, 'sam');
    expect(screen.queryByTestId('nav-requests')).toBeNull();
    expect(screen.queryByTestId('requests-due-count')).toBeNull();
    await openBySearch('muster', id, fireEvent);
    expect(screen.getByTestId('tab-consents')).toBeTruthy();
    expect(screen.queryByTestId('tab-rights')).toBeNull();
    expect(list).not.toHaveBeenCalled();
    await expect(mock.listRequests()).rejects.toMatchObject({ code: 'forbidden' });
  });
});
