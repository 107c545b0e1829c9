import { fireEvent, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { byTestId, renderSignedIn } from './helpers';
import { as, useServer } from './server';

const server = useServer();

async function seeded() {
  const mock = await server.vault([
    ['anna', 'admin'],
    ['ida', 'auditor'],
    ['sam', 'sales'],
  ]);
  // In one session: the next unlock sweeps what is due, and the held
  // person must be held by then.
  const ids = await as(mock, 'anna', async (b) => {
    const add = (fields: Record<string, string>) => b.addContact(Object.entries(fields).map(([field, v]) => ({ field, values: [v] })));
    const lapsed = await add({ given_name: 'Lotte', family_name: 'Lange-Her', last_contact: '2020-01-15' });
    const held = await add({ given_name: 'Hugo', family_name: 'Halt', last_contact: '2020-02-01' });
    const fresh = await add({ given_name: 'Frieda', family_name: 'Frisch' });
    await b.addHold(held, 'Klage 3 O 123/26');
    return { lapsed, held, fresh };
  });
  return { mock, ...ids };
}

describe('retention', () => {
  it('shows the rules with reasons, what falls due and why, runs the sweep and spares a held person', async () => {
    const { mock, lapsed, held, fresh } = await seeded();
    // Signing in sweeps: the lapsed person is gone at once, the held one stays.
    await renderSignedIn(mock, 'anna');
    await fireEvent.click(await screen.findByTestId('nav-retention'));

    const rules = await screen.findAllByTestId('retention-rule');
    expect(rules.map((r) => r.getAttribute('data-key'))).toEqual([
      'people',
      'communication',
      'business-letters',
      'invoices',
      'consent',
      'requests',
    ]);
    expect(rules[3].textContent).toContain('HGB §257');
    expect(rules[0].textContent).toMatch(/2 years|2 Jahren/);

    const due = await screen.findAllByTestId('retention-due-item');
    const text = due.map((d) => d.textContent ?? '');
    expect(text.some((t) => t.includes('Frisch'))).toBe(false);
    const heldItem = due.find((d) => d.textContent?.includes('Halt'));
    expect(heldItem?.getAttribute('data-held')).toBe('true');
    expect(screen.getByTestId('retention-holds').textContent).toContain('Klage 3 O 123/26');

    await fireEvent.click(screen.getByTestId('retention-run'));
    await waitFor(() => expect(screen.getByTestId('retention-notice').textContent).toMatch(/removed or anonymised|Nothing was due/));
    await expect(mock.getContact(lapsed)).rejects.toMatchObject({ code: 'not_found' });
    expect((await mock.getContact(held)).display).toContain('Halt');
    expect((await mock.getContact(fresh)).display).toContain('Frisch');
    expect(screen.getByTestId('retention-log').textContent).toContain('people');

    await fireEvent.click(screen.getByTestId('retention-lift'));
    await screen.findByTestId('retention-no-holds');
  });

  it('lets an auditor read but not run', async () => {
    const { mock } = await seeded();
    await renderSignedIn(mock, 'ida');
    await fireEvent.click(await screen.findByTestId('nav-retention'));
    await screen.findAllByTestId('retention-rule');
    expect(byTestId('retention-run')).toHaveLength(0);
    await expect(mock.runRetention()).rejects.toMatchObject({ code: 'forbidden' });
  });

  it('hides retention from sales', async () => {
    const { mock } = await seeded();
    await renderSignedIn(mock, 'sam');
    await screen.findByTestId('nav-contacts');
    expect(byTestId('nav-retention')).toHaveLength(0);
  });
});
