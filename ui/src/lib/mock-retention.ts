// Retention for the in-memory mock: the core's default rules, legal holds,
// a preview of people whose recorded last contact is older than the people
// rule, a sweep that removes them, and the deletion log (counts only).
import type { DeletionLogEntry, DueItem, HeldPerson, Hold, Lang, RetentionRule } from './types';

const rule = (
  key: RetentionRule['key'],
  category: RetentionRule['category'],
  kind: RetentionRule['kind'],
  period: string,
  from: RetentionRule['from'],
  yearEnd: boolean,
  law: string | null,
  de: string,
  en: string,
): RetentionRule => ({
  key,
  category,
  kind,
  period,
  from,
  year_end: yearEnd,
  action: 'delete',
  law,
  reason_de: de,
  reason_en: en,
  changed_by: null,
  changed_at: null,
});

/** The core's defaults (retention.rs). */
export function defaultRules(): RetentionRule[] {
  return [
    rule('people', 'identity', 'person', '2y', 'last-contact', false, null,
      'Personen ohne Kontakt seit 2 Jahren werden gelöscht; ihre Rechnungen und Geschäftsbriefe bleiben gesperrt bis zum Ende der gesetzlichen Frist.',
      'People with no contact for 2 years are deleted; their invoices and business letters stay, restricted, until their legal period ends.'),
    rule('communication', 'communication', 'interaction', '3y', 'creation', true, null,
      'Notizen zu Anrufen, Terminen und E-Mails gehen nach 3 Jahren ab Jahresende (regelmäßige Verjährung, §§ 195, 199 BGB).',
      'Records of calls, meetings and emails go 3 years after the end of their year (regular limitation period, BGB §§ 195, 199).'),
    rule('business-letters', 'communication', 'interaction', '6y', 'creation', true,
      'HGB §257 Abs. 1 Nr. 2–3, Abs. 4; AO §147 Abs. 1 Nr. 2–3, Abs. 3',
      'Geschäftsbriefe sind 6 Jahre ab Ende des Kalenderjahres aufzubewahren und werden danach gelöscht.',
      'Business letters must be kept 6 years from the end of their calendar year and are deleted afterwards.'),
    rule('invoices', 'communication', 'interaction', '8y', 'creation', true,
      'HGB §257 Abs. 1 Nr. 4, Abs. 4; AO §147 Abs. 1 Nr. 4, Abs. 3',
      'Rechnungen (Buchungsbelege) sind 8 Jahre ab Ende des Kalenderjahres aufzubewahren und werden danach gelöscht.',
      'Invoices (booking vouchers) must be kept 8 years from the end of their calendar year and are deleted afterwards.'),
    rule('consent', 'consent', 'person', '1m', 'consent-withdrawal', false, null,
      'Wer nur wegen einer Einwilligung gespeichert ist (kein Kontakt, kein Geschäft), wird einen Monat nach dem Widerruf gelöscht.',
      'People kept only because of a consent (no contact, no business) are deleted one month after they withdraw it.'),
    rule('requests', 'requests', 'request', '3y', 'creation', true, null,
      'Betroffenenanfragen bleiben als Nachweis 3 Jahre ab Jahresende (§§ 195, 199 BGB), dann werden sie gelöscht.',
      'Data-subject requests stay as evidence for 3 years after the end of their year (BGB §§ 195, 199), then they are deleted.'),
  ];
}

export interface RetentionPerson {
  id: string;
  display: string;
  /** YYYY-MM-DD, if recorded. */
  lastContact: string | null;
}

export class MockRetention {
  readonly rules = defaultRules();
  readonly holds = new Map<string, Hold>();
  readonly log: DeletionLogEntry[] = [];

  /** People whose recorded last contact plus two years falls before `until`. */
  due(people: Iterable<RetentionPerson>, until: Date, lang: Lang): DueItem[] {
    const people_rule = this.rules[0];
    const out: DueItem[] = [];
    for (const p of people) {
      if (!p.lastContact) continue;
      const due = new Date(`${p.lastContact}T00:00:00Z`);
      due.setUTCFullYear(due.getUTCFullYear() + 2);
      if (due > until) continue;
      out.push({
        record: p.id,
        kind: 'person',
        person: p.id,
        display: p.display,
        rule: 'people',
        due: due.toISOString().slice(0, 10),
        action: 'delete',
        reason: lang === 'de' ? people_rule.reason_de : people_rule.reason_en,
        held: this.holds.get(p.id)?.active ?? false,
      });
    }
    return out.sort((a, b) => a.due.localeCompare(b.due));
  }

  held(names: (id: string) => string): HeldPerson[] {
    return [...this.holds.entries()]
      .filter(([, h]) => h.active)
      .map(([person, hold]) => ({ person, display: names(person), hold }));
  }
}
