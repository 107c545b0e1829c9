// Sync as the signed-in frame sees it: the state for the status bar (polled,
// and fetched again after every sync the UI starts), a sync right after each
// saved change (debounced), and the texts of the status bar. The shell also
// syncs by itself every few seconds; a failed sync never throws here, it
// shows in the state.
import type { Backend } from './backend';
import { toIpcError } from './backend';
import { errorText } from './errors';
import { formatDateTime } from './format';
import { hasKey, t } from './i18n';
import type { IpcError, SyncProblem, SyncState } from './types';

export interface SyncTiming {
  /** How often the state is fetched. */
  pollMs: number;
  /** How long after a change the sync waits for more changes. */
  debounceMs: number;
}

export const SYNC_TIMING: SyncTiming = { pollMs: 5000, debounceMs: 400 };

export class SyncMonitor {
  /** The last state the shell reported (null until the first answer). */
  state = $state.raw<SyncState | null>(null);
  /** A sync started here is running. */
  syncing = $state(false);
  /** The state could not be fetched. */
  unknown = $state.raw<IpcError | null>(null);
  #again = false;
  #debounce: ReturnType<typeof setTimeout> | undefined;
  readonly #backend: Backend;
  readonly #timing: SyncTiming;

  constructor(backend: Backend, timing: SyncTiming = SYNC_TIMING) {
    this.#backend = backend;
    this.#timing = timing;
  }

  /** When a sync last brought another laptop's changes: views reload when it moves. */
  get receivedAt(): string | null {
    return this.state?.status.last_received ?? null;
  }

  /** Whether the vault syncs with a shared folder (false while unknown). */
  get setUp(): boolean {
    return Boolean(this.state?.status.folder);
  }

  async refresh(): Promise<void> {
    try {
      this.state = await this.#backend.syncStatus();
      this.unknown = null;
    } catch (e) {
      this.unknown = toIpcError(e);
    }
  }

  /** Syncs now (once more afterwards if asked again meanwhile), then fetches the state. */
  async syncNow(): Promise<void> {
    if (this.syncing) {
      this.#again = true;
      return;
    }
    if (this.state && !this.setUp) return;
    this.syncing = true;
    try {
      do {
        this.#again = false;
        try {
          await this.#backend.syncNow();
        } catch {
          // The shell keeps the failure; the state below shows it.
        }
      } while (this.#again);
    } finally {
      this.syncing = false;
    }
    await this.refresh();
  }

  /** A change was saved: sync once the changes pause. */
  soon(): void {
    clearTimeout(this.#debounce);
    this.#debounce = setTimeout(() => void this.syncNow(), this.#timing.debounceMs);
  }

  /** Fetches the state now and every few seconds; returns the stop function. */
  start(): () => void {
    void this.refresh();
    const timer = setInterval(() => void this.refresh(), this.#timing.pollMs);
    return () => {
      clearInterval(timer);
      clearTimeout(this.#debounce);
    };
  }
}

/** "just now", "12 s ago", "3 min ago", "2 h ago", else the date and time. */
export function agoText(iso: string, nowMs: number): string {
  const s = Math.max(0, Math.floor((nowMs - Date.parse(iso)) / 1000));
  if (Number.isNaN(s)) return iso;
  if (s < 3) return t('sync.just_now');
  if (s < 60) return t('sync.ago_s', { n: s });
  if (s < 3600) return t('sync.ago_min', { n: Math.floor(s / 60) });
  if (s < 86_400) return t('sync.ago_h', { n: Math.floor(s / 3600) });
  return t('sync.ago_date', { date: formatDateTime(iso) });
}

export type SyncKind = 'loading' | 'unknown' | 'off' | 'syncing' | 'failed' | 'never' | 'synced';

/** The status bar's sentence and what kind of state it is. */
export function syncSummary(m: Pick<SyncMonitor, 'state' | 'syncing' | 'unknown'>, nowMs: number): { kind: SyncKind; text: string } {
  if (m.syncing) return { kind: 'syncing', text: t('sync.syncing') };
  if (!m.state) {
    return m.unknown ? { kind: 'unknown', text: t('sync.unknown', { reason: errorText(m.unknown) }) } : { kind: 'loading', text: '' };
  }
  const { status, error } = m.state;
  if (!status.folder) return { kind: 'off', text: t('sync.off') };
  if (error) return { kind: 'failed', text: t('sync.failed', { reason: errorText(error) }) };
  const pending = Number(status.pending_changes);
  const waiting = pending === 1 ? t('sync.waiting_one') : t('sync.waiting', { count: pending });
  const tail = pending > 0 ? ` · ${waiting}` : '';
  if (!status.last_sync) return { kind: 'never', text: t('sync.never') + tail };
  return { kind: 'synced', text: t('sync.synced', { ago: agoText(status.last_sync, nowMs) }) + tail };
}

/** "1 problem" / "3 problems". */
export function problemsLabel(count: number): string {
  return count === 1 ? t('sync.problems_one') : t('sync.problems', { count });
}

/** What kind of problem, in words (the core's own message says the rest). */
export function problemLabel(p: SyncProblem): string {
  const key = `syncproblem.${p.code}`;
  return hasKey(key) ? t(key) : p.code;
}
