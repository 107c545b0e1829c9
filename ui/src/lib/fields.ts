// The person fields the forms edit, with their data category and shape
// (mirrors the core's catalogue; the core stays the judge).
import type { Category } from './types';

export type FieldShape = 'text' | 'long' | 'list' | 'addresses' | 'date' | 'language' | 'salutation';

export interface PersonField {
  name: string;
  category: Category;
  shape: FieldShape;
  /** Per item for lists. */
  max: number;
  label_de: string;
  label_en: string;
}

export const PERSON_FIELDS: readonly PersonField[] = [
  { name: 'salutation', category: 'identity', shape: 'salutation', max: 10, label_de: 'Anrede', label_en: 'Salutation' },
  { name: 'title', category: 'identity', shape: 'text', max: 500, label_de: 'Titel', label_en: 'Title' },
  { name: 'given_name', category: 'identity', shape: 'text', max: 500, label_de: 'Vorname', label_en: 'Given name' },
  { name: 'family_name', category: 'identity', shape: 'text', max: 500, label_de: 'Nachname', label_en: 'Family name' },
  { name: 'birthday', category: 'identity', shape: 'date', max: 10, label_de: 'Geburtstag', label_en: 'Birthday' },
  { name: 'language', category: 'identity', shape: 'language', max: 2, label_de: 'Bevorzugte Sprache', label_en: 'Preferred language' },
  { name: 'emails', category: 'contact_details', shape: 'list', max: 254, label_de: 'E-Mail', label_en: 'Email' },
  { name: 'phones', category: 'contact_details', shape: 'list', max: 40, label_de: 'Telefon', label_en: 'Phone' },
  { name: 'addresses', category: 'contact_details', shape: 'addresses', max: 500, label_de: 'Anschrift', label_en: 'Postal address' },
  { name: 'tags', category: 'segmentation', shape: 'list', max: 50, label_de: 'Schlagwörter', label_en: 'Tags' },
  { name: 'note', category: 'notes', shape: 'long', max: 100_000, label_de: 'Notiz', label_en: 'Note' },
  { name: 'special', category: 'special', shape: 'long', max: 100_000, label_de: 'Besondere Kategorien (Art. 9)', label_en: 'Special categories (Art. 9)' },
  { name: 'deal_stage', category: 'deal', shape: 'text', max: 500, label_de: 'Verkaufsphase', label_en: 'Deal stage' },
  { name: 'deal_value', category: 'deal', shape: 'text', max: 500, label_de: 'Auftragswert', label_en: 'Deal value' },
];

/** The link to a company: names, not catalogue fields of the person. */
export const COMPANY_FIELDS = ['company', 'company_role'] as const;

export const SALUTATIONS = ['mr', 'ms', 'mx', 'none'] as const;
export const INTERACTION_KINDS = ['call', 'meeting', 'email', 'letter', 'note'] as const;
export const ROLES = ['admin', 'dpo', 'sales', 'agent', 'auditor'] as const;

/** Every input of the contact form, in tab order. */
export const FORM_FIELDS = [...PERSON_FIELDS.map((f) => f.name), ...COMPANY_FIELDS] as const;

export function personField(name: string): PersonField | undefined {
  return PERSON_FIELDS.find((f) => f.name === name);
}

/**
 * The form inputs a core `invalid` error is about: the core names single
 * values (email, phone) and the name rule ("name") differently from the fields.
 */
export function formFieldsFor(errorField: string | null): string[] {
  if (!errorField) return [];
  const f = errorField.trim().toLowerCase();
  switch (f) {
    case 'email':
    case 'emails':
      return ['emails'];
    case 'phone':
    case 'phones':
      return ['phones'];
    case 'address':
    case 'addresses':
      return ['addresses'];
    case 'tag':
    case 'tags':
      return ['tags'];
    case 'name':
      return ['given_name', 'family_name'];
    case 'role':
    case 'company_role':
      return ['company_role'];
    case 'company':
      return ['company'];
  }
  return (FORM_FIELDS as readonly string[]).includes(f) ? [f] : [];
}
