import { fireEvent, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it, vi } from 'vitest';
import { renderApp } from './helpers';
import { useServer } from './server';

const server = useServer();

describe('start screen', () => {
  it('creates a vault: strength meter, validation, recovery kit shown once, then the main screen', async () => {
    const mock = server.backend;
    renderApp(mock);
    await fireEvent.click(await screen.findByTestId('start-create'));
    const admin = document.getElementById('create-admin') as HTMLInputElement;
    const pass = document.getElementById('create-passphrase') as HTMLInputElement;
    const pass2 = document.getElementById('create-passphrase2') as HTMLInputElement;
    const meter = screen.getByTestId('strength') as HTMLMeterElement;
    // No verdict before anything is typed.
    expect(meter.getAttribute('aria-valuetext')).toBe('not entered yet');
    expect(meter.closest('.strength')?.getAttribute('data-score')).toBe('empty');

    await fireEvent.input(pass, { target: { value: 'short' } });
    expect(meter.value).toBe(0);
    expect(meter.getAttribute('aria-valuetext')).toBe('Too short');
    await fireEvent.input(pass, { target: { value: 'Kerze Fahrrad Wolke 42!' } });
    expect(meter.value).toBeGreaterThanOrEqual(3);

    const create = vi.spyOn(mock, 'createVault');
    await fireEvent.input(pass2, { target: { value: 'something else' } });
    await fireEvent.click(screen.getByTestId('create-submit'));
    expect(screen.getByTestId('error-admin').textContent).toBe('Enter a name.');
    expect(screen.getByTestId('error-passphrase2').textContent).toBe('The passphrases do not match.');
    expect(create).not.toHaveBeenCalled();

    await fireEvent.input(admin, { target: { value: 'ada' } });
    await fireEvent.input(pass2, { target: { value: 'Kerze Fahrrad Wolke 42!' } });
    await fireEvent.click(screen.getByTestId('create-submit'));
    const kit = await screen.findByTestId('recovery-kit');
    expect(kit.tagName).toBe('PRE');
    expect(kit.textContent).toContain('TRESOR RECOVERY KIT');
    expect(kit.textContent).toContain('ada');
    expect(create).toHaveBeenCalledWith('ada', 'Kerze Fahrrad Wolke 42!');

    const print = vi.spyOn(window, 'print').mockImplementation(() => {});
    await fireEvent.click(screen.getByTestId('kit-print'));
    expect(print).toHaveBeenCalled();

    const created: Blob[] = [];
    URL.createObjectURL = vi.fn((b: Blob) => {
      created.push(b);
      return 'blob:kit';
    }) as typeof URL.createObjectURL;
    URL.revokeObjectURL = vi.fn();
    const click = vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(() => {});
    await fireEvent.click(screen.getByTestId('kit-save'));
    expect(click).toHaveBeenCalled();
    expect(await created[0].text()).toBe(kit.textContent);

    await fireEvent.click(screen.getByTestId('kit-done'));
    const whoami = await screen.findByTestId('whoami');
    expect(whoami.textContent).toContain('ada');
    expect(screen.queryByTestId('recovery-kit')).toBeNull();
    expect(screen.getByTestId('nav-users')).toBeTruthy();
  });

  it('opening a folder without a vault shows the error; the demo opens signed in', async () => {
    const mock = server.backend;
    renderApp(mock);
    await fireEvent.click(await screen.findByTestId('start-open'));
    await fireEvent.input(document.getElementById('open-dir')!, { target: { value: '/nowhere-at-all' } });
    await fireEvent.click(screen.getByTestId('open-submit'));
    await waitFor(() =>
      expect(screen.getAllByRole('alert').map((a) => a.textContent).join(' ')).toContain('No vault was found in this folder.'),
    );
    await fireEvent.click(screen.getByText('Back'));

    await fireEvent.click(screen.getByTestId('start-demo'));
    await screen.findByTestId('whoami');
    expect(document.body.textContent).toContain('Demo');
    const { total } = await mock.listContacts(0, 1);
    expect(total).toBeGreaterThan(0);
    await waitFor(() => expect(screen.getByTestId('contact-count').textContent?.replace(/\D/g, '')).toBe(String(total)));
    const demoDir = (await mock.appStatus()).vault_dir;

    // The demo vault can be opened by its folder later.
    await fireEvent.click(screen.getByTestId('lock'));
    await fireEvent.click(await screen.findByText('Use another vault…'));
    await fireEvent.click(await screen.findByTestId('start-open'));
    // Chosen in the folder dialog: cancelling leaves the path as it was.
    const dir = document.getElementById('open-dir') as HTMLInputElement;
    await fireEvent.click(screen.getByTestId('open-choose'));
    await waitFor(() => expect((screen.getByTestId('open-choose') as HTMLButtonElement).disabled).toBe(false));
    expect(dir.value).toBe('');
    await server.folderDialog(demoDir);
    await fireEvent.click(screen.getByTestId('open-choose'));
    await waitFor(() => expect(dir.value).toBe(demoDir));
    await fireEvent.click(screen.getByTestId('open-submit'));
    await screen.findByTestId('unlock-submit');
  });

  it('shows a busy state while the demo vault is prepared', async () => {
    const mock = server.backend;
    renderApp(mock);
    const demo = (await screen.findByTestId('start-demo')) as HTMLButtonElement;
    await fireEvent.click(demo);
    expect(demo.disabled).toBe(true);
    expect(document.body.textContent).toContain('Preparing the demo vault');
    await screen.findByTestId('whoami');
  });
});
