import { beforeEach, describe, expect, it, vi } from 'vitest';

const invoke = vi.fn();
vi.mock('@tauri-apps/api/core', () => ({ invoke: (...args: unknown[]) => invoke(...args) }));

const { CHANGES_VAULT, CommandBackend, TauriBackend, inTauri, toIpcError } = await import('./backend');

beforeEach(() => {
  invoke.mockReset();
  invoke.mockResolvedValue(null);
});

describe('TauriBackend', () => {
  it('calls each command with camelCase argument keys', async () => {
    const b = new TauriBackend();
    await b.appStatus();
    await b.createVault('ada', 'pass phrase 1');
    await b.openVault('/v');
    await b.openDemo();
    await b.unlock('ada', 'pw');
    await b.lock();
    await b.listContacts(200, 200);
    await b.searchContacts('mü', 50, { by: 'city', descending: true });
    await b.bulkContacts(['id1'], { action: 'tag', add: ['VIP'], remove: [] });
    await b.pickImportFiles('Choose');
    const settings = { encoding: null, delimiter: ';', mapping: null, purpose: null, source: null, on_duplicate: 'skip' as const, dry_run: true };
    await b.importContacts(['/tmp/a.csv'], settings);
    await b.importStatus();
    await b.cancelImport();
    await b.importBatches();
    await b.undoImport('b1');
    await b.findDuplicates();
    await b.exportContacts({ ids: ['id1'], tag: null, search: null }, 'csv', 'de', null);
    await b.mergePeople('id1', 'id2');
    await b.getContact('id1');
    await b.contactHistory('id1');
    await b.addContact([{ field: 'given_name', values: ['A'] }]);
    await b.editContact('id1', []);
    await b.addInteraction('id1', { kind: 'call', summary: 's', text: null, at: null, keep: null });
    await b.listUsers();
    await b.addUser('carl', 'agent', 'pw');
    await b.setUserRole('carl', 'sales');
    await b.removeUser('carl');
    await b.changePassphrase('carl', 'pw2');
    expect(invoke.mock.calls).toEqual([
      ['app_status', undefined],
      ['create_vault', { admin: 'ada', passphrase: 'pass phrase 1' }],
      ['open_vault', { dir: '/v' }],
      ['open_demo', undefined],
      ['unlock', { user: 'ada', passphrase: 'pw' }],
      ['lock', undefined],
      ['list_contacts', { offset: 200, limit: 200, order: null }],
      ['search_contacts', { query: 'mü', limit: 50, order: { by: 'city', descending: true } }],
      ['bulk_contacts', { ids: ['id1'], action: { action: 'tag', add: ['VIP'], remove: [] } }],
      ['pick_import_files', { title: 'Choose' }],
      ['import_contacts', { files: ['/tmp/a.csv'], settings }],
      ['import_status', undefined],
      ['cancel_import', undefined],
      ['import_batches', undefined],
      ['undo_import', { batch: 'b1' }],
      ['find_duplicates', undefined],
      ['export_contacts', { selection: { ids: ['id1'], tag: null, search: null }, format: 'csv', lang: 'de', purpose: null }],
      ['merge_people', { keep: 'id1', other: 'id2' }],
      ['get_contact', { id: 'id1' }],
      ['contact_history', { id: 'id1' }],
      ['add_contact', { changes: [{ field: 'given_name', values: ['A'] }] }],
      ['edit_contact', { id: 'id1', changes: [] }],
      ['add_interaction', { contact: 'id1', interaction: { kind: 'call', summary: 's', text: null, at: null, keep: null } }],
      ['list_users', undefined],
      ['add_user', { name: 'carl', roleName: 'agent', passphrase: 'pw' }],
      ['set_user_role', { name: 'carl', roleName: 'sales' }],
      ['remove_user', { name: 'carl' }],
      ['change_passphrase', { name: 'carl', passphrase: 'pw2' }],
    ]);
  });

  it('calls the consent, register and export commands with camelCase argument keys', async () => {
    const b = new TauriBackend();
    const purpose = {
      key: 'events',
      name_de: 'Veranstaltungen',
      name_en: 'Events',
      description: '',
      description_en: '',
      basis: 'legitimate_interests' as const,
      categories: ['identity' as const],
      recipients: [],
      consent_required: false,
      validity_months: null,
    };
    const consent = { purpose: 'e-marketing', channel: 'email' as const, source: 'web_form', evidence: null, basis: null, at: null };
    const smtp = { host: 'smtp.example.de', port: 587, tls: 'starttls' as const, from: 'info@example.de', user: null, has_password: false };
    await b.listPurposes();
    await b.savePurpose(purpose, true);
    await b.consentSources();
    await b.legalBasis('id1');
    await b.setConsentSources(['web_form', 'Trade fair']);
    await b.giveConsent('id1', consent);
    await b.giveConsent('id1', consent, { name: 'scan.pdf', dataBase64: 'JVBERg==' });
    await b.saveEvidence('e1');
    await b.withdrawConsent('id1', 'e-marketing', 'email', 'asked');
    await b.requestConsent('id1', 'e-marketing');
    await b.confirmConsent('TRS-AAAA-BBBB-CCCC-DDDD-EEEE');
    await b.reconsentList(30);
    await b.registerVersions();
    await b.getRegister(null);
    await b.exportLegalBasis('id1', 'csv', 'de');
    await b.exportRegister(2, 'html', 'en');
    await b.exportMailing('e-marketing', 'sms');
    await b.smtpSettings();
    await b.saveSmtp(smtp, null);
    expect(invoke.mock.calls).toEqual([
      ['list_purposes', undefined],
      ['save_purpose', { purpose, isNew: true }],
      ['consent_sources', undefined],
      ['legal_basis', { id: 'id1' }],
      ['set_consent_sources', { sources: ['web_form', 'Trade fair'] }],
      ['give_consent', { id: 'id1', consent, evidenceFile: null }],
      ['give_consent', { id: 'id1', consent, evidenceFile: { name: 'scan.pdf', data_base64: 'JVBERg==' } }],
      ['save_evidence', { entry: 'e1' }],
      ['withdraw_consent', { id: 'id1', purpose: 'e-marketing', channel: 'email', reason: 'asked' }],
      ['request_consent', { id: 'id1', purpose: 'e-marketing' }],
      ['confirm_consent', { text: 'TRS-AAAA-BBBB-CCCC-DDDD-EEEE' }],
      ['reconsent_list', { withinDays: 30 }],
      ['register_versions', undefined],
      ['get_register', { version: null }],
      ['export_legal_basis', { id: 'id1', format: 'csv', lang: 'de' }],
      ['export_register', { version: 2, format: 'html', lang: 'en' }],
      ['export_mailing', { purpose: 'e-marketing', channel: 'sms' }],
      ['smtp_settings', undefined],
      ['save_smtp', { settings: smtp, password: null }],
    ]);
  });

  it('calls the data-subject request and rights commands with camelCase argument keys', async () => {
    const b = new TauriBackend();
    const request = { kind: 'erasure' as const, person: 'id1', received: '2026-03-01', identity_check: null };
    await b.listRequests();
    await b.openRequest(request);
    await b.extendRequest('REQ-1', 'many records');
    await b.closeRequest('REQ-1', null);
    await b.previewPackage('id1', 'de');
    await b.generatePackagePassphrase();
    await b.releasePackage('id1', 'en', 'de', 'REQ-2', 'a long passphrase');
    await b.contactRestriction('id1');
    await b.restrictContact('id1', 'REQ-3');
    await b.unrestrictContact('id1');
    await b.objectContact('id1', 'e-marketing', 'REQ-4');
    await b.eraseContact('id1', 'REQ-5', true);
    await b.verifyErasure(['mustermann']);
    expect(invoke.mock.calls).toEqual([
      ['list_requests', undefined],
      ['open_request', { request }],
      ['extend_request', { reference: 'REQ-1', reason: 'many records' }],
      ['close_request', { reference: 'REQ-1', outcome: null }],
      ['preview_package', { id: 'id1', lang: 'de' }],
      ['generate_package_passphrase', undefined],
      ['release_package', { id: 'id1', lang: 'en', uiLang: 'de', request: 'REQ-2', passphrase: 'a long passphrase' }],
      ['contact_restriction', { id: 'id1' }],
      ['restrict_contact', { id: 'id1', request: 'REQ-3' }],
      ['unrestrict_contact', { id: 'id1' }],
      ['object_contact', { id: 'id1', purpose: 'e-marketing', request: 'REQ-4' }],
      ['erase_contact', { id: 'id1', request: 'REQ-5', suppress: true }],
      ['verify_erasure', { texts: ['mustermann'] }],
    ]);
  });

  it('calls the sync commands with camelCase argument keys', async () => {
    const b = new TauriBackend();
    await b.syncStatus();
    await b.syncNow();
    await b.syncDevices();
    await b.syncSetup('/home/anna/Nextcloud/Tresor');
    await b.retireDevice('0190f3a2');
    await b.joinTeam('/srv/team', 'ben', 'pass phrase 1');
    expect(invoke.mock.calls).toEqual([
      ['sync_status', undefined],
      ['sync_now', undefined],
      ['sync_devices', undefined],
      ['sync_setup', { folder: '/home/anna/Nextcloud/Tresor' }],
      ['retire_device', { id: '0190f3a2' }],
      ['join_team', { folder: '/srv/team', user: 'ben', passphrase: 'pass phrase 1' }],
    ]);
  });

  it('calls the backup commands with camelCase argument keys', async () => {
    const b = new TauriBackend();
    await b.backupStatus();
    await b.backupSetup('/media/anna/STICK', { daily: 7, weekly: 4, monthly: 12 });
    await b.backupNow();
    await b.listBackups();
    await b.verifyBackups();
    await b.pickBackupFile('Backup');
    await b.restoreBackup('/media/anna/STICK/tresor-20261207-101500-000.tbk', '', 'pass phrase 1', true, null);
    expect(invoke.mock.calls).toEqual([
      ['backup_status', undefined],
      ['backup_setup', { folder: '/media/anna/STICK', rotation: { daily: 7, weekly: 4, monthly: 12 } }],
      ['backup_now', undefined],
      ['list_backups', undefined],
      ['verify_backups', undefined],
      ['pick_backup_file', { title: 'Backup' }],
      ['restore_backup', { file: '/media/anna/STICK/tresor-20261207-101500-000.tbk', user: '', passphrase: 'pass phrase 1', replace: true, recovery: null }],
    ]);
  });

  it('rejects with an IpcError, whatever the bridge rejected with', async () => {
    const b = new TauriBackend();
    invoke.mockRejectedValueOnce({ code: 'wrong_passphrase', message: 'wrong passphrase', field: null });
    await expect(b.unlock('a', 'b')).rejects.toEqual({ code: 'wrong_passphrase', message: 'wrong passphrase', field: null });
    invoke.mockRejectedValueOnce('command unlock not allowed');
    await expect(b.unlock('a', 'b')).rejects.toEqual({ code: 'internal', message: 'command unlock not allowed', field: null });
    expect(toIpcError(new Error('boom'))).toEqual({ code: 'internal', message: 'boom', field: null });
  });

  it('is picked only inside Tauri', () => {
    expect(inTauri()).toBe(false);
    (window as unknown as Record<string, unknown>).__TAURI_INTERNALS__ = {};
    expect(inTauri()).toBe(true);
    delete (window as unknown as Record<string, unknown>).__TAURI_INTERNALS__;
  });
});

describe('notifyChanges', () => {
  it('knows every command of the backend', () => {
    const methods = Object.getOwnPropertyNames(CommandBackend.prototype).filter((m) => m !== 'constructor');
    expect(Object.keys(CHANGES_VAULT).sort()).toEqual(methods.sort());
  });
});
