import { fireEvent, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { byTestId, mockWith, renderSignedIn } from './helpers';

const ROW = 52;

function rows() {
  return byTestId('contact-row');
}

function viewport() {
  return document.getElementById('contact-listbox') as HTMLDivElement;
}

describe('contact list with 100,000 contacts', () => {
  const mock = mockWith([['anna', 'admin']], { people: 100_000 });

  it('renders only a small window of rows, fetches pages on demand, and filters by search', async () => {
    const calls = mock.calls.length;
    await renderSignedIn(mock, 'anna');
    await waitFor(() => expect(screen.getByTestId('contact-count').textContent).toBe('100000'));
    await waitFor(() => expect(rows().length).toBeGreaterThan(5));

    const first = rows();
    expect(first.length).toBeLessThan(100);
    // Rows carry their id and show the display name.
    expect(first[0].getAttribute('data-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(first[0].textContent?.trim().length).toBeGreaterThan(0);
    // The scroll area is as tall as all rows together.
    const spacer = viewport().firstElementChild as HTMLElement;
    expect(spacer.style.height).toBe(`${100_000 * ROW}px`);
    // Only one page was fetched so far.
    const listed = mock.calls.slice(calls).filter((c) => c === 'list_contacts').length;
    expect(listed).toBe(1);

    // Scroll to the middle: the rows there are fetched and rendered, still only a window.
    viewport().scrollTop = 50_000 * ROW;
    await fireEvent.scroll(viewport());
    await waitFor(() => {
      const positions = rows().map((r) => Number(r.getAttribute('aria-posinset')));
      expect(positions).toContain(50_001);
    });
    expect(rows().length).toBeLessThan(100);
    // The window straddles two pages (200 rows each): 1 + 2 fetches, not 500.
    expect(mock.calls.slice(calls).filter((c) => c === 'list_contacts').length).toBe(3);

    // Type-ahead search shows only matches.
    const search = document.getElementById('search') as HTMLInputElement;
    await fireEvent.input(search, { target: { value: 'yilm' } });
    await waitFor(() => {
      const found = rows();
      expect(found.length).toBeGreaterThan(0);
      for (const r of found) expect(r.textContent?.toLowerCase()).toContain('yilmaz');
    });
    expect(rows().length).toBeLessThan(100);
    expect(document.querySelector('.counts')?.textContent).toContain('200 results');

    // Escape clears the search and the full list returns.
    await fireEvent.keyDown(search, { key: 'Escape' });
    expect(search.value).toBe('');
    await waitFor(() => expect(rows().some((r) => !r.textContent?.toLowerCase().includes('yilmaz'))).toBe(true));
  });

  it('moves the selection with the arrow keys and opens with Enter', async () => {
    await renderSignedIn(mock, 'anna');
    await waitFor(() => expect(rows().length).toBeGreaterThan(5));
    const list = viewport();
    list.focus();
    expect(rows()[0].getAttribute('aria-selected')).toBe('true');
    await fireEvent.keyDown(list, { key: 'ArrowDown' });
    await fireEvent.keyDown(list, { key: 'ArrowDown' });
    await fireEvent.keyDown(list, { key: 'ArrowUp' });
    const selected = rows().filter((r) => r.getAttribute('aria-selected') === 'true');
    expect(selected).toHaveLength(1);
    expect(selected[0].getAttribute('aria-posinset')).toBe('2');
    expect(list.getAttribute('aria-activedescendant')).toBe(selected[0].id);

    await fireEvent.keyDown(list, { key: 'Enter' });
    const detail = await screen.findByTestId('contact-detail');
    await waitFor(() => expect(detail.querySelector('h2')?.textContent).toBe(selected[0].querySelector('.name')?.textContent));
  });

  it('focuses the search box with "/" and sorts search results on the client', async () => {
    await renderSignedIn(mock, 'anna');
    await waitFor(() => expect(rows().length).toBeGreaterThan(5));
    await fireEvent.keyDown(document.body, { key: '/' });
    const search = document.getElementById('search') as HTMLInputElement;
    expect(document.activeElement).toBe(search);

    const sort = document.getElementById('sort') as HTMLSelectElement;
    expect(sort.disabled).toBe(true);
    await fireEvent.input(search, { target: { value: 'anna' } });
    await waitFor(() => expect(sort.disabled).toBe(false));
    await fireEvent.change(sort, { target: { value: 'email' } });
    await waitFor(() => {
      const emails = rows().map((r) => r.querySelector('.email')?.textContent ?? '');
      const sorted = [...emails].sort((a, b) => a.localeCompare(b, 'en', { sensitivity: 'base', numeric: true }));
      expect(emails.length).toBeGreaterThan(3);
      expect(emails).toEqual(sorted);
    });
  });
});
