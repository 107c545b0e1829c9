import { describe, expect, it, vi } from 'vitest';
import { PageCache } from './page-cache';
import type { ContactPage } from './types';

function source(total: number) {
  const fetch = vi.fn(
    async (offset: number, limit: number): Promise<ContactPage> => ({
      total,
      rows: Array.from({ length: Math.max(0, Math.min(limit, total - offset)) }, (_, i) => ({
        id: `id-${offset + i}`,
        kind: 'person' as const,
        display: `Person ${offset + i}`,
        company: null,
        email: null,
        phone: null,
        city: null,
        last_contact: null,
        tags: [],
        restricted: false,
      })),
    }),
  );
  return fetch;
}

describe('PageCache', () => {
  it('fetches only the pages under the window, once', async () => {
    const fetch = source(100_000);
    const changed = vi.fn();
    const cache = new PageCache(fetch, changed, () => {}, 200, 50);
    cache.ensure(0, 30);
    cache.ensure(10, 40);
    await cache.settled();
    expect(fetch).toHaveBeenCalledTimes(1);
    expect(cache.total).toBe(100_000);
    expect(cache.row(29)?.display).toBe('Person 29');
    cache.ensure(390, 410);
    await cache.settled();
    expect(fetch.mock.calls.map((c) => c[0])).toEqual([0, 200, 400]);
    expect(cache.row(405)?.id).toBe('id-405');
    expect(changed).toHaveBeenCalledTimes(3);
  });

  it('keeps at most maxPages, dropping the least recently used', async () => {
    const fetch = source(10_000);
    const cache = new PageCache(fetch, () => {}, () => {}, 100, 3);
    for (const p of [0, 1, 2]) cache.ensure(p * 100, p * 100 + 1);
    await cache.settled();
    cache.ensure(0, 1); // page 0 used again
    cache.ensure(300, 301);
    await cache.settled();
    expect(cache.loadedPages).toBe(3);
    expect(cache.row(0)).toBeDefined();
    expect(cache.row(100)).toBeUndefined();
  });

  it('ignores answers that arrive after clear()', async () => {
    const fetch = source(1000);
    const changed = vi.fn();
    const cache = new PageCache(fetch, changed, () => {}, 100, 10);
    cache.ensure(0, 10);
    cache.clear();
    await Promise.resolve();
    await new Promise((r) => setTimeout(r, 0));
    expect(cache.row(0)).toBeUndefined();
    expect(changed).not.toHaveBeenCalled();
  });
});
