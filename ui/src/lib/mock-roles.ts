// The permission matrix of the core (crates/core/src/roles.rs), for the
// in-memory mock: which role may do what, and which compartment keys it holds.
import type { Category, IpcError, Role } from './types';

export type Action =
  | 'read_contacts'
  | 'write_contacts'
  | 'add_interaction'
  | 'view_history'
  | 'manage_users'
  | 'seed_demo'
  | 'run_doctor'
  | 'view_consent'
  | 'record_consent'
  | 'request_consent'
  | 'manage_purposes'
  | 'manage_settings'
  | 'export_mailing'
  | 'export_records'
  | 'view_requests'
  | 'handle_requests'
  | 'erase'
  | 'export_package'
  | 'view_retention'
  | 'manage_retention';

const DESCRIBE: Record<Action, string> = {
  read_contacts: 'read contacts',
  write_contacts: 'create or change contacts',
  add_interaction: 'record interactions',
  view_history: 'see the change history',
  manage_users: 'manage users and roles',
  seed_demo: 'fill the vault with demo data',
  run_doctor: 'run integrity checks',
  view_consent: 'see consents and purposes',
  record_consent: 'record consents',
  request_consent: 'send confirmation mails',
  manage_purposes: 'change purposes of processing',
  manage_settings: 'change vault settings',
  export_mailing: 'export mailing lists',
  export_records: 'export the legal-basis view or the register',
  view_requests: 'see data-subject requests',
  handle_requests: 'handle data-subject requests',
  erase: 'erase people',
  export_package: 'export access packages',
  view_retention: 'see retention rules and legal holds',
  manage_retention: 'change retention rules or legal holds',
};

const SALES: readonly Action[] = [
  'read_contacts',
  'write_contacts',
  'add_interaction',
  'view_history',
  'view_consent',
  'record_consent',
  'request_consent',
  'export_mailing',
];
const AGENT: readonly Action[] = [
  'read_contacts',
  'write_contacts',
  'add_interaction',
  'view_history',
  'view_consent',
  'record_consent',
];
const AUDITOR: readonly Action[] = [
  'read_contacts',
  'view_history',
  'run_doctor',
  'view_consent',
  'export_records',
  'view_requests',
  'view_retention',
];

export function mayDo(role: Role, action: Action): boolean {
  switch (role) {
    case 'admin':
      return true;
    case 'dpo':
      return action !== 'manage_users' && action !== 'seed_demo' && action !== 'manage_settings';
    case 'sales':
      return SALES.includes(action);
    case 'agent':
      return AGENT.includes(action);
    case 'auditor':
      return AUDITOR.includes(action);
  }
}

/** Throws the core's `forbidden` error unless the role may do the action. */
export function requireAction(role: Role, action: Action): void {
  if (!mayDo(role, action)) {
    const err: IpcError = { code: 'forbidden', message: `your role '${role}' may not ${DESCRIBE[action]}`, field: null };
    throw err;
  }
}

/** Compartmented categories each role holds a key for (as roles.rs). */
const COMPARTMENTS: Record<Role, Category[]> = {
  admin: ['notes', 'special', 'deal'],
  dpo: ['notes', 'special', 'deal'],
  sales: ['notes', 'deal'],
  agent: [],
  auditor: [],
};

/** The compartment that seals a category, if any. */
export function compartmentOf(category: Category): 'notes' | 'special' | 'deal' | null {
  return category === 'notes' || category === 'special' || category === 'deal' ? category : null;
}

export function canRead(role: Role, category: Category): boolean {
  const c = compartmentOf(category);
  return c === null || COMPARTMENTS[role].includes(c);
}
