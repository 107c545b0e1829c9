// The app runs with Tauri's `freezePrototype: true` (Object.prototype is
// frozen): the whole flow must work in that world too.
import { fireEvent, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { openBySearch, renderApp } from './helpers';
import { addPerson, PASS, useServer } from './server';

const server = useServer();

Object.freeze(Object.prototype);

describe('with a frozen Object.prototype', () => {
  it('unlocks, lists, opens, edits and locks', async () => {
    expect(Object.isFrozen(Object.prototype)).toBe(true);
    const mock = await server.vault([['anna', 'admin']], { people: 500 });
    const id = await addPerson(mock, 'anna', { given_name: 'Frieda', family_name: 'Frost' });
    renderApp(mock);
    await fireEvent.input(await screen.findByLabelText('Passphrase'), { target: { value: PASS } });
    await fireEvent.click(screen.getByTestId('unlock-submit'));
    await screen.findByTestId('whoami');
    await waitFor(() => expect(screen.getAllByTestId('contact-row').length).toBeGreaterThan(5));
    await openBySearch('frost', id, fireEvent);
    await fireEvent.click(await screen.findByTestId('contact-edit'));
    await fireEvent.input(document.getElementById('f-note')!, { target: { value: 'cold' } });
    await fireEvent.click(screen.getByTestId('form-save'));
    await waitFor(() => expect(screen.getByTestId('field-note').textContent).toBe('cold'));
    await fireEvent.click(screen.getByTestId('lock'));
    await screen.findByTestId('unlock-submit');
    expect(document.body.textContent).not.toContain('Frost');
  });
});
