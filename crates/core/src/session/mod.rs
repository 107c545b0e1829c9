//! The transport-free facade: a [`Session`] is a signed-in user with their
//! unlocked keys, and its methods are the operations a person can perform.
//!
//! Every method checks the permission matrix first. The CLI and the desktop
//! shell call only this; neither holds a rule. Dropping the session closes
//! the database and wipes the keys.

pub mod consent;
pub mod erasure;
pub mod export;
pub mod mail;
pub mod mailing;
pub mod open;
pub mod optin;
pub mod package;
pub mod register;
pub mod requests;
pub mod retention;
pub mod rights;
pub mod settings;

use std::collections::HashMap;
use std::sync::Arc;

use chrono::Utc;
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use crate::clock::Clock;
use crate::crypto::{self, Context, KdfParams, Key32};
use crate::error::{Error, Result};
use crate::keyring::{Keyring, Keyset, Rotation};
use crate::model::categories::{self, Category, Compartment, FieldDef, RecordKind};
use crate::model::contacts::{
    CompanyLink, ContactView, FieldInput, FieldValue, FieldView, HistoryEntry, InteractionInput,
    InteractionView, PersonInput, RecordId, normalise,
};
use crate::model::roles::{Action, Role};
use crate::ops::{CREATE_FIELD, Forget, Hlc, Op, OpValue, Stamp};
use crate::store::{DirectoryRow, SealedCell, Store};
use crate::vault::VaultDir;

const SCHEMA: u32 = 1;

/// A user as listed.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct UserInfo {
    /// Name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// When added.
    pub created: chrono::DateTime<Utc>,
}

/// Who is signed in and what they may do, for a UI to show only what works.
/// The core still checks every call; this only avoids offering dead buttons.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SessionInfo {
    /// Name.
    pub user: String,
    /// Role.
    pub role: Role,
    /// May create and edit contacts.
    pub may_write: bool,
    /// May record interactions.
    pub may_add_interactions: bool,
    /// May see the change history.
    pub may_view_history: bool,
    /// May manage users and roles.
    pub may_manage_users: bool,
    /// May record consents and withdrawals.
    pub may_record_consent: bool,
    /// May send double opt-in mails.
    pub may_request_consent: bool,
    /// May change purposes and consent sources.
    pub may_manage_purposes: bool,
    /// May change the mail server.
    pub may_manage_settings: bool,
    /// May export purpose-bound mailing lists.
    pub may_export_mailing: bool,
    /// May export the legal-basis view and the register.
    pub may_export_records: bool,
    /// May see data-subject requests.
    pub may_view_requests: bool,
    /// May handle requests: restrict, object, erase, release access packages.
    pub may_handle_requests: bool,
    /// May see retention rules, what falls due, legal holds, the log.
    pub may_view_retention: bool,
    /// May change rules, run the sweep, set and lift legal holds.
    pub may_manage_retention: bool,
    /// Categories whose fields this user can read.
    pub readable: Vec<Category>,
}

/// One check of `doctor`.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Check {
    /// What was checked.
    pub name: String,
    /// Whether it passed.
    pub ok: bool,
    /// Details.
    pub detail: String,
}

/// New passphrases: at least 10 characters.
pub fn validate_new_passphrase(p: &[u8]) -> Result<()> {
    let chars = String::from_utf8_lossy(p).chars().count();
    if chars < 10 {
        return Err(Error::invalid("passphrase", "use at least 10 characters"));
    }
    Ok(())
}

/// A signed-in user.
pub struct Session {
    pub(crate) vault: VaultDir,
    pub(crate) store: Store,
    pub(crate) keys: Keyset,
    user: String,
    role: Role,
    clock: Arc<dyn Clock>,
    device: String,
    last: Hlc,
    /// The signed-in user's personal secret, when signed in with a
    /// passphrase: it opens the user's keys in a keyring of a later
    /// generation, so keys changed on another laptop are taken over.
    pub(crate) personal: Option<Key32>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("user", &self.user)
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

/// Meta key of the personal secrets this laptop's user had before changing
/// their passphrase here (hex, newest first).
const EARLIER_PERSONAL: &str = "personal_earlier";

pub(crate) fn field_ctx<'a>(record: &'a str, field: &'a str) -> Context<'a> {
    Context {
        domain: "field",
        owner: record,
        slot: field,
        schema: SCHEMA,
    }
}

/// Every value typed for one field (the addresses checked against the
/// suppression list).
fn values_of(changes: &[(String, FieldInput)], name: &str) -> Vec<String> {
    changes
        .iter()
        .filter(|(f, _)| f == name)
        .flat_map(|(_, v)| match v {
            FieldInput::List(items) => items.clone(),
            FieldInput::Text(t) => vec![t.clone()],
            FieldInput::Clear => Vec::new(),
        })
        .collect()
}

/// Context of a key or secret that belongs to one owner (a subject or a
/// vault secret), not to a field.
pub(crate) fn owned_ctx<'a>(domain: &'a str, owner: &'a str) -> Context<'a> {
    Context {
        domain,
        owner,
        slot: "",
        schema: SCHEMA,
    }
}

impl Session {
    pub(crate) fn new(
        vault: VaultDir,
        store: Store,
        keys: Keyset,
        user: String,
        role: Role,
        clock: Arc<dyn Clock>,
    ) -> Result<Session> {
        let mut session = Self::unseeded(vault, store, keys, user, role, clock)?;
        session.seed_consent_defaults()?;
        Ok(session)
    }

    /// A session without the default purposes and rules written yet (a
    /// laptop joining a team receives them from the others first).
    pub(crate) fn unseeded(
        vault: VaultDir,
        store: Store,
        keys: Keyset,
        user: String,
        role: Role,
        clock: Arc<dyn Clock>,
    ) -> Result<Session> {
        let device = store.meta("device_id")?.unwrap_or_else(|| "unknown".into());
        let last = Hlc(store
            .meta("hlc_last")?
            .and_then(|s| s.parse().ok())
            .unwrap_or(0));
        Ok(Session {
            vault,
            store,
            keys,
            user,
            role,
            clock,
            device,
            last,
            personal: None,
        })
    }

    /// The signed-in user's name.
    pub fn user(&self) -> &str {
        &self.user
    }

    /// The signed-in user's role.
    pub fn role(&self) -> Role {
        self.role
    }

    /// The vault directory.
    pub fn vault(&self) -> &VaultDir {
        &self.vault
    }

    /// Who is signed in and what they may do.
    pub fn info(&self) -> SessionInfo {
        SessionInfo {
            user: self.user.clone(),
            role: self.role,
            may_write: self.role.may(Action::WriteContacts),
            may_add_interactions: self.role.may(Action::AddInteraction),
            may_view_history: self.role.may(Action::ViewHistory),
            may_manage_users: self.role.may(Action::ManageUsers),
            may_record_consent: self.role.may(Action::RecordConsent),
            may_request_consent: self.role.may(Action::RequestConsent),
            may_manage_purposes: self.role.may(Action::ManagePurposes),
            may_manage_settings: self.role.may(Action::ManageSettings),
            may_export_mailing: self.role.may(Action::ExportMailing),
            may_export_records: self.role.may(Action::ExportRecords),
            may_view_requests: self.role.may(Action::ViewRequests),
            may_handle_requests: self.role.may(Action::HandleRequests)
                && self.role.may(Action::Erase)
                && self.role.may(Action::ExportPackage),
            may_view_retention: self.role.may(Action::ViewRetention),
            may_manage_retention: self.role.may(Action::ManageRetention),
            readable: Category::ALL
                .into_iter()
                .filter(|c| self.role.can_read(*c))
                .collect(),
        }
    }

    /// Adds a person from UI changes; "company" and "company_role" link a company.
    pub fn add_person_from(
        &mut self,
        changes: &[crate::model::contacts::FieldChange],
    ) -> Result<RecordId> {
        let mut input = PersonInput::default();
        for c in changes {
            match c.field.as_str() {
                "company" => input.company = c.values.first().cloned(),
                "company_role" => input.company_role = c.values.first().cloned(),
                "name" => input = input.with_name(c.values.first().map_or("", String::as_str)),
                _ => input.fields.push(c.to_input(RecordKind::Person)),
            }
        }
        self.add_person(&input)
    }

    /// Edits a record from UI changes.
    pub fn edit_from(
        &mut self,
        id: RecordId,
        changes: &[crate::model::contacts::FieldChange],
    ) -> Result<()> {
        let kind = self
            .store
            .record(id)?
            .map_or(RecordKind::Person, |(k, _)| k);
        let inputs: Vec<_> = changes.iter().map(|c| c.to_input(kind)).collect();
        self.edit(id, &inputs)
    }

    /// Seals a vault secret under its own random key, which is kept in the
    /// subject-key table (so key rotation re-wraps it like any subject key).
    pub(crate) fn seal_secret(&mut self, owner: Uuid, plain: &[u8]) -> Result<Vec<u8>> {
        let oid = owner.to_string();
        let ctx = owned_ctx("subject-key", &oid);
        let key = match self.store.subject_key(owner)? {
            Some(wrapped) => crypto::open(&self.keys.subject_wrap, &ctx, &wrapped)
                .and_then(|k| Key32::from_slice(&k))
                .ok_or_else(|| Error::DatabaseDamaged {
                    path: self.store.path().to_path_buf(),
                    detail: "a secret's key does not open".into(),
                })?,
            None => {
                let key = Key32::random();
                let wrapped = crypto::seal(&self.keys.subject_wrap, &ctx, key.expose());
                self.store.apply(&[], &[(owner, wrapped)])?;
                key
            }
        };
        Ok(crypto::seal(&key, &owned_ctx("secret", &oid), plain))
    }

    /// Opens a secret sealed by [`Session::seal_secret`].
    pub(crate) fn open_secret(&self, owner: Uuid, sealed: &[u8]) -> Result<Option<Vec<u8>>> {
        let oid = owner.to_string();
        let ctx = owned_ctx("subject-key", &oid);
        let Some(wrapped) = self.store.subject_key(owner)? else {
            return Ok(None);
        };
        let Some(key) = crypto::open(&self.keys.subject_wrap, &ctx, &wrapped)
            .and_then(|k| Key32::from_slice(&k))
        else {
            return Ok(None);
        };
        Ok(crypto::open(&key, &owned_ctx("secret", &oid), sealed).map(|z| z.to_vec()))
    }

    /// The plaintext of a sealed value, if this session holds its key.
    pub(crate) fn open_sealed(&self, record: &str, field: &str, value: &OpValue) -> Option<String> {
        let OpValue::Sealed { compartment, bytes } = value else {
            return None;
        };
        self.open_compartment(*compartment, &field_ctx(record, field), bytes)
            .map(|plain| String::from_utf8_lossy(&plain).into_owned())
    }

    /// Opens a value of a compartment with its current key or, for one
    /// stored before a rotation this laptop could not re-seal it in (its
    /// role lacked the key then), an earlier one.
    pub(crate) fn open_compartment(
        &self,
        c: Compartment,
        ctx: &Context<'_>,
        bytes: &[u8],
    ) -> Option<zeroize::Zeroizing<Vec<u8>>> {
        let now = self.keys.compartment(c)?;
        crypto::open(now, ctx, bytes).or_else(|| {
            self.keys
                .earlier
                .iter()
                .filter_map(|e| e.compartments.get(&c))
                .find_map(|k| crypto::open(k, ctx, bytes))
        })
    }

    /// The session's clock reading.
    pub(crate) fn now(&self) -> chrono::DateTime<Utc> {
        self.clock.now()
    }

    pub(crate) fn require(&self, action: Action) -> Result<()> {
        if self.role.may(action) {
            Ok(())
        } else {
            Err(Error::Forbidden {
                action: action.describe().into(),
                role: self.role.as_str().into(),
            })
        }
    }

    fn locked_reason(&self, category: Category) -> String {
        format!(
            "your role '{}' holds no key for the category '{}'",
            self.role,
            category.label(categories::Lang::En)
        )
    }

    /// This device's id.
    pub fn device(&self) -> &str {
        &self.device
    }

    /// Moves the clock past a stamp received from another device (which
    /// sync has already checked is not far in the future).
    pub(crate) fn observe(&mut self, seen: Hlc) -> Result<()> {
        if seen > self.last {
            self.last = seen;
            self.persist_clock()?;
        }
        Ok(())
    }

    pub(crate) fn tick(&mut self) -> Hlc {
        let now = u64::try_from(self.clock.now().timestamp_millis()).unwrap_or(0);
        self.last = Hlc::tick(self.last, now);
        self.last
    }

    pub(crate) fn op(&mut self, record: Uuid, kind: RecordKind, field: &str, value: OpValue) -> Op {
        Op {
            id: Uuid::now_v7(),
            hlc: self.tick(),
            device: self.device.clone(),
            author: self.user.clone(),
            record,
            kind,
            field: field.into(),
            value,
        }
    }

    /// Removes data through the journal (see [`Forget`]), stamped now.
    pub(crate) fn forget(&mut self, forget: Forget) -> Result<usize> {
        let stamp = Stamp {
            id: Uuid::now_v7(),
            hlc: self.tick(),
            device: self.device.clone(),
        };
        let removed = self.store.forget(&forget, &stamp)?;
        self.persist_clock()?;
        Ok(removed)
    }

    pub(crate) fn persist_clock(&self) -> Result<()> {
        self.store.set_meta("hlc_last", &self.last.0.to_string())
    }

    fn encode_value(&self, record: Uuid, def: &FieldDef, value: Option<Value>) -> Result<OpValue> {
        let Some(value) = value else {
            return Ok(OpValue::Cleared);
        };
        let json = value.to_string();
        match def.category.compartment() {
            None => Ok(OpValue::Open(json)),
            Some(c) => {
                let key = self
                    .keys
                    .compartment(c)
                    .ok_or_else(|| Error::CompartmentLocked {
                        field: def.name.into(),
                        category: def.category.as_str().into(),
                        role: self.role.as_str().into(),
                    })?;
                let rid = record.to_string();
                Ok(OpValue::Sealed {
                    compartment: c,
                    bytes: crypto::seal(key, &field_ctx(&rid, def.name), json.as_bytes()),
                })
            }
        }
    }

    fn decode_value(
        &self,
        record: Uuid,
        field: &str,
        category: Category,
        value: &OpValue,
    ) -> FieldValue {
        match value {
            OpValue::Cleared => FieldValue::Empty,
            OpValue::Open(json) => match serde_json::from_str(json) {
                Ok(value) => FieldValue::Value { value },
                Err(_) => FieldValue::Empty,
            },
            OpValue::Sealed { compartment, bytes } => {
                let Some(key) = self.keys.compartment(*compartment) else {
                    return FieldValue::Locked {
                        reason: self.locked_reason(category),
                    };
                };
                let rid = record.to_string();
                crypto::open(key, &field_ctx(&rid, field), bytes)
                    .and_then(|plain| serde_json::from_slice(&plain).ok())
                    .map_or(FieldValue::Empty, |value| FieldValue::Value { value })
            }
        }
    }

    fn field_ops(
        &mut self,
        record: Uuid,
        kind: RecordKind,
        inputs: &[(String, FieldInput)],
    ) -> Result<Vec<Op>> {
        let now = self.clock.now();
        let mut ops = Vec::with_capacity(inputs.len());
        for (name, input) in inputs {
            let def = categories::field(kind, name).ok_or_else(|| {
                Error::invalid(
                    name.clone(),
                    format!("is not a field of a {}", kind.as_str()),
                )
            })?;
            let value = normalise(def, input, now)?;
            let encoded = self.encode_value(record, def, value)?;
            ops.push(self.op(record, kind, def.name, encoded));
        }
        Ok(ops)
    }

    pub(crate) fn create_op(&mut self, id: Uuid, kind: RecordKind, subject: Option<Uuid>) -> Op {
        let value = OpValue::Open(
            serde_json::to_string(&subject.map(|s| s.to_string())).unwrap_or_default(),
        );
        self.op(id, kind, CREATE_FIELD, value)
    }

    fn subject_key(&self, subject: Uuid) -> Vec<u8> {
        let dsk = Key32::random();
        let sid = subject.to_string();
        crypto::seal(
            &self.keys.subject_wrap,
            &owned_ctx("subject-key", &sid),
            dsk.expose(),
        )
    }

    fn person_ops(
        &mut self,
        input: &PersonInput,
        companies: &mut HashMap<String, Uuid>,
    ) -> Result<(Uuid, Vec<Op>)> {
        let id = Uuid::now_v7();
        let has_name = input.fields.iter().any(|(f, v)| {
            (f == "given_name" || f == "family_name")
                && matches!(v, FieldInput::Text(t) if !t.trim().is_empty())
        });
        if !has_name {
            return Err(Error::invalid(
                "name",
                "a person needs a given or a family name",
            ));
        }
        let mut ops = vec![self.create_op(id, RecordKind::Person, Some(id))];
        ops.extend(self.field_ops(id, RecordKind::Person, &input.fields)?);
        if let Some(company) = input.company.as_deref() {
            ops.extend(self.link_ops(id, company, input.company_role.as_deref(), companies)?);
        }
        Ok((id, ops))
    }

    /// Ops linking a person to a company found by exact name or created.
    fn link_ops(
        &mut self,
        person: Uuid,
        company: &str,
        role: Option<&str>,
        companies: &mut HashMap<String, Uuid>,
    ) -> Result<Vec<Op>> {
        let company = company.trim();
        if company.is_empty() {
            return Ok(Vec::new());
        }
        let mut ops = Vec::new();
        let company_id = match companies.get(company) {
            Some(c) => *c,
            None => match self.store.find_company(company)? {
                Some(c) => c,
                None => {
                    let c = Uuid::now_v7();
                    ops.push(self.create_op(c, RecordKind::Company, None));
                    ops.extend(self.field_ops(
                        c,
                        RecordKind::Company,
                        &[("name".into(), FieldInput::Text(company.into()))],
                    )?);
                    c
                }
            },
        };
        companies.insert(company.to_owned(), company_id);
        let link = Uuid::now_v7();
        ops.push(self.create_op(link, RecordKind::Affiliation, Some(person)));
        let mut link_fields = vec![
            ("person".to_owned(), FieldInput::Text(person.to_string())),
            (
                "company".to_owned(),
                FieldInput::Text(company_id.to_string()),
            ),
        ];
        if let Some(role) = role.filter(|r| !r.trim().is_empty()) {
            link_fields.push(("role".into(), FieldInput::Text(role.into())));
        }
        ops.extend(self.field_ops(link, RecordKind::Affiliation, &link_fields)?);
        Ok(ops)
    }

    /// Ops setting the role on a person's first company link.
    fn set_link_role(&mut self, person: Uuid, role: &str) -> Result<Vec<Op>> {
        let Some(link) = self
            .store
            .records_of_subject(person, RecordKind::Affiliation)?
            .into_iter()
            .next()
        else {
            return Err(Error::invalid("company_role", "link a company first"));
        };
        self.field_ops(
            link,
            RecordKind::Affiliation,
            &[("role".into(), FieldInput::Text(role.into()))],
        )
    }

    /// Adds a person (and the company link, creating the company if new).
    pub fn add_person(&mut self, input: &PersonInput) -> Result<RecordId> {
        self.add_person_allowing(input, None)
    }

    /// Adds a person; an email or phone on the suppression list is refused
    /// unless `allow_suppressed` gives a reason, which is recorded.
    pub fn add_person_allowing(
        &mut self,
        input: &PersonInput,
        allow_suppressed: Option<&str>,
    ) -> Result<RecordId> {
        self.require(Action::WriteContacts)?;
        self.check_suppressed(
            &values_of(&input.fields, "emails"),
            &values_of(&input.fields, "phones"),
            allow_suppressed,
        )?;
        let (id, ops) = self.person_ops(input, &mut HashMap::new())?;
        let key = self.subject_key(id);
        self.store.apply(&ops, &[(id, key)])?;
        self.persist_clock()?;
        Ok(id)
    }

    /// Adds many people in batches; `progress(done, total)` after each batch.
    /// Each batch is one transaction: a failure leaves earlier batches in place.
    pub fn add_people(
        &mut self,
        people: &[PersonInput],
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<Vec<RecordId>> {
        self.require(Action::WriteContacts)?;
        let mut ids = Vec::with_capacity(people.len());
        let mut companies = HashMap::new();
        for chunk in people.chunks(1000) {
            let mut ops = Vec::new();
            let mut keys = Vec::with_capacity(chunk.len());
            for p in chunk {
                let (id, person_ops) = self.person_ops(p, &mut companies)?;
                ops.extend(person_ops);
                keys.push((id, self.subject_key(id)));
                ids.push(id);
            }
            self.store.apply(&ops, &keys)?;
            progress(ids.len(), people.len());
        }
        self.persist_clock()?;
        Ok(ids)
    }

    /// Adds interactions in batches (for imports and demo data).
    pub fn add_interactions(&mut self, items: &[(RecordId, InteractionInput)]) -> Result<()> {
        self.require(Action::AddInteraction)?;
        for chunk in items.chunks(2000) {
            let mut ops = Vec::new();
            for (person, input) in chunk {
                ops.extend(self.interaction_ops(*person, input)?);
            }
            self.store.apply(&ops, &[])?;
        }
        self.persist_clock()
    }

    fn interaction_ops(&mut self, person: RecordId, input: &InteractionInput) -> Result<Vec<Op>> {
        let id = Uuid::now_v7();
        let at = input.at.unwrap_or_else(|| self.clock.now());
        let mut fields = vec![
            ("kind".to_owned(), FieldInput::Text(input.kind.clone())),
            ("at".to_owned(), FieldInput::Text(at.to_rfc3339())),
            ("by".to_owned(), FieldInput::Text(self.user.clone())),
            (
                "summary".to_owned(),
                FieldInput::Text(input.summary.clone()),
            ),
        ];
        if input.summary.trim().is_empty() {
            return Err(Error::invalid("summary", "an interaction needs a summary"));
        }
        if let Some(text) = &input.text {
            fields.push(("text".into(), FieldInput::Text(text.clone())));
        }
        if let Some(keep) = input.keep.as_deref().filter(|k| !k.trim().is_empty()) {
            fields.push((
                "keep".into(),
                FieldInput::Text(keep.trim().replace('-', "_")),
            ));
        }
        let mut ops = vec![self.create_op(id, RecordKind::Interaction, Some(person))];
        ops.extend(self.field_ops(id, RecordKind::Interaction, &fields)?);
        Ok(ops)
    }

    pub(crate) fn person_exists(&self, id: RecordId) -> Result<()> {
        match self.store.record(id)? {
            Some((RecordKind::Person, _)) => Ok(()),
            _ => Err(Error::NotFound {
                what: "person",
                id: id.to_string(),
            }),
        }
    }

    /// Records an interaction with a person.
    pub fn add_interaction(
        &mut self,
        person: RecordId,
        input: &InteractionInput,
    ) -> Result<RecordId> {
        self.require(Action::AddInteraction)?;
        self.person_exists(person)?;
        self.refuse_if_restricted(person)?;
        let ops = self.interaction_ops(person, input)?;
        let id = ops[0].record;
        self.store.apply(&ops, &[])?;
        self.persist_clock()?;
        Ok(id)
    }

    /// Changes fields of a person or company. Field names are catalogue
    /// names; "name" splits into given and family name; "company" links.
    pub fn edit(&mut self, id: RecordId, changes: &[(String, FieldInput)]) -> Result<()> {
        self.require(Action::WriteContacts)?;
        let (kind, _) = self.store.record(id)?.ok_or_else(|| Error::NotFound {
            what: "contact",
            id: id.to_string(),
        })?;
        if !matches!(kind, RecordKind::Person | RecordKind::Company) {
            return Err(Error::NotFound {
                what: "contact",
                id: id.to_string(),
            });
        }
        if kind == RecordKind::Person {
            self.refuse_if_restricted(id)?;
            self.check_suppressed(
                &values_of(changes, "emails"),
                &values_of(changes, "phones"),
                None,
            )?;
        }
        let mut fields = Vec::new();
        let mut company = None;
        let mut company_role = None;
        for (name, input) in changes {
            match (kind, name.as_str(), input) {
                (RecordKind::Person, "name", FieldInput::Text(full)) => {
                    fields.extend(PersonInput::default().with_name(full).fields);
                }
                (RecordKind::Person, "company", FieldInput::Text(c)) => company = Some(c.clone()),
                (RecordKind::Person, "company_role", FieldInput::Text(r)) => {
                    company_role = Some(r.clone())
                }
                (RecordKind::Person, "company" | "company_role", _) => {}
                _ => fields.push((name.clone(), input.clone())),
            }
        }
        let mut ops = self.field_ops(id, kind, &fields)?;
        if let Some(company) = company {
            ops.extend(self.link_ops(
                id,
                &company,
                company_role.as_deref(),
                &mut HashMap::new(),
            )?);
        } else if let Some(role) = company_role {
            ops.extend(self.set_link_role(id, &role)?);
        }
        if ops.is_empty() {
            return Err(Error::invalid("edit", "nothing to change"));
        }
        self.store.apply(&ops, &[])?;
        self.persist_clock()
    }

    /// A person or company with every field (locked where the role holds no key).
    pub fn contact(&self, id: RecordId) -> Result<ContactView> {
        self.require(Action::ReadContacts)?;
        let not_found = || Error::NotFound {
            what: "contact",
            id: id.to_string(),
        };
        let (kind, _) = self.store.record(id)?.ok_or_else(not_found)?;
        if !matches!(kind, RecordKind::Person | RecordKind::Company) {
            return Err(not_found());
        }
        let stored: HashMap<String, OpValue> = self.store.fields(id)?.into_iter().collect();
        let fields: Vec<FieldView> = categories::fields_of(kind)
            .map(|def| {
                let value = if !self.role.can_read(def.category) {
                    // Locked whether or not a value exists: not even that leaks.
                    FieldValue::Locked {
                        reason: self.locked_reason(def.category),
                    }
                } else {
                    stored.get(def.name).map_or(FieldValue::Empty, |v| {
                        self.decode_value(id, def.name, def.category, v)
                    })
                };
                FieldView {
                    name: def.name,
                    label_en: def.label_en,
                    label_de: def.label_de,
                    category: def.category,
                    value,
                }
            })
            .collect();
        let text = |name: &str| {
            fields
                .iter()
                .find(|f| f.name == name)
                .and_then(|f| f.value.as_text())
                .unwrap_or_default()
        };
        let display = match kind {
            RecordKind::Company => text("name"),
            _ => [text("title"), text("given_name"), text("family_name")]
                .into_iter()
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(" "),
        };
        let mut companies = Vec::new();
        let mut interactions = Vec::new();
        if kind == RecordKind::Person {
            for link in self.store.records_of_subject(id, RecordKind::Affiliation)? {
                let lf: HashMap<String, OpValue> = self.store.fields(link)?.into_iter().collect();
                let get = |n: &str| match lf.get(n) {
                    Some(OpValue::Open(j)) => serde_json::from_str::<String>(j).ok(),
                    _ => None,
                };
                if let Some(company) = get("company").and_then(|c| Uuid::parse_str(&c).ok()) {
                    let name = match self
                        .store
                        .fields(company)?
                        .into_iter()
                        .find(|(f, _)| f == "name")
                    {
                        Some((_, OpValue::Open(j))) => serde_json::from_str(&j).unwrap_or_default(),
                        _ => String::new(),
                    };
                    companies.push(CompanyLink {
                        company,
                        name,
                        role: get("role"),
                    });
                }
            }
            for iid in self.store.records_of_subject(id, RecordKind::Interaction)? {
                interactions.push(self.interaction_view(iid)?);
            }
            interactions.sort_by(|a, b| b.at.cmp(&a.at));
        }
        Ok(ContactView {
            id,
            kind,
            display,
            fields,
            companies,
            interactions,
        })
    }

    fn interaction_view(&self, id: RecordId) -> Result<InteractionView> {
        let f: HashMap<String, OpValue> = self.store.fields(id)?.into_iter().collect();
        let open = |n: &str| match f.get(n) {
            Some(OpValue::Open(j)) => serde_json::from_str::<String>(j).unwrap_or_default(),
            _ => String::new(),
        };
        let text = if self.role.can_read(Category::Notes) {
            f.get("text").map_or(FieldValue::Empty, |v| {
                self.decode_value(id, "text", Category::Notes, v)
            })
        } else {
            FieldValue::Locked {
                reason: self.locked_reason(Category::Notes),
            }
        };
        Ok(InteractionView {
            id,
            kind: open("kind"),
            at: open("at"),
            by: open("by"),
            summary: open("summary"),
            text,
            keep: Some(open("keep")).filter(|k| !k.is_empty()),
        })
    }

    /// A page of people sorted by family name.
    pub fn list(&self, offset: usize, limit: usize) -> Result<Vec<DirectoryRow>> {
        self.require(Action::ReadContacts)?;
        self.store.list(RecordKind::Person, offset, limit)
    }

    /// A page of companies sorted by name.
    pub fn list_companies(&self, offset: usize, limit: usize) -> Result<Vec<DirectoryRow>> {
        self.require(Action::ReadContacts)?;
        self.store.list(RecordKind::Company, offset, limit)
    }

    /// Number of people.
    pub fn count(&self) -> Result<u64> {
        self.require(Action::ReadContacts)?;
        self.store.count(RecordKind::Person)
    }

    /// Type-ahead search over names, companies, emails, phones and tags.
    /// Only open categories are indexed, so results never reveal what a
    /// role may not read.
    pub fn search(&self, query: &str, limit: usize) -> Result<Vec<DirectoryRow>> {
        self.require(Action::ReadContacts)?;
        self.store.search(query, limit.clamp(1, 500))
    }

    /// Who changed what, when: the record, its company links and interactions.
    pub fn history(&self, id: RecordId) -> Result<Vec<HistoryEntry>> {
        self.require(Action::ViewHistory)?;
        let (kind, _) = self.store.record(id)?.ok_or_else(|| Error::NotFound {
            what: "contact",
            id: id.to_string(),
        })?;
        let mut records = vec![id];
        if kind == RecordKind::Person {
            records.extend(self.store.records_of_subject(id, RecordKind::Affiliation)?);
            records.extend(self.store.records_of_subject(id, RecordKind::Interaction)?);
        }
        let ops = self.store.history(&records)?;
        Ok(ops
            .into_iter()
            .map(|op| {
                let value = if op.field == CREATE_FIELD {
                    FieldValue::Empty
                } else {
                    let category = categories::field(op.kind, &op.field)
                        .map_or(Category::Notes, |d| d.category);
                    if self.role.can_read(category) {
                        self.decode_value(op.record, &op.field, category, &op.value)
                    } else {
                        FieldValue::Locked {
                            reason: self.locked_reason(category),
                        }
                    }
                };
                HistoryEntry {
                    at: op.hlc.to_datetime(),
                    author: op.author,
                    device: op.device,
                    record: op.record,
                    record_kind: op.kind,
                    field: op.field,
                    value,
                }
            })
            .collect())
    }

    // ---- users and roles ----

    /// Every user of the vault.
    pub fn users(&self) -> Result<Vec<UserInfo>> {
        let ring = self.vault.keyring()?;
        Ok(ring
            .users
            .iter()
            .map(|u| UserInfo {
                name: u.name.clone(),
                role: u.role,
                created: u.created,
            })
            .collect())
    }

    fn keyring_for_change(&self) -> Result<Keyring> {
        self.require(Action::ManageUsers)?;
        let ring = self.vault.keyring()?;
        if !ring.mac_ok(&self.keys) {
            return Err(Error::KeyringDamaged {
                path: self.vault.keyring_path(),
                detail: "its integrity check failed: it was changed outside Tresor".into(),
            });
        }
        Ok(ring)
    }

    fn vault_kdf(ring: &Keyring) -> KdfParams {
        ring.users
            .iter()
            .map(|u| u.kdf)
            .filter(KdfParams::in_bounds)
            .max_by_key(|k| (k.m_kib, k.t))
            .unwrap_or(KdfParams::FLOOR)
    }

    /// Adds a user with a role (admin only).
    pub fn add_user(&mut self, name: &str, role: Role, passphrase: &[u8]) -> Result<()> {
        let mut ring = self.keyring_for_change()?;
        validate_new_passphrase(passphrase)?;
        let kdf = Self::vault_kdf(&ring);
        ring.add_user(name, role, passphrase, kdf, &self.keys, self.clock.now())?;
        self.vault.write_keyring(&ring)
    }

    /// Changes a passphrase: one's own (anyone) or another user's (admin).
    pub fn change_passphrase(&mut self, name: &str, passphrase: &[u8]) -> Result<()> {
        if name != self.user {
            self.require(Action::ManageUsers)?;
        }
        validate_new_passphrase(passphrase)?;
        let mut ring = self.vault.keyring()?;
        let kdf = ring
            .user(name)
            .map(|u| u.kdf)
            .filter(KdfParams::in_bounds)
            .unwrap_or_else(|| Self::vault_kdf(&ring));
        let secret = ring.set_passphrase(name, passphrase, kdf, &self.keys)?;
        self.vault.write_keyring(&ring)?;
        if name == self.user {
            // Kept (inside the encrypted database): the team's keyring in a
            // shared folder still seals this user's keys to the old one.
            if let Some(old) = self.personal.replace(secret) {
                let mut kept: Vec<String> = self
                    .store
                    .meta(EARLIER_PERSONAL)?
                    .unwrap_or_default()
                    .split(',')
                    .filter(|h| !h.is_empty())
                    .map(str::to_owned)
                    .collect();
                kept.insert(0, old.to_hex().to_string());
                kept.truncate(8);
                self.store.set_meta(EARLIER_PERSONAL, &kept.join(","))?;
            }
        }
        Ok(())
    }

    /// Removes a user; rotates the database key, the subject-wrapping key and
    /// every compartment key the user held, so their old keyset opens nothing.
    pub fn remove_user(&mut self, name: &str) -> Result<()> {
        if name == self.user {
            return Err(Error::invalid(
                "user",
                "you cannot remove yourself; ask another admin",
            ));
        }
        let mut ring = self.keyring_for_change()?;
        let (next, rotation) = ring.remove_user(name, &self.keys)?;
        self.rotate(&ring, next, &rotation)?;
        self.after_key_change(Some(name))
    }

    /// Changes a user's role; compartment keys the user loses are rotated.
    pub fn set_role(&mut self, name: &str, role: Role) -> Result<()> {
        let mut ring = self.keyring_for_change()?;
        let (next, rotation) = ring.set_role(name, role, &self.keys)?;
        self.rotate(&ring, next, &rotation)?;
        self.after_key_change(None)?;
        if name == self.user {
            self.role = role;
            self.keys = self.keys.for_role(role);
        }
        Ok(())
    }

    /// Test support, an attack: a patched program on this laptop, which
    /// ignores the role it was given (`role`) or writes changes in another
    /// user's name (`user`), with this laptop's own keys and database.
    #[cfg(feature = "test-support")]
    #[doc(hidden)]
    pub fn patch_identity(&mut self, user: Option<&str>, role: Option<Role>) {
        if let Some(u) = user {
            self.user = u.to_owned();
        }
        if let Some(r) = role {
            self.role = r;
        }
    }

    /// Takes over keys changed on another laptop: `ring` is the team's
    /// keyring of a later generation. The signed-in user's keys are opened
    /// with their personal secret, and the local database is brought to
    /// them as a rotation made here would (re-sealed values and subject
    /// keys, rekey), also when the user's role changed there.
    pub(crate) fn take_over_keys(&mut self, ring: &Keyring, path: &std::path::Path) -> Result<()> {
        let Some(entry) = ring.user(&self.user) else {
            return Err(Error::invalid(
                "keyring",
                format!(
                    "the user '{}' was removed from the team; this laptop no longer takes part",
                    self.user
                ),
            ));
        };
        let Some(role) = ring.signed_role(&entry.name) else {
            return Err(Error::invalid(
                "keyring",
                format!(
                    "the team's keyring gives '{}' no role an admin signed",
                    self.user
                ),
            ));
        };
        let Some(secret) = self.personal.clone() else {
            return Err(Error::invalid(
                "keyring",
                "sign in again with your passphrase to take them over",
            ));
        };
        // A passphrase changed here is not in the team's keyring: there the
        // user's keys are sealed to the personal key before the change.
        let earlier: Vec<Key32> = self
            .store
            .meta(EARLIER_PERSONAL)?
            .unwrap_or_default()
            .split(',')
            .filter_map(Key32::from_hex)
            .collect();
        let Some((next, current)) = std::iter::once(&secret)
            .chain(&earlier)
            .enumerate()
            .find_map(|(i, s)| ring.open_for(&self.user, s, path).ok().map(|k| (k, i == 0)))
        else {
            return Err(Error::invalid(
                "keyring",
                "your keys there do not open with your sign-in on this laptop (was your passphrase reset on another laptop?); join the team again with `tresor join`",
            ));
        };
        let mut ring = ring.clone();
        if !current {
            // This laptop keeps the user's entry with the new passphrase.
            let own = self.vault.keyring()?.user(&self.user).cloned();
            if let Some(own) = own {
                ring.keep_own_entry(&own, &next)?;
            }
        }
        let ring = &ring;
        // The new keys must descend from these: they keep this
        // generation's subject-wrapping key among the earlier ones.
        if next.subject_wrap != self.keys.subject_wrap
            && !next
                .earlier
                .iter()
                .any(|e| e.subject_wrap == self.keys.subject_wrap)
        {
            return Err(Error::KeyringDamaged {
                path: path.to_path_buf(),
                detail: "its keys do not follow from this laptop's".into(),
            });
        }
        let rotation = Rotation {
            admin: false,
            db: next.db != self.keys.db,
            subject_wrap: next.subject_wrap != self.keys.subject_wrap,
            compartments: self
                .keys
                .compartments
                .iter()
                .filter(|(c, k)| next.compartment(**c).is_some_and(|n| n != *k))
                .map(|(c, _)| *c)
                .collect(),
        };
        self.rotate(ring, next.clone(), &rotation)?;
        self.role = role;
        self.keys = next.for_role(role);
        Ok(())
    }

    /// Applies a rotation: stage the keyring, re-seal values and subject keys
    /// in one transaction, rekey, then promote the keyring. A stop at any
    /// point is finished or rolled back by the next unlock.
    fn rotate(&mut self, ring: &Keyring, next: Keyset, rotation: &Rotation) -> Result<()> {
        self.vault.stage_keyring(ring)?;
        let mut cells: Vec<SealedCell> = Vec::new();
        for c in &rotation.compartments {
            let (Some(_), Some(new)) = (self.keys.compartment(*c), next.compartment(*c)) else {
                continue;
            };
            for mut cell in self.store.sealed_values(*c)? {
                let ctx = field_ctx(&cell.record, &cell.field);
                let plain = self
                    .open_compartment(*c, &ctx, &cell.bytes)
                    .ok_or_else(|| Error::DatabaseDamaged {
                        path: self.store.path().to_path_buf(),
                        detail: format!("a sealed value of '{}' does not open", cell.field),
                    })?;
                cell.bytes = crypto::seal(new, &ctx, &plain);
                cells.push(cell);
            }
        }
        let mut wrapped = Vec::new();
        if rotation.subject_wrap {
            for (subject, bytes) in self.store.subject_keys()? {
                let ctx = owned_ctx("subject-key", &subject);
                if let Some(dsk) = crypto::open(&self.keys.subject_wrap, &ctx, &bytes) {
                    wrapped.push((
                        subject.clone(),
                        crypto::seal(&next.subject_wrap, &ctx, &dsk),
                    ));
                }
            }
        }
        self.store
            .replace_sealed(&cells, &wrapped, ring.generation)?;
        if rotation.db {
            self.store.rekey(&next.db)?;
        }
        self.vault.promote_staged()?;
        self.keys = next.for_role(self.role);
        if self.store.meta("sync_folder")?.is_some() {
            // The folder keeps what was sealed under the replaced keys
            // until a compaction writes it again under the new ones.
            self.store.set_meta("sync_compact_wanted", "1")?;
        }
        Ok(())
    }

    // ---- integrity ----

    /// Integrity report: keyring MAC and KDF floor, database encryption and
    /// page authentication, structure, migrations, key generation.
    pub fn doctor(&self) -> Result<Vec<Check>> {
        self.require(Action::RunDoctor)?;
        let mut checks = Vec::new();
        let mut check = |name: &str, ok: bool, detail: String| {
            checks.push(Check {
                name: name.into(),
                ok,
                detail,
            });
        };
        let ring = self.vault.keyring();
        match &ring {
            Ok(ring) => {
                let ok = ring.mac_ok(&self.keys);
                check(
                    "keyring integrity (HMAC)",
                    ok,
                    if ok {
                        "verified".into()
                    } else {
                        "does not verify: the file was changed outside Tresor".into()
                    },
                );
                let weak: Vec<&str> = ring
                    .users
                    .iter()
                    .filter(|u| !u.kdf.in_bounds())
                    .map(|u| u.name.as_str())
                    .collect();
                check(
                    "key derivation strength",
                    weak.is_empty(),
                    if weak.is_empty() {
                        format!(
                            "{} users, all between 64 MiB / t=3 and 2 GiB / t=64",
                            ring.users.len()
                        )
                    } else {
                        format!("outside the bounds: {}", weak.join(", "))
                    },
                );
            }
            Err(e) => check("keyring integrity (HMAC)", false, e.to_string()),
        }
        // Every check of the database reports its own failure, naming the
        // file, and the others still run: a damaged page must not hide
        // which check found it.
        let db = self.vault.db_path();
        let failed = |e: Error| match e.in_database(&db) {
            Error::Store(class) => format!(
                "{} could not be read to the end (SQLite: {class})",
                db.display()
            ),
            e => e.to_string(),
        };
        match Store::header_is_plain_sqlite(&db) {
            Ok(plain) => check(
                "database encrypted",
                !plain,
                if plain {
                    format!("{} is plain SQLite", db.display())
                } else {
                    "SQLCipher, raw 256-bit key".into()
                },
            ),
            Err(e) => check("database encrypted", false, failed(e)),
        }
        const PAGES: &str = "SQLCipher page authentication (cipher_integrity_check)";
        match self.store.page_authentication() {
            Ok(found) if found.is_empty() => check(PAGES, true, "every page verifies".into()),
            Ok(found) => check(PAGES, false, page_findings(&db, &found)),
            Err(e) => check(PAGES, false, failed(e)),
        }
        const STRUCTURE: &str = "SQLite integrity_check";
        match self.store.structure_problems() {
            Ok(problems) if problems.is_empty() => check(STRUCTURE, true, "ok".into()),
            Ok(problems) => check(
                STRUCTURE,
                false,
                format!("{}: {}", db.display(), first_of(&problems, 10, "; ")),
            ),
            Err(e) => check(STRUCTURE, false, failed(e)),
        }
        match self.store.migration_state() {
            Ok((applied, pending)) => {
                let unknown: Vec<&String> = applied
                    .iter()
                    .filter(|a| !Store::known_migrations().any(|k| k == a.as_str()))
                    .collect();
                check(
                    "migrations",
                    pending.is_empty() && unknown.is_empty(),
                    if !pending.is_empty() {
                        format!("pending: {}", pending.join(", "))
                    } else if !unknown.is_empty() {
                        format!("applied by a newer Tresor: {unknown:?}")
                    } else {
                        format!(
                            "{} applied, latest {}",
                            applied.len(),
                            applied.last().map_or("-", String::as_str)
                        )
                    },
                );
            }
            Err(e) => check("migrations", false, failed(e)),
        }
        if let Ok(ring) = &ring {
            match self.store.meta("key_generation") {
                Ok(db_gen) => {
                    let db_gen: u64 = db_gen.and_then(|g| g.parse().ok()).unwrap_or(0);
                    check(
                        "key generation",
                        db_gen == ring.generation,
                        format!("keyring {}, database {}", ring.generation, db_gen),
                    );
                }
                Err(e) => check("key generation", false, failed(e)),
            }
        }
        const SEALED: &str = "values sealed under the current keys";
        match self.stale_values() {
            Ok(0) => check(SEALED, true, "all".into()),
            Ok(stale) => check(
                SEALED,
                false,
                format!("{stale} values or subject keys do not open with this generation's keys"),
            ),
            Err(e) => check(SEALED, false, failed(e)),
        }
        let counts = self
            .store
            .count(RecordKind::Person)
            .and_then(|people| self.store.subject_key_count().map(|keys| (people, keys)));
        match counts {
            Ok((people, keys)) => check(
                "subject keys",
                keys >= people,
                format!("{keys} subject keys for {people} people"),
            ),
            Err(e) => check("subject keys", false, failed(e)),
        }
        Ok(checks)
    }

    /// Values and subject keys that do not open with this generation's keys.
    fn stale_values(&self) -> Result<u64> {
        // After keys changed (here or on another laptop), every value this
        // laptop can open is sealed under the current keys, none only
        // under an earlier one.
        let mut stale = 0u64;
        for c in Compartment::ALL {
            let Some(key) = self.keys.compartment(c) else {
                continue;
            };
            for cell in self.store.sealed_values(c)? {
                let ctx = field_ctx(&cell.record, &cell.field);
                if crypto::open(key, &ctx, &cell.bytes).is_none() {
                    stale += 1;
                }
            }
        }
        for (subject, bytes) in self.store.subject_keys()? {
            if crypto::open(
                &self.keys.subject_wrap,
                &owned_ctx("subject-key", &subject),
                &bytes,
            )
            .is_none()
            {
                stale += 1;
            }
        }
        Ok(stale)
    }

    /// Writes the WAL into the database file (before copying a vault, say).
    pub fn checkpoint(&self) -> Result<()> {
        self.store.checkpoint()
    }

    /// Whether this session holds the key of a compartment.
    pub fn holds(&self, c: Compartment) -> bool {
        self.keys.compartment(c).is_some()
    }

    pub(crate) fn require_seed(&self) -> Result<()> {
        self.require(Action::SeedDemo)
    }
}

/// What `doctor` says of the pages SQLCipher names.
fn page_findings(db: &std::path::Path, found: &crate::store::PageFindings) -> String {
    let mut parts = Vec::new();
    if !found.pages.is_empty() {
        let pages: Vec<String> = found.pages.iter().map(u64::to_string).collect();
        parts.push(format!(
            "{} {} not verify (changed or damaged outside Tresor): {}",
            if pages.len() == 1 { "page" } else { "pages" },
            if pages.len() == 1 { "does" } else { "do" },
            first_of(&pages, 20, ", ")
        ));
    }
    if !found.other.is_empty() {
        parts.push(first_of(&found.other, 5, "; "));
    }
    format!(
        "{}: {}; restore it from a backup",
        db.display(),
        parts.join("; ")
    )
}

/// The first `n` items, and how many more there are.
fn first_of(items: &[String], n: usize, sep: &str) -> String {
    let shown = items[..items.len().min(n)].join(sep);
    if items.len() > n {
        format!("{shown} and {} more", items.len() - n)
    } else {
        shown
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::sync::Arc;

    use super::Session;
    use crate::clock::SystemClock;
    use crate::crypto::KdfParams;
    use crate::model::categories::RecordKind;
    use crate::model::contacts::{FieldInput, PersonInput};
    use crate::vault::VaultDir;

    const PW: &[u8] = b"admin passphrase 1";
    const PAGE: usize = 16_384;

    /// A vault of a few hundred people, closed, and its database's bytes.
    fn filled_vault(dir: &Path) -> Vec<u8> {
        let (mut s, _) = Session::create(dir, "ada", PW, KdfParams::FLOOR, Arc::new(SystemClock))
            .expect("create");
        for i in 0..300 {
            s.add_person(
                &PersonInput::default()
                    .with_name(&format!("Person {i} Beispiel"))
                    .with(
                        "note",
                        FieldInput::Text(format!("note number {i} ").repeat(8)),
                    ),
            )
            .expect("add");
        }
        drop(s);
        let path = VaultDir::new(dir).db_path();
        assert!(
            !Path::new(&format!("{}-wal", path.display())).exists()
                || std::fs::metadata(format!("{}-wal", path.display())).map_or(0, |m| m.len()) == 0,
            "closing the session checkpoints the WAL into the file"
        );
        std::fs::read(&path).expect("db")
    }

    /// Overwrites 64 bytes inside page `page` (1-based), as a failing disk
    /// or a bad copy leaves it, and removes what an earlier open left.
    fn damage(dir: &Path, good: &[u8], page: usize) {
        let path = VaultDir::new(dir).db_path();
        for side in ["-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{side}", path.display()));
        }
        let mut db = good.to_vec();
        let at = (page - 1) * PAGE + 1000;
        for b in &mut db[at..at + 64] {
            *b ^= 0xa5;
        }
        std::fs::write(&path, &db).expect("write");
    }

    #[test]
    fn doctor_names_the_check_the_pages_and_the_file_of_a_damaged_page() {
        let tmp = tempfile::tempdir().expect("tmp");
        let good = filled_vault(tmp.path());
        let pages = good.len() / PAGE;
        assert!(pages > 8, "{pages} pages");
        let path = VaultDir::new(tmp.path()).db_path();
        let file = path.display().to_string();
        let mid = pages / 2;
        damage(tmp.path(), &good, mid);
        let s = Session::unlock(tmp.path(), "ada", PW, Arc::new(SystemClock))
            .expect("a damaged data page does not stop the unlock");
        let checks = s.doctor().expect("doctor reports, it does not stop");
        let named = |name: &str| {
            checks
                .iter()
                .find(|c| c.name == name)
                .unwrap_or_else(|| panic!("no check {name}: {checks:?}"))
        };
        let pages_check = named("SQLCipher page authentication (cipher_integrity_check)");
        assert!(!pages_check.ok, "{pages_check:?}");
        assert!(pages_check.detail.contains(&file), "{pages_check:?}");
        assert!(
            pages_check.detail.contains(&format!(
                "page does not verify (changed or damaged outside Tresor): {mid};"
            )),
            "{pages_check:?}"
        );
        let structure = named("SQLite integrity_check");
        assert!(!structure.ok, "{structure:?}");
        assert!(structure.detail.contains(&file), "{structure:?}");
        assert!(
            checks.iter().all(|c| !c.detail.contains("Unknown")),
            "{checks:?}"
        );
        // The checks ran on a connection of their own: the session's still
        // reads, and what does not need that page passes.
        assert!(named("keyring integrity (HMAC)").ok);
        assert!(named("database encrypted").ok);
        assert!(named("migrations").ok, "{checks:?}");
        assert_eq!(s.store.count(RecordKind::Person).expect("count"), 300);
        drop(s);

        // Wherever the damage is, unlocking either names the file or
        // succeeds and doctor names it.
        for page in [1, 2, 3, 4, pages - 1] {
            damage(tmp.path(), &good, page);
            match Session::unlock(tmp.path(), "ada", PW, Arc::new(SystemClock)) {
                Err(e) => {
                    assert_eq!(e.code(), "database_damaged", "page {page}: {e}");
                    assert!(e.to_string().contains(&file), "page {page}: {e}");
                    assert!(!e.to_string().contains("Unknown"), "page {page}: {e}");
                }
                Ok(s) => {
                    let checks = s.doctor().expect("doctor");
                    assert!(
                        checks.iter().any(|c| !c.ok && c.detail.contains(&file)),
                        "page {page}: {checks:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn sqlciphers_rows_are_sorted_into_pages_and_other_findings() {
        let found = crate::store::PageFindings::from_rows(vec![
            "HMAC verification failed for page 45".into(),
            "HMAC operation failed for page 7".into(),
            "error reading 16384 bytes from file page 3 at offset 32768".into(),
            "page 240 has an invalid size of 1 bytes (expected 16384 bytes)".into(),
            "HMAC is not enabled, unable to integrity check".into(),
        ]);
        assert_eq!(found.pages, [45, 7, 3]);
        assert_eq!(found.other.len(), 2);
        let said = super::page_findings(Path::new("/v/tresor.db"), &found);
        assert!(
            said.starts_with("/v/tresor.db: pages do not verify"),
            "{said}"
        );
        assert!(said.contains("45, 7, 3"), "{said}");
        assert!(said.contains("page 240 has an invalid size"), "{said}");
    }
}
