import { fireEvent, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { catalogue } from '../lib/i18n';
import { reloadSettings, STORAGE_KEY } from '../lib/settings.svelte';
import { mockWith, openBySearch, renderApp, renderSignedIn } from './helpers';

describe('i18n', () => {
  it('switching the language in Settings changes the labels and is persisted', async () => {
    const mock = mockWith([['anna', 'admin']]);
    const id = mock.seedPerson({ given_name: 'Ernst', family_name: 'Sprache' });
    await renderSignedIn(mock, 'anna');
    expect(screen.getByTestId('nav-contacts').textContent).toBe('Contacts');
    expect(screen.getByTestId('lock').textContent?.trim()).toBe('Lock');
    await openBySearch('sprache', id, fireEvent);
    expect(screen.getByText('Family name', { selector: 'dt' })).toBeTruthy();

    await fireEvent.click(screen.getByTestId('nav-settings'));
    const lang = document.getElementById('s-lang') as HTMLSelectElement;
    expect(lang.value).toBe('en');
    await fireEvent.change(lang, { target: { value: 'de' } });

    expect(screen.getByTestId('nav-contacts').textContent).toBe('Kontakte');
    expect(screen.getByTestId('nav-settings').textContent).toBe('Einstellungen');
    expect(screen.getByTestId('lock').textContent?.trim()).toBe('Sperren');
    expect(screen.getByTestId('whoami').textContent).toContain('Administration');
    expect(document.querySelector('label[for="s-autolock"]')?.textContent).toBe('Automatisch sperren nach (Minuten)');
    expect(document.documentElement.lang).toBe('de');
    expect(JSON.parse(localStorage.getItem(STORAGE_KEY) ?? '{}').lang).toBe('de');

    // Field labels from the core switch too.
    await fireEvent.click(screen.getByTestId('nav-contacts'));
    await openBySearch('sprache', id, fireEvent);
    expect(screen.getByText('Nachname', { selector: 'dt' })).toBeTruthy();
    expect(screen.getByText('Identität', { selector: 'h3' })).toBeTruthy();
  });

  it('the unlock screen follows the stored language and can be switched before signing in', async () => {
    localStorage.setItem(STORAGE_KEY, JSON.stringify({ lang: 'de', autolockMinutes: 5 }));
    reloadSettings();
    renderApp(mockWith([['anna', 'admin']]));
    const submit = await screen.findByTestId('unlock-submit');
    expect(submit.textContent?.trim()).toBe('Entsperren');
    await fireEvent.input(document.getElementById('unlock-passphrase')!, { target: { value: 'falsch-falsch' } });
    await fireEvent.click(submit);
    expect((await screen.findByTestId('unlock-error')).textContent).toBe('Falsche Passphrase');

    await fireEvent.change(document.getElementById('pre-lang')!, { target: { value: 'en' } });
    await waitFor(() => expect(screen.getByTestId('unlock-submit').textContent?.trim()).toBe('Unlock'));
    expect(screen.getByTestId('unlock-error').textContent).toBe('Wrong passphrase');
  });

  it('the autolock setting is clamped to 1–120 minutes and stored', async () => {
    await renderSignedIn(mockWith([['anna', 'admin']]), 'anna');
    await fireEvent.click(screen.getByTestId('nav-settings'));
    const minutes = document.getElementById('s-autolock') as HTMLInputElement;
    expect(minutes.value).toBe('5');
    await fireEvent.input(minutes, { target: { value: '500' } });
    await fireEvent.change(minutes);
    expect(minutes.value).toBe('120');
    expect(JSON.parse(localStorage.getItem(STORAGE_KEY) ?? '{}').autolockMinutes).toBe(120);
  });

  it('the German catalogue is complete and keeps every placeholder', () => {
    const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    for (const [key, en] of Object.entries(catalogue.en)) {
      const de = catalogue.de[key as keyof typeof catalogue.en];
      expect(de, key).toBeTruthy();
      expect(placeholders(de), key).toEqual(placeholders(en));
    }
  });
});
