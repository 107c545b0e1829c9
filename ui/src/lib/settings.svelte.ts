// User preferences (no record data): language and auto-lock delay,
// persisted in localStorage.
import type { Lang } from './types';

export const STORAGE_KEY = 'tresor.settings';
export const AUTOLOCK_MIN = 1;
export const AUTOLOCK_MAX = 120;
export const AUTOLOCK_DEFAULT = 5;

export interface Settings {
  lang: Lang;
  autolockMinutes: number;
}

export function browserLang(): Lang {
  const langs = typeof navigator !== 'undefined' ? [...(navigator.languages ?? []), navigator.language] : [];
  const first = langs.find((l) => typeof l === 'string' && l.length > 0);
  return first?.toLowerCase().startsWith('de') ? 'de' : 'en';
}

export function clampMinutes(n: number): number {
  if (!Number.isFinite(n)) return AUTOLOCK_DEFAULT;
  return Math.min(AUTOLOCK_MAX, Math.max(AUTOLOCK_MIN, Math.round(n)));
}

function load(): Settings {
  const fallback: Settings = { lang: browserLang(), autolockMinutes: AUTOLOCK_DEFAULT };
  try {
    const raw = globalThis.localStorage?.getItem(STORAGE_KEY);
    if (!raw) return fallback;
    const parsed = JSON.parse(raw) as Partial<Settings>;
    return {
      lang: parsed.lang === 'de' || parsed.lang === 'en' ? parsed.lang : fallback.lang,
      autolockMinutes:
        typeof parsed.autolockMinutes === 'number' ? clampMinutes(parsed.autolockMinutes) : fallback.autolockMinutes,
    };
  } catch {
    return fallback;
  }
}

export const settings: Settings = $state(load());

export function saveSettings(): void {
  try {
    globalThis.localStorage?.setItem(
      STORAGE_KEY,
      JSON.stringify({ lang: settings.lang, autolockMinutes: settings.autolockMinutes }),
    );
  } catch {
    // Storage may be unavailable; the settings still apply for this run.
  }
}

export function setLang(lang: Lang): void {
  settings.lang = lang;
  if (typeof document !== 'undefined') document.documentElement.lang = lang;
  saveSettings();
}

export function setAutolock(minutes: number): void {
  settings.autolockMinutes = clampMinutes(minutes);
  saveSettings();
}

/** Re-reads the stored settings (tests start from a clean slate with this). */
export function reloadSettings(): void {
  const s = load();
  settings.lang = s.lang;
  settings.autolockMinutes = s.autolockMinutes;
}
