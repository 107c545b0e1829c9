import { fireEvent, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import type { WebBackend } from '../lib/backend';
import { formatDate } from '../lib/format';
import type { RequestKind } from '../lib/types';
import { byTestId, renderSignedIn } from './helpers';
import { addPerson, as, PASS, useServer } from './server';

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
  });
  return { mock, id };
}

function openReq(mock: WebBackend, kind: RequestKind, person: string | null, received: string) {
  return as(mock, 'anna', (b) => b.openRequest({ kind, person, received, identity_check: null }));
}

function row(reference: string): HTMLElement {
  return document.querySelector(`[data-testid="request-row"][data-reference="${reference}"]`) as HTMLElement;
}

describe('data-subject requests against the core', () => {
  it('lists requests by deadline, marks the overdue one and counts overdue and due ones in the navigation', async () => {
    const { mock, id } = await seeded();
    const later = await openReq(mock, 'access', id, '2026-03-01'); // due 2026-04-01
    const overdue = await openReq(mock, 'erasure', null, '2026-01-05'); // due 2026-02-05: overdue
    const soon = await openReq(mock, 'objection', id, '2026-02-12'); // due 2026-03-12: this week
    await renderSignedIn(mock, 'anna');

    const count = await screen.findByTestId('requests-due-count');
    expect(count.getAttribute('data-count')).toBe('2');
    await fireEvent.click(screen.getByTestId('nav-requests'));
    await waitFor(() => expect(byTestId('request-row')).toHaveLength(3));
    expect(byTestId('request-row').map((r) => r.getAttribute('data-reference'))).toEqual([
      overdue.reference,
      soon.reference,
      later.reference,
    ]);
    expect(row(overdue.reference).getAttribute('data-overdue')).toBe('true');
    expect(row(overdue.reference).getAttribute('data-kind')).toBe('erasure');
    expect(row(overdue.reference).getAttribute('data-status')).toBe('open');
    expect(within(row(overdue.reference)).getByTestId('request-overdue').textContent).toBe('Overdue');
    expect(within(row(overdue.reference)).getByText('Not found in the vault')).toBeTruthy();
    expect(row(soon.reference).getAttribute('data-overdue')).toBe('false');
    expect(within(row(soon.reference)).getByTestId('request-due-soon')).toBeTruthy();
    expect(within(row(later.reference)).queryByTestId('request-due-soon')).toBeNull();
    expect(screen.getByTestId('requests-summary').textContent?.trim()).toBe('1 overdue, 1 due within seven days, 3 open in all.');

    // Closing the overdue one takes it out of the count.
    await fireEvent.click(within(row(overdue.reference)).getByTestId('request-close'));
    await fireEvent.input(document.getElementById('rq-outcome')!, { target: { value: 'Erased on 2026-02-01, letter sent' } });
    await fireEvent.click(screen.getByTestId('request-close-save'));
    await waitFor(() => expect(row(overdue.reference).getAttribute('data-status')).toBe('closed'));
    expect(row(overdue.reference).getAttribute('data-overdue')).toBe('false');
    expect(screen.getByTestId('requests-due-count').getAttribute('data-count')).toBe('1');
    expect(byTestId('request-row').at(-1)?.getAttribute('data-reference')).toBe(overdue.reference);

    // The link leads to the person's rights.
    await fireEvent.click(within(row(soon.reference)).getByTestId('request-person'));
    expect((await screen.findByTestId('tab-rights')).getAttribute('aria-selected')).toBe('true');
    expect(screen.getByTestId('contact-detail').textContent).toContain('Erika Mustermann');
  });

  it('opening a request with a future date shows the error next to the date; a valid one is listed', async () => {
    const { mock, id } = await seeded();
    await renderSignedIn(mock, 'anna');
    await fireEvent.click(screen.getByTestId('nav-requests'));
    await screen.findByTestId('requests-empty');
    await fireEvent.click(screen.getByTestId('request-new'));
    const received = document.getElementById('rq-received') as HTMLInputElement;
    expect(received.value).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    await fireEvent.change(document.getElementById('rq-kind')!, { target: { value: 'erasure' } });
    await fireEvent.input(received, { target: { value: '2099-01-01' } });
    await fireEvent.click(screen.getByTestId('request-save'));
    const error = await screen.findByTestId('error-received');
    expect(error.textContent).toBe('A request cannot be received in the future.');
    expect(received.getAttribute('aria-invalid')).toBe('true');
    expect(received.getAttribute('aria-describedby')).toContain(error.id);
    expect(byTestId('request-row')).toHaveLength(0);

    // Pick the person from the search and record it for today.
    await fireEvent.input(document.getElementById('rq-person-search')!, { target: { value: 'muster' } });
    await fireEvent.click(await screen.findByTestId('rq-person-option'));
    expect(screen.getByTestId('rq-person').getAttribute('data-id')).toBe(id);
    await fireEvent.input(received, { target: { value: '2026-01-02' } });
    await fireEvent.input(document.getElementById('rq-identity')!, { target: { value: 'Reply from the known address' } });
    await fireEvent.click(screen.getByTestId('request-save'));
    await waitFor(() => expect(byTestId('request-row')).toHaveLength(1));
    const [r] = (await mock.listRequests()).map((x) => x.request);
    expect(r).toMatchObject({ kind: 'erasure', person: id, received: '2026-01-02', deadline: '2026-02-02', identity_check: 'Reply from the known address' });
    expect(screen.getByTestId('request-notice').textContent).toContain(r.reference);
  });

  it('extends a deadline once; a second extension is refused with the error shown', async () => {
    const { mock, id } = await seeded();
    const r = await openReq(mock, 'access', id, '2026-03-01');
    await renderSignedIn(mock, 'dora');
    await fireEvent.click(screen.getByTestId('nav-requests'));
    await waitFor(() => expect(row(r.reference)).toBeTruthy());

    await fireEvent.click(within(row(r.reference)).getByTestId('request-extend'));
    expect(screen.getByTestId('request-extend-effect').textContent).toContain('three months after receipt');
    // The new deadline as the core computes it (Art. 12(3)).
    expect(screen.getByTestId('request-extend-effect').textContent).toContain(formatDate('2026-06-01'));
    await fireEvent.click(screen.getByTestId('request-extend-save'));
    expect(screen.getByTestId('error-reason').textContent).toBe(
      'Say why the deadline is extended (Art. 12(3): complexity or number of requests).',
    );
    await fireEvent.input(document.getElementById('rq-reason')!, { target: { value: 'Many records in three systems' } });
    await fireEvent.click(screen.getByTestId('request-extend-save'));
    await waitFor(() => expect(within(row(r.reference)).queryByTestId('request-extend')).toBeNull());
    expect((await mock.listRequests())[0].request.deadline).toBe('2026-06-01');
    expect(row(r.reference).textContent).toContain('Extended: Many records in three systems');

    // A colleague's view from before the extension: the core refuses a second one.
    // Seeded beside the open window: the same session, signed in again as dora after.
    await mock.unlock('anna', PASS);
    const other = await mock.openRequest({ kind: 'access', person: id, received: '2026-03-02', identity_check: null });
    await mock.unlock('dora', PASS);
    await fireEvent.click(screen.getByTestId('nav-contacts'));
    await fireEvent.click(screen.getByTestId('nav-requests'));
    await waitFor(() => expect(row(other.reference)).toBeTruthy());
    await fireEvent.click(within(row(other.reference)).getByTestId('request-extend'));
    await mock.unlock('anna', PASS);
    await mock.extendRequest(other.reference, 'Extended by a colleague');
    await mock.unlock('dora', PASS);
    await fireEvent.input(document.getElementById('rq-reason')!, { target: { value: 'Again' } });
    await fireEvent.click(screen.getByTestId('request-extend-save'));
    expect((await screen.findByTestId('request-update-error')).textContent).toBe(
      'The deadline was already extended. Art. 12(3) allows one extension only.',
    );
  });

});
