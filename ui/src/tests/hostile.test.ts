import { fireEvent, screen, waitFor } from '@testing-library/svelte';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { WebBackend } from '../lib/backend';
import { byTestId, openBySearch, renderSignedIn } from './helpers';
import { addPerson, as, useServer } from './server';

const server = useServer();

declare global {
  interface Window {
    __pwned?: number;
  }
}

const IMG = '<img src=x onerror="window.__pwned=1">';
const SCRIPT = '<script>window.__pwned=2</script>';
const JS = 'javascript:alert(1)';
const RLO = '\u202Etxt.exe\u202C harmless';
const LONG = 'A'.repeat(5_000) + '<b>bold</b>' + 'Z'.repeat(4_989);
const SVG = '<svg onload="window.__pwned=3"></svg>';
const STYLE = '<style>body{display:none}</style>';

// Every person field, as a hostile or damaged peer could have stored it.
const HOSTILE: Record<string, string | string[]> = {
  salutation: '<i>mr</i>',
  title: JS,
  given_name: IMG,
  family_name: 'Zzhostile' + SCRIPT,
  birthday: '"><img src=x onerror=alert(1)>',
  language: '{{constructor.constructor("window.__pwned=4")()}}',
  emails: [`${IMG}@evil.example`],
  phones: [SVG],
  addresses: [`${STYLE}\n${RLO}`],
  tags: ['{@html "<b>x</b>"}'],
  note: LONG,
  special: `${RLO}\n${IMG}`,
  deal_stage: '<a href="javascript:alert(1)">click</a>',
  deal_value: '<iframe src="javascript:alert(1)"></iframe>',
};

// The core checks what is typed (a salutation is one of four, a birthday
// a date), but a change received from a peer is applied as it was signed:
// a hostile laptop can store anything. So the person is stored with valid
// placeholders, and the replies of the calls that read people are the
// core's own with the placeholders swapped for the hostile text, as a
// peer's changes would have left them.
const PLACEHOLDER: Record<string, string | string[]> = {
  salutation: 'mx',
  title: 'Qtitle',
  given_name: 'Qgiven',
  family_name: 'ZzhostileQfamily',
  birthday: '1970-01-01',
  language: 'xq',
  emails: ['qemail@evil.example'],
  phones: ['+49 30 111111'],
  addresses: ['Qaddress'],
  tags: ['Qtag'],
  note: 'Qnote',
  special: 'Qspecial',
  deal_stage: 'Qstage',
  deal_value: 'Qvalue',
};
/** Whole strings the core keeps as they are typed (codes, dates, names). */
const WHOLE: Record<string, string> = { mx: HOSTILE.salutation as string, '1970-01-01': HOSTILE.birthday as string, xq: HOSTILE.language as string, anna: IMG };
/** Parts of longer strings (display names, the email in a list row). */
const PARTS: [string, string][] = [
  ...Object.entries(PLACEHOLDER)
    .filter(([name]) => !['salutation', 'birthday', 'language'].includes(name))
    .map(([name, v]): [string, string] => {
      const place = Array.isArray(v) ? v[0] : v;
      const hostile = HOSTILE[name];
      return name === 'family_name' ? ['Qfamily', SCRIPT] : [place, Array.isArray(hostile) ? hostile[0] : hostile];
    }),
  ['Qcompany', IMG],
  ['Qrole', SCRIPT],
  ['Qsummary', SCRIPT],
  ['Qtext', LONG],
];

function swap(v: unknown): unknown {
  if (typeof v === 'string') return WHOLE[v] ?? PARTS.reduce((s, [place, hostile]) => s.replaceAll(place, hostile), v);
  if (Array.isArray(v)) return v.map(swap);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, swap(x)]));
  return v;
}

/** The calls that read people answer as if a hostile peer had written them. */
function asPeerWrote(b: WebBackend) {
  for (const name of ['getContact', 'searchContacts', 'listContacts', 'contactHistory', 'reconsentList'] as const) {
    const real = (b[name] as (...args: unknown[]) => Promise<unknown>).bind(b);
    vi.spyOn(b, name).mockImplementation((async (...args: unknown[]) => swap(await real(...args))) as never);
  }
}

afterEach(() => {
  delete window.__pwned;
});

function expectNoInjectedElements() {
  expect(document.querySelectorAll('img, script, iframe, object, embed, b, i, style, a[href^="javascript"]')).toHaveLength(0);
  // The only inline SVGs are the app's own padlocks.
  for (const svg of document.querySelectorAll('svg')) expect(svg.getAttribute('viewBox')).toBe('0 0 16 16');
  // No element carries an event handler attribute.
  for (const el of document.querySelectorAll('*')) {
    for (const attr of el.getAttributeNames()) expect(attr.startsWith('on'), `${el.tagName} ${attr}`).toBe(false);
  }
  // The only link is the app's own skip link.
  expect([...document.querySelectorAll('a[href]')].map((a) => a.getAttribute('href'))).toEqual(['#main-content']);
  expect(window.__pwned).toBeUndefined();
}

describe('hostile record text', () => {
  it('is rendered literally in every field of the detail view, the list and the timeline', async () => {
    const mock = await server.vault([['anna', 'admin']]);
    const id = await addPerson(mock, 'anna', { ...PLACEHOLDER, company: 'Qcompany GmbH', company_role: 'Qrole' });
    await as(mock, 'anna', (b) =>
      b.addInteraction(id, { kind: 'note', at: '2026-02-01T10:00:00Z', summary: 'Qsummary', text: 'Qtext', keep: null }),
    );
    asPeerWrote(mock);
    await renderSignedIn(mock, 'anna');
    const detail = await openBySearch('zzhostile', id, fireEvent);

    for (const [name, value] of Object.entries(HOSTILE)) {
      const el = detail.querySelector(`[data-testid="field-${name}"]`) as HTMLElement;
      expect(el, name).not.toBeNull();
      expect(el.getAttribute('data-state')).toBe('value');
      const expected = Array.isArray(value) ? value[0] : value;
      expect(el.textContent, name).toBe(expected);
      expect(el.children, name).toHaveLength(0);
    }
    const heading = detail.querySelector('h2') as HTMLElement;
    expect(heading.textContent).toBe(`${JS} ${IMG} Zzhostile${SCRIPT}`);

    // The list row shows the display name as text.
    const row = byTestId('contact-row').find((r) => r.getAttribute('data-id') === id) as HTMLElement;
    expect(row.querySelector('.name')?.textContent).toBe(`${JS} ${IMG} Zzhostile${SCRIPT}`);
    expect(row.querySelector('.email')?.textContent).toBe(`${IMG}@evil.example`);

    // Company links are buttons with the name as text, never links built from data.
    expect(detail.textContent).toContain(`${IMG} GmbH`);
    const interaction = screen.getByTestId('interaction');
    expect(interaction.querySelector('[data-testid="interaction-summary"]')?.textContent).toBe(SCRIPT);
    expect(interaction.querySelector('[data-testid="interaction-text"]')?.textContent).toBe(LONG);
    expect(interaction.textContent).toContain(`by ${IMG}`);

    expectNoInjectedElements();

    // The history shows the same values literally.
    await fireEvent.click(screen.getByTestId('tab-history'));
    await waitFor(() => expect(screen.getAllByTestId('history-entry').length).toBeGreaterThan(10));
    const history = screen.getAllByTestId('history-entry');
    const given = history.find((h) => h.getAttribute('data-field') === 'given_name') as HTMLElement;
    expect(given.querySelector('[data-state="value"]')?.textContent).toBe(IMG);
    expectNoInjectedElements();

    // Consent entries, purposes and the re-consent list show stored text literally too.
    await mock.savePurpose(
      {
        key: 'hostile',
        name_de: SVG,
        name_en: IMG,
        description: SCRIPT,
        description_en: SCRIPT,
        basis: 'consent',
        categories: ['identity'],
        recipients: [STYLE, JS],
        consent_required: true,
        validity_months: 1,
      },
      true,
    );
    await mock.giveConsent(id, {
      purpose: 'hostile',
      channel: 'email',
      source: 'web_form',
      evidence: `${IMG}\n${RLO}`,
      basis: null,
      at: '2020-01-01T00:00:00Z',
    });
    await fireEvent.click(screen.getByTestId('tab-consents'));
    const entry = await screen.findByTestId('consent-entry');
    expect(entry.textContent).toContain(`${IMG}\n${RLO}`);
    expect(screen.getByTestId('consent-panel').textContent).toContain(`${IMG} · Email`);
    expectNoInjectedElements();
    await fireEvent.click(screen.getByTestId('nav-reconsent'));
    const reconsent = await screen.findByTestId('reconsent-row');
    expect(reconsent.textContent).toContain(`${JS} ${IMG} Zzhostile${SCRIPT}`);
    await fireEvent.click(screen.getByTestId('nav-register'));
    await waitFor(() => expect(screen.getAllByTestId('register-purpose')).toHaveLength(4));
    const hostile = screen.getAllByTestId('register-purpose')[3];
    expect(hostile.getAttribute('data-key')).toBe('hostile');
    expect(hostile.textContent).toContain(SCRIPT);
    expectNoInjectedElements();
  });

  it('round-trips hostile text typed into the form through the core, and shows it literally', async () => {
    const mock = await server.vault([['anna', 'admin']]);
    await renderSignedIn(mock, 'anna');
    await fireEvent.click(screen.getByTestId('contact-new'));
    const set = (name: string, value: string) =>
      fireEvent.input(document.getElementById(`f-${name}`) as HTMLInputElement, { target: { value } });
    await set('given_name', IMG);
    await set('family_name', SCRIPT);
    await set('title', RLO);
    await set('note', LONG);
    await set('tags', '<b>x</b>');
    await set('company', SVG);
    await fireEvent.click(screen.getByTestId('form-save'));
    const detail = await screen.findByTestId('contact-detail');
    await waitFor(() => expect(detail.querySelector('[data-testid="field-given_name"]')?.textContent).toBe(IMG));
    expect(detail.querySelector('[data-testid="field-family_name"]')?.textContent).toBe(SCRIPT);
    expect(detail.querySelector('[data-testid="field-title"]')?.textContent).toBe(RLO.trim());
    expect(detail.querySelector('[data-testid="field-note"]')?.textContent).toBe(LONG);
    expect(detail.querySelector('[data-testid="field-tags"]')?.textContent).toBe('<b>x</b>');
    expect(detail.textContent).toContain(SVG);
    expectNoInjectedElements();
  });
});
