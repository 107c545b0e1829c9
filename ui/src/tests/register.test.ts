import { fireEvent, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it, vi } from 'vitest';
import { renderSignedIn } from './helpers';
import { useServer } from './server';

const server = useServer();

function input(id: string) {
  return document.getElementById(id) as HTMLInputElement;
}

/** The error is in the same field block as its input and described by it. */
function expectErrorBeside(inputId: string, testid: string, text: string) {
  const error = screen.getByTestId(testid);
  expect(error.textContent?.trim()).toBe(text);
  const el = input(inputId);
  expect(el.closest('.field')?.contains(error)).toBe(true);
  expect(el.getAttribute('aria-invalid')).toBe('true');
  expect(el.getAttribute('aria-describedby')?.split(' ')).toContain(error.id);
}

async function openSettingsPurposes() {
  await fireEvent.click(screen.getByTestId('nav-settings'));
  await waitFor(() => expect(screen.getAllByTestId('purpose-row')).toHaveLength(3));
}

async function registerVersion(): Promise<string | null> {
  const meta = await screen.findByTestId('register-meta');
  return meta.getAttribute('data-version');
}

describe('purposes and the register', () => {
  it('shows the core’s reasons for a key next to the key field', async () => {
    const mock = await server.vault([['dora', 'dpo']]);
    await renderSignedIn(mock, 'dora');
    await openSettingsPurposes();
    await fireEvent.click(screen.getByTestId('purpose-add'));
    const save = vi.spyOn(mock, 'savePurpose');

    await fireEvent.input(input('p-key'), { target: { value: 'Newsletter 2026' } });
    await fireEvent.input(input('p-name_de'), { target: { value: 'Newsletter' } });
    await fireEvent.input(input('p-name_en'), { target: { value: 'Newsletter' } });
    await fireEvent.click(screen.getByTestId('purpose-save'));
    await waitFor(() => expectErrorBeside('p-key', 'error-p-key', 'Use 1–40 lower-case letters, digits and dashes, for example e-marketing.'));
    expect(document.activeElement).toBe(input('p-key'));
    expect(save).toHaveBeenCalledTimes(1);

    // A key that exists already: the core says so, next to the key.
    await fireEvent.input(input('p-key'), { target: { value: 'sales' } });
    await fireEvent.click(screen.getByTestId('purpose-save'));
    await waitFor(() => expect(save).toHaveBeenCalledTimes(2));
    await waitFor(() => expectErrorBeside('p-key', 'error-p-key', 'A purpose with this key exists already.'));
    expect((await mock.listPurposes()).map((p) => p.key)).toEqual(['sales', 'e-marketing', 'data-subject-rights']);
  });

  it('shows the core’s reason for each other field of a purpose, one at a time', async () => {
    const mock = await server.vault([['anna', 'admin']]);
    await renderSignedIn(mock, 'anna');
    await openSettingsPurposes();
    await fireEvent.click(screen.getByTestId('purpose-add'));
    await fireEvent.input(input('p-key'), { target: { value: 'events' } });
    for (const c of ['identity', 'contact_details']) await fireEvent.click(input(`p-cat-${c}`));
    await fireEvent.change(document.getElementById('p-basis')!, { target: { value: 'consent' } });
    // Consent as basis ticks "needs consent"; unticking it is an error.
    expect(input('p-consent_required').checked).toBe(true);
    await fireEvent.click(input('p-consent_required'));
    await fireEvent.input(input('p-validity_months'), { target: { value: '700' } });
    const save = vi.spyOn(mock, 'savePurpose');
    // The core names one problem at a time; each shows next to its field.
    const saveAndExpect = async (id: string, text: string) => {
      await fireEvent.click(screen.getByTestId('purpose-save'));
      await waitFor(() => expectErrorBeside(id, `error-${id}`, text));
      expect(screen.queryByTestId('error-p-key')).toBeNull();
    };
    await saveAndExpect('p-name_de', 'Enter a name of 1–120 characters.');
    await fireEvent.input(input('p-name_de'), { target: { value: 'Veranstaltungen' } });
    await fireEvent.input(input('p-name_en'), { target: { value: 'Events' } });
    await fireEvent.click(screen.getByTestId('purpose-save'));
    await waitFor(() => expect(screen.getByTestId('error-p-categories').textContent?.trim()).toBe('Choose at least one category of personal data.'));
    for (const c of ['identity', 'contact_details']) await fireEvent.click(input(`p-cat-${c}`));
    await saveAndExpect('p-consent_required', 'A purpose resting on consent (Art. 6(1)(a)) requires consent.');
    await fireEvent.click(input('p-consent_required'));
    await saveAndExpect('p-validity_months', 'Use 1–600 months, or leave empty for no time limit.');
    expect(save).toHaveBeenCalledTimes(4);
    expect((await mock.listPurposes()).map((p) => p.key)).not.toContain('events');
    // A validity that is not a whole number is not sent at all.
    await fireEvent.input(input('p-validity_months'), { target: { value: '1.5' } });
    await fireEvent.click(screen.getByTestId('purpose-save'));
    expectErrorBeside('p-validity_months', 'error-p-validity_months', 'Use 1–600 months, or leave empty for no time limit.');
    expect(save).toHaveBeenCalledTimes(4);
    // Only personal categories are offered.
    expect(document.getElementById('p-cat-configuration')).toBeNull();
    expect(screen.getAllByTestId('purpose-category')).toHaveLength(11);
  });

  it('lists the three default purposes in the register and makes a new version when a purpose changes', async () => {
    const mock = await server.vault([['anna', 'admin']]);
    await renderSignedIn(mock, 'anna');
    await fireEvent.click(screen.getByTestId('nav-register'));
    expect(await registerVersion()).toBe('1');
    const purposes = screen.getAllByTestId('register-purpose');
    expect(purposes.map((p) => p.getAttribute('data-key'))).toEqual(['sales', 'e-marketing', 'data-subject-rights']);
    expect(purposes[0].textContent).toContain('Sales and service');
    // An English window shows the English description only.
    expect(purposes[0].textContent).toContain('Offers, orders, customer service');
    expect(purposes[0].textContent).not.toContain('Angebote');
    expect(purposes[0].textContent).toContain('Art. 6(1)(b) GDPR (contract)');
    expect(purposes[1].textContent).toContain('Art. 6(1)(a) GDPR (consent)');
    expect(purposes[1].textContent).toContain('valid for 24 months');
    expect(purposes[2].textContent).toContain('Data-subject rights');
    expect(purposes[2].textContent).toContain('Art. 6(1)(c) GDPR (legal obligation)');
    const special = screen.getAllByTestId('register-category').find((c) => c.getAttribute('data-category') === 'special');
    expect(special?.textContent).toContain('No purpose');
    expect(special?.textContent).toContain('Sealed with its own key');
    expect(special?.textContent).toContain('Administrator, Data protection officer');
    expect(screen.getAllByTestId('register-category')).toHaveLength(11);
    expect(screen.getAllByTestId('register-measure').length).toBeGreaterThan(5);

    // Edit e-marketing: validity 12 months.
    await openSettingsPurposes();
    const row = screen.getAllByTestId('purpose-row').find((r) => r.getAttribute('data-key') === 'e-marketing') as HTMLElement;
    await fireEvent.click(within(row).getByTestId('purpose-edit'));
    // The key is shown, not editable.
    expect(document.querySelector('input#p-key')).toBeNull();
    expect(document.getElementById('p-key')?.textContent).toBe('e-marketing');
    expect(input('p-validity_months').value).toBe('24');
    await fireEvent.input(input('p-validity_months'), { target: { value: '12' } });
    await fireEvent.click(screen.getByTestId('purpose-save'));
    await waitFor(() => expect(document.body.textContent).toContain('The purpose “E-Marketing” was saved.'));

    await fireEvent.click(screen.getByTestId('nav-register'));
    expect(await registerVersion()).toBe('2');
    const now = screen.getAllByTestId('register-purpose')[1];
    expect(now.textContent).toContain('valid for 12 months');
    expect(screen.getByTestId('register-meta').textContent).toContain('by a change of anna');

    // The old version stays readable.
    const picker = screen.getByTestId('register-version') as HTMLSelectElement;
    expect([...picker.options].map((o) => o.value)).toEqual(['2', '1']);
    await fireEvent.change(picker, { target: { value: '1' } });
    await waitFor(() => expect(screen.getByTestId('register-meta').getAttribute('data-version')).toBe('1'));
    expect(screen.getAllByTestId('register-purpose')[1].textContent).toContain('valid for 24 months');

    // Saving without a change makes no new version.
    await openSettingsPurposes();
    const again = screen.getAllByTestId('purpose-row').find((r) => r.getAttribute('data-key') === 'sales') as HTMLElement;
    await fireEvent.click(within(again).getByTestId('purpose-edit'));
    await fireEvent.click(screen.getByTestId('purpose-save'));
    await waitFor(() => expect(document.body.textContent).toContain('The purpose “Sales and service” was saved.'));
    expect((await mock.registerVersions()).map((v) => v.version)).toEqual([1, 2]);
  });

  it('adds a purpose that then appears on contacts and in the register', async () => {
    const mock = await server.vault([['anna', 'admin']]);
    await renderSignedIn(mock, 'anna');
    await openSettingsPurposes();
    await fireEvent.click(screen.getByTestId('purpose-add'));
    await fireEvent.input(input('p-key'), { target: { value: 'events' } });
    await fireEvent.input(input('p-name_de'), { target: { value: 'Veranstaltungen' } });
    await fireEvent.input(input('p-name_en'), { target: { value: 'Events' } });
    await fireEvent.input(document.getElementById('p-recipients')!, { target: { value: 'Caterer\n\n  Hotel  ' } });
    await fireEvent.click(screen.getByTestId('purpose-save'));
    await waitFor(() => expect(screen.getAllByTestId('purpose-row')).toHaveLength(4));
    const saved = (await mock.listPurposes())[3];
    expect(saved).toEqual({
      key: 'events',
      name_de: 'Veranstaltungen',
      name_en: 'Events',
      description: '',
      description_en: '',
      basis: 'legitimate_interests',
      categories: ['identity', 'contact_details'],
      recipients: ['Caterer', 'Hotel'],
      consent_required: false,
      validity_months: null,
    });
    await fireEvent.click(screen.getByTestId('nav-register'));
    expect(await registerVersion()).toBe('2');
    expect(screen.getAllByTestId('register-purpose').map((p) => p.getAttribute('data-key'))).toEqual([
      'sales',
      'e-marketing',
      'data-subject-rights',
      'events',
    ]);
  });

  it('exports the shown register version as XLSX or HTML in either language', async () => {
    const mock = await server.vault([['ida', 'auditor']]);
    await renderSignedIn(mock, 'ida');
    await fireEvent.click(screen.getByTestId('nav-register'));
    await registerVersion();
    const spy = vi.spyOn(mock, 'exportRegister');
    await fireEvent.change(document.getElementById('reg-export-format')!, { target: { value: 'html' } });
    await fireEvent.change(document.getElementById('reg-export-lang')!, { target: { value: 'de' } });
    await fireEvent.click(screen.getByTestId('export-register'));
    expect((await screen.findByTestId('export-path')).textContent).toMatch(/\/exports\/verarbeitungsverzeichnis-v1-de\.html$/);
    expect(spy).toHaveBeenCalledWith(1, 'html', 'de');
    // A second export does not overwrite the first.
    await fireEvent.click(screen.getByTestId('export-register'));
    await waitFor(() =>
      expect(screen.getByTestId('export-path').textContent).toMatch(/\/exports\/verarbeitungsverzeichnis-v1-de-2\.html$/),
    );
    // The auditor sees purposes but cannot change them.
    await fireEvent.click(screen.getByTestId('nav-settings'));
    await waitFor(() => expect(screen.getAllByTestId('purpose-row')).toHaveLength(3));
    expect(screen.queryByTestId('purpose-add')).toBeNull();
    expect(screen.queryByTestId('purpose-edit')).toBeNull();
  });
});
