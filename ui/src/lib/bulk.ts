// Bulk actions on the selected people: which one, and the words for what
// it did. The core checks each person as if the action were done alone.
import { t } from './i18n';
import type { BulkReport, DirectoryRow } from './types';

export type BulkMode = 'tag' | 'untag' | 'followup' | 'request';

/** Tags as typed: comma- or semicolon-separated, trimmed, no empties. */
export function parseTags(text: string): string[] {
  return text
    .split(/[,;]/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** One line for the report of a bulk action. */
export function bulkSummary(mode: BulkMode, r: BulkReport): string {
  const parts = [t(`bulk.done_${mode}`, { n: r.done.length })];
  if (r.unchanged.length > 0) parts.push(t(mode === 'untag' ? 'bulk.unchanged_untag' : 'bulk.unchanged', { n: r.unchanged.length }));
  if (r.skipped.length > 0) parts.push(t('bulk.skipped', { n: r.skipped.length }));
  return parts.join(' · ');
}

/** The name of a selected record, for the list of those skipped. */
export function nameOf(selected: Map<string, DirectoryRow>, id: string): string {
  return selected.get(id)?.display ?? id;
}
