// Backups as the signed-in frame sees them: the state, fetched now and then
// (a USB stick may come and go), and the status bar's notice when the
// backups need the user: the folder is missing, an erasure waits to reach
// it, or the last backup failed.
import type { Backend } from './backend';
import { toIpcError } from './backend';
import { t } from './i18n';
import type { BackupStatus, IpcError } from './types';

export const BACKUP_POLL_MS = 30_000;

export class BackupMonitor {
  /** The last state the shell reported (null until the first answer). */
  state = $state.raw<BackupStatus | null>(null);
  /** The state could not be fetched. */
  unknown = $state.raw<IpcError | null>(null);
  readonly #backend: Backend;

  constructor(backend: Backend) {
    this.#backend = backend;
  }

  async refresh(): Promise<void> {
    try {
      this.state = await this.#backend.backupStatus();
      this.unknown = null;
    } catch (e) {
      this.unknown = toIpcError(e);
    }
  }

  /** Fetches the state now and every half minute; returns the stop function. */
  start(pollMs = BACKUP_POLL_MS): () => void {
    void this.refresh();
    const timer = setInterval(() => void this.refresh(), pollMs);
    return () => clearInterval(timer);
  }
}

export type BackupNoticeKind = 'missing' | 'pending' | 'failed';

/** What the status bar says about backups, or null when all is well (or none are set up). */
export function backupNotice(s: BackupStatus | null): { kind: BackupNoticeKind; text: string } | null {
  if (!s?.folder) return null;
  if (!s.present) {
    return { kind: 'missing', text: s.keys_pending ? t('backup.bar_missing_pending') : t('backup.bar_missing', { folder: s.folder }) };
  }
  if (s.keys_pending) return { kind: 'pending', text: t('backup.bar_pending') };
  if (s.last_error) return { kind: 'failed', text: t('backup.bar_failed', { reason: s.last_error }) };
  return null;
}

/** Whether a typed count is a whole number the core can read (its limits are the core's). */
export function isCount(n: number): boolean {
  return Number.isInteger(n) && n >= 0 && n <= 100_000;
}
