// A change of any follow-up, anywhere in the window: the navigation's
// count and the lists that show follow-ups load again when it moves.
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
