// The component tests run against the real core: each test file starts
// one development server (the app's command table over HTTP, on a real
// SQLCipher vault, with a fixed clock), and every test gets a fresh vault
// in it, seeded through the app's own commands.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { startServer, type RunningServer } from '../../dev/server';
import { WebBackend } from '../lib/backend';
import type { FieldChange, Role } from '../lib/types';

export const PASS = 'correct horse battery';

/** The clock the tests' vaults stand at unless a file chooses another. */
export const NOW = '2026-03-02T09:00:00Z';

export interface TestServer {
  /** The backend over the server, for the current test's vault. */
  readonly backend: WebBackend;
  /**
   * Creates the test's vault: the first user is its admin (an admin named
   * "root" is created first when none is listed), the others are added;
   * then `people` generated people, and locks. Every user's passphrase is
   * {@link PASS}.
   */
  vault(users: [string, Role][], opts?: { people?: number }): Promise<WebBackend>;
  /** Moves the server's clock by whole days. */
  advance(days: number): Promise<void>;
  /** Makes the save dialog answer "cancelled" (until `false` or the next test). */
  cancelSaveDialog(cancel: boolean): Promise<void>;
  /** What the folder dialog answers next: a folder, or null for cancelled (as in each new test). */
  folderDialog(path: string | null): Promise<void>;
  /** What the dialog for files to import answers next (none: cancelled, as in each new test). */
  filesDialog(paths: string[]): Promise<void>;
  /** A folder of this test file's own, for files a test writes. */
  readonly dataDir: string;
}

async function post(server: RunningServer, route: string, body: unknown = {}): Promise<unknown> {
  const res = await fetch(`${server.url}${route}`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${server.token}` },
    body: JSON.stringify(body),
  });
  const out: unknown = await res.json();
  if (!res.ok) throw out;
  return out;
}

/**
 * Starts a server for this test file, and a fresh vault for every test;
 * on the fixed clock {@link NOW} unless another is given (`null`: the
 * real clock, for what the window counts in seconds since).
 */
export function useServer(opts: { clock?: string | null } = {}): TestServer {
  let server: RunningServer | null = null;
  let data = '';
  let backend: WebBackend | null = null;
  beforeAll(async () => {
    data = mkdtempSync(path.join(tmpdir(), 'tresor-ui-'));
    server = await startServer({ data, clock: opts.clock === null ? undefined : (opts.clock ?? NOW), fastKdf: true });
  });
  afterAll(() => {
    server?.stop();
    rmSync(data, { recursive: true, force: true });
  });
  beforeEach(async () => {
    const s = server!;
    await post(s, '/dev/fresh');
    backend = new WebBackend(s.url, s.token);
  });
  return {
    get backend() {
      if (!backend) throw new Error('the server is not started yet');
      return backend;
    },
    async vault(users, { people = 0 } = {}) {
      const b = this.backend;
      const admin = users.find(([, role]) => role === 'admin')?.[0] ?? 'root';
      await b.createVault(admin, PASS);
      for (const [name, role] of users) if (name !== admin) await b.addUser(name, role, PASS);
      if (people > 0) await post(server!, '/dev/seed', { people });
      await b.lock();
      return b;
    },
    advance: async (days) => {
      await post(server!, '/dev/advance', { days });
    },
    cancelSaveDialog: async (cancel) => {
      await post(server!, '/dev/save-dialog', { cancel });
    },
    folderDialog: async (path) => {
      await post(server!, '/dev/folder-dialog', { path });
    },
    filesDialog: async (paths) => {
      await post(server!, '/dev/files-dialog', { paths });
    },
    get dataDir() {
      return data;
    },
  };
}

/** A person's fields as the contact form sends them. */
export type PersonFields = Record<string, string | string[]>;

/** Adds a person as `user` (signing in and out again); returns the id. */
export async function addPerson(b: WebBackend, user: string, fields: PersonFields): Promise<string> {
  await b.unlock(user, PASS);
  const changes: FieldChange[] = Object.entries(fields).map(([field, v]) => ({ field, values: Array.isArray(v) ? v : [v] }));
  const id = await b.addContact(changes);
  await b.lock();
  return id;
}

/** Runs `work` signed in as `user`, then locks again. */
export async function as<T>(b: WebBackend, user: string, work: (b: WebBackend) => Promise<T>): Promise<T> {
  await b.unlock(user, PASS);
  try {
    return await work(b);
  } finally {
    await b.lock();
  }
}
