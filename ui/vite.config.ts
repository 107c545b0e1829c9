/// <reference types="vitest/config" />
import { defineConfig, type Plugin } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { svelteTesting } from '@testing-library/svelte/vite';
import path from 'node:path';
import { buildServer, startServer, type RunningServer } from './dev/server.ts';

// `npm run dev`: the real UI in a browser over a real vault. The
// development server (the app's commands over HTTP on 127.0.0.1) is built
// and started with Vite's own server, on the demo vault in ui/.dev
// (TRESOR_DEV_DATA for another folder). Vite forwards /ipc to it; the page
// finds the server's token in a meta tag and sends it with every call.
function tresorDevServer(): Plugin {
  let running: RunningServer | null = null;
  return {
    name: 'tresor-dev-server',
    apply: 'serve',
    async configureServer(server) {
      // Vitest runs a Vite server too; its tests start their own servers.
      if (process.env.VITEST) return;
      buildServer();
      const data = process.env.TRESOR_DEV_DATA ?? path.resolve('.dev');
      const dev = await startServer({ data, startDemo: true });
      running = dev;
      server.httpServer?.once('close', () => dev.stop());
      process.once('exit', () => dev.stop());
      server.config.logger.info(`Tresor development server on ${dev.url}, vault in ${data}`);
      server.middlewares.use('/ipc', (req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          fetch(`${dev.url}/ipc${req.url ?? ''}`, {
            method: req.method,
            headers: { 'Content-Type': 'application/json', Authorization: req.headers.authorization ?? '' },
            body: Buffer.concat(chunks),
          })
            .then(async (answer) => {
              res.statusCode = answer.status;
              res.setHeader('Content-Type', 'application/json');
              res.end(Buffer.from(await answer.arrayBuffer()));
            })
            .catch((e: unknown) => {
              res.statusCode = 502;
              res.end(JSON.stringify({ code: 'internal', message: `the development server is gone (${String(e)})`, field: null }));
            });
        });
      });
    },
    transformIndexHtml(html) {
      if (!running) return html;
      return html.replace('</head>', `  <meta name="tresor-dev-token" content="${running.token}" />\n  </head>`);
    },
  };
}

// The app runs under a strict CSP (script-src 'self'; style-src 'self'):
// no inline scripts, CSS extracted to files, no remote assets.
export default defineConfig({
  base: './',
  plugins: [svelte(), svelteTesting(), tresorDevServer()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // WebKitGTK 2.50 handles ES2022.
    target: 'es2022',
    // The polyfill would be injected as an inline script otherwise.
    modulePreload: { polyfill: false },
    // Never inline assets as data: URIs into CSS/JS.
    assetsInlineLimit: 0,
    cssCodeSplit: false,
    sourcemap: false,
  },
  server: {
    port: 5173,
    strictPort: true,
  },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.ts'],
    setupFiles: ['src/tests/setup.ts'],
    globalSetup: ['dev/global-setup.ts'],
    testTimeout: 20000,
  },
});
