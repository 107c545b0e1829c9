import { fireEvent, screen, waitFor } from '@testing-library/svelte';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { setAutolock } from '../lib/settings.svelte';
import { openBySearch, renderSignedIn } from './helpers';
import { addPerson, useServer } from './server';

const server = useServer();

const SECRET_NAME = 'Quentin Verschwiegen';
const SECRET_NOTE = 'Kontonummer steht im Ordner 7';

async function openSecret() {
  const mock = await server.vault([['anna', 'admin']], { people: 300 });
  const id = await addPerson(mock, 'anna', {
    given_name: 'Quentin',
    family_name: 'Verschwiegen',
    emails: ['q@verschwiegen.example'],
    note: SECRET_NOTE,
  });
  await renderSignedIn(mock, 'anna');
  await waitFor(() => expect(screen.getAllByTestId('contact-row').length).toBeGreaterThan(5));
  await openBySearch('verschw', id, fireEvent);
  expect(document.body.textContent).toContain(SECRET_NAME);
  expect(document.body.textContent).toContain(SECRET_NOTE);
  return mock;
}

function expectNoRecordData() {
  const text = document.body.textContent ?? '';
  expect(text).not.toContain(SECRET_NAME);
  expect(text).not.toContain('Verschwiegen');
  expect(text).not.toContain(SECRET_NOTE);
  expect(text).not.toContain('q@verschwiegen.example');
  expect(screen.queryAllByTestId('contact-row')).toHaveLength(0);
  expect(screen.queryByTestId('contact-detail')).toBeNull();
  expect(screen.queryByTestId('whoami')).toBeNull();
  // The search box (and its query) is gone too.
  expect(document.getElementById('search')).toBeNull();
}

afterEach(() => {
  vi.useRealTimers();
});

describe('locking', () => {
  it('the Lock button clears every record from the DOM and shows the unlock screen', async () => {
    const mock = await openSecret();
    await fireEvent.click(screen.getByTestId('lock'));
    expectNoRecordData();
    await screen.findByTestId('unlock-submit');
    // The core holds no session any more.
    await waitFor(() => expect(mock.listUsers()).rejects.toMatchObject({ code: 'locked' }));
    expect(document.body.textContent).toContain('The vault was locked.');
  });

  it('Ctrl+L locks', async () => {
    const mock = await openSecret();
    await fireEvent.keyDown(document.getElementById('search')!, { key: 'l', ctrlKey: true });
    expectNoRecordData();
    await screen.findByTestId('unlock-submit');
    // The window clears at once; the core's lock may arrive a moment later.
    await waitFor(() => expect(mock.listUsers()).rejects.toMatchObject({ code: 'locked' }));
  });

  it('locks after the idle time; activity resets the timer', async () => {
    setAutolock(1);
    const mock = await openSecret();
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'] });
    // The timer started before the fake clock: re-arm it by changing the setting.
    setAutolock(2);
    await vi.advanceTimersByTimeAsync(100_000);
    await fireEvent.mouseMove(document.body);
    await vi.advanceTimersByTimeAsync(100_000);
    expect(screen.queryByTestId('whoami')).not.toBeNull();
    await vi.advanceTimersByTimeAsync(25_000);
    vi.useRealTimers();
    await waitFor(() => expect(screen.queryByTestId('whoami')).toBeNull());
    expectNoRecordData();
    await screen.findByTestId('unlock-submit');
    await waitFor(() => expect(mock.listUsers()).rejects.toMatchObject({ code: 'locked' }));
  });

  it('a `locked` error from the core returns to the unlock screen', async () => {
    const mock = await openSecret();
    // The core's session ends behind the window's back.
    await mock.lock();
    // Any call finds out: a load still under way may beat the click to it.
    const nav = screen.queryByTestId('nav-users');
    if (nav) await fireEvent.click(nav);
    await waitFor(() => expect(screen.queryByTestId('whoami')).toBeNull());
    expectNoRecordData();
    await screen.findByTestId('unlock-submit');
  });
});
