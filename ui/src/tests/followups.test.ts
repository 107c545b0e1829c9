import { fireEvent, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import type { WebBackend } from '../lib/backend';
import { byTestId, openBySearch, renderSignedIn } from './helpers';
import { addPerson, as, useServer } from './server';

// The vault's clock: "today" is 2 March 2026 for the core.
const server = useServer({ clock: '2026-03-02T09:00:00Z' });

async function seeded() {
  const mock = await server.vault([
    ['anna', 'admin'],
    ['carl', 'agent'],
    ['ida', 'auditor'],
  ]);
  const id = await addPerson(mock, 'anna', { given_name: 'Erika', family_name: 'Mustermann', emails: ['erika@example.de'] });
  const ids = await as(mock, 'anna', async (b) => ({
    today: await b.addFollowup(id, { what: 'Angebot nachfassen', due: 'today', time: '14:30', assignee: null }),
    later: await b.addFollowup(id, { what: 'Vertrag schicken', due: '2026-03-09', time: null, assignee: null }),
    carls: await b.addFollowup(id, { what: 'Rückruf Erika', due: '2026-02-27', time: null, assignee: 'carl' }),
  }));
  return { mock, id, ...ids };
}

function row(id: string): HTMLElement {
  return document.querySelector(`[data-testid="followup"][data-id="${id}"]`) as HTMLElement;
}

const whats = (root: HTMLElement) => within(root).queryAllByTestId('followup-what').map((w) => w.textContent);

async function dueCount(): Promise<string | null> {
  await new Promise((r) => setTimeout(r, 0));
  return screen.queryByTestId('followups-due-count')?.getAttribute('data-count') ?? null;
}

async function addFor(mock: WebBackend, user: string, id: string, what: string, due: string) {
  return as(mock, user, (b) => b.addFollowup(id, { what, due, time: null, assignee: null }));
}

describe('follow-ups against the core', () => {
  it('shows what is due for the user on the start view and counts it; done and undo change both', async () => {
    const { mock, today, carls } = await seeded();
    await renderSignedIn(mock, 'anna');
    const panel = await screen.findByTestId('due-today');
    // Only Anna's own, due today or before: not Carl's, not next week's.
    await waitFor(() => expect(whats(panel)).toEqual(['Angebot nachfassen']));
    expect(row(today).getAttribute('data-state')).toBe('due_today');
    expect(row(today).textContent).toContain('14:30');
    expect(row(carls)).toBeNull();
    await waitFor(async () => expect(await dueCount()).toBe('1'));

    await fireEvent.click(within(row(today)).getByTestId('followup-done'));
    await waitFor(() => expect(row(today).getAttribute('data-state')).toBe('done'));
    await waitFor(async () => expect(await dueCount()).toBeNull());
    // The undo stays beside the row, and brings it back.
    await fireEvent.click(within(row(today)).getByTestId('followup-reopen'));
    await waitFor(() => expect(row(today).getAttribute('data-state')).toBe('due_today'));
    await waitFor(async () => expect(await dueCount()).toBe('1'));
    const open = await as(mock, 'carl', (b) => b.listFollowups({ due_only: true, assignee: 'anna', include_done: false, subject: null }));
    expect(open.map((f) => f.what)).toEqual(['Angebot nachfassen']);
  });

  it('opens the person from a follow-up, and makes one there for a colleague', async () => {
    const { mock, id } = await seeded();
    await renderSignedIn(mock, 'anna');
    const panel = await screen.findByTestId('due-today');
    await waitFor(() => expect(whats(panel)).toHaveLength(1));
    await fireEvent.click(within(panel).getByTestId('followup-subject'));
    const detail = await screen.findByTestId('contact-detail');
    const section = await within(detail).findByTestId('contact-followups');
    // Open ones first, by day; the one for Carl says so.
    await waitFor(() => expect(whats(section)).toEqual(['Rückruf Erika', 'Angebot nachfassen', 'Vertrag schicken']));
    expect(byTestId('followup').find((r) => r.textContent?.includes('Rückruf'))?.textContent).toContain('for carl');

    await fireEvent.click(within(section).getByTestId('followup-new'));
    const form = await within(section).findByTestId('followup-form');
    await fireEvent.click(within(form).getByTestId('followup-save'));
    expect(within(form).getByTestId('error-what').textContent).toContain('required');
    await fireEvent.input(document.getElementById('fu-what')!, { target: { value: 'Muster zuschicken' } });
    await fireEvent.change(within(form).getByTestId('fu-due-choice'), { target: { value: 'date' } });
    await fireEvent.input(within(form).getByTestId('fu-due-date'), { target: { value: '2026-03-20' } });
    await waitFor(() => expect(within(form).getByRole('option', { name: 'carl' })).toBeTruthy());
    await fireEvent.change(document.getElementById('fu-assignee')!, { target: { value: 'carl' } });
    await fireEvent.click(within(form).getByTestId('followup-save'));
    await waitFor(() => expect(within(section).queryByTestId('followup-form')).toBeNull());
    await waitFor(() => expect(whats(section)).toContain('Muster zuschicken'));
    const made = (await as(mock, 'carl', (b) => b.listFollowups({ due_only: false, assignee: null, include_done: true, subject: id }))).find((f) => f.what === 'Muster zuschicken');
    expect(made).toMatchObject({ due: '2026-03-20', assignee: 'carl', by: 'anna', state: 'upcoming' });
  });

  it('lists mine or everyone’s, due, open or with done ones, and puts one off', async () => {
    const { mock, today, later, carls } = await seeded();
    await renderSignedIn(mock, 'anna');
    await fireEvent.click(screen.getByTestId('nav-followups'));
    const view = await screen.findByTestId('followups-view');
    await waitFor(() => expect(whats(view)).toEqual(['Angebot nachfassen', 'Vertrag schicken']));
    await fireEvent.click(within(view).getByTestId('followups-everyone'));
    await waitFor(() => expect(whats(view)).toEqual(['Rückruf Erika', 'Angebot nachfassen', 'Vertrag schicken']));
    expect(row(carls).getAttribute('data-state')).toBe('overdue');
    await fireEvent.click(within(view).getByTestId('followups-due'));
    await waitFor(() => expect(whats(view)).toEqual(['Rückruf Erika', 'Angebot nachfassen']));

    // Put off by a week: the core counts it from its today.
    await fireEvent.click(within(row(today)).getByTestId('followup-snooze'));
    const snooze = within(row(today)).getByTestId('followup-snooze-form');
    await fireEvent.change(within(snooze).getByTestId(`snooze-${today}-choice`), { target: { value: '+7' } });
    await fireEvent.click(within(snooze).getByTestId('followup-snooze-apply'));
    await waitFor(() => expect(whats(view)).toEqual(['Rückruf Erika']));
    await fireEvent.click(within(view).getByTestId('followups-open'));
    await waitFor(() => expect(row(today)?.getAttribute('data-state')).toBe('upcoming'));
    expect(row(today).textContent).toContain('9 Mar 2026');
    expect(row(later)).not.toBeNull();

    // Done, it stays in view with its undo; the list of open ones leaves
    // it out when loaded again, the one with done ones has it.
    await fireEvent.click(within(row(carls)).getByTestId('followup-done'));
    await waitFor(() => expect(row(carls)?.getAttribute('data-state')).toBe('done'));
    expect(within(row(carls)).getByTestId('followup-reopen')).toBeTruthy();
    await fireEvent.click(within(view).getByTestId('followups-done'));
    await waitFor(() => expect(whats(view)).toEqual(['Vertrag schicken', 'Angebot nachfassen', 'Rückruf Erika']));
    expect(row(carls).textContent).toContain('done');
    await fireEvent.click(within(view).getByTestId('followups-open'));
    await waitFor(() => expect(row(carls)).toBeNull());
  });

  it('marks a restricted person’s follow-ups and offers only to mark them done', async () => {
    const { mock, id, today } = await seeded();
    await as(mock, 'anna', async (b) => {
      const r = await b.openRequest({ kind: 'restriction', person: id, received: '2026-03-01', identity_check: null });
      await b.restrictContact(id, r.reference);
    });
    await renderSignedIn(mock, 'anna');
    const panel = await screen.findByTestId('due-today');
    await waitFor(() => expect(whats(panel)).toEqual(['Angebot nachfassen']));
    expect(within(row(today)).getByTestId('followup-restricted').textContent).toBe('restricted');
    expect(within(row(today)).queryByTestId('followup-snooze')).toBeNull();
    await fireEvent.click(within(row(today)).getByTestId('followup-done'));
    await waitFor(() => expect(row(today).getAttribute('data-state')).toBe('done'));
    // No undo: reopening would be more processing while it is restricted.
    expect(within(row(today)).queryByTestId('followup-reopen')).toBeNull();
  });

  it('the auditor sees follow-ups and can change none; an empty list says what to do', async () => {
    const { mock, id } = await seeded();
    await renderSignedIn(mock, 'ida');
    await fireEvent.click(screen.getByTestId('nav-followups'));
    const view = await screen.findByTestId('followups-view');
    // Nothing of her own; no hint to make one, which she may not.
    await waitFor(() => expect(within(view).getByTestId('followups-empty').textContent?.trim()).toBe('No follow-ups here.'));
    await fireEvent.click(within(view).getByTestId('followups-everyone'));
    await waitFor(() => expect(whats(view)).toHaveLength(3));
    expect(within(view).queryAllByTestId('followup-done')).toHaveLength(0);
    await fireEvent.click(screen.getByTestId('nav-contacts'));
    await openBySearch('muster', id, fireEvent);
    const section = await screen.findByTestId('contact-followups');
    await waitFor(() => expect(whats(section)).toHaveLength(3));
    expect(within(section).queryByTestId('followup-new')).toBeNull();
    expect(within(section).queryAllByTestId('followup-snooze')).toHaveLength(0);
    // The core refuses it too.
    await expect(addFor(mock, 'ida', id, 'x', 'today')).rejects.toMatchObject({ code: 'forbidden' });
  });
});
