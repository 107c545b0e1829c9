import { fireEvent, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { renderSignedIn } from './helpers';
import { PASS, useServer } from './server';

const server = useServer();

function row(name: string) {
  return screen.getAllByTestId('user-row').find((r) => r.getAttribute('data-name') === name) as HTMLElement;
}

describe('users', () => {
  it('lists, adds, changes the role of, resets and removes users', async () => {
    const mock = await server.vault([
      ['anna', 'admin'],
      ['carl', 'agent'],
    ]);
    await renderSignedIn(mock, 'anna');
    await fireEvent.click(screen.getByTestId('nav-users'));
    await waitFor(() => expect(screen.getAllByTestId('user-row')).toHaveLength(2));

    // Add: validation first, then the core.
    await fireEvent.input(document.getElementById('u-name')!, { target: { value: 'dora' } });
    await fireEvent.change(document.getElementById('u-role')!, { target: { value: 'dpo' } });
    await fireEvent.input(document.getElementById('u-passphrase')!, { target: { value: 'short' } });
    await fireEvent.click(screen.getByTestId('user-add'));
    expect(screen.getByTestId('error-u-passphrase').textContent).toBe('Use at least 10 characters.');
    await fireEvent.input(document.getElementById('u-passphrase')!, { target: { value: PASS } });
    await fireEvent.input(document.getElementById('u-passphrase2')!, { target: { value: PASS } });
    await fireEvent.click(screen.getByTestId('user-add'));
    await waitFor(() => expect(screen.getAllByTestId('user-row')).toHaveLength(3));
    expect(within(row('dora')).getByTestId<HTMLSelectElement>('user-role').value).toBe('dpo');

    // A taken name is reported next to the name.
    await fireEvent.input(document.getElementById('u-name')!, { target: { value: 'carl' } });
    await fireEvent.input(document.getElementById('u-passphrase')!, { target: { value: PASS } });
    await fireEvent.input(document.getElementById('u-passphrase2')!, { target: { value: PASS } });
    await fireEvent.click(screen.getByTestId('user-add'));
    expect((await screen.findByTestId('error-u-name')).textContent).toBe('A user with this name already exists.');

    // Change a role.
    await fireEvent.change(within(row('carl')).getByTestId('user-role'), { target: { value: 'sales' } });
    await fireEvent.click(within(row('carl')).getByTestId('user-role-apply'));
    await waitFor(() => expect(document.body.textContent).toContain('carl now has the role Sales.'));
    expect((await mock.listUsers()).find((u) => u.name === 'carl')?.role).toBe('sales');

    // The last admin cannot be demoted.
    await fireEvent.change(within(row('anna')).getByTestId('user-role'), { target: { value: 'agent' } });
    await fireEvent.click(within(row('anna')).getByTestId('user-role-apply'));
    await waitFor(() =>
      expect(within(row('anna')).getByRole('alert').textContent).toBe('The vault needs at least one administrator.'),
    );

    // Reset a passphrase.
    await fireEvent.click(within(row('carl')).getByTestId('user-reset'));
    const inputs = row('carl').querySelectorAll('input[type="password"]');
    await fireEvent.input(inputs[0], { target: { value: 'new passphrase 1' } });
    await fireEvent.input(inputs[1], { target: { value: 'new passphrase 1' } });
    await fireEvent.click(within(row('carl')).getByTestId('user-reset-save'));
    await waitFor(() => expect(document.body.textContent).toContain('The passphrase of carl was changed.'));

    // Remove, with confirmation.
    await fireEvent.click(within(row('dora')).getByTestId('user-remove'));
    expect(row('dora').textContent).toContain('Remove dora?');
    await fireEvent.click(within(row('dora')).getByTestId('user-remove-confirm'));
    await waitFor(() => expect(screen.getAllByTestId('user-row')).toHaveLength(2));
    // One cannot remove oneself here.
    expect(within(row('anna')).queryByTestId('user-remove')).toBeNull();
  });
});
