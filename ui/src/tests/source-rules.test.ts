// Guards the security rules of the UI source (CSP: default-src 'self';
// script-src 'self'; style-src 'self'): no HTML parsing of strings, no
// inline style attributes, no remote resources, no links built from data.
import { describe, expect, it } from 'vitest';

// Every source file of the app as text (tests and generated bindings excluded).
const raw = import.meta.glob(['../**/*.{ts,svelte,css}', '!../tests/**', '!../lib/bindings/**', '!../**/*.test.ts'], {
  query: '?raw',
  import: 'default',
  eager: true,
}) as Record<string, string>;

const sources = Object.entries(raw).map(([path, text]) => ({ path, text }));

describe('source rules', () => {
  it('finds the sources', () => {
    expect(sources.length).toBeGreaterThan(20);
  });

  const forbidden: [string, RegExp][] = [
    ['innerHTML', /\binnerHTML\b/],
    ['outerHTML', /\bouterHTML\b/],
    ['insertAdjacentHTML', /insertAdjacentHTML/],
    ['{@html}', /\{@html/],
    ['eval', /\beval\s*\(|new Function\s*\(/],
    ['document.write', /document\.write/],
    ['style attribute', /<[a-z][^>]*\sstyle\s*=\s*["'{]/i],
    ['remote URL', /(?:src|href|url)\s*[=(]\s*["']?(?:https?:)?\/\//i],
    ['@import of remote CSS', /@import\s+(?:url\()?["']?https?:/i],
  ];

  for (const [name, pattern] of forbidden) {
    it(`uses no ${name}`, () => {
      const hits = sources.filter((s) => pattern.test(s.text)).map((s) => s.path);
      expect(hits).toEqual([]);
    });
  }

  it('builds no href from data (only fixed in-page anchors)', () => {
    for (const s of sources.filter((x) => x.path.endsWith('.svelte'))) {
      for (const m of s.text.matchAll(/\shref=(\{[^}]*\}|"[^"]*")/g)) {
        expect(m[1], s.path).toMatch(/^"#[\w-]+"$/);
      }
    }
  });
});
