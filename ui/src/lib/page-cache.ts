// Pages of the contact list, fetched on demand and kept in a bounded cache.
// It lives inside the contact list component: when the app locks, the
// component goes away and so does every row it fetched.
import type { ContactPage, DirectoryRow } from './types';

export const PAGE_SIZE = 200;
/** Pages kept (least recently used go first): 50 × 200 = 10,000 rows. */
export const MAX_PAGES = 50;

export type FetchPage = (offset: number, limit: number) => Promise<ContactPage>;

export class PageCache {
  private pages = new Map<number, DirectoryRow[]>();
  private pending = new Map<number, Promise<void>>();
  private generation = 0;
  total: number | null = null;

  constructor(
    private readonly fetchPage: FetchPage,
    /** Called when a page arrived (or the total changed). */
    private readonly onChange: () => void,
    /** Called when a fetch failed. */
    private readonly onError: (e: unknown) => void,
    readonly pageSize = PAGE_SIZE,
    readonly maxPages = MAX_PAGES,
  ) {}

  /** The row at an index, if its page is loaded. */
  row(index: number): DirectoryRow | undefined {
    const page = this.pages.get(Math.floor(index / this.pageSize));
    return page?.[index % this.pageSize];
  }

  /** Makes sure the pages covering [from, to) are loaded or loading. */
  ensure(from: number, to: number): void {
    const first = Math.max(0, Math.floor(from / this.pageSize));
    const last = Math.max(first, Math.floor(Math.max(from, to - 1) / this.pageSize));
    for (let p = first; p <= last; p++) {
      if (this.total !== null && p * this.pageSize >= this.total && p > 0) break;
      const page = this.pages.get(p);
      if (page) {
        // Mark as recently used.
        this.pages.delete(p);
        this.pages.set(p, page);
      } else if (!this.pending.has(p)) {
        this.load(p);
      }
    }
  }

  private load(p: number): void {
    const gen = this.generation;
    const promise = this.fetchPage(p * this.pageSize, this.pageSize)
      .then((res) => {
        if (gen !== this.generation) return;
        this.pages.set(p, res.rows);
        this.total = res.total;
        while (this.pages.size > this.maxPages) {
          const oldest = this.pages.keys().next().value;
          if (oldest === undefined) break;
          this.pages.delete(oldest);
        }
        this.onChange();
      })
      .catch((e: unknown) => {
        if (gen === this.generation) this.onError(e);
      })
      .finally(() => {
        if (gen === this.generation) this.pending.delete(p);
      });
    this.pending.set(p, promise);
  }

  /** Forgets every row (after a change, or when the list goes away). */
  clear(): void {
    this.generation += 1;
    this.pages.clear();
    this.pending.clear();
  }

  /** Waits for the fetches under way (tests). */
  async settled(): Promise<void> {
    await Promise.all([...this.pending.values()]);
  }

  get loadedPages(): number {
    return this.pages.size;
  }
}
