import { fireEvent, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { byTestId, renderSignedIn } from './helpers';
import { useServer } from './server';

const server = useServer();

describe('settings: checking the vault', () => {
  it('runs the core’s integrity checks and lists each with its result', async () => {
    const mock = await server.vault([['anna', 'admin']]);
    await renderSignedIn(mock, 'anna');
    await fireEvent.click(screen.getByTestId('nav-settings'));
    await fireEvent.click(await screen.findByTestId('check-run'));
    const summary = await screen.findByTestId('check-summary', {}, { timeout: 15000 });
    const rows = screen.getAllByTestId('check-row');
    // The same checks the CLI's doctor runs, on a healthy vault.
    const cli = await mock.runDoctor();
    expect(rows.map((r) => r.querySelector('th')?.textContent)).toEqual(cli.map((c) => c.name));
    expect(rows.length).toBeGreaterThan(3);
    expect(rows.every((r) => r.getAttribute('data-ok') === 'true')).toBe(true);
    expect(summary.getAttribute('data-failed')).toBe('0');
    expect(summary.textContent).toBe(`All ${rows.length} checks passed.`);
    expect(rows.some((r) => /SQLCipher/.test(r.textContent ?? ''))).toBe(true);
  });

  it('is not offered to a role that may not run it', async () => {
    const mock = await server.vault([
      ['anna', 'admin'],
      ['sam', 'sales'],
    ]);
    await renderSignedIn(mock, 'sam');
    await fireEvent.click(screen.getByTestId('nav-settings'));
    await waitFor(() => expect(byTestId('nav-settings')).toHaveLength(1));
    expect(byTestId('check-run')).toHaveLength(0);
    await expect(mock.runDoctor()).rejects.toMatchObject({ code: 'forbidden' });
  });
});
