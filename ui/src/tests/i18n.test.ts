import { fireEvent, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { ALL_CATEGORIES, CHANNELS, CONSENT_STATES, LEGAL_BASES, TLS_MODES } from '../lib/consent';
import { REQUEST_KINDS } from '../lib/rights';
import { catalogue, hasKey } from '../lib/i18n';
import { reloadSettings, STORAGE_KEY } from '../lib/settings.svelte';
import { openBySearch, renderApp, renderSignedIn } from './helpers';
import { addPerson, as, useServer } from './server';

const server = useServer();

describe('i18n', () => {
  it('switching the language in Settings changes the labels and is persisted', async () => {
    const mock = await server.vault([['anna', 'admin']]);
    const id = await addPerson(mock, 'anna', { given_name: 'Ernst', family_name: 'Sprache' });
    await renderSignedIn(mock, 'anna');
    expect(screen.getByTestId('nav-contacts').textContent).toBe('Contacts');
    expect(screen.getByTestId('lock').textContent?.replace(/\s+/g, ' ').trim()).toBe('Lock Ctrl+L');
    await openBySearch('sprache', id, fireEvent);
    expect(screen.getByText('Family name', { selector: 'dt' })).toBeTruthy();

    await fireEvent.click(screen.getByTestId('nav-settings'));
    const lang = document.getElementById('s-lang') as HTMLSelectElement;
    expect(lang.value).toBe('en');
    await fireEvent.change(lang, { target: { value: 'de' } });

    expect(screen.getByTestId('nav-contacts').textContent).toBe('Kontakte');
    expect(screen.getByTestId('nav-settings').textContent).toBe('Einstellungen');
    expect(screen.getByTestId('lock').textContent?.replace(/\s+/g, ' ').trim()).toBe('Sperren Strg+L');
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
    renderApp(await server.vault([['anna', 'admin']]));
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
    await renderSignedIn(await server.vault([['anna', 'admin']]), 'anna');
    await fireEvent.click(screen.getByTestId('nav-settings'));
    const minutes = document.getElementById('s-autolock') as HTMLInputElement;
    expect(minutes.value).toBe('5');
    await fireEvent.input(minutes, { target: { value: '500' } });
    await fireEvent.change(minutes);
    expect(minutes.value).toBe('120');
    expect(JSON.parse(localStorage.getItem(STORAGE_KEY) ?? '{}').autolockMinutes).toBe(120);
  });

  it('has a German and an English label for every legal basis, channel, state, category, kind, source and TLS mode', async () => {
    // The sources a new vault offers come from the core.
    const sources = await as(await server.vault([['anna', 'admin']]), 'anna', (b) => b.consentSources());
    expect(sources.length).toBeGreaterThan(3);
    const kinds = ['person', 'company', 'affiliation', 'interaction', 'purpose', 'consent', 'setting', 'disclosure', 'register_version'];
    const keys = [
      ...LEGAL_BASES.map((b) => `basis.${b}`),
      ...CHANNELS.map((c) => `channel.${c}`),
      ...CONSENT_STATES.map((s) => `cstate.${s}`),
      ...ALL_CATEGORIES.map((c) => `cat.${c}`),
      ...kinds.map((k) => `kind.${k}`),
      ...sources.map((s) => `source.${s}`),
      ...TLS_MODES.map((m) => `tls.${m}`),
      'nav.register',
      'nav.reconsent',
      'detail.tab_consents',
      'err.code.mail',
    ];
    for (const key of keys) {
      expect(hasKey(key), key).toBe(true);
      if (!hasKey(key)) continue;
      expect(catalogue.en[key].trim(), key).not.toBe('');
      expect(catalogue.de[key].trim(), key).not.toBe('');
    }
    // The legal bases read exactly as the core writes them into exports.
    expect(LEGAL_BASES.map((b) => catalogue.de[`basis.${b}`])).toEqual([
      'Art. 6 Abs. 1 lit. a DSGVO (Einwilligung)',
      'Art. 6 Abs. 1 lit. b DSGVO (Vertrag oder vorvertragliche Maßnahmen)',
      'Art. 6 Abs. 1 lit. c DSGVO (rechtliche Verpflichtung)',
      'Art. 6 Abs. 1 lit. d DSGVO (lebenswichtige Interessen)',
      'Art. 6 Abs. 1 lit. e DSGVO (öffentliches Interesse)',
      'Art. 6 Abs. 1 lit. f DSGVO (berechtigtes Interesse)',
    ]);
    expect(LEGAL_BASES.map((b) => catalogue.en[`basis.${b}`])).toEqual([
      'Art. 6(1)(a) GDPR (consent)',
      'Art. 6(1)(b) GDPR (contract)',
      'Art. 6(1)(c) GDPR (legal obligation)',
      'Art. 6(1)(d) GDPR (vital interests)',
      'Art. 6(1)(e) GDPR (public task)',
      'Art. 6(1)(f) GDPR (legitimate interests)',
    ]);
  });

  it('shows the consent views in German', async () => {
    localStorage.setItem(STORAGE_KEY, JSON.stringify({ lang: 'de', autolockMinutes: 5 }));
    reloadSettings();
    const mock = await server.vault([['anna', 'admin']]);
    const id = await addPerson(mock, 'anna', { given_name: 'Ernst', family_name: 'Sprache', emails: ['ernst@example.de'] });
    await renderSignedIn(mock, 'anna');
    expect(screen.getByTestId('nav-register').textContent).toBe('Verzeichnis');
    expect(screen.getByTestId('nav-reconsent').textContent).toBe('Erneut fragen');
    await openBySearch('sprache', id, fireEvent);
    expect(screen.getByTestId('tab-consents').textContent).toBe('Einwilligungen');
    await fireEvent.click(screen.getByTestId('tab-consents'));
    await waitFor(() => expect(screen.getAllByTestId('purpose-status')).toHaveLength(3));
    const sales = screen.getAllByTestId('purpose-status')[0];
    expect(sales.textContent).toContain('Verkauf und Service');
    expect(sales.textContent).toContain('Art. 6 Abs. 1 lit. b DSGVO (Vertrag oder vorvertragliche Maßnahmen)');
    expect(sales.textContent).toContain('Rechtsgrundlage vorhanden');
    expect(screen.getAllByTestId('purpose-status')[1].textContent).toContain('Keine Rechtsgrundlage');
    const rights = screen.getAllByTestId('purpose-status')[2];
    expect(rights.textContent).toContain('Betroffenenrechte');
    expect(rights.textContent).toContain('Art. 6 Abs. 1 lit. c DSGVO (rechtliche Verpflichtung)');
    expect(rights.textContent).toContain('Rechtsgrundlage vorhanden');
    expect(screen.getByTestId('give-consent').textContent).toBe('Einwilligung erfassen');

    await fireEvent.click(screen.getByTestId('nav-register'));
    expect((await screen.findByTestId('register-meta')).textContent).toContain('Version 1, erstellt am');
    expect(screen.getByText('Verzeichnis von Verarbeitungstätigkeiten (Art. 30 DSGVO)')).toBeTruthy();
  });

  it('has a German and an English text for every request kind and status and the rights views', () => {
    const keys = [
      ...REQUEST_KINDS.map((k) => `rkind.${k}`),
      'rstatus.open',
      'rstatus.closed',
      'nav.requests',
      'nav.requests_due',
      'detail.tab_rights',
      'err.code.restricted',
      'err.code.suppressed',
      'err.received_future',
      'err.request_extended',
      'err.verify_text',
      'requests.title',
      'package.title',
      'package.effect',
      'restrict.effect',
      'object.effect',
      'object.effect_marketing',
      'erase.effect',
      'erase.report',
      'verify.title',
      'verify.clean',
      'verify.found',
    ];
    for (const key of keys) {
      expect(hasKey(key), key).toBe(true);
      if (!hasKey(key)) continue;
      expect(catalogue.en[key].trim(), key).not.toBe('');
      expect(catalogue.de[key].trim(), key).not.toBe('');
      expect(catalogue.de[key], key).not.toBe(catalogue.en[key]);
    }
  });

  it('shows the requests view and the rights tab in German', async () => {
    localStorage.setItem(STORAGE_KEY, JSON.stringify({ lang: 'de', autolockMinutes: 5 }));
    reloadSettings();
    const mock = await server.vault([['anna', 'admin']]);
    const id = await addPerson(mock, 'anna', { given_name: 'Ernst', family_name: 'Sprache' });
    await as(mock, 'anna', (b) => b.openRequest({ kind: 'erasure', person: id, received: '2026-01-02', identity_check: null }));
    await renderSignedIn(mock, 'anna');
    expect(screen.getByTestId('nav-requests').textContent).toContain('Anfragen');
    await fireEvent.click(screen.getByTestId('nav-requests'));
    const row = await screen.findByTestId('request-row');
    expect(row.textContent).toContain('Löschung (Art. 17)');
    expect(row.textContent).toContain('Überfällig');
    expect(screen.getByText('Löschnachweis')).toBeTruthy();
    await fireEvent.click(screen.getByTestId('nav-contacts'));
    await openBySearch('sprache', id, fireEvent);
    expect(screen.getByTestId('tab-rights').textContent).toBe('Rechte');
    await fireEvent.click(screen.getByTestId('tab-rights'));
    expect((await screen.findByTestId('erase')).textContent).toBe('Löschen');
    expect(screen.getByTestId('package').textContent).toBe('Auskunftspaket');
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
