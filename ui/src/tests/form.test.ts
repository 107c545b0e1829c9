import { fireEvent, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it, vi } from 'vitest';
import type { FieldChange } from '../lib/types';
import { openBySearch, renderSignedIn } from './helpers';
import { addPerson, as, useServer } from './server';

const server = useServer();

function input(name: string) {
  return document.getElementById(`f-${name}`) as HTMLInputElement;
}

async function set(name: string, value: string) {
  await fireEvent.input(input(name), { target: { value } });
}

/** The error is in the same field block as its input and described by it. */
function expectErrorBeside(name: string, text: string) {
  const error = screen.getByTestId(`error-${name}`);
  expect(error.textContent).toBe(text);
  const el = input(name);
  expect(el.closest('.field')?.contains(error)).toBe(true);
  expect(el.getAttribute('aria-invalid')).toBe('true');
  expect(el.getAttribute('aria-describedby')?.split(' ')).toContain(error.id);
}

describe('contact form', () => {
  it('shows the core’s reasons next to the field they name, one at a time, and saves nothing', async () => {
    const mock = await server.vault([['anna', 'admin']]);
    await renderSignedIn(mock, 'anna');
    await fireEvent.click(screen.getByTestId('contact-new'));
    const add = vi.spyOn(mock, 'addContact');
    const save = async () => {
      const calls = add.mock.calls.length;
      await fireEvent.click(screen.getByTestId('form-save'));
      await waitFor(() => expect(add).toHaveBeenCalledTimes(calls + 1));
    };

    await save();
    await waitFor(() => expectErrorBeside('given_name', 'Enter a given or a family name.'));
    expectErrorBeside('family_name', 'Enter a given or a family name.');

    await set('family_name', 'Meier');
    await set('emails', 'anna@example.de, not-an-email');
    await save();
    await waitFor(() => expectErrorBeside('emails', 'Not an email address (name@example.de).'));
    expect(screen.queryByTestId('error-given_name')).toBeNull();
    expect(document.activeElement).toBe(input('emails'));

    await set('emails', 'anna@example.de');
    await set('birthday', '1990-02-30');
    await save();
    await waitFor(() => expectErrorBeside('birthday', 'Not a date (YYYY-MM-DD, or --MM-DD without the year).'));
    // The future as the vault's clock sees it (the tests' clock is fixed).
    await set('birthday', '2026-06-01');
    await save();
    await waitFor(() => expectErrorBeside('birthday', 'The date lies in the future.'));

    await set('birthday', '1990-02-28');
    await set('language', 'deutsch');
    await save();
    await waitFor(() => expectErrorBeside('language', 'Use a two-letter language code, for example de or en.'));
    expect(screen.queryByTestId('error-birthday')).toBeNull();
    expect((await mock.listContacts(0, 10)).total).toBe(0);
  });

  it('shows the core\'s invalid errors next to the field they name', async () => {
    const mock = await server.vault([['anna', 'admin']]);
    await renderSignedIn(mock, 'anna');
    await fireEvent.click(screen.getByTestId('contact-new'));
    vi.spyOn(mock, 'addContact').mockRejectedValueOnce({
      code: 'invalid',
      message: "phone: '12' is not a phone number (+49 30 1234567)",
      field: 'phone',
    });
    await set('given_name', 'Anna');
    await set('phones', '+49 30 1234567');
    await fireEvent.click(screen.getByTestId('form-save'));
    await waitFor(() => expectErrorBeside('phones', 'Not a phone number (+49 30 1234567).'));

    vi.spyOn(mock, 'addContact').mockRejectedValueOnce({
      code: 'invalid',
      message: 'note: is longer than 100000 characters',
      field: 'note',
    });
    await fireEvent.click(screen.getByTestId('form-save'));
    await waitFor(() => expectErrorBeside('note', 'Use at most 100000 characters.'));
    expect(screen.queryByTestId('error-phones')).toBeNull();

    // An error not about a field is shown for the form.
    vi.spyOn(mock, 'addContact').mockRejectedValueOnce({ code: 'forbidden', message: 'no', field: null });
    await fireEvent.click(screen.getByTestId('form-save'));
    await waitFor(() => expect(screen.getByTestId('form-error').textContent).toBe('Your role is not allowed to do this.'));
  });

  it('creates a contact with all fields and opens it; the list count grows', async () => {
    const mock = await server.vault([['anna', 'admin']], { people: 10 });
    await renderSignedIn(mock, 'anna');
    await waitFor(() => expect(screen.getByTestId('contact-count').textContent).toBe('10'));
    await fireEvent.click(screen.getByTestId('contact-new'));
    const add = vi.spyOn(mock, 'addContact');
    await fireEvent.change(input('salutation'), { target: { value: 'ms' } });
    await set('given_name', 'Berta');
    await set('family_name', 'Beispiel');
    await set('emails', 'berta@example.de; b@example.de');
    await set('addresses', 'Weg 1\n12345 Ort\n\n\nAllee 2\n54321 Stadt');
    await set('tags', 'vip, messe');
    await set('company', 'Beispiel AG');
    await set('company_role', 'Einkauf');
    await fireEvent.click(screen.getByTestId('form-save'));
    const detail = await screen.findByTestId('contact-detail');
    await waitFor(() => expect(detail.querySelector('h2')?.textContent).toBe('Berta Beispiel'));
    const sent = add.mock.calls[0][0] as FieldChange[];
    expect(sent).toEqual([
      { field: 'salutation', values: ['ms'] },
      { field: 'given_name', values: ['Berta'] },
      { field: 'family_name', values: ['Beispiel'] },
      { field: 'emails', values: ['berta@example.de', 'b@example.de'] },
      { field: 'addresses', values: ['Weg 1\n12345 Ort', 'Allee 2\n54321 Stadt'] },
      { field: 'tags', values: ['vip', 'messe'] },
      { field: 'company', values: ['Beispiel AG'] },
      { field: 'company_role', values: ['Einkauf'] },
    ]);
    expect(detail.textContent).toContain('Beispiel AG');
    await waitFor(() => expect(screen.getByTestId('contact-count').textContent).toBe('11'));
  });

  it('on edit sends only the changed fields; Escape cancels', async () => {
    const mock = await server.vault([['anna', 'admin']]);
    const id = await addPerson(mock, 'anna', { given_name: 'Carla', family_name: 'Alt', emails: ['c@example.de'], note: 'n' });
    await renderSignedIn(mock, 'anna');
    await openBySearch('carla', id, fireEvent);
    await fireEvent.click(await screen.findByTestId('contact-edit'));
    expect(input('family_name').value).toBe('Alt');
    expect(input('emails').value).toBe('c@example.de');
    await fireEvent.keyDown(input('family_name'), { key: 'Escape' });
    expect(input('family_name')).toBeNull();
    expect(screen.getByTestId('contact-detail')).toBeTruthy();

    await fireEvent.click(await screen.findByTestId('contact-edit'));
    const edit = vi.spyOn(mock, 'editContact');
    await set('family_name', 'Neu');
    await set('note', '');
    await fireEvent.click(screen.getByTestId('form-save'));
    await waitFor(() => expect(edit).toHaveBeenCalledTimes(1));
    expect(edit.mock.calls[0]).toEqual([
      id,
      [
        { field: 'family_name', values: ['Neu'] },
        { field: 'note', values: [] },
      ],
    ]);
    const detail = await screen.findByTestId('contact-detail');
    await waitFor(() => expect(detail.querySelector('[data-testid="field-family_name"]')?.textContent).toBe('Neu'));
    // The cleared note leaves its section empty: folded away, shown on request.
    expect(detail.querySelector('[data-testid="field-note"]')).toBeNull();
    const toggle = screen.getByTestId('toggle-empty');
    expect(toggle.textContent).toContain('Notes');
    await fireEvent.click(toggle);
    expect(detail.querySelector('[data-testid="field-note"]')?.getAttribute('data-state')).toBe('empty');
  });

  it('records an edit as a correction with its reason and the rectification request', async () => {
    const mock = await server.vault([['anna', 'admin']]);
    const id = await addPerson(mock, 'anna', { given_name: 'Carla', family_name: 'Alt', addresses: ['Hauptstr 1, 10115 Berlin'] });
    const req = await as(mock, 'anna', (b) =>
      b.openRequest({ kind: 'rectification', person: id, received: '2026-01-05', identity_check: null }),
    );
    await renderSignedIn(mock, 'anna');
    await openBySearch('carla', id, fireEvent);
    await fireEvent.click(await screen.findByTestId('contact-edit'));
    expect(document.getElementById('f-reason')).toBeNull();
    await fireEvent.click(input('rectify'));
    await waitFor(() => expect((document.getElementById('f-request') as HTMLSelectElement).value).toBe(req.reference));
    await set('addresses', 'Hauptstraße 1, 10115 Berlin');

    // No reason: the core refuses, and says so next to the reason.
    await fireEvent.click(screen.getByTestId('form-save'));
    await waitFor(() => expect(screen.getByTestId('error-reason').textContent).toBe('Say why the data was wrong (1–500 characters).'));
    expect(await mock.contactRectifications(id)).toEqual([]);

    await set('reason', 'Kundin rief an: Straße falsch geschrieben');
    await fireEvent.click(screen.getByTestId('form-save'));
    const list = await screen.findByTestId('rectifications');
    expect(list.textContent).toContain('Kundin rief an: Straße falsch geschrieben');
    expect(list.textContent).toContain(req.reference);
    expect(list.textContent).toContain('Postal address');
    const stored = await mock.contactRectifications(id);
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ fields: ['addresses'], request: req.reference, by: 'anna' });
    expect(JSON.stringify(await mock.getContact(id))).toContain('Hauptstraße 1');
  });

  it('offers no inputs for categories the role cannot read', async () => {
    const mock = await server.vault([['carl', 'agent']]);
    await renderSignedIn(mock, 'carl');
    await fireEvent.click(screen.getByTestId('contact-new'));
    for (const name of ['given_name', 'family_name', 'emails', 'phones', 'addresses', 'tags', 'company', 'company_role']) {
      expect(input(name), name).not.toBeNull();
    }
    for (const name of ['note', 'special', 'deal_stage', 'deal_value']) expect(input(name), name).toBeNull();
    // Every input has a label.
    for (const el of document.querySelectorAll('form input, form select, form textarea')) {
      expect(document.querySelector(`label[for="${el.id}"]`), el.id).not.toBeNull();
    }
  });

  /** Anna's vault with Dora Dialog, her page open, the interaction form shown. */
  async function interactionForm() {
    const mock = await server.vault([['anna', 'admin']]);
    const id = await addPerson(mock, 'anna', { given_name: 'Dora', family_name: 'Dialog' });
    await renderSignedIn(mock, 'anna');
    await openBySearch('dialog', id, fireEvent);
    await fireEvent.click(screen.getByTestId('interaction-new'));
    return { mock, id };
  }

  it('records an interaction; the summary is required', async () => {
    await interactionForm();
    const at = document.getElementById('i-at') as HTMLInputElement;
    expect(at.value).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/);
    await fireEvent.click(screen.getByTestId('interaction-save'));
    expect(screen.getByTestId('error-summary').textContent).toBe('Enter a summary.');
    await fireEvent.change(document.getElementById('i-kind')!, { target: { value: 'meeting' } });
    await fireEvent.input(document.getElementById('i-summary')!, { target: { value: 'Kick-off' } });
    await fireEvent.input(document.getElementById('i-text')!, { target: { value: 'Agenda agreed' } });
    await fireEvent.click(screen.getByTestId('interaction-save'));
    const item = await screen.findByTestId('interaction');
    expect(item.textContent).toContain('Meeting');
    expect(item.textContent).toContain('Kick-off');
    expect(item.textContent).toContain('Agenda agreed');
    expect(item.textContent).toContain('by anna');
  });

  it('records an interaction with its follow-up; a refused follow-up is made again without a second interaction', async () => {
    const { mock, id } = await interactionForm();
    await fireEvent.input(document.getElementById('i-summary')!, { target: { value: 'Angebot besprochen' } });
    await fireEvent.click(screen.getByTestId('interaction-followup'));
    await fireEvent.click(screen.getByTestId('interaction-save'));
    expect(screen.getByTestId('error-followup').textContent).toBe('required');
    await fireEvent.input(document.getElementById('i-followup')!, { target: { value: 'Angebot nachfassen' } });
    // "On a date…" with no date: the core refuses the day, after the interaction.
    await fireEvent.change(screen.getByTestId('i-followup-due-choice'), { target: { value: 'date' } });
    await fireEvent.click(screen.getByTestId('interaction-save'));
    const failed = await screen.findByTestId('interaction-followup-failed');
    expect(failed.textContent).toContain('The interaction was recorded; the follow-up was not');
    await fireEvent.input(screen.getByTestId('i-followup-due-date'), { target: { value: '2026-03-20' } });
    await fireEvent.click(screen.getByTestId('interaction-save'));
    const section = await screen.findByTestId('contact-followups');
    await waitFor(() => expect(section.textContent).toContain('Angebot nachfassen'));
    expect(screen.getAllByTestId('interaction')).toHaveLength(1);
    const made = await mock.listFollowups({ due_only: false, assignee: null, include_done: true, subject: id });
    expect(made.map((f) => [f.what, f.due])).toEqual([['Angebot nachfassen', '2026-03-20']]);
  });
});
