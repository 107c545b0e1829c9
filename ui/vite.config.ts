/// <reference types="vitest/config" />
import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { svelteTesting } from '@testing-library/svelte/vite';

// The app runs under a strict CSP (script-src 'self'; style-src 'self'):
// no inline scripts, CSS extracted to files, no remote assets.
export default defineConfig({
  base: './',
  plugins: [svelte(), svelteTesting()],
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
    testTimeout: 20000,
  },
});
