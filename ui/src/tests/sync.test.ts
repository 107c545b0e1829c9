import { fireEvent, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it, vi } from 'vitest';
import { translate } from '../lib/i18n';
import { MOCK_VAULT_DIR, MockBackend } from '../lib/mock-backend';
import type { MockDevice } from '../lib/mock-sync';
import { reloadSettings, STORAGE_KEY } from '../lib/settings.svelte';
import type { Role } from '../lib/types';
import { byTestId, mockWith, PASS, renderApp, renderSignedIn } from './helpers';

const FOLDER = '/home/anna/Nextcloud/Tresor';
const BEN: MockDevice = {
  id: '0190f3a2c4d87e11b0c4aaaaaaaaaaaa',
  user: 'ben',
  host: 'ben-thinkpad',
  lastSeen: '2026-03-02T08:15:00Z',
};

const state = () => screen.getByTestId('sync-state');
/** The bar right after a sync with nothing waiting. */
const SYNCED_NOW = /^Synced (just now|\d s ago)$/;
const ago = (seconds: number) => new Date(Date.now() - seconds * 1000).toISOString();

function synced(users: [string, Role][], extra: Partial<NonNullable<ConstructorParameters<typeof MockBackend>[0]>['sync']> = {}) {
  return mockWith(users, { sync: { folder: FOLDER, lastSync: ago(12), pending: 3, devices: [BEN], ...extra } });
}

async function openTeam() {
  await fireEvent.click(screen.getByTestId('nav-team'));
  return screen.findByTestId('team-status');
}

describe('sync status bar', () => {
  it('says when the vault does not sync with a team folder', async () => {
    await renderSignedIn(mockWith([['anna', 'admin']]), 'anna');
    await waitFor(() => expect(state().textContent).toBe('Not synced with a team folder'));
    expect(state().getAttribute('data-kind')).toBe('off');
    expect(byTestId('sync-now')).toHaveLength(0);
    expect(byTestId('sync-problems')).toHaveLength(0);
  });

  it('shows when it last synced and how many changes wait, in English and German', async () => {
    const mock = synced([['anna', 'admin']]);
    await renderSignedIn(mock, 'anna');
    await waitFor(() => expect(state().textContent).toMatch(/^Synced 1[2-9] s ago · 3 changes waiting$/));
    expect(state().getAttribute('data-kind')).toBe('synced');

    await fireEvent.click(screen.getByTestId('nav-settings'));
    await fireEvent.change(document.getElementById('s-lang')!, { target: { value: 'de' } });
    await waitFor(() => expect(state().textContent).toMatch(/^Synchronisiert vor 1[2-9] s · 3 Änderungen warten$/));
  });

  it('shows “Syncing…” while a sync runs, then the fresh state', async () => {
    const mock = synced([['anna', 'admin']], { pending: 1 });
    mock.syncModel().lastSync = null;
    await renderSignedIn(mock, 'anna');
    await waitFor(() => expect(state().textContent).toBe('Not synced yet · 1 change waiting'));

    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const syncNow = mock.syncNow.bind(mock);
    vi.spyOn(mock, 'syncNow').mockImplementation(async () => {
      await gate;
      return syncNow();
    });
    await fireEvent.click(screen.getByTestId('sync-now'));
    await waitFor(() => expect(state().textContent).toBe('Syncing…'));
    expect(screen.getByTestId<HTMLButtonElement>('sync-now').disabled).toBe(true);
    release();
    await waitFor(() => expect(state().textContent).toMatch(SYNCED_NOW));
    expect(mock.syncModel().pending).toBe(0);
  });

  it('takes over a role lowered on another laptop once a sync brings it', async () => {
    const mock = synced([['anna', 'admin'], ['finn', 'sales']]);
    await renderSignedIn(mock, 'finn');
    const whoami = () => screen.getByTestId('whoami');
    await waitFor(() => expect(state().getAttribute('data-kind')).toBe('synced'));
    expect(whoami().getAttribute('data-role')).toBe('sales');
    const before = mock.calls.filter((c) => c === 'app_status').length;

    mock.roleChangedElsewhere('agent');
    await fireEvent.click(screen.getByTestId('sync-now'));
    await waitFor(() => expect(whoami().getAttribute('data-role')).toBe('agent'));
    expect(whoami().textContent).toContain(translate('en', 'role.agent'));
    // Fetched once, not again and again.
    await new Promise((r) => setTimeout(r, 50));
    expect(mock.calls.filter((c) => c === 'app_status').length).toBe(before + 1);
  });

  it('syncs right after a saved change, not after reading', async () => {
    const mock = synced([['anna', 'admin']], { pending: 0 });
    await renderSignedIn(mock, 'anna');
    await fireEvent.click(screen.getByTestId('nav-users'));
    await waitFor(() => expect(screen.getAllByTestId('user-row')).toHaveLength(1));
    expect(mock.calls).not.toContain('sync_now');

    await fireEvent.input(document.getElementById('u-name')!, { target: { value: 'dora' } });
    await fireEvent.input(document.getElementById('u-passphrase')!, { target: { value: PASS } });
    await fireEvent.input(document.getElementById('u-passphrase2')!, { target: { value: PASS } });
    await fireEvent.click(screen.getByTestId('user-add'));
    await waitFor(() => expect(screen.getAllByTestId('user-row')).toHaveLength(2));
    await waitFor(() => expect(mock.calls.slice(mock.calls.indexOf('add_user'))).toContain('sync_now'));
    await waitFor(() => expect(state().textContent).toMatch(SYNCED_NOW));
    expect(mock.syncModel().pending).toBe(0);
  });

  it('shows a failed sync in the bar and keeps the app usable', async () => {
    const mock = synced([['anna', 'admin']]);
    await renderSignedIn(mock, 'anna');
    await waitFor(() => expect(state().getAttribute('data-kind')).toBe('synced'));
    mock.syncModel().failure = {
      code: 'sync_folder',
      message: `the shared folder ${FOLDER} cannot be used: it is not there; check that the shared drive is connected`,
      field: null,
    };
    await fireEvent.click(screen.getByTestId('sync-now'));
    await waitFor(() => expect(state().getAttribute('data-kind')).toBe('failed'));
    expect(state().textContent).toBe(
      `Sync failed: Tresor cannot use this shared folder. (the shared folder ${FOLDER} cannot be used: it is not there; check that the shared drive is connected)`,
    );
    expect(screen.getByTestId('statusbar').querySelector('[role="status"]')?.textContent).toBe(state().textContent);

    // The rest of the app goes on.
    await fireEvent.click(screen.getByTestId('nav-retention'));
    await screen.findAllByTestId('retention-rule');

    mock.syncModel().failure = null;
    await fireEvent.click(screen.getByTestId('sync-now'));
    await waitFor(() => expect(state().textContent).toMatch(SYNCED_NOW));
  });

  it('lists the problems of the last sync in a panel, as text', async () => {
    const hostile = '<img src=x onerror="alert(1)"> its signature does not verify';
    const mock = synced([['anna', 'admin']], {
      problems: [
        { code: 'forged', file: `log/${BEN.id}/7.seg`, message: hostile },
        { code: 'clock_new', file: '<b>devices</b>/x.device', message: 'something new' },
      ],
    });
    await renderSignedIn(mock, 'anna');
    const button = await screen.findByTestId('sync-problems');
    expect(button.textContent).toBe('2 problems');
    expect(button.getAttribute('aria-expanded')).toBe('false');

    await fireEvent.click(button);
    const panel = screen.getByTestId('sync-problems-panel');
    expect(button.getAttribute('aria-expanded')).toBe('true');
    const items = within(panel).getAllByTestId('sync-problem');
    expect(items).toHaveLength(2);
    expect(within(items[0]).getByTestId('sync-problem-file').textContent).toBe(`log/${BEN.id}/7.seg`);
    expect(within(items[0]).getByTestId('sync-problem-message').textContent).toBe(hostile);
    expect(items[0].textContent).toContain('Signature does not verify');
    // An unknown code is shown as it is; markup stays text.
    expect(items[1].textContent).toContain('clock_new');
    expect(within(items[1]).getByTestId('sync-problem-file').textContent).toBe('<b>devices</b>/x.device');
    expect(panel.querySelector('img, b')).toBeNull();

    await fireEvent.keyDown(panel, { key: 'Escape' });
    await waitFor(() => expect(byTestId('sync-problems-panel')).toHaveLength(0));
    expect(document.activeElement).toBe(button);

    // A sync that skips nothing clears the list.
    mock.syncModel().folderProblems = [];
    await fireEvent.click(screen.getByTestId('sync-now'));
    await waitFor(() => expect(byTestId('sync-problems')).toHaveLength(0));
  });

  it('reloads the contact list when a sync brings another laptop’s changes', async () => {
    const mock = synced([['anna', 'admin']], { pending: 0 });
    await renderSignedIn(mock, 'anna');
    await waitFor(() => expect(state().getAttribute('data-kind')).toBe('synced'));
    const names = () => byTestId('contact-row').map((r) => r.textContent ?? '');
    await new Promise((r) => setTimeout(r, 50));
    expect(names().some((n) => n.includes('Fernweh'))).toBe(false);

    // Another laptop's person arrives with a sync (not through this window).
    await mock.addContact([
      { field: 'given_name', values: ['Frieda'] },
      { field: 'family_name', values: ['Fernweh'] },
    ]);
    await fireEvent.click(screen.getByTestId('sync-now'));
    await new Promise((r) => setTimeout(r, 50));
    expect(names().some((n) => n.includes('Fernweh'))).toBe(false);
    mock.syncModel().lastReceived = new Date().toISOString();
    await fireEvent.click(screen.getByTestId('sync-now'));
    await waitFor(() => expect(names().some((n) => n.includes('Fernweh'))).toBe(true));
  });
});

describe('join a team', () => {
  const team = { folder: FOLDER, users: [{ name: 'ben', role: 'sales' as Role, passphrase: PASS }], devices: [BEN] };

  async function openJoin(mock: MockBackend) {
    renderApp(mock);
    await fireEvent.click(await screen.findByTestId('start-join'));
    return {
      folder: document.getElementById('join-folder') as HTMLInputElement,
      user: document.getElementById('join-user') as HTMLInputElement,
      pass: document.getElementById('join-passphrase') as HTMLInputElement,
    };
  }

  it('checks the form before anything is sent, then shows the core’s reasons', async () => {
    const mock = new MockBackend({ teams: [team] });
    const join = vi.spyOn(mock, 'joinTeam');
    const f = await openJoin(mock);
    expect(document.activeElement).toBe(f.folder);
    expect(screen.getByText(`Tresor reads the team from the shared folder and keeps a local copy on this computer, in ${MOCK_VAULT_DIR}.`)).toBeTruthy();

    await fireEvent.click(screen.getByTestId('join-submit'));
    expect(screen.getByTestId('error-join-folder').textContent).toBe('Enter a folder.');
    expect(screen.getByTestId('error-join-user').textContent).toBe('Enter a user name.');
    expect(screen.getByTestId('error-join-passphrase').textContent).toBe('Enter your passphrase.');
    expect(f.folder.getAttribute('aria-invalid')).toBe('true');
    expect(f.folder.getAttribute('aria-describedby')).toBe('join-folder-hint join-folder-error');
    expect(document.activeElement).toBe(f.folder);

    await fireEvent.input(f.folder, { target: { value: 'Nextcloud/Tresor' } });
    await fireEvent.input(f.user, { target: { value: 'ben tester' } });
    await fireEvent.input(f.pass, { target: { value: PASS } });
    await fireEvent.click(screen.getByTestId('join-submit'));
    expect(screen.getByTestId('error-join-folder').textContent).toMatch(/^Enter the full path/);
    expect(screen.getByTestId('error-join-user').textContent).toBe('Use 1–64 letters, digits, “.”, “-” or “_”.');
    expect(byTestId('error-join-passphrase')).toHaveLength(0);
    expect(join).not.toHaveBeenCalled();

    // A folder without a team: the core's reason.
    await fireEvent.input(f.folder, { target: { value: '/home/anna/Dropbox' } });
    await fireEvent.input(f.user, { target: { value: 'ben' } });
    await fireEvent.click(screen.getByTestId('join-submit'));
    const error = await screen.findByTestId('join-error');
    expect(error.textContent).toMatch(/^Tresor cannot use this shared folder\. \(the shared folder \/home\/anna\/Dropbox cannot be used: it holds no Tresor team/);
    expect(f.pass.value).toBe('');

    // The right folder, a wrong passphrase: next to the passphrase.
    await fireEvent.input(f.folder, { target: { value: ` ${FOLDER} ` } });
    await fireEvent.input(f.pass, { target: { value: 'not the passphrase' } });
    await fireEvent.click(screen.getByTestId('join-submit'));
    expect((await screen.findByTestId('error-join-passphrase')).textContent).toBe('Wrong passphrase');
    expect(join).toHaveBeenLastCalledWith(FOLDER, 'ben', 'not the passphrase');

    await fireEvent.input(f.pass, { target: { value: PASS } });
    await fireEvent.click(screen.getByTestId('join-submit'));
    const who = await screen.findByTestId('whoami');
    expect(who.getAttribute('data-user')).toBe('ben');
    expect(who.getAttribute('data-role')).toBe('sales');
    await waitFor(() => expect(state().textContent).toMatch(SYNCED_NOW));
  });

  it('refuses when this computer has a vault already, and says where', async () => {
    const mock = new MockBackend({ users: [{ name: 'anna', role: 'admin', passphrase: PASS }], teams: [team] });
    renderApp(mock);
    await screen.findByTestId('unlock-submit');
    await fireEvent.click(screen.getByText('Use another vault…'));
    await fireEvent.click(await screen.findByTestId('start-join'));
    await fireEvent.input(document.getElementById('join-folder')!, { target: { value: FOLDER } });
    await fireEvent.input(document.getElementById('join-user')!, { target: { value: 'ben' } });
    await fireEvent.input(document.getElementById('join-passphrase')!, { target: { value: PASS } });
    await fireEvent.click(screen.getByTestId('join-submit'));
    expect((await screen.findByTestId('join-error')).textContent).toBe(
      `This computer already has a vault in ${MOCK_VAULT_DIR}. Unlock it instead, or move it away before joining a team.`,
    );
  });

  it('is offered in German too', async () => {
    localStorage.setItem(STORAGE_KEY, JSON.stringify({ lang: 'de', autolockMinutes: 5 }));
    reloadSettings();
    renderApp(new MockBackend());
    expect((await screen.findByTestId('start-join')).textContent).toContain('Einem Team beitreten');
  });
});

describe('team & sync view', () => {
  it('lets an administrator set up a folder; the core’s refusal is shown', async () => {
    const mock = mockWith([['anna', 'admin']], { nonEmptyFolders: ['/home/anna/Documents'] });
    await renderSignedIn(mock, 'anna');
    await openTeam();
    expect(screen.getByTestId('team-not-set-up')).toBeTruthy();
    const input = document.getElementById('team-folder') as HTMLInputElement;

    await fireEvent.click(screen.getByTestId('team-setup-submit'));
    expect(screen.getByTestId('error-team-folder').textContent).toBe('Enter a folder.');

    await fireEvent.input(input, { target: { value: '/home/anna/Documents' } });
    await fireEvent.click(screen.getByTestId('team-setup-submit'));
    expect((await screen.findByTestId('team-setup-error')).textContent).toBe(
      'Tresor cannot use this shared folder. (the shared folder /home/anna/Documents cannot be used: it is not empty; choose an empty folder for the team)',
    );

    await fireEvent.input(input, { target: { value: FOLDER } });
    await fireEvent.click(screen.getByTestId('team-setup-submit'));
    expect((await screen.findByTestId('team-notice')).textContent).toMatch(/^The shared folder is set up/);
    expect(screen.getByTestId('team-folder-path').textContent).toBe(FOLDER);
    expect(byTestId('team-setup')).toHaveLength(0);
    const rows = await screen.findAllByTestId('device-row');
    expect(rows).toHaveLength(1);
    expect(within(rows[0]).getByTestId('device-this').textContent).toBe('this laptop');
    expect(within(rows[0]).queryByTestId('retire')).toBeNull();
    await waitFor(() => expect(state().textContent).toMatch(SYNCED_NOW));
  });

  it('shows others the status and asks them to have an administrator set it up', async () => {
    const mock = mockWith([
      ['anna', 'admin'],
      ['sam', 'sales'],
    ]);
    await renderSignedIn(mock, 'sam');
    await openTeam();
    expect(screen.getByTestId('team-ask-admin').textContent).toBe('An administrator sets up the shared folder on this page.');
    expect(byTestId('team-setup')).toHaveLength(0);
    expect(document.getElementById('team-folder')).toBeNull();
  });

  it('lists the devices for everyone else, without retiring', async () => {
    const mock = synced([
      ['anna', 'admin'],
      ['sam', 'sales'],
    ]);
    await renderSignedIn(mock, 'sam');
    await openTeam();
    const rows = await screen.findAllByTestId('device-row');
    expect(rows.map((r) => r.textContent)).toEqual([
      expect.stringContaining('ben-thinkpad'),
      expect.stringContaining('this laptop'),
    ]);
    expect(byTestId('retire')).toHaveLength(0);
    expect(screen.getByTestId('team-devices').querySelectorAll('th')).toHaveLength(4);
    expect(byTestId('team-setup')).toHaveLength(0);
    expect(byTestId('team-move')).toHaveLength(0);
    await expect(mock.retireDevice(BEN.id)).rejects.toMatchObject({ code: 'forbidden' });
  });

  it('lets an administrator retire another laptop after saying exactly what happens', async () => {
    const mock = synced([['anna', 'admin']]);
    await renderSignedIn(mock, 'anna');
    await openTeam();
    const rows = await screen.findAllByTestId('device-row');
    expect(screen.getByTestId('team-devices').querySelectorAll('th')).toHaveLength(5);
    expect(byTestId('retire')).toHaveLength(1);
    expect(byTestId('team-move')).toHaveLength(1);
    const ben = rows.find((r) => r.getAttribute('data-id') === BEN.id) as HTMLElement;
    await fireEvent.click(within(ben).getByTestId('retire'));
    expect(within(ben).getByText('Retire the laptop ben-thinkpad of ben?')).toBeTruthy();
    expect(within(ben).getByTestId('retire-effect').textContent).toBe(translate('en', 'team.retire_effect'));
    expect(document.activeElement).toBe(within(ben).getByTestId('retire-confirm'));
    await fireEvent.click(within(ben).getByTestId('retire-confirm'));
    expect((await screen.findByTestId('team-notice')).textContent).toBe('The laptop ben-thinkpad is retired.');
    await waitFor(() => {
      const row = screen.getAllByTestId('device-row').find((r) => r.getAttribute('data-id') === BEN.id) as HTMLElement;
      expect(within(row).getByTestId('device-state').textContent).toBe('retired');
    });
    expect(byTestId('retire')).toHaveLength(0);
    expect(mock.syncModel().devices.find((d) => d.id === BEN.id)?.retired).toBe(true);
  });
});
