import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fireEvent, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { renderSignedIn } from './helpers';
import { addPerson, useServer } from './server';

const server = useServer();

/** Windows-1252 bytes of a string with only Latin-1 letters. */
function cp1252(text: string): Buffer {
  return Buffer.from([...text].map((c) => c.charCodeAt(0)));
}

/** A German Excel list saved as "CSV (Trennzeichen-getrennt)". */
function excelList(name: string): string {
  const file = path.join(server.dataDir, name);
  writeFileSync(
    file,
    cp1252(
      'Vorname;Nachname;Kundennr;E-Mail;Ort\r\n' +
        'Jürgen;Weiß;K-1;jw@example.de;Köln\r\n' +
        'Özlem;Kaya;K-2;ok@example.de;Bonn\r\n' +
        ';;K-3;;\r\n',
    ),
  );
  return file;
}

const counts = (testid: string) => within(screen.getByTestId(testid)).getByTestId('import-counts');

describe('the import view against the core', () => {
  it('checks a German Excel list, maps a column, imports it and undoes it', async () => {
    const mock = await server.vault([['anna', 'admin']]);
    const file = excelList('Kunden.csv');
    await renderSignedIn(mock, 'anna');
    await fireEvent.click(screen.getByTestId('nav-import'));
    await server.filesDialog([file]);
    await fireEvent.click(screen.getByTestId('import-choose'));
    await waitFor(() => expect(screen.getByTestId('import-files').textContent).toContain('Kunden.csv'));

    await fireEvent.click(screen.getByTestId('import-check'));
    await waitFor(() => expect(screen.getByTestId('import-preview')).toBeTruthy());
    expect(screen.getByTestId('import-reading').textContent).toContain('windows-1252');
    expect(counts('import-preview').dataset.imported).toBe('2');
    expect(screen.getByTestId('import-problems').textContent).toContain('Line 4');
    const table = screen.getByTestId('import-columns');
    expect(table.textContent).toContain('Jürgen');
    const customerNo = table.querySelector('select[data-header="Kundennr"]') as HTMLSelectElement;
    expect(customerNo.value).toBe('');
    // The customer number goes into the note.
    await fireEvent.change(customerNo, { target: { value: 'note' } });
    expect(screen.queryByTestId('import-preview')).toBeNull();
    await fireEvent.click(screen.getByTestId('import-check'));
    await waitFor(() => expect(screen.getByTestId('import-preview')).toBeTruthy());

    await fireEvent.input(screen.getByTestId('import-source'), { target: { value: 'Messe Köln' } });
    await fireEvent.click(screen.getByTestId('import-run'));
    await waitFor(() => expect(screen.getByTestId('import-result')).toBeTruthy());
    expect(counts('import-result').dataset.imported).toBe('2');
    expect(screen.getByTestId('import-notice').textContent).toContain('2 people imported');
    await waitFor(() => expect(screen.getAllByTestId('import-batch')).toHaveLength(1));

    const rows = await mock.searchContacts('Weiß', 5);
    expect(rows).toHaveLength(1);
    const person = await mock.getContact(rows[0].id);
    const value = (name: string) => person.fields.find((f) => f.name === name)?.value;
    expect(value('note')).toEqual({ state: 'value', value: 'K-1' });
    expect(value('source')).toEqual({ state: 'value', value: 'Import: Messe Köln (2026-03-02, anna)' });

    await fireEvent.click(screen.getByTestId('import-undo'));
    await waitFor(() => expect(screen.getByTestId('import-notice').textContent).toContain('2 people erased'));
    expect(await mock.searchContacts('Weiß', 5)).toHaveLength(0);
    await waitFor(() => expect(screen.getByTestId('import-batch').dataset.undone).toBe('true'));
    expect(screen.queryByTestId('import-undo')).toBeNull();

    // The next list with these columns is read with the mapping chosen.
    const next = excelList('Kunden-2.csv');
    const report = await mock.importContacts([next], {
      encoding: null,
      delimiter: null,
      mapping: null,
      purpose: null,
      source: null,
      on_duplicate: 'skip',
      dry_run: true,
    });
    expect(report.files[0].reading.saved_mapping).toBe(true);
    expect(report.files[0].reading.columns).toContainEqual(['Kundennr', 'note']);
  });

  it('finds people already in the vault twice and opens one', async () => {
    const mock = await server.vault([['anna', 'admin']]);
    await addPerson(mock, 'anna', { given_name: 'Jürgen', family_name: 'Weiß', emails: 'jw@example.de' });
    await addPerson(mock, 'anna', { given_name: 'J.', family_name: 'Weiss', emails: 'JW@example.de' });
    await addPerson(mock, 'anna', { given_name: 'Özlem', family_name: 'Kaya', emails: 'ok@example.de' });
    await renderSignedIn(mock, 'anna');
    await fireEvent.click(screen.getByTestId('nav-import'));
    await fireEvent.click(screen.getByTestId('import-find-duplicates'));
    const groups = await screen.findAllByTestId('import-duplicate-group');
    expect(groups).toHaveLength(1);
    expect(groups[0].textContent).toContain('the same email address');
    expect(groups[0].textContent).toContain('Jürgen Weiß');
    expect(groups[0].textContent).toContain('J. Weiss');
    expect(groups[0].textContent).not.toContain('Kaya');
    await fireEvent.click(within(groups[0]).getByText('J. Weiss'));
    const detail = await screen.findByTestId('contact-detail');
    await waitFor(() => expect(detail.textContent).toContain('J. Weiss'));
  });

  it('merges two records of one person into the one kept, after a yes', async () => {
    const mock = await server.vault([['anna', 'admin']]);
    const keep = await addPerson(mock, 'anna', { given_name: 'Jürgen', family_name: 'Weiß', emails: 'jw@example.de' });
    const other = await addPerson(mock, 'anna', { given_name: 'J.', family_name: 'Weiss', emails: 'JW@example.de', phones: '0221 1234567' });
    await renderSignedIn(mock, 'anna');
    await fireEvent.click(screen.getByTestId('nav-import'));
    await fireEvent.click(screen.getByTestId('import-find-duplicates'));
    await screen.findAllByTestId('import-duplicate-group');
    const keepButton = screen.getAllByTestId('merge-keep').find((b) => b.dataset.id === keep)!;
    await fireEvent.click(keepButton);
    expect(screen.getByTestId('merge-confirm').textContent).toContain('Jürgen Weiß');
    expect(await mock.getContact(other)).toBeTruthy();
    await fireEvent.click(screen.getByTestId('merge-yes'));
    await waitFor(() => expect(screen.getByTestId('import-no-duplicates')).toBeTruthy());
    await expect(mock.getContact(other)).rejects.toMatchObject({ code: 'not_found' });
    const kept = await mock.getContact(keep);
    expect(kept.fields.find((f) => f.name === 'phones')?.value).toEqual({ state: 'value', value: ['0221 1234567'] });
  });

  it('a typed path that is no list is reported, and the import button stays off', async () => {
    const mock = await server.vault([['anna', 'admin']]);
    const bad = path.join(server.dataDir, 'foto.csv');
    writeFileSync(bad, Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d]));
    await renderSignedIn(mock, 'anna');
    await fireEvent.click(screen.getByTestId('nav-import'));
    await fireEvent.input(screen.getByTestId('import-path'), { target: { value: bad } });
    await fireEvent.click(screen.getByTestId('import-add-path'));
    await fireEvent.click(screen.getByTestId('import-check'));
    await waitFor(() => expect(screen.getByTestId('import-refused').textContent).toContain('not a text file'));
    expect((screen.getByTestId('import-run') as HTMLButtonElement).disabled).toBe(true);
  });

  it('checks and imports a vCard file of a phone, its properties shown as read', async () => {
    const mock = await server.vault([['anna', 'admin']]);
    const file = path.join(server.dataDir, 'Telefon.vcf');
    writeFileSync(
      file,
      'BEGIN:VCARD\r\nVERSION:3.0\r\nN:Kaya;Özlem;;Frau;\r\nFN:Özlem Kaya\r\nTEL;TYPE=CELL:+49 171 5550100\r\n' +
        'PHOTO;ENCODING=b;TYPE=JPEG:AAAA\r\nEND:VCARD\r\n' +
        'BEGIN:VCARD\r\nVERSION:3.0\r\nORG:Nur Firma\r\nEND:VCARD\r\n',
    );
    await renderSignedIn(mock, 'anna');
    await fireEvent.click(screen.getByTestId('nav-import'));
    await server.filesDialog([file]);
    await fireEvent.click(screen.getByTestId('import-choose'));
    await waitFor(() => expect(screen.getByTestId('import-files').textContent).toContain('Telefon.vcf'));
    await fireEvent.click(screen.getByTestId('import-check'));
    await waitFor(() => expect(screen.getByTestId('import-preview')).toBeTruthy());
    expect(screen.getByTestId('import-reading').textContent).toContain('vCard 3.0');
    const shown = screen.getAllByTestId('import-property').map((p) => [p.dataset.header, p.textContent]);
    expect(shown).toContainEqual(['TEL', 'Phone']);
    expect(shown).toContainEqual(['PHOTO', 'not imported']);
    expect(screen.queryAllByTestId('import-column')).toHaveLength(0);
    expect(screen.getByTestId('import-problems').textContent).toContain('Line 8');
    await fireEvent.click(screen.getByTestId('import-run'));
    await waitFor(() => expect(counts('import-result').dataset.imported).toBe('1'));
    const rows = await mock.searchContacts('Kaya', 5);
    const person = await mock.getContact(rows[0].id);
    expect(person.fields.find((f) => f.name === 'salutation')?.value).toEqual({ state: 'value', value: 'ms' });
  });

  it('an auditor sees no import, and the core refuses it too', async () => {
    const mock = await server.vault([
      ['anna', 'admin'],
      ['otto', 'auditor'],
    ]);
    await renderSignedIn(mock, 'otto');
    expect(screen.queryByTestId('nav-import')).toBeNull();
    await expect(
      mock.importContacts([excelList('x.csv')], {
        encoding: null,
        delimiter: null,
        mapping: null,
        purpose: null,
        source: null,
        on_duplicate: 'skip',
        dry_run: true,
      }),
    ).rejects.toMatchObject({ code: 'forbidden' });
  });
});
