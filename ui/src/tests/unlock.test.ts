import { fireEvent, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it, vi } from 'vitest';
import { renderApp } from './helpers';
import { PASS, useServer } from './server';

const server = useServer();

describe('unlock screen', () => {
  it('shows "Wrong passphrase" for a wrong passphrase, clears the field, then unlocks with the right one', async () => {
    const mock = await server.vault([
      ['anna', 'admin'],
      ['carl', 'agent'],
    ]);
    renderApp(mock);
    const user = (await screen.findByLabelText('User')) as HTMLSelectElement;
    expect(user.id).toBe('unlock-user');
    // The first user is preselected.
    expect(user.value).toBe('anna');
    expect(screen.queryByTestId('unlock-error')).toBeNull();

    const pass = document.getElementById('unlock-passphrase') as HTMLInputElement;
    await fireEvent.input(pass, { target: { value: 'not the passphrase' } });
    await fireEvent.click(screen.getByTestId('unlock-submit'));

    const error = await screen.findByTestId('unlock-error');
    expect(error.textContent).toBe('Wrong passphrase');
    expect(pass.value).toBe('');
    expect(screen.queryByTestId('whoami')).toBeNull();

    await fireEvent.input(pass, { target: { value: PASS } });
    await fireEvent.click(screen.getByTestId('unlock-submit'));
    const whoami = await screen.findByTestId('whoami');
    expect(whoami.textContent).toContain('anna');
    expect(whoami.textContent).toContain('Administrator');
    expect(screen.queryByTestId('unlock-error')).toBeNull();
  });

  it('signs in as the selected user with that role', async () => {
    const mock = await server.vault([
      ['anna', 'admin'],
      ['carl', 'agent'],
    ]);
    renderApp(mock);
    const user = (await screen.findByLabelText('User')) as HTMLSelectElement;
    await fireEvent.change(user, { target: { value: 'carl' } });
    await fireEvent.input(document.getElementById('unlock-passphrase')!, { target: { value: PASS } });
    await fireEvent.click(screen.getByTestId('unlock-submit'));
    const whoami = await screen.findByTestId('whoami');
    expect(whoami.textContent).toContain('carl');
    expect(whoami.getAttribute('data-role')).toBe('agent');
    // An agent manages no users.
    expect(screen.queryByTestId('nav-users')).toBeNull();
    expect(screen.getByTestId('nav-settings')).toBeTruthy();
  });

  it('disables the submit button while the passphrase is checked', async () => {
    const mock = await server.vault([['anna', 'admin']]);
    // The test vault's key derivation is the cheapest; hold the answer a moment.
    const unlock = mock.unlock.bind(mock);
    vi.spyOn(mock, 'unlock').mockImplementation(async (u, p) => {
      await new Promise((r) => setTimeout(r, 80));
      return unlock(u, p);
    });
    renderApp(mock);
    await screen.findByLabelText('User');
    await fireEvent.input(document.getElementById('unlock-passphrase')!, { target: { value: PASS } });
    const submit = screen.getByTestId('unlock-submit') as HTMLButtonElement;
    await fireEvent.click(submit);
    await waitFor(() => expect(submit.disabled).toBe(true));
    await screen.findByTestId('whoami');
  });

  it('shows the demo passphrase as a hint for the demo vault after locking', async () => {
    const mock = server.backend;
    renderApp(mock);
    await fireEvent.click(await screen.findByTestId('start-demo'));
    await screen.findByTestId('whoami');
    await fireEvent.click(screen.getByTestId('lock'));
    await screen.findByTestId('unlock-submit');
    const { demo_passphrase } = await mock.appStatus();
    expect(demo_passphrase).toBeTruthy();
    expect(document.body.textContent).toContain(demo_passphrase);
    // The user who was signed in is preselected.
    expect((document.getElementById('unlock-user') as HTMLSelectElement).value).toBe('demo');
  });
});
