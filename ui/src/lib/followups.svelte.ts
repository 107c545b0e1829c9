// A change of any follow-up, anywhere in the window: the navigation's
// count and the lists that show follow-ups load again when it moves.
import type { Backend } from './backend';
import { toIpcError } from './backend';
import type { FollowUp, FollowUpFilter, IpcError } from './types';

export const followupChanges = $state({ n: 0 });

export function followupsChanged(): void {
  followupChanges.n += 1;
}

/** The days a follow-up can be set to in one choice; the core counts them from its own today. */
export const DUE_CHOICES = ['today', 'tomorrow', '+3', '+7', '+14'] as const;

/**
 * A list loaded again after a change: the rows the core sent, and after them
 * the ones just marked done in this list (they leave the core's list of open
 * ones, but stay in view with their undo until the list is left).
 */
export function keepJustDone<T extends { id: string; state: string }>(shown: T[] | null, loaded: T[]): T[] {
  const done = (shown ?? []).filter((f) => f.state === 'done' && !loaded.some((r) => r.id === f.id));
  return [...loaded, ...done];
}

/**
 * One list of follow-ups as a view shows it: loaded for a filter (again on
 * every change of a follow-up anywhere), rows changed in place, the ones
 * just marked done kept while the filter stays the same.
 */
export class FollowUpRows {
  items = $state.raw<FollowUp[] | null>(null);
  error = $state<IpcError | null>(null);
  #shown = '';

  /** Loads the rows for `filter`; call it in an `$effect` and return what it returns. */
  load(backend: Backend, filter: FollowUpFilter): () => void {
    void followupChanges.n;
    const key = JSON.stringify(filter);
    let alive = true;
    this.error = null;
    backend.listFollowups(filter).then(
      (rows) => {
        if (!alive) return;
        this.items = key === this.#shown ? keepJustDone(this.items, rows) : rows;
        this.#shown = key;
      },
      (e: unknown) => {
        if (alive) this.error = toIpcError(e);
      },
    );
    return () => {
      alive = false;
    };
  }

  /** A row changed (done, reopened, put off). */
  changed(next: FollowUp): void {
    this.items = (this.items ?? []).map((f) => (f.id === next.id ? next : f));
  }
}
