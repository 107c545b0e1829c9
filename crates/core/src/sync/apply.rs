//! Applying received bodies: their changes opened with the subjects' keys,
//! checked at the gate, and written with their removals.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::crypto::Key32;
use crate::error::Result;
use crate::keyring::Keyset;
use crate::model::categories::RecordKind;
use crate::ops::{CREATE_FIELD, Forget, Hlc, Op, OpValue, Stamp};
use crate::session::Session;

use super::admit;
use super::keys::{reseal, sync_key};
use super::team::Team;
use super::wire::{Body, WireForget, WireOp, WireValue, unwire_op};

/// One change of a received segment, as far as it could be opened
/// without the vault's database.
pub(super) enum Slot {
    Ready(Op),
    /// A person's change whose key was not in the folder: opened with the
    /// key in the vault, if it has one.
    NeedsKey(Uuid, WireOp),
    /// Did not open (of the person, if it is a person's).
    Failed(Option<Uuid>),
}

/// A received body with its changes opened.
pub(super) struct Opened {
    pub(super) slots: Vec<Slot>,
    pub(super) keys: Vec<(Uuid, Vec<u8>)>,
    pub(super) forgets: Vec<WireForget>,
}

/// Learns the sync keys of the subject keys a body carries (`cache`).
pub(super) fn learn_keys(
    keys: &[(Uuid, Vec<u8>)],
    subject_wrap: &Key32,
    cache: &mut HashMap<Uuid, Key32>,
) {
    for (subject, wrapped) in keys {
        if !cache.contains_key(subject)
            && let Some(k) = sync_key(subject_wrap, *subject, wrapped)
        {
            cache.insert(*subject, k);
        }
    }
}

/// Opens changes with the sync keys learnt so far. Needs no database, so
/// it runs beside the thread that applies.
pub(super) fn open_ops(ops: Vec<WireOp>, cache: &HashMap<Uuid, Key32>, held: &Keyset) -> Vec<Slot> {
    let ready = |mut op: Op| {
        reseal(held, &mut op);
        Slot::Ready(op)
    };
    ops.into_iter()
        .map(|w| match &w.value {
            WireValue::Subject { subject, .. } => {
                let subject = *subject;
                match cache.get(&subject) {
                    Some(k) => unwire_op(w, Some(k)).map_or(Slot::Failed(Some(subject)), ready),
                    None => Slot::NeedsKey(subject, w),
                }
            }
            _ => unwire_op(w, None).map_or(Slot::Failed(None), ready),
        })
        .collect()
}

/// A body while it is applied in parts.
#[derive(Default)]
pub(super) struct Applying {
    /// Its removals that are applied after its changes.
    after: Vec<WireForget>,
    /// Sync keys from this vault, for changes whose key was not in the folder.
    keys: HashMap<Uuid, Option<Key32>>,
    applied: u64,
    removals: u64,
    erased: bool,
    unreadable: u64,
    max: Option<Hlc>,
    /// Who may have made what: checked before anything is applied.
    gate: Option<Arc<admit::Gate>>,
    /// The device whose log is read (`None` for a snapshot).
    from: Option<String>,
    /// Changes and removals refused, and why the first was.
    refused: u64,
    refusal: Option<String>,
    /// The kind of each record a change of this body named, as this vault
    /// holds it or a creation in this body made it (none: not yet known).
    kinds: HashMap<Uuid, Option<RecordKind>>,
}

/// What applying one body did.
pub(super) struct Applied {
    pub(super) changes: u64,
    pub(super) removals: u64,
    pub(super) erased: bool,
    pub(super) unreadable: u64,
    pub(super) refused: u64,
    pub(super) refusal: Option<String>,
}

impl Applying {
    fn refuse(&mut self, why: String) {
        self.refused += 1;
        if self.refusal.is_none() {
            self.refusal = Some(why);
        }
    }

    /// Whether a change passes the gate (always, without one).
    fn admits(&mut self, c: &admit::Change<'_>) -> bool {
        let Some(gate) = &self.gate else {
            return true;
        };
        match gate.change(self.from.as_deref(), c) {
            Ok(()) => true,
            Err(why) => {
                self.refuse(why);
                false
            }
        }
    }
}

/// Opens a body's changes with the subject keys it carries and those of
/// earlier bodies (`cache`).
pub(super) fn open_body(body: Body, held: &Keyset, cache: &mut HashMap<Uuid, Key32>) -> Opened {
    learn_keys(&body.keys, &held.subject_wrap, cache);
    Opened {
        slots: open_ops(body.ops, cache, held),
        keys: body.keys,
        forgets: body.forgets,
    }
}

/// Frees changes on a thread of their own: thousands of small allocations
/// (here after all if no thread can be started).
pub(super) fn free_beside(ops: Vec<Op>) {
    if !ops.is_empty() {
        let spare = std::thread::Builder::new().name("tresor-free".into());
        let _ = spare.spawn(move || drop(ops));
    }
}

impl Session {
    /// Applies a body as [`Session::apply_opened`] does.
    pub(super) fn apply_body(&mut self, body: Body, gate: Arc<admit::Gate>) -> Result<Applied> {
        let opened = open_body(body, &self.keys, &mut HashMap::new());
        self.apply_opened(opened, gate)
    }

    /// The gate for what arrives: each card's user, and the roles the
    /// admins signed in this laptop's own keyring.
    pub(super) fn gate(&self, team: &Team) -> Result<Arc<admit::Gate>> {
        let users = team
            .cards
            .iter()
            .map(|(d, c)| (d.simple().to_string(), c.user.clone()))
            .chain(std::iter::once((
                self.device().to_owned(),
                self.user().to_owned(),
            )))
            .collect();
        let has_suppression_key = matches!(
            self.store.record(Session::setting_id("suppression-key")),
            Ok(Some(_))
        );
        Ok(Arc::new(admit::Gate::new(
            users,
            self.vault().keyring()?.signed_roles(),
            has_suppression_key,
        )))
    }

    /// Whether a removal's target is due here by this laptop's own rules
    /// at `at` and not on hold (or gone here already).
    /// What this laptop knows of a record a removal names, for the gate.
    fn removal_target(&self, id: Uuid) -> Option<admit::Target> {
        let (kind, subject) = self.store.record(id).ok().flatten()?;
        let company = if kind == RecordKind::Affiliation {
            self.store
                .fields(id)
                .ok()?
                .into_iter()
                .find_map(|(f, v)| match v {
                    OpValue::Open(j) if f == "company" => serde_json::from_str::<String>(&j)
                        .ok()
                        .and_then(|c| Uuid::parse_str(&c).ok()),
                    _ => None,
                })
        } else {
            None
        };
        let person = match subject {
            Some(s) if matches!(self.store.record(s), Ok(Some((RecordKind::Person, _)))) => Some(s),
            _ => None,
        };
        let protected = person.is_some_and(|p| {
            !matches!(self.restriction(p), Ok(None)) || !matches!(self.current_hold(p), Ok(None))
        });
        Some(admit::Target {
            kind,
            subject,
            company,
            protected,
        })
    }

    pub(super) fn due_here(&self, target: Uuid, at: DateTime<Utc>) -> bool {
        if self.store.is_erased(target).unwrap_or(false)
            || self.store.is_gone(target).unwrap_or(false)
        {
            return true;
        }
        let subject = match self.store.record(target) {
            Ok(Some((RecordKind::Person, _) | (_, None))) => target,
            // A follow-up on a sole trader's company is about its person.
            Ok(Some((_, Some(s)))) => match self.store.record(s) {
                Ok(Some((RecordKind::Company, Some(person)))) => person,
                _ => s,
            },
            _ => return false,
        };
        self.store.due_of(subject).is_ok_and(|rows| {
            rows.iter()
                .any(|r| (r.record == target || r.record == subject) && r.due <= at && !r.held)
        })
    }

    /// Applies an opened body: removals that filter first, then the ops,
    /// then the rest. Changes of people whose keys were not in the folder
    /// are opened here with the keys of this vault. Returns (changes
    /// applied, removals applied, any erasure, changes that could not be
    /// read).
    pub(super) fn apply_opened(&mut self, body: Opened, gate: Arc<admit::Gate>) -> Result<Applied> {
        let mut applying = self.begin_body(body.forgets, &body.keys, gate, None)?;
        let spent = self.apply_slots(&mut applying, body.slots)?;
        free_beside(spent);
        self.end_body(applying)
    }

    /// The start of applying a body: the removals that filter first, then
    /// its subject keys.
    pub(super) fn begin_body(
        &mut self,
        forgets: Vec<WireForget>,
        keys: &[(Uuid, Vec<u8>)],
        gate: Arc<admit::Gate>,
        from: Option<String>,
    ) -> Result<Applying> {
        let mut applying = Applying {
            from,
            ..Applying::default()
        };
        let mut admitted = Vec::with_capacity(forgets.len());
        for f in forgets {
            let at = Hlc(f.hlc).to_datetime();
            match gate.removal(
                applying.from.as_deref(),
                &f.device,
                &f.forget,
                |t| self.due_here(t, at),
                |t| self.removal_target(t),
            ) {
                Ok(()) => admitted.push(f),
                Err(why) => applying.refuse(why),
            }
        }
        applying.gate = Some(gate);
        let (first, after): (Vec<_>, Vec<_>) =
            admitted.into_iter().partition(|f| f.forget.goes_first());
        applying.after = after;
        for f in first {
            self.apply_forget(&mut applying, f)?;
        }
        self.store.apply_ops(&[], keys, true)?;
        Ok(applying)
    }

    fn apply_forget(&mut self, applying: &mut Applying, f: WireForget) -> Result<()> {
        applying.erased |= matches!(
            f.forget,
            Forget::Subject { .. }
                | Forget::Records { .. }
                | Forget::Companies { .. }
                | Forget::Anonymised { .. }
        );
        let stamp = Stamp {
            id: f.id,
            hlc: Hlc(f.hlc),
            device: f.device,
        };
        self.store.forget(&f.forget, &stamp)?;
        applying.removals += 1;
        Ok(())
    }

    /// Applies changes of the body being applied; returns them, for the
    /// caller to free.
    pub(super) fn apply_slots(
        &mut self,
        applying: &mut Applying,
        slots: Vec<Slot>,
    ) -> Result<Vec<Op>> {
        let mut ops = Vec::with_capacity(slots.len());
        for slot in slots {
            let failed = match slot {
                Slot::Ready(op) => {
                    if applying.admits(&admit::Change::of(&op))
                        && self.kind_agrees(applying, &op)?
                    {
                        ops.push(op);
                    }
                    continue;
                }
                Slot::NeedsKey(subject, w) => {
                    let key = applying
                        .keys
                        .entry(subject)
                        .or_insert_with(|| self.subject_sync_key(subject, None));
                    match unwire_op(w, key.as_ref()) {
                        Some(mut op) => {
                            if applying.admits(&admit::Change::of(&op))
                                && self.kind_agrees(applying, &op)?
                            {
                                reseal(&self.keys, &mut op);
                                ops.push(op);
                            }
                            continue;
                        }
                        None => Some(subject),
                    }
                }
                Slot::Failed(subject) => subject,
            };
            // An erased person's changes do not open any more: expected.
            let expected = failed.is_some_and(|s| {
                self.store.is_erased(s).unwrap_or(false) || self.store.is_gone(s).unwrap_or(false)
            });
            if !expected {
                applying.unreadable += 1;
            }
        }
        applying.max = applying.max.max(ops.iter().map(|o| o.hlc).max());
        applying.applied += self.store.apply_ops(&ops, &[], true)? as u64;
        Ok(ops)
    }

    /// Whether a change names the kind its record has: a record keeps the
    /// kind it was made as, so naming a kind the author's role may change
    /// (a follow-up, say) gains nothing on a record of another kind (a
    /// retention rule, a hold), and a second creation of one id as another
    /// kind is refused. A change of a record not yet known here is checked
    /// when its creation arrives (`store::journal`).
    fn kind_agrees(&mut self, applying: &mut Applying, op: &Op) -> Result<bool> {
        let known = match applying.kinds.get(&op.record) {
            Some(k) => *k,
            None => {
                let k = self.store.record(op.record)?.map(|(k, _)| k);
                applying.kinds.insert(op.record, k);
                k
            }
        };
        match known {
            Some(kind) if kind != op.kind => {
                applying.refuse(format!(
                    "'{}' changed record {} as a {}, but it is a {}",
                    op.author,
                    op.record,
                    op.kind.as_str(),
                    kind.as_str()
                ));
                Ok(false)
            }
            Some(_) => Ok(true),
            // Purposes, retention rules and settings have ids derived from
            // their names, which anyone can work out: no other kind may
            // take one first (the record would keep that kind).
            None if op.record.get_version_num() == 5
                && !matches!(
                    op.kind,
                    RecordKind::Purpose | RecordKind::RetentionRule | RecordKind::Setting
                ) =>
            {
                applying.refuse(format!(
                    "'{}' made record {} as a {}, but its id is one of a purpose, rule or setting",
                    op.author,
                    op.record,
                    op.kind.as_str()
                ));
                Ok(false)
            }
            None => {
                if op.field == CREATE_FIELD {
                    if let Some(why) = self.company_subject_refused(applying, op)? {
                        applying.refuse(why);
                        return Ok(false);
                    }
                    applying.kinds.insert(op.record, Some(op.kind));
                }
                Ok(true)
            }
        }
    }

    /// A company made about someone (a sole trader's) must be about a
    /// person this laptop knows, and one who is not restricted: else a
    /// patched program could hang a company on anyone.
    fn company_subject_refused(&self, applying: &Applying, op: &Op) -> Result<Option<String>> {
        if op.kind != RecordKind::Company {
            return Ok(None);
        }
        let subject = match &op.value {
            OpValue::Open(j) => serde_json::from_str::<Option<String>>(j)
                .ok()
                .flatten()
                .and_then(|s| Uuid::parse_str(&s).ok()),
            _ => None,
        };
        let Some(person) = subject else {
            return Ok(None);
        };
        let is_person = match applying.kinds.get(&person) {
            Some(k) => *k == Some(RecordKind::Person),
            None => matches!(self.store.record(person)?, Some((RecordKind::Person, _))),
        };
        Ok(if !is_person {
            Some(format!(
                "'{}' made company {} as a sole trader's of {person}, which is no person here",
                op.author, op.record
            ))
        } else if self.restriction(person)?.is_some() {
            Some(format!(
                "'{}' made company {} as a sole trader's of {person}, whose data is restricted",
                op.author, op.record
            ))
        } else {
            None
        })
    }

    /// The end of applying a body: the other removals. Returns (changes
    /// applied, removals applied, any erasure, changes that could not be
    /// read).
    pub(super) fn end_body(&mut self, mut applying: Applying) -> Result<Applied> {
        for f in std::mem::take(&mut applying.after) {
            self.apply_forget(&mut applying, f)?;
        }
        if let Some(max) = applying.max {
            self.observe(max)?;
        }
        Ok(Applied {
            changes: applying.applied,
            removals: applying.removals,
            erased: applying.erased,
            unreadable: applying.unreadable,
            refused: applying.refused,
            refusal: applying.refusal,
        })
    }
}
