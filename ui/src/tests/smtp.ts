// A real SMTP server on loopback for the double opt-in tests: Debian's
// aiosmtpd (installed by scripts/deps.sh), storing mails in a Maildir.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface SmtpServer {
  port: number;
  /** Every mail received so far, as raw text. */
  mails(): string[];
  stop(): void;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      s.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = connect(port, '127.0.0.1');
    c.once('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });
}

export async function startSmtp(): Promise<SmtpServer> {
  const port = await freePort();
  const dir = mkdtempSync(path.join(tmpdir(), 'tresor-mail-'));
  const maildir = path.join(dir, 'maildir');
  const child = spawn('/usr/bin/python3', ['-m', 'aiosmtpd', '-n', '-l', `127.0.0.1:${port}`, '-c', 'aiosmtpd.handlers.Mailbox', maildir], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const deadline = Date.now() + 20_000;
  while (!(await accepts(port))) {
    if (Date.now() > deadline) throw new Error('the SMTP server did not start (is python3-aiosmtpd installed?)');
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    port,
    mails: () => {
      try {
        return readdirSync(path.join(maildir, 'new')).map((f) => readFileSync(path.join(maildir, 'new', f), 'utf8'));
      } catch {
        return [];
      }
    },
    stop: () => {
      child.kill('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
