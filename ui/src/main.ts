// Entry point: the Tauri backend inside the app; the in-memory mock only
// in development (npm run dev) so that a production build can never end
// up storing real data in a stand-in.
import { mount } from 'svelte';
import './app.css';
import App from './components/App.svelte';
import { inTauri, TauriBackend, type Backend } from './lib/backend';

async function pickBackend(): Promise<Backend | null> {
  if (inTauri()) return new TauriBackend();
  if (import.meta.env.DEV || import.meta.env.VITE_TRESOR_MOCK === '1') {
    const { MockBackend } = await import('./lib/mock-backend');
    return new MockBackend({
      latencyMs: 40,
      unlockMs: 500,
      demoMs: 1500,
      demoPeople: 5000,
      syncMs: 300,
      // A team to try "Join a team" with, and a folder that sync setup refuses.
      teams: [{ folder: '/home/anna/Nextcloud/Tresor', users: [{ name: 'ben', role: 'sales', passphrase: 'demo-passphrase' }] }],
      nonEmptyFolders: ['/home/anna/Documents'],
    });
  }
  return null;
}

const target = document.getElementById('app');
if (target) {
  void pickBackend().then((backend) => {
    if (backend) mount(App, { target, props: { backend } });
    else target.textContent = 'Tresor: this page only works inside the Tresor desktop app.';
  });
}
