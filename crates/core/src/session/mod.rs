//! The transport-free facade: a [`Session`] is a signed-in user with their
//! unlocked keys, and its methods are the operations a person can perform.
//!
//! Every method checks the permission matrix first. The CLI and the desktop
//! shell call only this; neither holds a rule. Dropping the session closes
//! the database and wipes the keys.

pub mod bulk;
pub mod companies;
pub mod consent;
pub mod contact_export;
pub mod contacts;
pub mod doctor;
pub mod erasure;
pub mod export;
pub mod followups;
pub mod import;
pub mod mail;
pub mod mailing;
pub mod merge;
pub mod open;
pub mod optin;
pub mod package;
pub mod register;
pub mod requests;
pub mod retention;
pub mod rights;
pub mod settings;
pub mod users;

use std::sync::Arc;

use chrono::Utc;
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use crate::clock::Clock;
use crate::crypto::{self, Context, Key32};
use crate::error::{Error, Result};
use crate::keyring::Keyset;
use crate::model::categories::{self, Category, Compartment, FieldDef, RecordKind};
use crate::model::contacts::{FieldInput, FieldValue, RecordId, normalise};
use crate::model::roles::{Action, Role};
use crate::ops::{CREATE_FIELD, Forget, Hlc, Op, OpValue, Stamp};
use crate::store::Store;
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
    /// May export many contacts to a file.
    pub may_export_contacts: bool,
    /// May merge two records of one person (changes contacts and erases).
    pub may_merge_people: bool,
    /// May see data-subject requests.
    pub may_view_requests: bool,
    /// May handle requests: restrict, object, erase, release access packages.
    pub may_handle_requests: bool,
    /// May see retention rules, what falls due, legal holds, the log.
    pub may_view_retention: bool,
    /// May change rules, run the sweep, set and lift legal holds.
    pub may_manage_retention: bool,
    /// May run the integrity checks.
    pub may_run_doctor: bool,
    /// Categories whose fields this user can read.
    pub readable: Vec<Category>,
}

/// The fewest characters a new user passphrase may have.
pub const MIN_PASSPHRASE_CHARS: usize = 10;

/// New passphrases: at least [`MIN_PASSPHRASE_CHARS`] characters.
pub fn validate_new_passphrase(p: &[u8]) -> Result<()> {
    let chars = String::from_utf8_lossy(p).chars().count();
    if chars < MIN_PASSPHRASE_CHARS {
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

pub(crate) fn field_ctx<'a>(record: &'a str, field: &'a str) -> Context<'a> {
    Context {
        domain: "field",
        owner: record,
        slot: field,
        schema: SCHEMA,
    }
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
    /// Runs `work` in one batch of the store (one transaction around its
    /// writes, see `Store::begin_batch`). The batch ends here on every
    /// path: committed, or rolled back on an error, a failed commit or a
    /// panic (the app goes on after one), also one while the derived rows
    /// are refreshed before the commit.
    pub(crate) fn in_batch<T>(
        &mut self,
        work: impl FnOnce(&mut Session) -> Result<T>,
    ) -> Result<T> {
        self.store.begin_batch()?;
        let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let done = work(self)?;
            self.store.end_batch().map(|()| done)
        }));
        let result = match run {
            Ok(r) => r,
            Err(panic) => {
                self.store.abort_batch();
                std::panic::resume_unwind(panic);
            }
        };
        if result.is_err() {
            self.store.abort_batch();
        }
        result
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
            may_export_contacts: self.role.may(Action::ExportContacts),
            may_merge_people: self.role.may(Action::WriteContacts) && self.role.may(Action::Erase),
            may_view_requests: self.role.may(Action::ViewRequests),
            may_handle_requests: self.role.may(Action::HandleRequests)
                && self.role.may(Action::Erase)
                && self.role.may(Action::ExportPackage),
            may_view_retention: self.role.may(Action::ViewRetention),
            may_manage_retention: self.role.may(Action::ManageRetention),
            may_run_doctor: self.role.may(Action::RunDoctor),
            readable: Category::ALL
                .into_iter()
                .filter(|c| self.role.can_read(*c))
                .collect(),
        }
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
        // Clearing a sealed field needs its key too: a role that may not
        // read a note may not wipe it (every receiving laptop checks the
        // same, `sync/admit.rs`).
        if let Some(c) = def.category.compartment()
            && self.keys.compartment(c).is_none()
        {
            return Err(Error::CompartmentLocked {
                field: def.name.into(),
                category: def.category.as_str().into(),
                role: self.role.as_str().into(),
            });
        }
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

    pub(crate) fn person_exists(&self, id: RecordId) -> Result<()> {
        match self.store.record(id)? {
            Some((RecordKind::Person, _)) => Ok(()),
            _ => Err(Error::NotFound {
                what: "person",
                id: id.to_string(),
            }),
        }
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
