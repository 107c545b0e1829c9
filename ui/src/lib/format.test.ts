import { afterEach, describe, expect, it } from 'vitest';
import { birthdayText, formatDate, formatDay, valueText } from './format';
import { locale } from './i18n';

const zone = process.env.TZ;

function utcDay(y: number, m: number, d: number): string {
  return new Intl.DateTimeFormat(locale(), { dateStyle: 'medium', timeZone: 'UTC' }).format(Date.UTC(y, m - 1, d));
}

describe('dates', () => {
  afterEach(() => {
    process.env.TZ = zone;
  });

  it('shows a calendar day as that day in a time zone west of UTC', () => {
    process.env.TZ = 'America/New_York';
    // 2026-06-01 at UTC midnight is still 31 May in New York.
    expect(new Date('2026-06-01').getDate()).toBe(31);
    expect(formatDate('2026-06-01')).toBe(utcDay(2026, 6, 1));
    expect(formatDay('2026-06-01')).toBe(utcDay(2026, 6, 1));
    // A moment stays a moment, shown in the local zone.
    expect(formatDate('2026-06-01T02:00:00Z')).toBe(utcDay(2026, 5, 31));
  });

  it('shows a birthday without its year as a day of a month, and a full one as stored', () => {
    const shown = birthdayText('--04-12');
    expect(shown).toContain('April');
    expect(shown).toContain('12');
    expect(shown).not.toContain('--');
    expect(valueText('birthday', { state: 'value', value: '--04-12' })).toBe(shown);
    expect(valueText('birthday', { state: 'value', value: '1980-12-31' })).toBe('1980-12-31');
    expect(birthdayText('--13-40')).toBe('--13-40');
  });
});
