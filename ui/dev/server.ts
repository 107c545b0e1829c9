// Starts the development server (`tresor-dev-server`, the app's command
// table over HTTP on 127.0.0.1) for `npm run dev` and the component tests.
// Node only: the page itself talks to it through `WebBackend`.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** The server binary: TRESOR_DEV_SERVER_BIN, else the debug build of the workspace. */
export function serverBinary(): string {
  return process.env.TRESOR_DEV_SERVER_BIN ?? path.join(REPO, 'target/debug/tresor-dev-server');
}

/** Builds the server (cargo, debug); once before a test run or `npm run dev`. */
export function buildServer(): void {
  if (process.env.TRESOR_DEV_SERVER_BIN) return;
  const r = spawnSync('cargo', ['build', '--quiet', '--locked', '-p', 'tresor-shell', '--features', 'serve', '--bin', 'tresor-dev-server'], {
    cwd: REPO,
    stdio: 'inherit',
  });
  if (r.status !== 0) throw new Error('tresor-dev-server did not build');
}

export interface ServerOptions {
  /** Folder for the vault, the demo vault and exports. */
  data: string;
  /** Open the demo vault on first start when there is no vault. */
  startDemo?: boolean;
  /** A fixed clock (RFC 3339). */
  clock?: string;
  /** The cheapest key derivation (tests). */
  fastKdf?: boolean;
  port?: number;
}

export interface RunningServer {
  url: string;
  token: string;
  stop(): void;
}

/** Starts a server and waits for its `TRESOR_DEV_SERVER <url> <token>` line. */
export function startServer(opts: ServerOptions): Promise<RunningServer> {
  const args = ['--data', opts.data];
  if (opts.startDemo) args.push('--start-demo');
  if (opts.clock) args.push('--clock', opts.clock);
  if (opts.fastKdf) args.push('--fast-kdf');
  if (opts.port) args.push('--port', String(opts.port));
  const child: ChildProcess = spawn(serverBinary(), args, { stdio: ['pipe', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`tresor-dev-server ended (exit ${code})`)));
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      const [ready, url, token] = line.trim().split(/\s+/);
      if (ready !== 'TRESOR_DEV_SERVER' || !url || !token) return;
      lines.close();
      resolve({
        url,
        token,
        // Closing its input ends it; the signal is for a server that hangs.
        stop: () => {
          child.stdin?.end();
          child.kill('SIGTERM');
        },
      });
    });
  });
}
