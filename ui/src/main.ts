// Entry point: the Tauri backend inside the app; in a browser under
// `npm run dev`, the same commands over HTTP to the development server on
// a real vault (vite.config.ts starts it and puts its token in a meta tag).
// A production build outside the app shows only a notice.
import { mount } from 'svelte';
import './app.css';
import App from './components/App.svelte';
import { inTauri, TauriBackend, WebBackend, type Backend } from './lib/backend';

function pickBackend(): Backend | null {
  if (inTauri()) return new TauriBackend();
  if (!import.meta.env.DEV) return null;
  const token = document.querySelector<HTMLMetaElement>('meta[name="tresor-dev-token"]')?.content;
  if (token) return new WebBackend('', token);
  return null;
}

const target = document.getElementById('app');
if (target) {
  const backend = pickBackend();
  if (backend) mount(App, { target, props: { backend } });
  else target.textContent = 'Tresor: this page only works inside the Tresor desktop app.';
}
