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
    // Due long ago, kept by the hold: overdue, under its rule with the reason once.
    expect(heldItem?.getAttribute('data-overdue')).toBe('true');
    const group = heldItem?.closest('[data-testid="retention-due-group"]') as HTMLElement;
    expect(group.getAttribute('data-rule')).toBe('people');
    expect(group.querySelectorAll('.reason')).toHaveLength(1);
    expect(screen.getByTestId('retention-holds').textContent).toContain('Klage 3 O 123/26');

    await fireEvent.click(screen.getByTestId('retention-run'));
    await waitFor(() => expect(screen.getByTestId('retention-notice').textContent).toMatch(/removed or anonymised|Nothing was due/));
    await expect(mock.getContact(lapsed)).rejects.toMatchObject({ code: 'not_found' });
    expect((await mock.getContact(held)).display).toContain('Halt');
    expect((await mock.getContact(fresh)).display).toContain('Frisch');
    expect(screen.getByTestId('retention-log').textContent).toContain('People');

    await fireEvent.click(screen.getByTestId('retention-lift'));
    await screen.findByTestId('retention-no-holds');
  });

  it('changes a rule; a period below the law’s minimum is refused with the law named', async () => {
    const { mock } = await seeded();
    await renderSignedIn(mock, 'anna');
    await fireEvent.click(await screen.findByTestId('nav-retention'));
    const invoices = () => document.querySelector('[data-testid="retention-rule"][data-key="invoices"]') as HTMLElement;
    await waitFor(() => expect(invoices()).toBeTruthy());
    await fireEvent.click(invoices().querySelector('[data-testid="rule-edit"]')!);
    const periodInput = document.getElementById('rule-period') as HTMLInputElement;
    expect(periodInput.value).toBe('8y');
    // Only the events this rule may run from are offered.
    const from = document.getElementById('rule-from') as HTMLSelectElement;
    expect([...from.options].length).toBeGreaterThan(0);
    expect([...from.options].map((o) => o.value)).not.toContain('consent-withdrawal');

    await fireEvent.input(periodInput, { target: { value: '2y' } });
    await fireEvent.click(screen.getByTestId('rule-save'));
    await waitFor(() => expect(screen.getByTestId('rule-error').textContent).toContain('HGB §257'));
    expect((await mock.retentionRules()).find((r) => r.key === 'invoices')?.period).toBe('8y');

    await fireEvent.input(periodInput, { target: { value: '10y' } });
    await fireEvent.input(document.getElementById('rule-law') as HTMLInputElement, { target: { value: 'HGB §257, Satzung' } });
    await fireEvent.click(screen.getByTestId('rule-save'));
    await waitFor(() => expect(screen.getByTestId('retention-notice').textContent).toContain('Invoices'));
    await waitFor(() => expect(invoices().textContent).toContain('10y'));
    expect(invoices().textContent).toContain('Changed by anna');
    const stored = (await mock.retentionRules()).find((r) => r.key === 'invoices');
    expect(stored?.period).toBe('10y');
    expect(stored?.law).toBe('HGB §257, Satzung');
  });

  it('lets an auditor read but not run', async () => {
    const { mock } = await seeded();
    await renderSignedIn(mock, 'ida');
    await fireEvent.click(await screen.findByTestId('nav-retention'));
    await screen.findAllByTestId('retention-rule');
    expect(byTestId('retention-run')).toHaveLength(0);
    expect(byTestId('rule-edit')).toHaveLength(0);
    await expect(mock.setRetentionRule('people', { period: '1y', from: null, action: null, law: null })).rejects.toMatchObject({
      code: 'forbidden',
    });
    await expect(mock.runRetention()).rejects.toMatchObject({ code: 'forbidden' });
  });

  it('hides retention from sales', async () => {
    const { mock } = await seeded();
    await renderSignedIn(mock, 'sam');
    await screen.findByTestId('nav-contacts');
    expect(byTestId('nav-retention')).toHaveLength(0);
  });
});
