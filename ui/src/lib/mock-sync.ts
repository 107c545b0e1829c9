// Sync for the in-memory mock: a vault's shared folder, the team's devices,
// the changes waiting, the problems of the last sync and why the last sync
// failed (kept as the shell keeps it). Tests steer it through `folderProblems`
// (files the folder holds that a sync skips) and `failure` (the error every
// sync fails with until it is cleared).
import type { DeviceInfo, IpcCode, IpcError, Role, SyncProblem, SyncReport, SyncState } from './types';

/** The computer name of the mock's own laptop. */
export const MOCK_HOST = 'anna-laptop';

/** A shared folder as a test describes it. */
export interface MockSyncOptions {
  folder: string;
  /** When the last sync finished (ISO), if ever. */
  lastSync?: string | null;
  /** Local changes not yet in the folder. */
  pending?: number;
  /** Files the folder holds that every sync skips. */
  problems?: SyncProblem[];
  /** The other devices of the team. */
  devices?: MockDevice[];
}

/** Another laptop of the team. */
export interface MockDevice {
  id: string;
  user: string;
  host: string;
  lastSeen?: string | null;
  retired?: boolean;
}

let devices = 0;

/** A device id as the core writes it (a UUIDv7 without dashes). */
export function mockDeviceId(): string {
  devices += 1;
  return `0190f3a2c4d87e11b0c4${devices.toString(16).padStart(12, '0')}`;
}

function fail(code: IpcCode, message: string, field: string | null = null): IpcError {
  return { code, message, field };
}

export class MockSync {
  folder: string | null = null;
  readonly device = mockDeviceId();
  lastSync: string | null = null;
  /** When a sync last brought another laptop's changes (ISO). */
  lastReceived: string | null = null;
  pending = 0;
  /** The problems of the last sync. */
  problems: SyncProblem[] = [];
  /** Files in the folder that a sync skips (test hook). */
  folderProblems: SyncProblem[] = [];
  /** The error every sync fails with while set (test hook). */
  failure: IpcError | null = null;
  /** Why the last sync failed, until one succeeds. */
  error: IpcError | null = null;
  devices: DeviceInfo[] = [];

  constructor(private readonly now: () => Date) {}

  /** Takes over a folder a test describes (this laptop set up by `user`). */
  seed(opts: MockSyncOptions, user: string): void {
    this.folder = opts.folder;
    this.lastSync = opts.lastSync ?? null;
    this.pending = opts.pending ?? 0;
    this.folderProblems = [...(opts.problems ?? [])];
    this.problems = [...this.folderProblems];
    this.devices = (opts.devices ?? []).map((d) => ({
      id: d.id,
      user: d.user,
      host: d.host,
      created: new Date(Date.UTC(2026, 0, 5, 9, 0)).toISOString(),
      last_seen: d.lastSeen ?? null,
      last_segment: 3,
      retired: d.retired ?? false,
      flagged: null,
      this_device: false,
    }));
    this.addThisDevice(user);
  }

  /** This laptop's card in the folder, written at its first sync. */
  addThisDevice(user: string): void {
    if (this.devices.some((d) => d.this_device)) return;
    this.devices.push({
      id: this.device,
      user,
      host: MOCK_HOST,
      created: this.now().toISOString(),
      last_seen: null,
      last_segment: 0,
      retired: false,
      flagged: null,
      this_device: true,
    });
  }

  /** A change was saved: it waits for the next sync. */
  changed(): void {
    if (this.folder) this.pending += 1;
  }

  /** The state for the status bar; `role` is the signed-in user's. */
  state(role: Role): SyncState {
    return {
      status: {
        folder: this.folder,
        device: this.device,
        last_sync: this.lastSync,
        last_received: this.lastReceived,
        pending_changes: this.pending,
        problems: structuredClone(this.problems),
        role,
      },
      error: this.error,
    };
  }

  sync(): SyncReport {
    if (!this.folder) {
      throw fail('sync_not_set_up', 'this vault does not sync with a shared folder yet; an admin sets it up with `tresor sync setup --folder DIR`');
    }
    if (this.failure) {
      this.error = this.failure;
      throw this.failure;
    }
    const now = this.now().toISOString();
    const me = this.devices.find((d) => d.this_device);
    const retired = me?.retired ?? false;
    const sent = retired ? 0 : this.pending;
    if (!retired) this.pending = 0;
    if (me) me.last_seen = now;
    this.problems = [...this.folderProblems];
    if (retired) {
      this.problems.push({
        code: 'retired',
        file: `devices/${this.device}.retired`,
        message: 'an admin retired this laptop: it still receives, but what is changed here is not sent; join the team again with `tresor join` to take part',
      });
    }
    this.lastSync = now;
    this.error = null;
    return {
      sent_changes: sent,
      sent_removals: 0,
      sent_segments: sent > 0 ? 1 : 0,
      received_changes: 0,
      received_removals: 0,
      received_segments: 0,
      compacted: false,
      problems: structuredClone(this.problems),
    };
  }

  retire(id: string): void {
    if (!this.folder) throw fail('sync_not_set_up', 'this vault does not sync with a shared folder yet');
    const d = id.length >= 4 ? this.devices.find((x) => x.id.startsWith(id)) : undefined;
    if (!d) throw fail('not_found', `device ${id} not found`);
    if (d.this_device) {
      throw fail('invalid', 'device: this laptop cannot retire itself; retire it from another laptop', 'device');
    }
    d.retired = true;
  }
}
