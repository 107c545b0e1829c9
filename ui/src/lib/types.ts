// The DTOs generated from Rust (ts-rs) into ./bindings, re-exported from
// one place so that components do not depend on the generator's layout.
export type { AppStatus } from './bindings/AppStatus';
export type { Category } from './bindings/Category';
export type { CompanyLink } from './bindings/CompanyLink';
export type { ContactPage } from './bindings/ContactPage';
export type { ContactView } from './bindings/ContactView';
export type { Created } from './bindings/Created';
export type { DirectoryRow } from './bindings/DirectoryRow';
export type { FieldChange } from './bindings/FieldChange';
export type { FieldValue } from './bindings/FieldValue';
export type { FieldView } from './bindings/FieldView';
export type { HistoryEntry } from './bindings/HistoryEntry';
export type { InteractionView } from './bindings/InteractionView';
export type { IpcError } from './bindings/IpcError';
export type { Lang } from './bindings/Lang';
export type { NewInteraction } from './bindings/NewInteraction';
export type { RecordKind } from './bindings/RecordKind';
export type { Role } from './bindings/Role';
export type { SessionInfo } from './bindings/SessionInfo';
export type { UserInfo } from './bindings/UserInfo';
