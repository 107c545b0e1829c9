// Sync against the real core: two development servers are two laptops,
// and a temporary folder is the folder the team shares.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fireEvent, screen, waitFor, within } from '@testing-library/svelte';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { WebBackend } from '../lib/backend';
import { translate } from '../lib/i18n';
import { reloadSettings, STORAGE_KEY } from '../lib/settings.svelte';
import type { Role } from '../lib/types';
import { byTestId, renderApp, renderSignedIn } from './helpers';
import { as, PASS, useServer } from './server';

// The real clock: the bar counts seconds since the last sync.
const laptopA = useServer({ clock: null });
const laptopB = useServer({ clock: null });

const state = () => screen.getByTestId('sync-state');
/** The bar right after a sync with nothing waiting. */
const SYNCED_NOW = /^Synced (just now|\d+ s ago)$/;

const folders: string[] = [];
afterEach(() => {
  for (const f of folders.splice(0)) rmSync(f, { recursive: true, force: true });
});

/** A new, empty folder, as the team's shared one would be. */
function sharedFolder(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'tresor-team-'));
  folders.push(dir);
  return path.join(dir, 'Tresor');
}

/**
 * Laptop A: a vault of `users` (the first the admin) syncing with a new
 * shared folder; laptop B: `joiner` joined it, synced, locked. A has
 * synced again, so it knows B.
 */
async function team(users: [string, Role][], joiner = users[1]?.[0]) {
  const folder = sharedFolder();
  mkdirSync(folder, { recursive: true });
  const a = await laptopA.vault(users);
  await as(a, users[0][0], (b) => b.syncSetup(folder));
  const b = laptopB.backend;
  if (joiner) {
    await b.joinTeam(folder, joiner, PASS);
    await b.syncNow();
    await b.lock();
    await as(a, users[0][0], (x) => x.syncNow());
  }
  return { a, b, folder };
}

async function openTeam() {
  await fireEvent.click(screen.getByTestId('nav-team'));
  return screen.findByTestId('team-status');
}

describe('sync status bar', () => {
  it('says when the vault does not sync with a team folder', async () => {
    await renderSignedIn(await laptopA.vault([['anna', 'admin']]), 'anna');
    await waitFor(() => expect(state().textContent).toBe('Not synced with a team folder'));
    expect(state().getAttribute('data-kind')).toBe('off');
    expect(byTestId('sync-now')).toHaveLength(0);
    expect(byTestId('sync-problems')).toHaveLength(0);
  });

  it('shows when it last synced and how many changes wait, in English and German', async () => {
    const { a } = await team([['anna', 'admin']]);
    await a.unlock('anna', PASS);
    for (const name of ['Eins', 'Zwei', 'Drei']) await a.addContact([{ field: 'family_name', values: [name] }]);
    const { pending_changes: pending } = (await a.syncStatus()).status;
    expect(pending).toBeGreaterThan(0);
    renderApp(a);
    await waitFor(() => expect(state().textContent).toMatch(new RegExp(`^Synced (just now|\\d+ s ago) · ${pending} changes waiting$`)));
    expect(state().getAttribute('data-kind')).toBe('synced');

    await fireEvent.click(screen.getByTestId('nav-settings'));
    await fireEvent.change(document.getElementById('s-lang')!, { target: { value: 'de' } });
    await waitFor(() => expect(state().textContent).toMatch(new RegExp(`^Synchronisiert (gerade eben|vor \\d+ s) · ${pending} Änderungen warten$`)));
  });

  it('shows “Syncing…” while a sync runs, then the fresh state', async () => {
    const { a } = await team([['anna', 'admin']]);
    await a.unlock('anna', PASS);
    await a.addContact([{ field: 'family_name', values: ['Wartend'] }]);
    renderApp(a);
    await waitFor(() => expect(state().textContent).toMatch(/changes? waiting$/));

    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const syncNow = a.syncNow.bind(a);
    vi.spyOn(a, 'syncNow').mockImplementation(async () => {
      await gate;
      return syncNow();
    });
    await fireEvent.click(screen.getByTestId('sync-now'));
    await waitFor(() => expect(state().textContent).toBe('Syncing…'));
    expect(screen.getByTestId<HTMLButtonElement>('sync-now').disabled).toBe(true);
    release();
    await waitFor(() => expect(state().textContent).toMatch(SYNCED_NOW));
    expect((await a.syncStatus()).status.pending_changes).toBe(0);
  });

  it('takes over a role lowered on another laptop once a sync brings it', async () => {
    const { a, b } = await team([
      ['anna', 'admin'],
      ['finn', 'sales'],
    ]);
    await renderSignedIn(b, 'finn');
    const whoami = () => screen.getByTestId('whoami');
    await waitFor(() => expect(state().getAttribute('data-kind')).toBe('synced'));
    expect(whoami().getAttribute('data-role')).toBe('sales');
    const status = vi.spyOn(b, 'appStatus');

    // The administrator lowers finn's role on laptop A.
    await as(a, 'anna', async (x) => {
      await x.setUserRole('finn', 'agent');
      await x.syncNow();
    });
    await fireEvent.click(screen.getByTestId('sync-now'));
    await waitFor(() => expect(whoami().getAttribute('data-role')).toBe('agent'));
    expect(whoami().textContent).toContain(translate('en', 'role.agent'));
    // Fetched once, not again and again.
    await new Promise((r) => setTimeout(r, 50));
    expect(status).toHaveBeenCalledTimes(1);
  });

  it('syncs right after a saved change, not after reading', async () => {
    const { a } = await team([['anna', 'admin']]);
    const sync = vi.spyOn(a, 'syncNow');
    const add = vi.spyOn(a, 'addUser');
    await renderSignedIn(a, 'anna');
    await fireEvent.click(screen.getByTestId('nav-users'));
    await waitFor(() => expect(screen.getAllByTestId('user-row')).toHaveLength(1));
    expect(sync).not.toHaveBeenCalled();

    await fireEvent.input(document.getElementById('u-name')!, { target: { value: 'dora' } });
    await fireEvent.input(document.getElementById('u-passphrase')!, { target: { value: PASS } });
    await fireEvent.input(document.getElementById('u-passphrase2')!, { target: { value: PASS } });
    await fireEvent.click(screen.getByTestId('user-add'));
    await waitFor(() => expect(screen.getAllByTestId('user-row')).toHaveLength(2));
    await waitFor(() => expect(sync).toHaveBeenCalled());
    expect(sync.mock.invocationCallOrder[0]).toBeGreaterThan(add.mock.invocationCallOrder[0]);
    await waitFor(() => expect(state().textContent).toMatch(SYNCED_NOW));
    expect((await a.syncStatus()).status.pending_changes).toBe(0);
  });

  it('shows a failed sync in the bar and keeps the app usable', async () => {
    const { a, folder } = await team([['anna', 'admin']]);
    await renderSignedIn(a, 'anna');
    await waitFor(() => expect(state().getAttribute('data-kind')).toBe('synced'));
    // The shared drive is gone.
    renameSync(folder, `${folder}-away`);
    await fireEvent.click(screen.getByTestId('sync-now'));
    await waitFor(() => expect(state().getAttribute('data-kind')).toBe('failed'));
    expect(state().textContent).toMatch(/^Sync failed: Tresor cannot use this shared folder\. \(.+\)$/);
    expect(state().textContent).toContain(folder);
    expect(screen.getByTestId('statusbar').querySelector('[role="status"]')?.textContent).toBe(state().textContent);

    // The rest of the app goes on.
    await fireEvent.click(screen.getByTestId('nav-retention'));
    await screen.findAllByTestId('retention-rule');

    renameSync(`${folder}-away`, folder);
    await fireEvent.click(screen.getByTestId('sync-now'));
    await waitFor(() => expect(state().textContent).toMatch(SYNCED_NOW));
  });

  it('lists the problems of the last sync in a panel, as text', async () => {
    const { a, b, folder } = await team([
      ['anna', 'admin'],
      ['ben', 'sales'],
    ]);
    // Ben's next segment is damaged on its way through the shared folder.
    const ben = await as(b, 'ben', async (x) => {
      await x.addContact([{ field: 'family_name', values: ['Beschädigt'] }]);
      await x.syncNow();
      return (await x.syncDevices()).find((d) => d.this_device)!;
    });
    const log = path.join(folder, 'log', ben.id);
    const segment = path.join(log, readdirSync(log).sort().at(-1)!);
    const good = readFileSync(segment);
    const bad = Buffer.from(good);
    bad[bad.length - 1] ^= 0xff;
    writeFileSync(segment, bad);
    await as(a, 'anna', (x) => x.syncNow());
    const { problems } = (await as(a, 'anna', (x) => x.syncStatus())).status;
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.some((p) => p.file.includes(ben.id))).toBe(true);

    await renderSignedIn(a, 'anna');
    const button = await screen.findByTestId('sync-problems');
    expect(button.textContent).toBe(problems.length === 1 ? '1 problem' : `${problems.length} problems`);
    expect(button.getAttribute('aria-expanded')).toBe('false');

    await fireEvent.click(button);
    const panel = screen.getByTestId('sync-problems-panel');
    expect(button.getAttribute('aria-expanded')).toBe('true');
    const items = within(panel).getAllByTestId('sync-problem');
    expect(items).toHaveLength(problems.length);
    expect(items.map((i) => within(i).getByTestId('sync-problem-file').textContent)).toEqual(problems.map((p) => p.file));
    expect(items.map((i) => within(i).getByTestId('sync-problem-message').textContent)).toEqual(problems.map((p) => p.message));

    await fireEvent.keyDown(panel, { key: 'Escape' });
    await waitFor(() => expect(byTestId('sync-problems-panel')).toHaveLength(0));
    expect(document.activeElement).toBe(button);

    // The segment arrives whole: a sync that skips nothing clears the list.
    writeFileSync(segment, good);
    await fireEvent.click(screen.getByTestId('sync-now'));
    await waitFor(() => expect(byTestId('sync-problems')).toHaveLength(0));
  });

  it('reloads the contact list when a sync brings another laptop’s changes', async () => {
    const { a, b } = await team([
      ['anna', 'admin'],
      ['ben', 'sales'],
    ]);
    await renderSignedIn(a, 'anna');
    await waitFor(() => expect(state().getAttribute('data-kind')).toBe('synced'));
    const names = () => byTestId('contact-row').map((r) => r.textContent ?? '');
    const list = vi.spyOn(a, 'listContacts');
    await new Promise((r) => setTimeout(r, 50));
    list.mockClear();

    // A sync that brings nothing does not reload the list.
    await fireEvent.click(screen.getByTestId('sync-now'));
    await waitFor(() => expect(state().textContent).toMatch(SYNCED_NOW));
    await new Promise((r) => setTimeout(r, 50));
    expect(list).not.toHaveBeenCalled();

    // Another laptop's person arrives with a sync.
    await as(b, 'ben', async (x) => {
      await x.addContact([
        { field: 'given_name', values: ['Frieda'] },
        { field: 'family_name', values: ['Fernweh'] },
      ]);
      await x.syncNow();
    });
    await fireEvent.click(screen.getByTestId('sync-now'));
    await waitFor(() => expect(names().some((n) => n.includes('Fernweh'))).toBe(true));
  });
});

describe('join a team', () => {
  async function openJoin(b: WebBackend) {
    renderApp(b);
    await fireEvent.click(await screen.findByTestId('start-join'));
    return {
      folder: document.getElementById('join-folder') as HTMLInputElement,
      user: document.getElementById('join-user') as HTMLInputElement,
      pass: document.getElementById('join-passphrase') as HTMLInputElement,
    };
  }

  it('checks the form before anything is sent, then shows the core’s reasons', async () => {
    const { b, folder } = await team(
      [
        ['anna', 'admin'],
        ['ben', 'sales'],
      ],
      '',
    );
    const join = vi.spyOn(b, 'joinTeam');
    const home = (await b.appStatus()).vault_dir;
    const f = await openJoin(b);
    expect(document.activeElement).toBe(f.folder);
    expect(screen.getByText(`Tresor reads the team from the shared folder and keeps a local copy on this computer, in ${home}.`)).toBeTruthy();

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
    expect(byTestId('error-join-user')).toHaveLength(0);
    expect(byTestId('error-join-passphrase')).toHaveLength(0);
    expect(join).not.toHaveBeenCalled();

    // A name no user can have: the core's reason, next to the name.
    await fireEvent.input(f.folder, { target: { value: folder } });
    await fireEvent.click(screen.getByTestId('join-submit'));
    expect((await screen.findByTestId('error-join-user')).textContent).toBe('Use 1–64 letters, digits, “.”, “-” or “_”.');
    expect(join).toHaveBeenCalledTimes(1);
    await fireEvent.input(f.pass, { target: { value: PASS } });

    // A folder without a team: the core's reason.
    const empty = path.dirname(folder);
    await fireEvent.input(f.folder, { target: { value: empty } });
    await fireEvent.input(f.user, { target: { value: 'ben' } });
    await fireEvent.click(screen.getByTestId('join-submit'));
    const error = await screen.findByTestId('join-error');
    expect(error.textContent).toMatch(/^Tresor cannot use this shared folder\. \(.+\)$/);
    expect(error.textContent).toContain(empty);
    expect(f.pass.value).toBe('');

    // The right folder, a wrong passphrase: next to the passphrase.
    await fireEvent.input(f.folder, { target: { value: ` ${folder} ` } });
    await fireEvent.input(f.pass, { target: { value: 'not the passphrase' } });
    await fireEvent.click(screen.getByTestId('join-submit'));
    expect((await screen.findByTestId('error-join-passphrase')).textContent).toBe('Wrong passphrase');
    expect(join).toHaveBeenLastCalledWith(folder, 'ben', 'not the passphrase');

    await fireEvent.input(f.pass, { target: { value: PASS } });
    await fireEvent.click(screen.getByTestId('join-submit'));
    const who = await screen.findByTestId('whoami');
    expect(who.getAttribute('data-user')).toBe('ben');
    expect(who.getAttribute('data-role')).toBe('sales');
    await waitFor(() => expect(state().getAttribute('data-kind')).toBe('synced'));
    expect(state().textContent).toMatch(/^Synced (just now|\d+ s ago)/);
  });

  it('refuses when this computer has a vault already, and says where', async () => {
    const { folder } = await team(
      [
        ['anna', 'admin'],
        ['ben', 'sales'],
      ],
      '',
    );
    const b = await laptopB.vault([['bea', 'admin']]);
    const home = (await b.appStatus()).vault_dir;
    renderApp(b);
    await screen.findByTestId('unlock-submit');
    await fireEvent.click(screen.getByText('Use another vault…'));
    await fireEvent.click(await screen.findByTestId('start-join'));
    await laptopB.folderDialog(folder);
    await fireEvent.click(screen.getByTestId('join-choose'));
    await waitFor(() => expect((document.getElementById('join-folder') as HTMLInputElement).value).toBe(folder));
    await fireEvent.input(document.getElementById('join-user')!, { target: { value: 'ben' } });
    await fireEvent.input(document.getElementById('join-passphrase')!, { target: { value: PASS } });
    await fireEvent.click(screen.getByTestId('join-submit'));
    expect((await screen.findByTestId('join-error')).textContent).toBe(
      `This computer already has a vault in ${home}. Unlock it instead, or move it away before joining a team.`,
    );
  });

  it('is offered in German too', async () => {
    localStorage.setItem(STORAGE_KEY, JSON.stringify({ lang: 'de', autolockMinutes: 5 }));
    reloadSettings();
    renderApp(laptopB.backend);
    expect((await screen.findByTestId('start-join')).textContent).toContain('Einem Team beitreten');
  });
});

describe('team & sync view', () => {
  it('lets an administrator set up a folder; the core’s refusal is shown', async () => {
    const a = await laptopA.vault([['anna', 'admin']]);
    const folder = sharedFolder();
    const full = path.join(path.dirname(folder), 'Documents');
    mkdirSync(full);
    writeFileSync(path.join(full, 'letter.txt'), 'Sehr geehrte Damen und Herren');
    await renderSignedIn(a, 'anna');
    await openTeam();
    expect(screen.getByTestId('team-not-set-up')).toBeTruthy();
    const input = document.getElementById('team-folder') as HTMLInputElement;

    await fireEvent.click(screen.getByTestId('team-setup-submit'));
    expect(screen.getByTestId('error-team-folder').textContent).toBe('Enter a folder.');

    await fireEvent.input(input, { target: { value: full } });
    await fireEvent.click(screen.getByTestId('team-setup-submit'));
    const refusal = await screen.findByTestId('team-setup-error');
    expect(refusal.textContent).toMatch(/^Tresor cannot use this shared folder\. \(.+\)$/);
    expect(refusal.textContent).toContain(full);

    // The folder dialog fills the path in.
    await laptopA.folderDialog(folder);
    await fireEvent.click(screen.getByTestId('team-choose'));
    await waitFor(() => expect(input.value).toBe(folder));
    await fireEvent.click(screen.getByTestId('team-setup-submit'));
    expect((await screen.findByTestId('team-notice')).textContent).toMatch(/^The shared folder is set up/);
    expect(screen.getByTestId('team-folder-path').textContent).toBe(folder);
    expect(byTestId('team-setup')).toHaveLength(0);
    const rows = await screen.findAllByTestId('device-row');
    expect(rows).toHaveLength(1);
    expect(within(rows[0]).getByTestId('device-this').textContent).toBe('this laptop');
    expect(within(rows[0]).queryByTestId('retire')).toBeNull();
    await waitFor(() => expect(state().textContent).toMatch(SYNCED_NOW));
  });

  it('shows others the status and asks them to have an administrator set it up', async () => {
    const a = await laptopA.vault([
      ['anna', 'admin'],
      ['sam', 'sales'],
    ]);
    await renderSignedIn(a, 'sam');
    await openTeam();
    expect(screen.getByTestId('team-ask-admin').textContent).toBe('An administrator sets up the shared folder on this page.');
    expect(byTestId('team-setup')).toHaveLength(0);
    expect(document.getElementById('team-folder')).toBeNull();
  });

  it('lists the devices for everyone else, without retiring', async () => {
    const { a, b } = await team([
      ['anna', 'admin'],
      ['sam', 'sales'],
    ]);
    const annas = await as(a, 'anna', (x) => x.syncDevices());
    const other = annas.find((d) => d.this_device);
    await renderSignedIn(b, 'sam');
    await openTeam();
    const rows = await screen.findAllByTestId('device-row');
    expect(rows).toHaveLength(2);
    const theirs = rows.find((r) => r.getAttribute('data-id') === other?.id) as HTMLElement;
    expect(theirs.textContent).toContain('anna');
    expect(rows.filter((r) => within(r).queryByTestId('device-this'))).toHaveLength(1);
    expect(byTestId('retire')).toHaveLength(0);
    expect(screen.getByTestId('team-devices').querySelectorAll('th')).toHaveLength(4);
    expect(byTestId('team-setup')).toHaveLength(0);
    expect(byTestId('team-move')).toHaveLength(0);
    await expect(b.retireDevice(other!.id)).rejects.toMatchObject({ code: 'forbidden' });
  });

  it('lets an administrator retire another laptop after saying exactly what happens', async () => {
    const { a, b } = await team([
      ['anna', 'admin'],
      ['ben', 'sales'],
    ]);
    const bens = await as(b, 'ben', (x) => x.syncDevices());
    const ben = bens.find((d) => d.this_device)!;
    await renderSignedIn(a, 'anna');
    await openTeam();
    const rows = await screen.findAllByTestId('device-row');
    expect(screen.getByTestId('team-devices').querySelectorAll('th')).toHaveLength(5);
    expect(byTestId('retire')).toHaveLength(1);
    expect(byTestId('team-move')).toHaveLength(1);
    const row = rows.find((r) => r.getAttribute('data-id') === ben.id) as HTMLElement;
    await fireEvent.click(within(row).getByTestId('retire'));
    expect(within(row).getByText(`Retire the laptop ${ben.host} of ben?`)).toBeTruthy();
    expect(within(row).getByTestId('retire-effect').textContent).toBe(translate('en', 'team.retire_effect'));
    expect(document.activeElement).toBe(within(row).getByTestId('retire-confirm'));
    await fireEvent.click(within(row).getByTestId('retire-confirm'));
    expect((await screen.findByTestId('team-notice')).textContent).toBe(`The laptop ${ben.host} is retired.`);
    await waitFor(() => {
      const r = screen.getAllByTestId('device-row').find((x) => x.getAttribute('data-id') === ben.id) as HTMLElement;
      expect(within(r).getByTestId('device-state').textContent).toBe('retired');
    });
    expect(byTestId('retire')).toHaveLength(0);
    expect((await a.syncDevices()).find((d) => d.id === ben.id)?.retired).toBe(true);
  });
});
