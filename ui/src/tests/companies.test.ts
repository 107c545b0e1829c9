import { fireEvent, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { openBySearch, renderSignedIn } from './helpers';
import { addPerson, as, useServer } from './server';

const server = useServer();

async function seeded() {
  const mock = await server.vault([
    ['anna', 'admin'],
    ['carl', 'agent'],
  ]);
  const erika = await addPerson(mock, 'anna', { given_name: 'Erika', family_name: 'Mustermann', company: 'Muster GmbH', company_role: 'Einkauf' });
  const bernd = await addPerson(mock, 'anna', { given_name: 'Bernd', family_name: 'Roth', company: 'Muster G.m.b.H.' });
  const companies = await as(mock, 'anna', (b) => b.listCompanies(0, 50));
  const idOf = (name: string) => companies.rows.find((r) => r.display === name)!.id;
  return { mock, erika, bernd, keep: idOf('Muster GmbH'), other: idOf('Muster G.m.b.H.') };
}

const rowNames = () => screen.queryAllByTestId('contact-row').map((r) => r.querySelector('.name')?.textContent);
const people = (detail: HTMLElement) => within(detail).queryAllByTestId('company-person').map((r) => r.querySelector('button')?.textContent);

describe('companies against the core', () => {
  it('lists companies beside the people and makes a new one, the name required', async () => {
    const { mock } = await seeded();
    await renderSignedIn(mock, 'anna');
    await waitFor(() => expect(rowNames()).toEqual(['Erika Mustermann', 'Bernd Roth']));
    await fireEvent.click(screen.getByTestId('scope-companies'));
    await waitFor(() => expect(rowNames()).toEqual(['Muster G.m.b.H.', 'Muster GmbH']));
    expect(screen.getByTestId('contact-count').getAttribute('data-count')).toBe('2');

    await fireEvent.click(screen.getByTestId('company-new'));
    const form = await screen.findByTestId('company-form');
    await fireEvent.click(within(form).getByTestId('company-save'));
    expect(within(form).getByTestId('error-name').textContent).toContain('required');
    // A name the core already has is refused next to the field.
    await fireEvent.input(document.getElementById('cf-name')!, { target: { value: 'Muster GmbH' } });
    await fireEvent.click(within(form).getByTestId('company-save'));
    await waitFor(() => expect(within(form).getByTestId('error-name').textContent).toContain('of this name exists'));
    await fireEvent.input(document.getElementById('cf-name')!, { target: { value: 'Neu AG' } });
    await fireEvent.input(document.getElementById('cf-website')!, { target: { value: 'neu.example' } });
    await fireEvent.click(within(form).getByTestId('company-save'));
    const detail = await screen.findByTestId('company-detail');
    await waitFor(() => expect(within(detail).getByRole('heading', { level: 2 }).textContent).toBe('Neu AG'));
    expect(within(detail).getByTestId('company-field-website').textContent).toContain('neu.example');
    await waitFor(() => expect(rowNames()).toContain('Neu AG'));
  });

  it('opens a company from a person, merges a duplicate into it, and deletes it once it said what happens', async () => {
    const { mock, erika, bernd, other } = await seeded();
    await renderSignedIn(mock, 'anna');
    const person = await openBySearch('Erika', erika, fireEvent);
    await fireEvent.click(within(within(person).getByTestId('company-link')).getByRole('button'));
    let detail = await screen.findByTestId('company-detail');
    await waitFor(() => expect(people(detail)).toEqual(['Erika Mustermann']));
    expect(within(detail).getByTestId('company-people').textContent).toContain('Einkauf');

    await fireEvent.click(within(detail).getByTestId('company-merge-start'));
    const select = await waitFor(() => {
      const s = document.getElementById('merge-other');
      expect(s).not.toBeNull();
      return s as HTMLSelectElement;
    });
    await fireEvent.change(select, { target: { value: other } });
    await fireEvent.click(within(detail).getByTestId('company-merge'));
    expect(within(detail).getByTestId('company-merge-confirm').textContent).toContain('Muster G.m.b.H.');
    await fireEvent.click(within(detail).getByTestId('company-merge-yes'));
    await waitFor(() => expect(people(screen.getByTestId('company-detail'))).toEqual(['Bernd Roth', 'Erika Mustermann']));
    detail = screen.getByTestId('company-detail');
    expect(detail.textContent).toContain('merged in');
    // The other company is gone from the list.
    await fireEvent.click(screen.getByTestId('scope-companies'));
    await waitFor(() => expect(rowNames()).toEqual(['Muster GmbH']));

    await fireEvent.click(within(detail).getByTestId('company-delete'));
    const confirm = await within(detail).findByTestId('company-delete-confirm');
    expect(within(confirm).getByTestId('company-delete-people').textContent).toContain('Bernd Roth, Erika Mustermann');
    // Nothing is deleted before the second click.
    expect(rowNames()).toEqual(['Muster GmbH']);
    await fireEvent.click(within(confirm).getByTestId('company-delete-yes'));
    expect((await screen.findByTestId('company-deleted')).textContent).toContain('Muster GmbH');
    await waitFor(() => expect(rowNames()).toEqual([]));
    // Signed in again for the check (this locks the window's session).
    const left = await as(mock, 'anna', (b) => b.listCompanies(0, 50));
    expect(left.total).toBe(0);
    const [e, b] = await as(mock, 'anna', async (x) => [await x.getContact(erika), await x.getContact(bernd)]);
    expect(e.companies).toEqual([]);
    expect(b.companies).toEqual([]);
  });

  it('marks a company as a sole trader’s, which an agent then may not delete', async () => {
    const { mock, erika, keep } = await seeded();
    await renderSignedIn(mock, 'anna');
    await fireEvent.click(screen.getByTestId('scope-companies'));
    const row = await waitFor(() => {
      const r = document.querySelector<HTMLElement>(`[data-testid="contact-row"][data-id="${keep}"]`);
      expect(r).not.toBeNull();
      return r!;
    });
    await fireEvent.click(row);
    const detail = await screen.findByTestId('company-detail');
    await fireEvent.click(await within(detail).findByTestId('company-make-sole-trader'));
    const marked = await screen.findByTestId('company-sole-trader');
    expect(marked.textContent).toContain('Erika Mustermann');
    const sole = (await as(mock, 'anna', (b) => b.getContact(erika))).companies[0];
    expect(sole.sole_trader).toBe(true);
    expect(sole.company).not.toBe(keep);

    await expect(as(mock, 'carl', (b) => b.deleteCompany(sole.company))).rejects.toMatchObject({ code: 'forbidden' });
  });
});
