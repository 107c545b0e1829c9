// Backups against the real core: the Backups view sets a folder up, backs
// up, lists and checks; the status bar says when the folder is gone; the
// start screen restores a backup over the vault only when asked, and what
// was erased after the backup stays out.
import { mkdirSync, readdirSync, renameSync, writeFileSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fireEvent, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { reloadSettings, STORAGE_KEY } from '../lib/settings.svelte';
import { byTestId, renderApp, renderSignedIn } from './helpers';
import { addPerson, as, PASS, useServer } from './server';

const server = useServer();
let n = 0;

/** A new folder of this test's own, as a USB stick would be. */
function stick(): string {
  n += 1;
  const dir = path.join(server.dataDir, `stick-${n}`);
  mkdirSync(dir, { recursive: true });
  return dir;
}

async function openBackups() {
  await fireEvent.click(await screen.findByTestId('nav-backups'));
  return screen.findByTestId('backup-status');
}

describe('the Backups view', () => {
  it('sets a folder up from the dialog, backs up now, lists with sizes and checks every file', async () => {
    const b = await server.vault([['anna', 'admin']]);
    await addPerson(b, 'anna', { family_name: 'Mustermann', emails: 'max@example.de' });
    const folder = stick();
    await server.folderDialog(folder);
    await renderSignedIn(b, 'anna');
    const status = await openBackups();
    await waitFor(() => expect(within(status).getByTestId('backup-not-set-up')).toBeTruthy());

    await fireEvent.click(screen.getByTestId('backup-choose'));
    await waitFor(() => expect((document.getElementById('backup-folder') as HTMLInputElement).value).toBe(folder));
    await fireEvent.input(document.getElementById('backup-daily')!, { target: { value: '3' } });
    await fireEvent.click(screen.getByTestId('backup-setup-submit'));
    await waitFor(() => expect(screen.getByTestId('backup-notice').textContent).toMatch(/^Backup written and checked: .*tresor-\d{8}-\d{6}-\d{3}\.tbk \(/));
    await waitFor(() => expect(screen.getByTestId('backup-folder-path').textContent).toBe(folder));
    expect(screen.getByTestId('backup-rotation').textContent).toContain('3 days, 4 weeks and 12 months');
    await waitFor(() => expect(byTestId('backup-row')).toHaveLength(1));
    const files = readdirSync(folder).filter((f) => /^tresor-\d.*\.tbk$/.test(f));
    expect(files).toHaveLength(1);
    expect(readdirSync(folder)).toContain('tresor-keys.tbk');
    expect(byTestId('backup-row')[0].textContent).toContain(files[0]);

    await waitFor(() => expect((screen.getByTestId('backup-now') as HTMLButtonElement).disabled).toBe(false));
    await fireEvent.click(screen.getByTestId('backup-now'));
    await waitFor(() => expect(screen.getByTestId('backup-notice').textContent).not.toContain(files[0]));
    await waitFor(() => expect(byTestId('backup-row')).toHaveLength(2));
    await fireEvent.click(screen.getByTestId('backup-verify'));
    await waitFor(() => expect(screen.getByTestId('backup-notice').textContent).toBe('All 2 backups open and are whole.'));
    expect(byTestId('backup-check').map((c) => c.getAttribute('data-ok'))).toEqual(['true', 'true']);
    expect(byTestId('backup-check')[0].textContent).toContain('1 people readable, 0 erased since');

    // A damaged file is named at the check, the others stay whole.
    const target = path.join(folder, files[0]);
    const bytes = readFileSync(target);
    bytes[bytes.length - 40] ^= 0xff;
    writeFileSync(target, bytes);
    await fireEvent.click(screen.getByTestId('backup-verify'));
    await waitFor(() => expect(screen.getByTestId('backup-notice').textContent).toBe('1 backups are damaged or cannot be opened.'));
    expect(byTestId('backup-check').map((c) => c.getAttribute('data-ok')).sort()).toEqual(['false', 'true']);
  });

  it('refuses a folder inside the vault with the reason, in German too', async () => {
    const b = await server.vault([['anna', 'admin']]);
    await renderSignedIn(b, 'anna');
    const st = await b.appStatus();
    await openBackups();
    await fireEvent.input(document.getElementById('backup-folder')!, { target: { value: path.join(st.vault_dir, 'backups') } });
    await fireEvent.click(screen.getByTestId('backup-setup-submit'));
    await waitFor(() => expect(screen.getByTestId('error-backup-folder').textContent).toContain('must not be inside the vault'));
    expect(byTestId('backup-row')).toHaveLength(0);
    try {
      localStorage.setItem(STORAGE_KEY, JSON.stringify({ lang: 'de' }));
      reloadSettings();
      await fireEvent.click(screen.getByTestId('backup-setup-submit'));
      await waitFor(() => expect(screen.getByTestId('error-backup-folder').textContent).toContain('darf nicht im Ordner des Tresors liegen'));
    } finally {
      localStorage.removeItem(STORAGE_KEY);
      reloadSettings();
    }
  });

  it('says in the status bar when the folder is gone, and lets an agent see nothing to set up', async () => {
    const b = await server.vault([['anna', 'admin'], ['ben', 'agent']]);
    const folder = stick();
    await as(b, 'anna', (x) => x.backupSetup(folder, { daily: 7, weekly: 4, monthly: 12 }));
    renameSync(folder, `${folder}-away`);
    await renderSignedIn(b, 'anna');
    const bar = await screen.findByTestId('backup-bar');
    expect(bar.getAttribute('data-kind')).toBe('missing');
    expect(bar.textContent).toBe(`Backup folder not found: ${folder}`);
    await fireEvent.click(bar);
    await screen.findByTestId('backup-missing');
    expect((screen.getByTestId('backup-now') as HTMLButtonElement).disabled).toBe(true);
    renameSync(`${folder}-away`, folder);
    await fireEvent.click(screen.getByTestId('nav-contacts'));
    await openBackups();
    await waitFor(() => expect(byTestId('backup-bar')).toHaveLength(0));
    expect(screen.getByTestId('backup-present').getAttribute('data-present')).toBe('true');
    await fireEvent.click(screen.getByTestId('lock'));
    await screen.findByTestId('unlock-submit');
    // The window clears first and tells the core after: wait for the core.
    await waitFor(async () => expect((await b.appStatus()).session).toBeNull());

    await b.unlock('ben', PASS);
    const status = await b.backupStatus();
    expect(status.may_manage).toBe(false);
    await expect(b.backupNow()).rejects.toMatchObject({ code: 'forbidden' });
  });
});

describe('restore from the start screen', () => {
  it('restores over the vault only when asked, keeps the old one aside, and leaves out who was erased since', async () => {
    const b = await server.vault([['anna', 'admin']]);
    const kept = await addPerson(b, 'anna', { family_name: 'Bleibt' });
    const gone = await addPerson(b, 'anna', { family_name: 'Vergessen' });
    const folder = stick();
    const report = await as(b, 'anna', (x) => x.backupSetup(folder, { daily: 7, weekly: 4, monthly: 12 }));
    await as(b, 'anna', async (x) => {
      const req = await x.openRequest({ kind: 'erasure', person: gone, received: '2026-03-01', identity_check: 'called back' });
      await x.eraseContact(gone, req.reference, false);
      await x.addContact([{ field: 'family_name', values: ['Später'] }]);
    });

    renderApp(b);
    await fireEvent.click(await screen.findByTestId('unlock-other'));
    await fireEvent.click(await screen.findByTestId('start-restore'));
    await server.filesDialog([report.backup.file]);
    await fireEvent.click(screen.getByTestId('restore-choose'));
    await waitFor(() => expect((document.getElementById('restore-file') as HTMLInputElement).value).toBe(report.backup.file));

    await fireEvent.input(document.getElementById('restore-passphrase')!, { target: { value: 'not the passphrase' } });
    await fireEvent.click(screen.getByTestId('restore-submit'));
    await screen.findByTestId('error-restore-passphrase');

    await fireEvent.input(document.getElementById('restore-passphrase')!, { target: { value: PASS } });
    await fireEvent.click(screen.getByTestId('restore-submit'));
    await waitFor(() => expect(screen.getByTestId('restore-error').textContent).toContain('Tick'));

    await fireEvent.click(screen.getByTestId('restore-replace'));
    await fireEvent.input(document.getElementById('restore-passphrase')!, { target: { value: PASS } });
    await fireEvent.click(screen.getByTestId('restore-submit'));
    const done = await screen.findByTestId('restore-done', {}, { timeout: 10_000 });
    expect(within(done).getByTestId('restore-forgotten').textContent).toBe('1 people erased or deleted since the backup were left out.');
    expect(within(done).getByTestId('restore-kept').textContent).toContain('.replaced-');
    await fireEvent.click(screen.getByTestId('restore-continue'));
    await screen.findByTestId('whoami');

    const page = await b.listContacts(0, 10);
    expect(page.rows.map((r) => r.id)).toEqual([kept]);
    await expect(b.getContact(gone)).rejects.toMatchObject({ code: 'not_found' });
  });

  it('refuses a damaged backup with a clear message and changes nothing', async () => {
    const b = await server.vault([['anna', 'admin']]);
    await addPerson(b, 'anna', { family_name: 'Bleibt' });
    const folder = stick();
    const report = await as(b, 'anna', (x) => x.backupSetup(folder, { daily: 7, weekly: 4, monthly: 12 }));
    const bytes = readFileSync(report.backup.file);
    writeFileSync(report.backup.file, bytes.subarray(0, Math.floor(bytes.length / 2)));
    renderApp(b);
    await fireEvent.click(await screen.findByTestId('unlock-other'));
    await fireEvent.click(await screen.findByTestId('start-restore'));
    await fireEvent.input(document.getElementById('restore-file')!, { target: { value: report.backup.file } });
    await fireEvent.input(document.getElementById('restore-passphrase')!, { target: { value: PASS } });
    await fireEvent.click(screen.getByTestId('restore-replace'));
    await fireEvent.click(screen.getByTestId('restore-submit'));
    const err = await screen.findByTestId('restore-error');
    expect(err.textContent).toMatch(/damaged|cut|incomplete|corrupt/i);
    await b.unlock('anna', PASS);
    expect((await b.listContacts(0, 10)).total).toBe(1);
  });

  it('restores with the recovery kit when no passphrase is known, and sets a new one', async () => {
    const b = server.backend;
    const created = await b.createVault('anna', PASS);
    const key = created.recovery_kit.split('\n').find((l) => /^([0-9A-Z]{4}-){13}[0-9A-Z]{4}$/.test(l.trim()))!.trim();
    await b.addContact([{ field: 'family_name', values: ['Bleibt'] }]);
    const report = await b.backupSetup(stick(), { daily: 7, weekly: 4, monthly: 12 });
    await b.lock();
    renderApp(b);
    await fireEvent.click(await screen.findByTestId('unlock-other'));
    await fireEvent.click(await screen.findByTestId('start-restore'));
    await fireEvent.input(document.getElementById('restore-file')!, { target: { value: report.backup.file } });
    await fireEvent.click(screen.getByTestId('restore-replace'));
    await fireEvent.click(screen.getByTestId('restore-use-kit'));
    await fireEvent.input(document.getElementById('restore-kit')!, { target: { value: 'AAAA-BBBB-CCCC-DDDD-EEEE-FFFF-GGGG-HHHH-JJJJ-KKKK-LLLL-MMMM-NNNN-PPPP' } });
    await fireEvent.input(document.getElementById('restore-passphrase')!, { target: { value: 'a brand new passphrase' } });
    await fireEvent.click(screen.getByTestId('restore-submit'));
    await waitFor(() => expect(byTestId('error-restore-kit').length + byTestId('restore-error').length).toBe(1));
    expect(byTestId('restore-done')).toHaveLength(0);

    await fireEvent.input(document.getElementById('restore-kit')!, { target: { value: key } });
    await fireEvent.input(document.getElementById('restore-passphrase')!, { target: { value: 'a brand new passphrase' } });
    await fireEvent.click(screen.getByTestId('restore-submit'));
    await screen.findByTestId('restore-done', {}, { timeout: 10_000 });
    await fireEvent.click(screen.getByTestId('restore-continue'));
    await screen.findByTestId('whoami');
    await fireEvent.click(screen.getByTestId('lock'));
    await screen.findByTestId('unlock-submit');
    await waitFor(async () => expect((await b.appStatus()).session).toBeNull());
    await expect(b.unlock('anna', PASS)).rejects.toMatchObject({ code: 'wrong_passphrase' });
    await b.unlock('anna', 'a brand new passphrase');
    expect((await b.listContacts(0, 10)).total).toBe(1);
  });
});
