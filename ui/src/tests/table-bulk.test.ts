import { readFileSync } from 'node:fs';
import { fireEvent, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { renderSignedIn } from './helpers';
import { addPerson, as, useServer } from './server';

const server = useServer();

async function seeded() {
  const mock = await server.vault([
    ['anna', 'admin'],
    ['otto', 'auditor'],
  ]);
  const ids = {
    bauer: await addPerson(mock, 'anna', { given_name: 'Anna', family_name: 'Bauer', addresses: 'Hauptstr. 1, 10115 Berlin', tags: ['Messe'], phones: '+49 30 1234567', emails: 'anna@muster.example' }),
    kraus: await addPerson(mock, 'anna', { given_name: 'Ben', family_name: 'Kraus', addresses: 'Ring 2, 80331 München', company: 'Kraus KG', emails: 'ben@muster.example' }),
    yilmaz: await addPerson(mock, 'anna', { given_name: 'Cem', family_name: 'Yilmaz', tags: ['vip'], emails: 'cem@muster.example' }),
    zorn: await addPerson(mock, 'anna', { given_name: 'Dora', family_name: 'Zorn', addresses: 'Weg 3, 50667 Köln', emails: 'dora@muster.example' }),
  };
  return { mock, ids };
}

/** Restricts a person (Art. 18) as Anna, on the core. */
async function restrict(mock: Awaited<ReturnType<typeof seeded>>['mock'], id: string) {
  await as(mock, 'anna', async (b) => {
    const req = await b.openRequest({ kind: 'restriction', person: id, received: '2026-03-01', identity_check: null });
    await b.restrictContact(id, req.reference);
  });
}

const rows = () => screen.queryAllByTestId('contact-row');
const names = () => rows().map((r) => r.querySelector('.name')?.textContent);
const cell = (name: string, col: string) =>
  rows()
    .find((r) => r.querySelector('.name')?.textContent === name)
    ?.querySelector(`[data-col="${col}"]`)?.textContent;

describe('the table view and bulk actions against the core', () => {
  it('shows a table whose columns sort on the core, both ways, the choice kept', async () => {
    const { mock } = await seeded();
    await renderSignedIn(mock, 'anna');
    await waitFor(() => expect(names()).toEqual(['Anna Bauer', 'Ben Kraus', 'Cem Yilmaz', 'Dora Zorn']));
    await fireEvent.click(screen.getByTestId('view-table'));
    expect(screen.getByTestId('table-head')).toBeTruthy();
    await waitFor(() => expect(cell('Anna Bauer', 'city')).toBe('Berlin'));
    expect(cell('Ben Kraus', 'company')).toBe('Kraus KG');
    expect(cell('Anna Bauer', 'phone')).toBe('+49 30 1234567');
    expect(cell('Cem Yilmaz', 'tags')).toBe('vip');
    expect(cell('Cem Yilmaz', 'last_contact')).toBe('');

    await fireEvent.click(screen.getByTestId('th-city'));
    await waitFor(() => expect(names()).toEqual(['Anna Bauer', 'Dora Zorn', 'Ben Kraus', 'Cem Yilmaz']));
    expect(screen.getByTestId('th-city').getAttribute('data-sort')).toBe('ascending');
    await fireEvent.click(screen.getByTestId('th-city'));
    // Reversed, the one without a city still last.
    await waitFor(() => expect(names()).toEqual(['Ben Kraus', 'Dora Zorn', 'Anna Bauer', 'Cem Yilmaz']));
    expect(screen.getByTestId('th-city').getAttribute('data-sort')).toBe('descending');

    // A search keeps the column's order.
    await fireEvent.input(document.getElementById('search')!, { target: { value: 'muster' } });
    await waitFor(() => expect(document.querySelector('.counts')?.textContent).toMatch(/results/));
    await waitFor(() => expect(names()).toEqual(['Ben Kraus', 'Dora Zorn', 'Anna Bauer', 'Cem Yilmaz']));

    // The view is a preference of this window: kept for the next start.
    expect(localStorage.getItem('tresor.contacts.view')).toBe('table');
    await fireEvent.click(screen.getByTestId('view-list'));
    expect(screen.queryByTestId('table-head')).toBeNull();
    expect(localStorage.getItem('tresor.contacts.view')).toBe('list');
  });

  it('selects with the keyboard, ctrl- and shift-click, tags many at once and says who was left out', async () => {
    const { mock, ids } = await seeded();
    await restrict(mock, ids.yilmaz);
    await renderSignedIn(mock, 'anna');
    await waitFor(() => expect(names()).toHaveLength(4));
    const list = document.getElementById('contact-listbox')!;
    expect(list.getAttribute('aria-multiselectable')).toBe('true');
    list.focus();
    // Space chooses the active row; Shift+↓ extends.
    await fireEvent.keyDown(list, { key: ' ' });
    await fireEvent.keyDown(list, { key: 'ArrowDown', shiftKey: true });
    expect(screen.getByTestId('bulk-count').getAttribute('data-count')).toBe('2');
    expect(rows().filter((r) => r.getAttribute('aria-selected') === 'true').map((r) => r.getAttribute('data-id'))).toEqual([ids.bauer, ids.kraus]);
    // Ctrl-click takes one out, shift-click adds a range from there.
    await fireEvent.click(rows()[1], { ctrlKey: true });
    expect(screen.getByTestId('bulk-count').getAttribute('data-count')).toBe('1');
    await fireEvent.click(rows()[3], { shiftKey: true });
    expect(screen.getByTestId('bulk-count').getAttribute('data-count')).toBe('4');
    // Escape clears the selection; the detail pane was never opened by these.
    await fireEvent.keyDown(list, { key: 'Escape' });
    expect(screen.queryByTestId('bulk-bar')).toBeNull();
    expect(screen.queryByTestId('contact-detail')).toBeNull();

    // Ctrl+A in a search selects every result.
    await fireEvent.input(document.getElementById('search')!, { target: { value: 'muster' } });
    await waitFor(() => expect(document.querySelector('.counts')?.textContent).toMatch(/4 results/));
    list.focus();
    await fireEvent.keyDown(list, { key: 'a', ctrlKey: true });
    await waitFor(() => expect(screen.getByTestId('bulk-count').getAttribute('data-count')).toBe('4'));

    await fireEvent.click(screen.getByTestId('bulk-tag'));
    const panel = await screen.findByTestId('bulk-panel');
    await fireEvent.click(within(panel).getByTestId('bulk-save'));
    expect(within(panel).getByTestId('error-tags').textContent).toContain('at least one tag');
    await fireEvent.input(document.getElementById('bk-tags')!, { target: { value: 'Katalog, messe' } });
    await fireEvent.click(within(panel).getByTestId('bulk-save'));
    const report = await within(panel).findByTestId('bulk-report');
    expect(report.getAttribute('data-done')).toBe('3');
    expect(report.getAttribute('data-skipped')).toBe('1');
    const skipped = within(panel).getByTestId('bulk-skipped');
    expect(skipped.textContent).toContain('Cem Yilmaz');
    expect(skipped.querySelector('li')?.getAttribute('data-code')).toBe('restricted');

    // The core has the tags; the list shows them.
    // The window is signed in on this backend: ask it directly.
    const bauer = await mock.searchContacts('Bauer', 5);
    expect(bauer[0].tags).toEqual(['Messe', 'Katalog']);
    await fireEvent.click(screen.getByTestId('view-table'));
    await waitFor(() => expect(cell('Ben Kraus', 'tags')).toBe('Katalog, messe'));
    expect(cell('Cem Yilmaz', 'tags')).toBe('vip');
  });

  it('makes a follow-up and a request for each selected', async () => {
    const { mock, ids } = await seeded();
    await renderSignedIn(mock, 'anna');
    await waitFor(() => expect(names()).toHaveLength(4));
    await fireEvent.click(rows()[0].querySelector('[data-testid="row-check"]')!);
    await fireEvent.click(rows()[3].querySelector('[data-testid="row-check"]')!);
    expect(screen.getByTestId('bulk-count').getAttribute('data-count')).toBe('2');

    await fireEvent.click(screen.getByTestId('bulk-followup'));
    let panel = await screen.findByTestId('bulk-panel');
    await fireEvent.input(document.getElementById('fu-what')!, { target: { value: 'Katalog schicken' } });
    await fireEvent.click(within(panel).getByTestId('followup-save'));
    let report = await within(panel).findByTestId('bulk-report');
    expect(report.getAttribute('data-done')).toBe('2');
    const made = await mock.listFollowups({ due_only: false, assignee: null, include_done: false, subject: null });
    expect(made.map((f) => f.subject).sort()).toEqual([ids.bauer, ids.zorn].sort());

    await fireEvent.click(screen.getByTestId('bulk-request'));
    panel = await screen.findByTestId('bulk-panel');
    expect(within(panel).queryByTestId('rq-person')).toBeNull();
    // The test's vault lives on 2 March 2026; the form offers the real today.
    await fireEvent.input(document.getElementById('rq-received')!, { target: { value: '2026-03-01' } });
    await fireEvent.click(within(panel).getByTestId('request-save'));
    report = await within(panel).findByTestId('bulk-report');
    expect(report.getAttribute('data-done')).toBe('2');
    expect(within(panel).getByTestId('bulk-requests').textContent).toMatch(/Anna Bauer REQ-[0-9A-F]{8}/);
    const requests = await mock.listRequests();
    expect(requests.map((r) => r.request.person).sort()).toEqual([ids.bauer, ids.zorn].sort());
  });

  it('offers a reader no bulk action, and the core refuses one anyway', async () => {
    const { mock, ids } = await seeded();
    await renderSignedIn(mock, 'otto');
    await waitFor(() => expect(names()).toHaveLength(4));
    await fireEvent.click(rows()[0], { ctrlKey: true });
    expect(screen.getByTestId('bulk-count')).toBeTruthy();
    expect(screen.queryByTestId('bulk-tag')).toBeNull();
    expect(screen.queryByTestId('bulk-followup')).toBeNull();
    expect(screen.queryByTestId('bulk-request')).toBeNull();
    await expect(mock.bulkContacts([ids.bauer], { action: 'tag', add: ['x'], remove: [] })).rejects.toMatchObject({ code: 'forbidden' });
  });

  it('exports the selection or a search to a file the core writes, restricted people left out, each disclosed', async () => {
    const { mock, ids } = await seeded();
    await restrict(mock, ids.yilmaz);
    await renderSignedIn(mock, 'anna');
    await waitFor(() => expect(names()).toHaveLength(4));
    // Three chosen, one of them restricted.
    await fireEvent.click(rows()[0], { ctrlKey: true });
    await fireEvent.click(rows()[1], { ctrlKey: true });
    await fireEvent.click(rows()[2], { ctrlKey: true });
    await fireEvent.click(screen.getByTestId('bulk-export'));
    expect(screen.getByTestId('export-what').textContent).toBe('3 selected');
    await fireEvent.change(screen.getByTestId('export-format'), { target: { value: 'csv' } });
    await fireEvent.change(screen.getByTestId('export-lang'), { target: { value: 'en' } });
    await fireEvent.click(screen.getByTestId('export-run'));
    await waitFor(() => expect(screen.getByTestId('export-done')).toBeTruthy());
    const done = screen.getByTestId('export-done');
    expect([done.dataset.count, done.dataset.restricted]).toEqual(['2', '1']);
    expect(screen.getByTestId('export-restricted').textContent).toContain('1 restricted');
    const file = screen.getByTestId('export-path').textContent ?? '';
    expect(file).toMatch(/contacts-2026-03-02\.csv$/);
    const text = readFileSync(file, 'utf8');
    expect(text.startsWith('\ufeffSalutation,Title,First Name,Last Name')).toBe(true);
    expect(text).toContain('Anna,Bauer');
    expect(text).toContain('Ben,Kraus,Kraus KG');
    expect(text).not.toContain('Yilmaz');
    const view = await mock.legalBasis(ids.kraus);
    expect(view.disclosures.map((d) => [d.format, d.count, d.by])).toEqual([['csv', 2, 'anna']]);
    expect((await mock.legalBasis(ids.yilmaz)).disclosures).toHaveLength(0);

    // Without a selection: the search's results, narrowed by a tag.
    await fireEvent.click(screen.getByTestId('export-close'));
    await fireEvent.click(screen.getByTestId('bulk-clear'));
    await fireEvent.input(document.getElementById('search')!, { target: { value: 'muster' } });
    await waitFor(() => expect(document.querySelector('.counts')?.textContent).toMatch(/results/));
    await fireEvent.click(screen.getByTestId('contacts-export'));
    expect(screen.getByTestId('export-what').textContent).toContain('muster');
    await fireEvent.input(screen.getByTestId('export-tag'), { target: { value: 'MESSE' } });
    await fireEvent.click(screen.getByTestId('export-run'));
    await waitFor(() => expect(screen.getByTestId('export-done').dataset.count).toBe('1'));
    const vcf = readFileSync(screen.getByTestId('export-path').textContent ?? '', 'utf8');
    expect(vcf).toContain('FN:Anna Bauer');
    expect(vcf.match(/BEGIN:VCARD/g)).toHaveLength(1);
  });

  it('offers no export to a role that may not take contacts out', async () => {
    const { mock } = await seeded();
    await renderSignedIn(mock, 'otto');
    await waitFor(() => expect(names()).toHaveLength(4));
    expect(screen.queryByTestId('contacts-export')).toBeNull();
    await expect(mock.exportContacts({ ids: null, tag: null, search: null }, 'csv', 'de', null)).rejects.toMatchObject({ code: 'forbidden' });
  });
});

