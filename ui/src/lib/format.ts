// Formatting record values as plain text (never markup).
import { locale, salutationLabel } from './i18n';
import type { FieldValue } from './types';

/** The values of a field as strings (a list field may hold several). */
export function valueList(v: FieldValue): string[] {
  if (v.state !== 'value') return [];
  const raw: unknown = v.value;
  if (Array.isArray(raw)) return raw.map((x) => (typeof x === 'string' ? x : JSON.stringify(x)));
  if (raw === null || raw === undefined) return [];
  return [typeof raw === 'string' ? raw : JSON.stringify(raw)];
}

/** A readable field value as one text; addresses are separated by blank lines (shown with pre-line). */
export function valueText(name: string, v: FieldValue): string {
  const list = valueList(v);
  if (name === 'addresses') return list.join('\n\n');
  if (name === 'salutation' && list.length === 1) return salutationLabel(list[0]);
  if (name === 'birthday' && list.length === 1) return birthdayText(list[0]);
  return list.join(', ');
}

export function parseTime(iso: string): Date | null {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? null : d;
}

export function formatDateTime(iso: string): string {
  const d = parseTime(iso);
  if (!d) return iso;
  return new Intl.DateTimeFormat(locale(), { dateStyle: 'medium', timeStyle: 'short' }).format(d);
}

/** A date; a bare calendar day (`YYYY-MM-DD`) stays that day west of UTC too. */
export function formatDate(iso: string): string {
  if (/^\d{4}-\d{2}-\d{2}$/.test(iso)) return formatDay(iso);
  const d = parseTime(iso);
  if (!d) return iso;
  return new Intl.DateTimeFormat(locale(), { dateStyle: 'medium' }).format(d);
}

/** Now as `YYYY-MM-DDTHH:MM` in local time, for datetime-local inputs. */
export function localDateTimeNow(now: Date = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${now.getFullYear()}-${p(now.getMonth() + 1)}-${p(now.getDate())}T${p(now.getHours())}:${p(now.getMinutes())}`;
}

/** A file size in bytes, KB or MB (1 KB = 1024 bytes), in the current language. */
export function formatSize(bytes: number): string {
  const n = (value: number, digits: number) =>
    new Intl.NumberFormat(locale(), { maximumFractionDigits: digits }).format(value);
  if (bytes < 1024) return `${n(bytes, 0)} B`;
  if (bytes < 1024 * 1024) return `${n(bytes / 1024, 1)} KB`;
  return `${n(bytes / (1024 * 1024), 1)} MB`;
}

/** A calendar day (`YYYY-MM-DD`) as the locale writes it, the same day in every time zone. */
export function formatDay(day: string): string {
  const d = parseTime(`${day}T00:00:00Z`);
  if (!d) return day;
  return new Intl.DateTimeFormat(locale(), { dateStyle: 'medium', timeZone: 'UTC' }).format(d);
}

/** A birthday as stored: a day, or `--MM-DD` without the year ("12. April"). */
export function birthdayText(value: string): string {
  const m = /^--(\d{2})-(\d{2})$/.exec(value);
  if (!m) return value;
  const d = parseTime(`2000-${m[1]}-${m[2]}T00:00:00Z`);
  if (!d) return value;
  return new Intl.DateTimeFormat(locale(), { day: 'numeric', month: 'long', timeZone: 'UTC' }).format(d);
}
