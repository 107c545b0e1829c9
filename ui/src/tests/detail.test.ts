import { fireEvent, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { openBySearch, renderSignedIn } from './helpers';
import { addPerson, as, useServer } from './server';

const server = useServer();

async function seeded() {
  const mock = await server.vault([
    ['anna', 'admin'],
    ['carl', 'agent'],
    ['ida', 'auditor'],
    ['sam', 'sales'],
  ]);
  const id = await addPerson(mock, 'anna', {
    salutation: 'ms',
    given_name: 'Erika',
    family_name: 'Mustermann',
    birthday: '1980-04-01',
    emails: ['erika@example.de', 'e.m@example.de'],
    phones: ['+49 30 1234567'],
    addresses: ['Hauptstraße 1\n10115 Berlin', 'Postfach 12\n10117 Berlin'],
    tags: ['vip', 'newsletter'],
    note: 'Secret note about Erika',
    special: 'Health: allergy',
    deal_stage: 'Angebot',
    deal_value: '12.000 €',
    company: 'Muster GmbH',
    company_role: 'Einkauf',
  });
  await as(mock, 'anna', (b) =>
    b.addInteraction(id, { kind: 'call', at: '2026-01-10T09:00:00Z', summary: 'Older call', text: 'Private call notes', keep: null }),
  );
  await as(mock, 'sam', (b) => b.addInteraction(id, { kind: 'meeting', at: '2026-02-05T14:30:00Z', summary: 'Newer meeting', text: null, keep: null }));
  return { mock, id };
}

describe('contact detail', () => {
  it('shows locked fields as LOCKED with the reason for an agent, never as empty', async () => {
    const { mock, id } = await seeded();
    await renderSignedIn(mock, 'carl');
    const detail = await openBySearch('musterm', id, fireEvent);

    for (const name of ['note', 'special', 'deal_stage', 'deal_value']) {
      const el = detail.querySelector(`[data-testid="field-${name}"]`) as HTMLElement;
      expect(el, name).not.toBeNull();
      expect(el.getAttribute('data-state'), name).toBe('locked');
      expect(el.textContent).toContain('Locked');
      expect(el.textContent).toContain("your role 'agent' holds no key for the category");
      expect(el.querySelector('svg')).not.toBeNull();
      // The value is not on screen in any form.
    }
    expect(document.body.textContent).not.toContain('Secret note about Erika');
    expect(document.body.textContent).not.toContain('Health: allergy');
    expect(document.body.textContent).not.toContain('12.000');
    // The interaction text (notes compartment) is locked too, whether or not there is one.
    const texts = [...detail.querySelectorAll('[data-testid="interaction-text"]')];
    expect(texts.map((x) => x.getAttribute('data-state'))).toEqual(['locked', 'locked']);
    expect(document.body.textContent).not.toContain('Private call notes');

    // Readable fields are values.
    const family = detail.querySelector('[data-testid="field-family_name"]') as HTMLElement;
    expect(family.getAttribute('data-state')).toBe('value');
    expect(family.textContent).toBe('Mustermann');
    expect(detail.querySelector('[data-testid="field-title"]')?.getAttribute('data-state')).toBe('empty');
    // An agent may edit and record interactions.
    expect(screen.getByTestId('contact-edit')).toBeTruthy();
    expect(screen.getByTestId('interaction-new')).toBeTruthy();
  });

  it('groups fields by category, joins lists, keeps address lines, orders interactions newest first', async () => {
    const { mock, id } = await seeded();
    await renderSignedIn(mock, 'anna');
    const detail = await openBySearch('erika', id, fireEvent);

    const headings = [...detail.querySelectorAll('h3')].map((h) => h.textContent);
    // Recording an interaction sets the last contact (Communication).
    expect(headings).toEqual([
      'Identity',
      'Contact details',
      'Segmentation',
      'Communication',
      'Notes',
      'Special categories (Art. 9)',
      'Deal data',
      'Companies',
      'Interactions',
      'Follow-ups',
    ]);
    expect(detail.querySelector('[data-testid="field-emails"]')?.textContent).toBe('erika@example.de, e.m@example.de');
    expect(detail.querySelector('[data-testid="field-salutation"]')?.textContent).toBe('Ms');
    const addresses = detail.querySelector('[data-testid="field-addresses"]') as HTMLElement;
    expect(addresses.textContent).toBe('Hauptstraße 1\n10115 Berlin\n\nPostfach 12\n10117 Berlin');
    expect(addresses.classList.contains('pre-line')).toBe(true);
    expect(addresses.querySelector('br')).toBeNull();
    expect(detail.querySelector('[data-testid="field-note"]')?.textContent).toBe('Secret note about Erika');
    // The last contact is the day of the latest interaction, though none was typed.
    const last = detail.querySelector('[data-testid="field-last_contact"]') as HTMLElement;
    expect(last.getAttribute('data-state')).toBe('value');
    expect(last.textContent).toMatch(/2026-02-05|5 Feb 2026|05\.02\.2026/);

    const items = [...detail.querySelectorAll('[data-testid="interaction"]')];
    expect(items.map((i) => i.querySelector('[data-testid="interaction-summary"]')?.textContent)).toEqual([
      'Newer meeting',
      'Older call',
    ]);
    expect(detail.textContent).toContain('Muster GmbH');
    expect(detail.textContent).toContain('Einkauf');
  });

  it('shows the history tab with labelled entries, and nothing to change for an auditor', async () => {
    const { mock, id } = await seeded();
    await renderSignedIn(mock, 'ida');
    const detail = await openBySearch('mustermann', id, fireEvent);
    expect(screen.queryByTestId('contact-edit')).toBeNull();
    expect(screen.queryByTestId('interaction-new')).toBeNull();

    await fireEvent.click(screen.getByTestId('tab-history'));
    await waitFor(() => expect(screen.getAllByTestId('history-entry').length).toBeGreaterThan(5));
    const entries = screen.getAllByTestId('history-entry');
    const created = entries.find((e) => e.getAttribute('data-field') === '');
    expect(created?.textContent).toContain('Record created');
    const family = entries.find((e) => e.getAttribute('data-field') === 'family_name');
    expect(family?.textContent).toContain('Family name');
    expect(family?.textContent).toContain('Mustermann');
    const note = entries.find((e) => e.getAttribute('data-field') === 'note');
    expect(note?.textContent).toContain('Note');
    expect(note?.querySelector('[data-state="locked"]')).not.toBeNull();
    expect(detail.textContent).not.toContain('Secret note about Erika');
  });
});
