// Test setup: a clean localStorage and English UI for every test.
import { configure } from '@testing-library/svelte';
import { afterEach, beforeEach, vi } from 'vitest';
import { reloadSettings, STORAGE_KEY } from '../lib/settings.svelte';

// Generous waits: CI machines are small and run test files in parallel.
configure({ asyncUtilTimeout: 5000 });

beforeEach(() => {
  localStorage.clear();
  localStorage.setItem(STORAGE_KEY, JSON.stringify({ lang: 'en', autolockMinutes: 5 }));
  reloadSettings();
});

afterEach(() => {
  vi.restoreAllMocks();
  localStorage.clear();
});
