// The one interface between the UI and the Rust core. Components receive a
// `Backend` and never call `invoke` themselves.
import { invoke } from '@tauri-apps/api/core';
import type {
  AppStatus,
  BackupCheck,
  BackupInfo,
  BackupReport,
  BackupStatus,
  Restored,
  Rotation,
  BulkAction,
  BulkReport,
  DuplicateGroup,
  ContactFormat,
  ContactSelection,
  ExportedContacts,
  MergeReport,
  ImportBatch,
  ImportProgress,
  ImportReport,
  ImportSettings,
  UndoReport,
  ListOrder,
  DeletionLogEntry,
  DeviceInfo,
  DueItem,
  HeldPerson,
  Hold,
  Check,
  RetentionRule,
  RuleChange,
  RuleKey,
  FieldErasureReport,
  Rectification,
  SweepReport,
  Channel,
  ConsentEntry,
  ConsentInput,
  CompanyDeletion,
  CompanyMerge,
  CompanyView,
  ContactPage,
  ContactView,
  Created,
  DirectoryRow,
  DsRequest,
  ErasureReport,
  EvidenceUpload,
  ExportedFile,
  FieldChange,
  FollowUp,
  FollowUpFilter,
  FollowUpInput,
  HistoryEntry,
  IpcError,
  Lang,
  LegalBasisView,
  NewInteraction,
  NewRequest,
  PackagePreview,
  Purpose,
  ReconsentItem,
  Register,
  RegisterVersionInfo,
  ReleasedPackage,
  RequestRow,
  Restriction,
  Role,
  SessionInfo,
  SmtpSettings,
  SyncReport,
  SyncState,
  UserInfo,
  VerifyReport,
} from './types';

/** An evidence file picked in the UI, its content in base64. */
export interface EvidencePick {
  name: string;
  dataBase64: string;
}

export interface Backend {
  appStatus(): Promise<AppStatus>;
  createVault(admin: string, passphrase: string): Promise<Created>;
  /** The vault's integrity checks, as `tresor doctor` runs them. */
  runDoctor(): Promise<Check[]>;
  /** A new passphrase for an admin with the kit's recovery key; signs the admin in. */
  recoverPassphrase(admin: string, recoveryKey: string, newPassphrase: string): Promise<SessionInfo>;
  /** Asks for a folder in the native dialog; null when cancelled. */
  pickFolder(title: string): Promise<string | null>;
  openVault(dir: string): Promise<AppStatus>;
  openDemo(): Promise<AppStatus>;
  unlock(user: string, passphrase: string): Promise<SessionInfo>;
  lock(): Promise<AppStatus>;
  listContacts(offset: number, limit: number, order?: ListOrder): Promise<ContactPage>;
  searchContacts(query: string, limit: number, order?: ListOrder): Promise<DirectoryRow[]>;
  bulkContacts(ids: string[], action: BulkAction): Promise<BulkReport>;
  /** Asks for files to import in the native dialog; none when cancelled. */
  pickImportFiles(title: string): Promise<string[]>;
  /** Imports people from files, or (dry run) previews what it would do. */
  importContacts(files: string[], settings: ImportSettings): Promise<ImportReport>;
  /** How far the running import is; null when none runs. */
  importStatus(): Promise<ImportProgress | null>;
  /** Stops the running import; nothing is written. */
  cancelImport(): Promise<null>;
  importBatches(): Promise<ImportBatch[]>;
  undoImport(batch: string): Promise<UndoReport>;
  /** People of the vault that look like one person twice. */
  findDuplicates(): Promise<DuplicateGroup[]>;
  getContact(id: string): Promise<ContactView>;
  contactHistory(id: string): Promise<HistoryEntry[]>;
  addContact(changes: FieldChange[]): Promise<string>;
  editContact(id: string, changes: FieldChange[]): Promise<null>;
  addInteraction(contact: string, interaction: NewInteraction): Promise<string>;
  listUsers(): Promise<UserInfo[]>;
  addUser(name: string, role: Role, passphrase: string): Promise<null>;
  setUserRole(name: string, role: Role): Promise<null>;
  removeUser(name: string): Promise<null>;
  changePassphrase(name: string, passphrase: string): Promise<null>;
  // Purposes, consents, exports and the Art. 30 register.
  listPurposes(): Promise<Purpose[]>;
  savePurpose(purpose: Purpose, isNew: boolean): Promise<null>;
  consentSources(): Promise<string[]>;
  /** Replaces the consent sources; returns the list as stored. */
  setConsentSources(sources: string[]): Promise<string[]>;
  legalBasis(id: string): Promise<LegalBasisView>;
  giveConsent(id: string, consent: ConsentInput, file?: EvidencePick | null): Promise<ConsentEntry>;
  /** Writes a consent entry's evidence file into the export folder. */
  saveEvidence(entryId: string): Promise<ExportedFile>;
  withdrawConsent(id: string, purpose: string, channel: Channel, reason: string | null): Promise<ConsentEntry>;
  requestConsent(id: string, purpose: string): Promise<ConsentEntry>;
  confirmConsent(text: string): Promise<ConsentEntry>;
  reconsentList(withinDays: number): Promise<ReconsentItem[]>;
  registerVersions(): Promise<RegisterVersionInfo[]>;
  getRegister(version: number | null): Promise<Register>;
  exportLegalBasis(id: string, format: 'xlsx' | 'csv', lang: Lang): Promise<ExportedFile>;
  exportRegister(version: number | null, format: 'xlsx' | 'html', lang: Lang): Promise<ExportedFile>;
  exportMailing(purpose: string, channel: Channel): Promise<ExportedFile>;
  exportContacts(selection: ContactSelection, format: ContactFormat, lang: Lang, purpose: string | null): Promise<ExportedContacts>;
  mergePeople(keep: string, other: string): Promise<MergeReport>;
  smtpSettings(): Promise<SmtpSettings | null>;
  saveSmtp(settings: SmtpSettings, password: string | null): Promise<null>;
  // Data-subject requests (Art. 15–21 GDPR).
  listRequests(): Promise<RequestRow[]>;
  openRequest(request: NewRequest): Promise<DsRequest>;
  /** Extends the deadline once (Art. 12(3)). */
  extendRequest(reference: string, reason: string): Promise<DsRequest>;
  closeRequest(reference: string, outcome: string | null): Promise<DsRequest>;
  previewPackage(id: string, lang: Lang): Promise<PackagePreview>;
  /** A passphrase for an encrypted package (six words), to be shown once. */
  generatePackagePassphrase(): Promise<string>;
  /**
   * Asks where to save the package in the native save dialog, then writes,
   * checks and records it; null when the dialog was cancelled (nothing written).
   * `uiLang` is the language of the dialog, `lang` that of the package.
   */
  releasePackage(id: string, lang: Lang, uiLang: Lang, request: string | null, passphrase: string | null): Promise<ReleasedPackage | null>;
  contactRestriction(id: string): Promise<Restriction | null>;
  restrictContact(id: string, request: string): Promise<Restriction>;
  unrestrictContact(id: string): Promise<null>;
  /** Records an objection; returns how many addresses were suppressed. */
  objectContact(id: string, purpose: string, request: string): Promise<number>;
  eraseContact(id: string, request: string, suppress: boolean): Promise<ErasureReport>;
  /** Erases single fields (with every old value); `suppress` first lists the erased addresses. */
  eraseFields(id: string, fields: string[], request: string, suppress: boolean): Promise<FieldErasureReport>;
  /** Corrects fields with a recorded reason and, if there is one, the rectification request (Art. 16). */
  rectifyContact(id: string, changes: FieldChange[], reason: string, request: string | null): Promise<Rectification>;
  /** The person's corrections, oldest first. */
  contactRectifications(id: string): Promise<Rectification[]>;
  /** Deletes files an erasure report named (only files in the export folder); how many. */
  deleteExportFiles(files: string[]): Promise<number>;
  verifyErasure(texts: string[]): Promise<VerifyReport>;
  // Retention rules, the sweep and legal holds.
  retentionRules(): Promise<RetentionRule[]>;
  /** Changes a rule; the core refuses a period below a statutory minimum. */
  setRetentionRule(key: RuleKey, change: RuleChange): Promise<RetentionRule>;
  /** What falls due in the next `days` days, and why. */
  retentionPreview(days: number, lang: Lang): Promise<DueItem[]>;
  runRetention(): Promise<SweepReport>;
  deletionLog(): Promise<DeletionLogEntry[]>;
  legalHolds(): Promise<HeldPerson[]>;
  /** The person's legal hold, if any. */
  contactHold(id: string): Promise<Hold | null>;
  addHold(id: string, reason: string): Promise<Hold>;
  removeHold(id: string): Promise<null>;
  // Companies.
  /** A page of companies sorted by name. */
  listCompanies(offset: number, limit: number): Promise<ContactPage>;
  /** A company's page: fields, people with role and since when, the latest interactions with them. */
  getCompany(id: string): Promise<CompanyView>;
  /** Makes a company; a sole trader's (the person's data) when `soleTrader` names the person. */
  addCompany(changes: FieldChange[], soleTrader: string | null): Promise<string>;
  /** What deleting a company would do, to say before it is done. */
  companyDeletion(id: string): Promise<CompanyDeletion>;
  /** Deletes a company with its links and follow-ups; its people stay. */
  deleteCompany(id: string): Promise<CompanyDeletion>;
  /** Merges `other` into `keep` (people and follow-ups move; `other` goes). */
  mergeCompanies(keep: string, other: string): Promise<CompanyMerge>;
  /** Marks a company as a person's sole trading; returns its new id. */
  makeSoleTrader(id: string, person: string): Promise<string>;
  // Follow-ups (Wiedervorlage).
  /** Follow-ups as the filter asks (one contact's with `subject`), by day, open ones first. */
  listFollowups(filter: FollowUpFilter): Promise<FollowUp[]>;
  /** How many open follow-ups are due today or overdue: the user's own, or everyone's. */
  followupsDueCount(mine: boolean): Promise<number>;
  addFollowup(contact: string, followup: FollowUpInput): Promise<string>;
  completeFollowup(id: string): Promise<FollowUp>;
  /** Opens a done follow-up again (the undo of completeFollowup). */
  reopenFollowup(id: string): Promise<FollowUp>;
  /** Puts a follow-up off to another day (`YYYY-MM-DD`), with a time of day or none. */
  snoozeFollowup(id: string, until: string, time: string | null): Promise<FollowUp>;
  // Sync through a shared folder.
  /** Folder, last sync, changes waiting, problems, and why the last sync failed. */
  syncStatus(): Promise<SyncState>;
  syncNow(): Promise<SyncReport>;
  syncDevices(): Promise<DeviceInfo[]>;
  /** Publishes the vault's team to an empty shared folder (administrators). */
  syncSetup(folder: string): Promise<SyncReport>;
  /** Retires a silent device (administrators). */
  retireDevice(id: string): Promise<null>;
  /** Builds a local vault in the app's own vault folder from a team's shared folder, and signs in. */
  joinTeam(folder: string, user: string, passphrase: string): Promise<SessionInfo>;
  // Backups.
  /** Folder (and whether it is there), rotation, the last backup, a pending erasure. */
  backupStatus(): Promise<BackupStatus>;
  /** Chooses the backup folder and rotation, and takes the first backup. */
  backupSetup(folder: string, rotation: Rotation): Promise<BackupReport>;
  backupNow(): Promise<BackupReport>;
  /** The backups in the folder, newest first. */
  listBackups(): Promise<BackupInfo[]>;
  /** Every backup opened and checked. */
  verifyBackups(): Promise<BackupCheck[]>;
  /** One file from the system's dialog (null when cancelled). */
  pickBackupFile(title: string): Promise<string | null>;
  /**
   * Restores a backup into the app's own vault folder and signs in (user
   * "" for the one who took it); a vault there is replaced, and kept
   * aside, only with `replace`. With the recovery kit's key (`recovery`),
   * `passphrase` becomes the admin's new one.
   */
  restoreBackup(file: string, user: string, passphrase: string, replace: boolean, recovery: string | null): Promise<Restored>;
}

/**
 * Which commands change the vault, and so leave something to sync. A
 * record, so that a new command cannot be added without deciding.
 */
export const CHANGES_VAULT: Record<keyof Backend, boolean> = {
  appStatus: false,
  createVault: false,
  pickFolder: false,
  runDoctor: false,
  recoverPassphrase: true,
  openVault: false,
  openDemo: false,
  unlock: false,
  lock: false,
  listContacts: false,
  searchContacts: false,
  bulkContacts: true,
  pickImportFiles: false,
  importContacts: true,
  importStatus: false,
  cancelImport: false,
  importBatches: false,
  undoImport: true,
  findDuplicates: false,
  getContact: false,
  contactHistory: false,
  addContact: true,
  editContact: true,
  addInteraction: true,
  listUsers: false,
  addUser: true,
  setUserRole: true,
  removeUser: true,
  changePassphrase: true,
  listPurposes: false,
  savePurpose: true,
  consentSources: false,
  setConsentSources: true,
  legalBasis: false,
  giveConsent: true,
  saveEvidence: false,
  withdrawConsent: true,
  requestConsent: true,
  confirmConsent: true,
  reconsentList: false,
  registerVersions: false,
  getRegister: false,
  exportLegalBasis: false,
  exportRegister: false,
  exportMailing: true,
  exportContacts: true,
  mergePeople: true,
  smtpSettings: false,
  saveSmtp: true,
  listRequests: false,
  openRequest: true,
  extendRequest: true,
  closeRequest: true,
  previewPackage: false,
  generatePackagePassphrase: false,
  releasePackage: true,
  contactRestriction: false,
  restrictContact: true,
  unrestrictContact: true,
  objectContact: true,
  eraseContact: true,
  eraseFields: true,
  rectifyContact: true,
  contactRectifications: false,
  deleteExportFiles: false,
  verifyErasure: false,
  retentionRules: false,
  setRetentionRule: true,
  retentionPreview: false,
  runRetention: true,
  deletionLog: false,
  legalHolds: false,
  contactHold: false,
  addHold: true,
  removeHold: true,
  listCompanies: false,
  getCompany: false,
  addCompany: true,
  companyDeletion: false,
  deleteCompany: true,
  mergeCompanies: true,
  makeSoleTrader: true,
  listFollowups: false,
  followupsDueCount: false,
  addFollowup: true,
  completeFollowup: true,
  reopenFollowup: true,
  snoozeFollowup: true,
  syncStatus: false,
  syncNow: false,
  syncDevices: false,
  syncSetup: false,
  retireDevice: false,
  joinTeam: false,
  backupStatus: false,
  backupSetup: false,
  backupNow: false,
  listBackups: false,
  verifyBackups: false,
  pickBackupFile: false,
  restoreBackup: false,
};

export function isIpcError(e: unknown): e is IpcError {
  return (
    typeof e === 'object' &&
    e !== null &&
    typeof (e as { code?: unknown }).code === 'string' &&
    typeof (e as { message?: unknown }).message === 'string'
  );
}

/** Whatever a promise rejected with, as an IpcError (code "internal" if it was not one). */
export function toIpcError(e: unknown): IpcError {
  if (isIpcError(e)) {
    return { code: e.code, message: e.message, field: e.field ?? null };
  }
  const message = e instanceof Error ? e.message : typeof e === 'string' ? e : 'unexpected error';
  return { code: 'internal', message, field: null };
}

/** Sends one command of the shell's table with its arguments (keys in camelCase). */
export type Transport = <T>(cmd: string, args?: Record<string, unknown>) => Promise<T>;

/**
 * The backend over the shell's command table, whatever carries the calls:
 * Tauri's IPC in the app, HTTP to the development server in a browser and
 * in the component tests. Every rejection is an IpcError.
 */
export class CommandBackend implements Backend {
  private readonly call: Transport;
  constructor(transport: Transport) {
    this.call = async <T>(cmd: string, args?: Record<string, unknown>): Promise<T> => {
      try {
        return await transport<T>(cmd, args);
      } catch (e) {
        throw toIpcError(e);
      }
    };
  }
  appStatus() {
    return this.call<AppStatus>('app_status');
  }
  createVault(admin: string, passphrase: string) {
    return this.call<Created>('create_vault', { admin, passphrase });
  }
  runDoctor() {
    return this.call<Check[]>('run_doctor');
  }
  recoverPassphrase(admin: string, recoveryKey: string, newPassphrase: string) {
    return this.call<SessionInfo>('recover_passphrase', { admin, recoveryKey, newPassphrase });
  }
  pickFolder(title: string) {
    return this.call<string | null>('pick_folder', { title });
  }
  openVault(dir: string) {
    return this.call<AppStatus>('open_vault', { dir });
  }
  openDemo() {
    return this.call<AppStatus>('open_demo');
  }
  unlock(user: string, passphrase: string) {
    return this.call<SessionInfo>('unlock', { user, passphrase });
  }
  lock() {
    return this.call<AppStatus>('lock');
  }
  listContacts(offset: number, limit: number, order?: ListOrder) {
    return this.call<ContactPage>('list_contacts', { offset, limit, order: order ?? null });
  }
  searchContacts(query: string, limit: number, order?: ListOrder) {
    return this.call<DirectoryRow[]>('search_contacts', { query, limit, order: order ?? null });
  }
  bulkContacts(ids: string[], action: BulkAction) {
    return this.call<BulkReport>('bulk_contacts', { ids, action });
  }
  pickImportFiles(title: string) {
    return this.call<string[]>('pick_import_files', { title });
  }
  importContacts(files: string[], settings: ImportSettings) {
    return this.call<ImportReport>('import_contacts', { files, settings });
  }
  importStatus() {
    return this.call<ImportProgress | null>('import_status');
  }
  cancelImport() {
    return this.call<null>('cancel_import');
  }
  importBatches() {
    return this.call<ImportBatch[]>('import_batches');
  }
  undoImport(batch: string) {
    return this.call<UndoReport>('undo_import', { batch });
  }
  findDuplicates() {
    return this.call<DuplicateGroup[]>('find_duplicates');
  }
  mergePeople(keep: string, other: string) {
    return this.call<MergeReport>('merge_people', { keep, other });
  }
  exportContacts(selection: ContactSelection, format: ContactFormat, lang: Lang, purpose: string | null) {
    return this.call<ExportedContacts>('export_contacts', { selection, format, lang, purpose });
  }
  getContact(id: string) {
    return this.call<ContactView>('get_contact', { id });
  }
  contactHistory(id: string) {
    return this.call<HistoryEntry[]>('contact_history', { id });
  }
  addContact(changes: FieldChange[]) {
    return this.call<string>('add_contact', { changes });
  }
  editContact(id: string, changes: FieldChange[]) {
    return this.call<null>('edit_contact', { id, changes });
  }
  addInteraction(contact: string, interaction: NewInteraction) {
    return this.call<string>('add_interaction', { contact, interaction });
  }
  listUsers() {
    return this.call<UserInfo[]>('list_users');
  }
  addUser(name: string, role: Role, passphrase: string) {
    return this.call<null>('add_user', { name, roleName: role, passphrase });
  }
  setUserRole(name: string, role: Role) {
    return this.call<null>('set_user_role', { name, roleName: role });
  }
  removeUser(name: string) {
    return this.call<null>('remove_user', { name });
  }
  changePassphrase(name: string, passphrase: string) {
    return this.call<null>('change_passphrase', { name, passphrase });
  }
  listPurposes() {
    return this.call<Purpose[]>('list_purposes');
  }
  savePurpose(purpose: Purpose, isNew: boolean) {
    return this.call<null>('save_purpose', { purpose, isNew });
  }
  consentSources() {
    return this.call<string[]>('consent_sources');
  }
  setConsentSources(sources: string[]) {
    return this.call<string[]>('set_consent_sources', { sources });
  }
  legalBasis(id: string) {
    return this.call<LegalBasisView>('legal_basis', { id });
  }
  giveConsent(id: string, consent: ConsentInput, file: EvidencePick | null = null) {
    const evidenceFile: EvidenceUpload | null = file ? { name: file.name, data_base64: file.dataBase64 } : null;
    return this.call<ConsentEntry>('give_consent', { id, consent, evidenceFile });
  }
  saveEvidence(entryId: string) {
    return this.call<ExportedFile>('save_evidence', { entry: entryId });
  }
  withdrawConsent(id: string, purpose: string, channel: Channel, reason: string | null) {
    return this.call<ConsentEntry>('withdraw_consent', { id, purpose, channel, reason });
  }
  requestConsent(id: string, purpose: string) {
    return this.call<ConsentEntry>('request_consent', { id, purpose });
  }
  confirmConsent(text: string) {
    return this.call<ConsentEntry>('confirm_consent', { text });
  }
  reconsentList(withinDays: number) {
    return this.call<ReconsentItem[]>('reconsent_list', { withinDays });
  }
  registerVersions() {
    return this.call<RegisterVersionInfo[]>('register_versions');
  }
  getRegister(version: number | null) {
    return this.call<Register>('get_register', { version });
  }
  exportLegalBasis(id: string, format: 'xlsx' | 'csv', lang: Lang) {
    return this.call<ExportedFile>('export_legal_basis', { id, format, lang });
  }
  exportRegister(version: number | null, format: 'xlsx' | 'html', lang: Lang) {
    return this.call<ExportedFile>('export_register', { version, format, lang });
  }
  exportMailing(purpose: string, channel: Channel) {
    return this.call<ExportedFile>('export_mailing', { purpose, channel });
  }
  smtpSettings() {
    return this.call<SmtpSettings | null>('smtp_settings');
  }
  saveSmtp(settings: SmtpSettings, password: string | null) {
    return this.call<null>('save_smtp', { settings, password });
  }
  listRequests() {
    return this.call<RequestRow[]>('list_requests');
  }
  openRequest(request: NewRequest) {
    return this.call<DsRequest>('open_request', { request });
  }
  extendRequest(reference: string, reason: string) {
    return this.call<DsRequest>('extend_request', { reference, reason });
  }
  closeRequest(reference: string, outcome: string | null) {
    return this.call<DsRequest>('close_request', { reference, outcome });
  }
  previewPackage(id: string, lang: Lang) {
    return this.call<PackagePreview>('preview_package', { id, lang });
  }
  generatePackagePassphrase() {
    return this.call<string>('generate_package_passphrase');
  }
  releasePackage(id: string, lang: Lang, uiLang: Lang, request: string | null, passphrase: string | null) {
    return this.call<ReleasedPackage | null>('release_package', { id, lang, uiLang, request, passphrase });
  }
  contactRestriction(id: string) {
    return this.call<Restriction | null>('contact_restriction', { id });
  }
  restrictContact(id: string, request: string) {
    return this.call<Restriction>('restrict_contact', { id, request });
  }
  unrestrictContact(id: string) {
    return this.call<null>('unrestrict_contact', { id });
  }
  objectContact(id: string, purpose: string, request: string) {
    return this.call<number>('object_contact', { id, purpose, request });
  }
  eraseContact(id: string, request: string, suppress: boolean) {
    return this.call<ErasureReport>('erase_contact', { id, request, suppress });
  }
  deleteExportFiles(files: string[]) {
    return this.call<number>('delete_export_files', { files });
  }
  eraseFields(id: string, fields: string[], request: string, suppress: boolean) {
    return this.call<FieldErasureReport>('erase_fields', { id, fields, request, suppress });
  }
  rectifyContact(id: string, changes: FieldChange[], reason: string, request: string | null) {
    return this.call<Rectification>('rectify_contact', { id, changes, reason, request });
  }
  contactRectifications(id: string) {
    return this.call<Rectification[]>('contact_rectifications', { id });
  }
  verifyErasure(texts: string[]) {
    return this.call<VerifyReport>('verify_erasure', { texts });
  }
  retentionRules() {
    return this.call<RetentionRule[]>('retention_rules');
  }
  setRetentionRule(key: RuleKey, change: RuleChange) {
    return this.call<RetentionRule>('set_retention_rule', { key, change });
  }
  retentionPreview(days: number, lang: Lang) {
    return this.call<DueItem[]>('retention_preview', { days, lang });
  }
  runRetention() {
    return this.call<SweepReport>('run_retention');
  }
  deletionLog() {
    return this.call<DeletionLogEntry[]>('deletion_log');
  }
  legalHolds() {
    return this.call<HeldPerson[]>('legal_holds');
  }
  contactHold(id: string) {
    return this.call<Hold | null>('contact_hold', { id });
  }
  addHold(id: string, reason: string) {
    return this.call<Hold>('add_hold', { id, reason });
  }
  removeHold(id: string) {
    return this.call<null>('remove_hold', { id });
  }
  listCompanies(offset: number, limit: number) {
    return this.call<ContactPage>('list_companies', { offset, limit });
  }
  getCompany(id: string) {
    return this.call<CompanyView>('get_company', { id });
  }
  addCompany(changes: FieldChange[], soleTrader: string | null) {
    return this.call<string>('add_company', { changes, soleTrader });
  }
  companyDeletion(id: string) {
    return this.call<CompanyDeletion>('company_deletion', { id });
  }
  deleteCompany(id: string) {
    return this.call<CompanyDeletion>('delete_company', { id });
  }
  mergeCompanies(keep: string, other: string) {
    return this.call<CompanyMerge>('merge_companies', { keep, other });
  }
  makeSoleTrader(id: string, person: string) {
    return this.call<string>('make_sole_trader', { id, person });
  }
  listFollowups(filter: FollowUpFilter) {
    return this.call<FollowUp[]>('list_followups', { filter });
  }
  followupsDueCount(mine: boolean) {
    return this.call<number>('followups_due_count', { mine });
  }
  addFollowup(contact: string, followup: FollowUpInput) {
    return this.call<string>('add_followup', { contact, followup });
  }
  completeFollowup(id: string) {
    return this.call<FollowUp>('complete_followup', { id });
  }
  reopenFollowup(id: string) {
    return this.call<FollowUp>('reopen_followup', { id });
  }
  snoozeFollowup(id: string, until: string, time: string | null) {
    return this.call<FollowUp>('snooze_followup', { id, until, time });
  }
  syncStatus() {
    return this.call<SyncState>('sync_status');
  }
  syncNow() {
    return this.call<SyncReport>('sync_now');
  }
  syncDevices() {
    return this.call<DeviceInfo[]>('sync_devices');
  }
  syncSetup(folder: string) {
    return this.call<SyncReport>('sync_setup', { folder });
  }
  retireDevice(id: string) {
    return this.call<null>('retire_device', { id });
  }
  joinTeam(folder: string, user: string, passphrase: string) {
    return this.call<SessionInfo>('join_team', { folder, user, passphrase });
  }
  backupStatus() {
    return this.call<BackupStatus>('backup_status');
  }
  backupSetup(folder: string, rotation: Rotation) {
    return this.call<BackupReport>('backup_setup', { folder, rotation });
  }
  backupNow() {
    return this.call<BackupReport>('backup_now');
  }
  listBackups() {
    return this.call<BackupInfo[]>('list_backups');
  }
  verifyBackups() {
    return this.call<BackupCheck[]>('verify_backups');
  }
  pickBackupFile(title: string) {
    return this.call<string | null>('pick_backup_file', { title });
  }
  restoreBackup(file: string, user: string, passphrase: string, replace: boolean, recovery: string | null) {
    return this.call<Restored>('restore_backup', { file, user, passphrase, replace, recovery });
  }
}

/** The app's backend: Tauri commands. */
export class TauriBackend extends CommandBackend {
  constructor() {
    super((cmd, args) => invoke(cmd, args));
  }
}

/**
 * The backend in a browser: the same commands, sent to the development
 * server (`tresor-dev-server`, never part of the app) as
 * `POST {base}/ipc/{command}` with a bearer token.
 */
export class WebBackend extends CommandBackend {
  constructor(base: string, token: string) {
    super(async <T>(cmd: string, args?: Record<string, unknown>): Promise<T> => {
      const res = await fetch(`${base}/ipc/${cmd}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
        body: JSON.stringify(args ?? {}),
      });
      const body: unknown = await res.json();
      if (!res.ok) throw body;
      return body as T;
    });
  }
}

/**
 * Wraps a backend so that a `locked` error from any command (the core lost
 * its session) is reported once to `onLocked` before it propagates.
 */
export function guardLocked(inner: Backend, onLocked: () => void): Backend {
  return new Proxy(inner, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) =>
        (value as (...a: unknown[]) => Promise<unknown>).apply(target, args).catch((e: unknown) => {
          const err = toIpcError(e);
          if (err.code === 'locked' && prop !== 'lock') onLocked();
          throw err;
        });
    },
  });
}

/**
 * Wraps a backend so that `onChange` runs after every command that changed
 * the vault succeeded (the app syncs then).
 */
export function notifyChanges(inner: Backend, onChange: () => void): Backend {
  return new Proxy(inner, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      const changes = Object.prototype.hasOwnProperty.call(CHANGES_VAULT, prop) && CHANGES_VAULT[prop as keyof Backend];
      if (typeof value !== 'function' || !changes) return value;
      return (...args: unknown[]) =>
        (value as (...a: unknown[]) => Promise<unknown>).apply(target, args).then((result) => {
          onChange();
          return result;
        });
    },
  });
}

/** Tauri injects its IPC bridge as `window.__TAURI_INTERNALS__`. */
export function inTauri(): boolean {
  return typeof window !== 'undefined' && '__TAURI_INTERNALS__' in window;
}
