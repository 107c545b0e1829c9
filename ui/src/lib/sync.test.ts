import { describe, expect, it } from 'vitest';
import { agoText, syncSummary } from './sync.svelte';
import type { SyncState } from './types';

const NOW = Date.parse('2026-03-02T12:00:00Z');
const at = (seconds: number) => new Date(NOW - seconds * 1000).toISOString();

function state(status: Partial<SyncState['status']>, error: SyncState['error'] = null): SyncState {
  return {
    status: { folder: '/srv/team', device: 'd', last_sync: at(12), last_received: null, pending_changes: 0, problems: [], role: 'admin', ...status },
    error,
  };
}

describe('sync texts', () => {
  it('says how long ago, coarser as time passes', () => {
    expect(agoText(at(1), NOW)).toBe('just now');
    expect(agoText(at(12), NOW)).toBe('12 s ago');
    expect(agoText(at(185), NOW)).toBe('3 min ago');
    expect(agoText(at(2 * 3600 + 5), NOW)).toBe('2 h ago');
    expect(agoText(at(3 * 86_400), NOW)).toMatch(/^on \d{1,2} Feb 2026/);
    expect(agoText(at(-30), NOW)).toBe('just now');
  });

  it('puts syncing first, then a failure, then the last sync with what waits', () => {
    const failed = state({}, { code: 'sync_folder', message: 'gone', field: null });
    expect(syncSummary({ state: failed, syncing: true, unknown: null }, NOW)).toEqual({ kind: 'syncing', text: 'Syncing…' });
    expect(syncSummary({ state: failed, syncing: false, unknown: null }, NOW)).toEqual({
      kind: 'failed',
      text: 'Sync failed: Tresor cannot use this shared folder. (gone)',
    });
    expect(syncSummary({ state: state({ pending_changes: 1 }), syncing: false, unknown: null }, NOW).text).toBe(
      'Synced 12 s ago · 1 change waiting',
    );
    expect(syncSummary({ state: state({ last_sync: null, pending_changes: 4 }), syncing: false, unknown: null }, NOW).text).toBe(
      'Not synced yet · 4 changes waiting',
    );
    expect(syncSummary({ state: state({ folder: null }, { code: 'io', message: 'x', field: null }), syncing: false, unknown: null }, NOW)).toEqual({
      kind: 'off',
      text: 'Not synced with a team folder',
    });
    expect(syncSummary({ state: null, syncing: false, unknown: null }, NOW).kind).toBe('loading');
    expect(syncSummary({ state: null, syncing: false, unknown: { code: 'store', message: 'x', field: null } }, NOW).text).toBe(
      'Sync state unknown: The database reported an error.',
    );
  });
});
