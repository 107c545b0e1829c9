import { fireEvent, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { renderApp } from './helpers';
import { PASS, useServer } from './server';

const server = useServer();
const NEW = 'a brand new passphrase';

/** A vault with an admin and a sales user; the key line of its recovery kit. */
async function vaultWithKit() {
  const b = server.backend;
  const created = await b.createVault('anna', PASS);
  await b.addUser('sam', 'sales', PASS);
  await b.lock();
  const key = created.recovery_kit.split('\n').find((l) => /^([0-9A-Z]{4}-){13}[0-9A-Z]{4}$/.test(l.trim()));
  if (!key) throw new Error(`no key line in the kit: ${created.recovery_kit}`);
  return { b, key: key.trim() };
}

async function fill(user: string, key: string, pass: string) {
  await fireEvent.click(await screen.findByTestId('unlock-forgot'));
  await fireEvent.change(document.getElementById('recover-admin')!, { target: { value: user } });
  await fireEvent.input(document.getElementById('recover-key')!, { target: { value: key } });
  await fireEvent.input(document.getElementById('recover-passphrase')!, { target: { value: pass } });
  await fireEvent.input(document.getElementById('recover-passphrase2')!, { target: { value: pass } });
  await fireEvent.click(screen.getByTestId('recover-submit'));
}

describe('a forgotten passphrase', () => {
  it('sets a new admin passphrase with the kit’s key and signs in; the old one no longer opens', async () => {
    const { b, key } = await vaultWithKit();
    renderApp(b);
    // Typed as people type it: lower case, spaces instead of dashes.
    await fill('anna', key.toLowerCase().replaceAll('-', ' '), NEW);
    const who = await screen.findByTestId('whoami', {}, { timeout: 15000 });
    expect(who.getAttribute('data-user')).toBe('anna');
    await b.lock();
    await expect(b.unlock('anna', PASS)).rejects.toMatchObject({ code: 'wrong_passphrase' });
    await expect(b.unlock('anna', NEW)).resolves.toMatchObject({ user: 'anna', role: 'admin' });
  });

  it('refuses a wrong key or a short passphrase next to its input, and changes nothing', async () => {
    const { b, key } = await vaultWithKit();
    renderApp(b);
    const wrong = key.slice(0, -1) + (key.endsWith('0') ? '1' : '0');
    await fill('anna', wrong, NEW);
    await waitFor(() => expect(screen.queryByTestId('error-recover-key') ?? screen.queryByTestId('recover-error')).not.toBeNull(), {
      timeout: 15000,
    });
    await fireEvent.input(document.getElementById('recover-key')!, { target: { value: key } });
    await fireEvent.input(document.getElementById('recover-passphrase')!, { target: { value: 'short' } });
    await fireEvent.click(screen.getByTestId('recover-submit'));
    expect(screen.getByTestId('error-recover-passphrase').textContent).toBe('Use at least 10 characters.');
    // A sales user is no administrator: the core refuses the reset.
    await fireEvent.input(document.getElementById('recover-passphrase')!, { target: { value: NEW } });
    await fireEvent.input(document.getElementById('recover-passphrase2')!, { target: { value: NEW } });
    await fireEvent.change(document.getElementById('recover-admin')!, { target: { value: 'sam' } });
    await fireEvent.click(screen.getByTestId('recover-submit'));
    await waitFor(() => expect(screen.getByTestId('recover-error').textContent).not.toBe(''), { timeout: 15000 });
    await b.lock();
    await expect(b.unlock('anna', PASS)).resolves.toMatchObject({ user: 'anna' });
    await b.lock();
    await expect(b.unlock('sam', PASS)).resolves.toMatchObject({ user: 'sam' });
  });
});
