// Shared helpers for the component tests.
import { render, screen, waitFor } from '@testing-library/svelte';
import { expect } from 'vitest';
import App from '../components/App.svelte';
import type { Backend } from '../lib/backend';

import { PASS } from './server';

/** Renders the whole app. */
export function renderApp(backend: Backend) {
  return render(App, { props: { backend } });
}

/** Signs in first, then renders: the app opens on the main screen. */
export async function renderSignedIn(mock: Backend, user: string) {
  await mock.unlock(user, PASS);
  const result = renderApp(mock);
  await screen.findByTestId('whoami');
  return result;
}

/** Opens a contact through the search box and waits for its detail. */
export async function openBySearch(query: string, id: string, fire: typeof import('@testing-library/svelte').fireEvent) {
  const search = document.getElementById('search') as HTMLInputElement;
  await fire.input(search, { target: { value: query } });
  const row = await waitFor(() => {
    const r = document.querySelector<HTMLElement>(`[data-testid="contact-row"][data-id="${id}"]`);
    expect(r).not.toBeNull();
    return r as HTMLElement;
  });
  await fire.click(row);
  return screen.findByTestId('contact-detail').then(async (detail) => {
    await waitFor(() => expect(detail.querySelector('[data-testid^="field-"]')).not.toBeNull());
    return detail;
  });
}

export function byTestId(id: string): HTMLElement[] {
  return [...document.querySelectorAll<HTMLElement>(`[data-testid="${id}"]`)];
}
