import { fireEvent, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it, vi } from 'vitest';
import { readFileSync } from 'node:fs';
import { byTestId, openBySearch, renderSignedIn } from './helpers';
import { addPerson, as, useServer } from './server';

const server = useServer();
/** The core's default sources, read from a fresh vault. */
let DEFAULT_SOURCES: string[] = [];

async function seeded() {
  const mock = await server.vault([
    ['anna', 'admin'],
    ['carl', 'agent'],
    ['dora', 'dpo'],
    ['sam', 'sales'],
  ]);
  const id = await addPerson(mock, 'anna', { given_name: 'Erika', family_name: 'Mustermann', emails: ['erika@example.de'] });
  DEFAULT_SOURCES = await as(mock, 'anna', (b) => b.consentSources());
  return { mock, id };
}

/** Opens Settings and waits for the list of consent sources. */
async function openSources(): Promise<HTMLElement> {
  await fireEvent.click(screen.getByTestId('nav-settings'));
  const list = await screen.findByTestId('sources-list');
  await waitFor(() => expect(within(list).getAllByTestId('source-row').length).toBeGreaterThan(0));
  return list;
}

function rows(): string[] {
  return byTestId('source-row').map((r) => r.getAttribute('data-source') ?? '');
}

async function addSource(text: string) {
  await fireEvent.input(screen.getByTestId('source-add-input'), { target: { value: text } });
  await fireEvent.click(screen.getByTestId('source-add'));
}

/** Opens a person's consents and the form to record one. */
async function openGive(id: string) {
  await openBySearch('mustermann', id, fireEvent);
  await fireEvent.click(screen.getByTestId('tab-consents'));
  await screen.findByTestId('give-consent');
  await fireEvent.click(screen.getByTestId('give-consent'));
  return screen.getByTestId('consent-evidence-file') as HTMLInputElement;
}

describe('consent sources in the settings', () => {
  it('adds, removes and saves the sources; the consent form offers the saved list', async () => {
    const { mock, id } = await seeded();
    await renderSignedIn(mock, 'dora');
    await openSources();
    expect(rows()).toEqual([...DEFAULT_SOURCES]);

    await addSource('  Trade Fair ');
    expect(rows().at(-1)).toBe('trade_fair');
    expect((screen.getByTestId('source-add-input') as HTMLInputElement).value).toBe('');
    const gone = DEFAULT_SOURCES.at(-1)!;
    await fireEvent.click(document.querySelector(`[data-testid="source-remove"][data-source="${gone}"]`) as HTMLElement);
    expect(rows()).not.toContain(gone);
    // Nothing is stored before Save.
    expect(await mock.consentSources()).toContain(gone);

    const save = vi.spyOn(mock, 'setConsentSources');
    await fireEvent.click(screen.getByTestId('sources-save'));
    expect((await screen.findByTestId('sources-notice')).textContent).toBe('The sources were saved.');
    const expected = [...DEFAULT_SOURCES.filter((s) => s !== gone), 'trade_fair'];
    expect(save).toHaveBeenCalledWith(expected);
    expect(await mock.consentSources()).toEqual(expected);
    expect(rows()).toEqual(expected);

    // Recording a consent offers exactly the saved sources.
    await fireEvent.click(screen.getByTestId('nav-contacts'));
    await openGive(id);
    const options = [...(document.getElementById('cg-source') as HTMLSelectElement).options].map((o) => o.value);
    expect(options).toEqual(expected);
  });

  it('refuses an empty or repeated source next to the input, and an empty list before sending', async () => {
    const { mock } = await seeded();
    await renderSignedIn(mock, 'anna');
    await openSources();
    const input = screen.getByTestId('source-add-input');

    await addSource('Web Form');
    let error = screen.getByTestId('error-sources');
    expect(error.textContent).toBe('This source is in the list already.');
    expect(input.closest('.field')?.contains(error)).toBe(true);
    expect(input.getAttribute('aria-invalid')).toBe('true');
    expect(rows()).toEqual([...DEFAULT_SOURCES]);

    await addSource('   ');
    expect(screen.getByTestId('error-sources').textContent).toBe('Use 1–40 characters.');
    await addSource('x'.repeat(41));
    expect(screen.getByTestId('error-sources').textContent).toBe('Use 1–40 characters.');
    expect(rows()).toEqual([...DEFAULT_SOURCES]);

    await addSource('Messe');
    expect(screen.queryByTestId('error-sources')).toBeNull();
    expect(rows().at(-1)).toBe('messe');

    const save = vi.spyOn(mock, 'setConsentSources');
    for (const b of byTestId('source-remove')) await fireEvent.click(b);
    expect(rows()).toEqual([]);
    await fireEvent.click(screen.getByTestId('sources-save'));
    error = screen.getByTestId('error-sources');
    expect(error.textContent).toBe('Keep at least one source.');
    expect(save).not.toHaveBeenCalled();
    expect(await mock.consentSources()).toEqual([...DEFAULT_SOURCES]);

    // The core's refusal lands next to the input too.
    await addSource('ok');
    save.mockRejectedValueOnce({ code: 'invalid', message: 'sources: a source is 1–40 characters', field: 'sources' });
    await fireEvent.click(screen.getByTestId('sources-save'));
    expect((await screen.findByTestId('error-sources')).textContent).toBe('Use 1–40 characters.');
    expect(save).toHaveBeenCalledTimes(1);
  });

  it('shows no sources editor to a role that may not manage purposes', async () => {
    const { mock } = await seeded();
    const list = vi.spyOn(mock, 'consentSources');
    await renderSignedIn(mock, 'carl');
    await fireEvent.click(screen.getByTestId('nav-settings'));
    await waitFor(() => expect(screen.getAllByTestId('purpose-row')).toHaveLength(3));
    expect(screen.queryByTestId('sources-list')).toBeNull();
    expect(screen.queryByTestId('source-add-input')).toBeNull();
    expect(screen.queryByTestId('sources-save')).toBeNull();
    expect(list).not.toHaveBeenCalled();
  });
});

describe('evidence files with a consent', () => {
  it('sends a picked file with the consent, lists it in the history and saves it to the export folder', async () => {
    const { mock, id } = await seeded();
    await renderSignedIn(mock, 'sam');
    const input = await openGive(id);
    const content = '%PDF-1.7 signed form';
    const give = vi.spyOn(mock, 'giveConsent');
    await fireEvent.change(input, { target: { files: [new File([content], 'Einwilligung Messe.pdf', { type: 'application/pdf' })] } });
    await fireEvent.click(screen.getByTestId('consent-save'));

    const entry = await screen.findByTestId('consent-entry');
    expect(give).toHaveBeenCalledWith(id, expect.objectContaining({ purpose: 'e-marketing' }), {
      name: 'Einwilligung Messe.pdf',
      dataBase64: btoa(content),
    });
    expect(within(entry).getByTestId('evidence-file-name').textContent).toBe('File: Einwilligung Messe.pdf (20 B)');

    const save = vi.spyOn(mock, 'saveEvidence');
    expect(within(entry).queryByTestId('export-path')).toBeNull();
    await fireEvent.click(within(entry).getByTestId('evidence-save'));
    const path = await within(entry).findByTestId('export-path');
    expect(path.textContent).toMatch(/\/exports\/einwilligung-messe\.pdf$/);
    // The file the core kept is the file that was picked.
    expect(readFileSync(path.textContent!, 'utf8')).toBe(content);
    expect(save).toHaveBeenCalledWith((await mock.legalBasis(id)).history[0].id);
  });

  it('records a consent without a file as before', async () => {
    const { mock, id } = await seeded();
    await renderSignedIn(mock, 'sam');
    await openGive(id);
    const give = vi.spyOn(mock, 'giveConsent');
    await fireEvent.click(screen.getByTestId('consent-save'));
    await screen.findByTestId('consent-entry');
    expect(give.mock.calls[0][2]).toBeNull();
    expect(screen.queryByTestId('evidence-file')).toBeNull();
    expect(screen.queryByTestId('evidence-save')).toBeNull();
  });

  it('refuses a file over 20 MB next to the input without calling the backend', async () => {
    const { mock, id } = await seeded();
    await renderSignedIn(mock, 'sam');
    const input = await openGive(id);
    const big = new File(['x'], 'huge.tif');
    Object.defineProperty(big, 'size', { value: 20 * 1024 * 1024 + 1 });
    const give = vi.spyOn(mock, 'giveConsent');
    await fireEvent.change(input, { target: { files: [big] } });
    const error = screen.getByTestId('error-cg-evidence-file');
    expect(error.textContent).toBe('The file is larger than 20 MB.');
    expect(input.closest('.field')?.contains(error)).toBe(true);
    expect(input.getAttribute('aria-invalid')).toBe('true');

    await fireEvent.click(screen.getByTestId('consent-save'));
    expect(screen.getByTestId('error-cg-evidence-file').textContent).toBe('The file is larger than 20 MB.');
    expect(document.activeElement).toBe(input);
    await new Promise((r) => setTimeout(r, 20));
    expect(give).not.toHaveBeenCalled();
    expect((await mock.legalBasis(id)).history).toEqual([]);

    // A smaller file clears the error and goes through.
    await fireEvent.change(input, { target: { files: [new File(['ok'], 'ok.png')] } });
    expect(screen.queryByTestId('error-cg-evidence-file')).toBeNull();
    await fireEvent.click(screen.getByTestId('consent-save'));
    await screen.findByTestId('consent-entry');
    expect(give).toHaveBeenCalledTimes(1);
  });
});
