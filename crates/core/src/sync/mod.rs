//! Sync between laptops through a folder they already share.
//!
//! Each device appends immutable, signed, sealed segments of its own ops
//! and removals to `log/<device>/<seq>.seg`; every device reads the others'
//! segments and applies them (last writer wins per field, by HLC, device
//! and op id). Values about a person are sealed a second time under a key
//! derived from that person's subject key, so destroying it on erasure
//! leaves nothing decryptable, and compaction replaces what every device
//! has acknowledged by a snapshot without the erased. The format is
//! specified in `docs/sync-format.md`.

mod admit;
mod file;
#[cfg(feature = "fuzzing")]
pub(crate) mod fuzzing;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use ed25519_dalek::{SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::clock::Clock;
use crate::crypto::{self, Context, Key32};
use crate::error::{Error, Result};
use crate::keyring::{Keyring, Keyset};
use crate::model::categories::{Compartment, RecordKind};
use crate::model::roles::Action;
use crate::ops::{CREATE_FIELD, Forget, Hlc, Op, OpValue, Stamp};
use crate::session::Session;
use crate::store::{SnapshotParts, Store};
use crate::vault::{VaultDir, write_atomic};

use file::{Kind, Layout};

/// Ops per segment: a first sync of a large vault writes several.
const CHUNK: usize = 20_000;
/// Received changes applied in one transaction, about (a batch ends
/// after the segment that reaches it): the WAL grows to about 150 MB for
/// them before it is checkpointed. Small in unit tests, so that they go
/// through the commits between.
const BATCH_CHANGES: u64 = if cfg!(test) { 20 } else { 250_000 };
/// Changes dated further ahead than this are held back, not trusted.
const FUTURE_SLACK_MS: u64 = 5 * 60 * 1000;
/// Where the devices whose changes were refused are kept (device → why).
const FLAGGED: &str = "sync_flagged";
/// Compact once the folder holds this many segments (or after an erasure).
const COMPACT_AFTER: usize = 64;

/// What one sync did.
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SyncReport {
    /// Changes written to the folder.
    pub sent_changes: u64,
    /// Removals (erasures, deletions) written.
    pub sent_removals: u64,
    /// Segments written.
    pub sent_segments: u64,
    /// Changes received and applied (not counting those already here).
    pub received_changes: u64,
    /// Removals received.
    pub received_removals: u64,
    /// Segments read and applied.
    pub received_segments: u64,
    /// Whether this sync compacted the folder.
    pub compacted: bool,
    /// Files skipped and why.
    pub problems: Vec<SyncProblem>,
}

/// A file of the folder that was skipped, and why.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SyncProblem {
    /// Stable code: damaged, forged, unknown_device, cloned_device,
    /// clock_ahead, keyring, retired, other_keys, old_keys, refused (changes
    /// made beyond the author's role or in another user's name).
    pub code: String,
    /// The file, relative to the folder.
    pub file: String,
    /// What happened and what it means.
    pub message: String,
}

/// The sync state, for the status bar.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SyncStatus {
    /// The shared folder, when set up.
    pub folder: Option<String>,
    /// This device.
    pub device: String,
    /// When the last sync finished.
    pub last_sync: Option<DateTime<Utc>>,
    /// When a sync last brought changes from another laptop (views that
    /// show data refresh when it moves).
    pub last_received: Option<DateTime<Utc>>,
    /// Local changes not yet in the folder.
    pub pending_changes: u64,
    /// Problems of the last sync.
    pub problems: Vec<SyncProblem>,
    /// The signed-in user's role now: keys taken over from another laptop
    /// may have changed it (the app then fetches its session again).
    pub role: crate::model::roles::Role,
}

/// A device of the team.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DeviceInfo {
    /// Device id.
    pub id: String,
    /// The user who set it up.
    pub user: String,
    /// Its computer name.
    pub host: String,
    /// When it joined.
    pub created: DateTime<Utc>,
    /// When it last acknowledged what it read.
    pub last_seen: Option<DateTime<Utc>>,
    /// Its last segment applied here.
    pub last_segment: u64,
    /// Retired by an admin.
    pub retired: bool,
    /// Why this laptop refused changes it sent (made beyond its user's
    /// role, or in another user's name), if it ever did: shown to admins.
    pub flagged: Option<String>,
    /// This laptop.
    pub this_device: bool,
}

#[derive(Serialize, Deserialize)]
enum WireValue {
    Open(Vec<u8>),
    Sealed(String, Vec<u8>),
    Cleared,
    /// Sealed again under the subject's sync key.
    Subject {
        subject: Uuid,
        compartment: Option<String>,
        bytes: Vec<u8>,
    },
}

#[derive(Serialize, Deserialize)]
struct WireOp {
    id: Uuid,
    hlc: u64,
    device: String,
    author: String,
    record: Uuid,
    kind: String,
    field: String,
    value: WireValue,
}

#[derive(Serialize, Deserialize)]
struct WireForget {
    id: Uuid,
    hlc: u64,
    device: String,
    forget: Forget,
}

#[derive(Serialize, Deserialize, Default)]
struct Body {
    ops: Vec<WireOp>,
    keys: Vec<(Uuid, Vec<u8>)>,
    forgets: Vec<WireForget>,
}

#[derive(Serialize, Deserialize)]
struct Card {
    public: [u8; 32],
    user: String,
    host: String,
    created_ms: i64,
}

#[derive(Serialize, Deserialize)]
struct AckBody {
    heads: Vec<(Uuid, u64)>,
    at_ms: i64,
}

#[derive(Serialize, Deserialize)]
struct RetireBody {
    device: Uuid,
    by: String,
    at_ms: i64,
    /// Its last segment the retiring laptop had applied: segments up to
    /// it are still applied everywhere (a laptop joining later needs
    /// them), later ones never.
    upto: u64,
    /// The admins' signature of the above (see [`RetireBody::signed`]);
    /// empty in vaults made before the admins' key existed.
    admin_sig: Vec<u8>,
}

impl RetireBody {
    /// What the admins' key signs: a device card's user is its own
    /// claim, so the retiring laptop's card alone does not show an admin.
    fn signed(&self) -> Vec<u8> {
        format!(
            "tresor retire\n{}\n{}\n{}\n{}",
            self.device, self.by, self.at_ms, self.upto
        )
        .into_bytes()
    }
}

#[derive(Serialize, Deserialize)]
struct SnapshotBody {
    covers: Vec<(Uuid, u64, [u8; 32])>,
    body: Body,
    erased: Vec<(Uuid, i64, String)>,
    gone: Vec<Uuid>,
    forgotten: Vec<(Uuid, String, u64)>,
}

/// The devices with valid cards in the folder.
#[derive(Default)]
struct Team {
    cards: BTreeMap<Uuid, Card>,
    /// Retired devices with the last segment still accepted.
    retired: BTreeMap<Uuid, u64>,
    /// Of those, the devices of users no longer in the team.
    departed: BTreeSet<Uuid>,
    /// Cards under an earlier generation's key of devices neither seen
    /// here before nor retired: not trusted, but retired with their user.
    earlier: BTreeMap<Uuid, Card>,
    /// Devices whose card is sealed under the current generation's key:
    /// they took the current keys over.
    current: BTreeSet<Uuid>,
}

impl Team {
    /// Whether a file of `device` that opened with generation `g` counts:
    /// one under an earlier key only from a device that has taken the
    /// current keys over since (it wrote it before), or a retired one (up
    /// to its retirement). A removed user holds the earlier keys, and a
    /// card's user is only its own claim, so a device that never took the
    /// current keys over is not trusted with them.
    fn accepts(&self, device: Uuid, g: usize) -> bool {
        g == 0 || self.current.contains(&device) || self.retired.contains_key(&device)
    }
}

impl Team {
    fn key(&self, d: Uuid) -> Option<VerifyingKey> {
        self.cards
            .get(&d)
            .and_then(|c| VerifyingKey::from_bytes(&c.public).ok())
    }
}

/// The key a subject's values are sealed under in the folder, from the
/// subject's wrapped key: HKDF of its key (DSK), so it goes with it.
fn sync_key(subject_wrap: &Key32, subject: Uuid, wrapped: &[u8]) -> Option<Key32> {
    let sid = subject.to_string();
    let ctx = crate::session::owned_ctx("subject-key", &sid);
    let dsk = crypto::open(subject_wrap, &ctx, wrapped)?;
    Some(crypto::expand(&dsk, "tresor sync value v1"))
}

/// The team's sync key of a generation: from its subject-wrapping key,
/// which every role holds.
fn team_sync_key(subject_wrap: &Key32) -> Key32 {
    crypto::expand(subject_wrap.expose(), "tresor sync team v1")
}

/// The team's keys as this laptop holds them: per generation, newest
/// first, the sync key files are sealed under and the subject-wrapping
/// key. Files are written under the current generation's; what laptops
/// wrote before a rotation reached them opens with an earlier one.
struct TeamKeys {
    gens: Vec<(Key32, Key32)>,
}

impl TeamKeys {
    fn of(keys: &Keyset) -> TeamKeys {
        let mut gens = vec![(team_sync_key(&keys.subject_wrap), keys.subject_wrap.clone())];
        for e in &keys.earlier {
            if !gens.iter().any(|(_, w)| *w == e.subject_wrap) {
                gens.push((team_sync_key(&e.subject_wrap), e.subject_wrap.clone()));
            }
        }
        TeamKeys { gens }
    }

    /// The key files are written under.
    fn current(&self) -> &Key32 {
        &self.gens[0].0
    }

    /// Opens an envelope with the newest key that opens it; with its
    /// generation's index (0 is the current one).
    fn open(&self, env: &file::Envelope) -> Option<(zeroize::Zeroizing<Vec<u8>>, usize)> {
        self.gens
            .iter()
            .enumerate()
            .find_map(|(i, (k, _))| env.open(k).map(|plain| (plain, i)))
    }

    /// Subject keys of a body that opened with generation `g`, wrapped
    /// again under the current subject-wrapping key.
    fn rewrap(&self, g: usize, keys: &mut [(Uuid, Vec<u8>)]) {
        let (Some((_, old)), Some((_, now))) = (self.gens.get(g), self.gens.first()) else {
            return;
        };
        if g == 0 {
            return;
        }
        for (subject, wrapped) in keys.iter_mut() {
            let sid = subject.to_string();
            let ctx = crate::session::owned_ctx("subject-key", &sid);
            if let Some(dsk) = crypto::open(old, &ctx, wrapped) {
                *wrapped = crypto::seal(now, &ctx, &dsk);
            }
        }
    }
}

/// A value of a compartment sealed under an earlier key of it (written
/// before a rotation reached its laptop), sealed again under the current
/// key, if this laptop holds both. Nothing to do without earlier keys.
fn reseal(keys: &Keyset, op: &mut Op) {
    if keys.earlier.is_empty() {
        return;
    }
    let OpValue::Sealed { compartment, bytes } = &mut op.value else {
        return;
    };
    let Some(now) = keys.compartment(*compartment) else {
        return;
    };
    let record = op.record.to_string();
    let ctx = crate::session::field_ctx(&record, &op.field);
    if crypto::open(now, &ctx, bytes).is_some() {
        return;
    }
    let before = keys
        .earlier
        .iter()
        .filter_map(|e| e.compartments.get(compartment));
    if let Some(plain) = before
        .into_iter()
        .find_map(|k| crypto::open(k, &ctx, bytes))
    {
        *bytes = crypto::seal(now, &ctx, &plain);
    }
}

/// An op as it was made, from its form in the folder; `key` opens a
/// person's value. `None` when it does not open or is of an unknown kind.
fn unwire_op(w: WireOp, key: Option<&Key32>) -> Option<Op> {
    let kind = RecordKind::parse(&w.kind)?;
    let value = match w.value {
        WireValue::Cleared => OpValue::Cleared,
        WireValue::Open(bytes) => OpValue::Open(String::from_utf8(bytes).ok()?),
        WireValue::Sealed(c, bytes) => OpValue::Sealed {
            compartment: Compartment::parse(&c)?,
            bytes,
        },
        WireValue::Subject {
            compartment, bytes, ..
        } => {
            let id = w.id.to_string();
            let inner = crypto::open(key?, &value_ctx(&id, &w.field), &bytes)?;
            match compartment {
                None => OpValue::Open(String::from_utf8(inner.to_vec()).ok()?),
                Some(c) => OpValue::Sealed {
                    compartment: Compartment::parse(&c)?,
                    bytes: inner.to_vec(),
                },
            }
        }
    };
    Some(Op {
        id: w.id,
        hlc: Hlc(w.hlc),
        device: w.device,
        author: w.author,
        record: w.record,
        kind,
        field: w.field,
        value,
    })
}

/// One change of a received segment, as far as it could be opened
/// without the vault's database.
enum Slot {
    Ready(Op),
    /// A person's change whose key was not in the folder: opened with the
    /// key in the vault, if it has one.
    NeedsKey(Uuid, WireOp),
    /// Did not open (of the person, if it is a person's).
    Failed(Option<Uuid>),
}

/// A received body with its changes opened.
struct Opened {
    slots: Vec<Slot>,
    keys: Vec<(Uuid, Vec<u8>)>,
    forgets: Vec<WireForget>,
}

/// Learns the sync keys of the subject keys a body carries (`cache`).
fn learn_keys(keys: &[(Uuid, Vec<u8>)], subject_wrap: &Key32, cache: &mut HashMap<Uuid, Key32>) {
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
fn open_ops(ops: Vec<WireOp>, cache: &HashMap<Uuid, Key32>, held: &Keyset) -> Vec<Slot> {
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
struct Applying {
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
}

/// What applying one body did.
struct Applied {
    changes: u64,
    removals: u64,
    erased: bool,
    unreadable: u64,
    refused: u64,
    refusal: Option<String>,
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
fn open_body(body: Body, held: &Keyset, cache: &mut HashMap<Uuid, Key32>) -> Opened {
    learn_keys(&body.keys, &held.subject_wrap, cache);
    Opened {
        slots: open_ops(body.ops, cache, held),
        keys: body.keys,
        forgets: body.forgets,
    }
}

/// What the thread that reads segments hands to the one that applies, in
/// this order per segment: it begins, its changes follow in parts (so the
/// first part of a large segment is applied while the rest is opened), it
/// ends. Or reading stops at a segment that cannot be applied.
enum Piece {
    /// A segment passed every check: its subject keys and removals.
    Begins {
        seq: u64,
        keys: Vec<(Uuid, Vec<u8>)>,
        forgets: Vec<WireForget>,
    },
    /// Some of its changes, opened.
    Changes(Vec<Slot>),
    /// Its end, with its hash.
    Ends([u8; 32]),
    /// A problem, or `None` for "not yet" (its predecessor is missing).
    Stops(Option<SyncProblem>),
}

/// Frees changes on a thread of their own: thousands of small allocations
/// (here after all if no thread can be started).
fn free_beside(ops: Vec<Op>) {
    if !ops.is_empty() {
        let spare = std::thread::Builder::new().name("tresor-free".into());
        let _ = spare.spawn(move || drop(ops));
    }
}

/// Changes per [`Piece::Changes`] (a few in unit tests, so that one
/// person's changes come in several parts).
const PART: usize = if cfg!(test) { 3 } else { 2_048 };

/// How many minutes ahead of `now_ms` the body's newest change is, when
/// more than the slack.
fn too_far_ahead(body: &Body, now_ms: u64) -> Option<u64> {
    let max = body
        .ops
        .iter()
        .map(|o| Hlc(o.hlc).wall_ms())
        .chain(body.forgets.iter().map(|f| Hlc(f.hlc).wall_ms()))
        .max()?;
    (max > now_ms + FUTURE_SLACK_MS).then(|| (max - now_ms) / 60_000)
}

/// Reads and checks one segment: frame, signature, chain (it must
/// follow `prev`, the hash of the segment before it, or `None` when that
/// one is not known yet), seal, clock and device; returns its body.
/// `Err(None)` means "not yet" (its predecessor is missing).
#[allow(clippy::too_many_arguments)]
fn read_segment(
    layout: &Layout,
    team: &Team,
    tk: &TeamKeys,
    now_ms: u64,
    (device, seq): (Uuid, u64),
    prev: Option<[u8; 32]>,
) -> std::result::Result<(Body, [u8; 32]), Option<SyncProblem>> {
    let path = layout.segment(device, seq);
    let name = rel(layout, &path);
    let damaged = |what: &str| {
        Some(problem(
            "damaged",
            name.clone(),
            format!("{what}; it was not applied and will be read again at the next sync"),
        ))
    };
    let Ok(bytes) = std::fs::read(&path) else {
        return Err(damaged("it cannot be read"));
    };
    let Some(env) = file::parse(&bytes) else {
        return Err(damaged("it is truncated or not a Tresor segment"));
    };
    if env.kind != Kind::Segment || env.device != device || env.seq != seq {
        return Err(damaged("its header does not match its name"));
    }
    if team.retired.get(&device).is_some_and(|upto| seq > *upto) {
        return Err(Some(if team.departed.contains(&device) {
            problem(
                "retired",
                name,
                "written by the laptop of a user who is no longer in the team; it was not applied",
            )
        } else {
            problem(
                "retired",
                name,
                "written by a retired device after its retirement; it was not applied",
            )
        }));
    }
    if team.earlier.contains_key(&device) {
        return Err(Some(problem(
            "old_keys",
            name,
            "written by a laptop that has not taken over the team's new keys yet; it is read once that laptop has synced",
        )));
    }
    let Some(key) = team.key(device) else {
        return Err(Some(problem(
            "unknown_device",
            name,
            "written by a device without a valid card in the folder; it was not applied",
        )));
    };
    if !env.signed_by(&key) {
        return Err(Some(problem(
            "forged",
            name,
            "its signature does not verify: it was altered or forged, and was not applied",
        )));
    }
    match prev {
        None => return Err(None),
        Some(prev) if prev.as_slice() != env.prev.as_slice() => {
            return Err(Some(problem(
                "cloned_device",
                name,
                "it does not follow the segment before it: a copy of that laptop's vault is writing as the same device; retire one of them and let it join again",
            )));
        }
        Some(_) => {}
    }
    let Some((plain, generation)) = tk.open(&env) else {
        return Err(Some(problem(
            "other_keys",
            name,
            "it is sealed with team keys this laptop does not hold: the keys were changed on another laptop and not taken over here (see the keyring problem), or it was written by someone no longer in the team",
        )));
    };
    if !team.accepts(device, generation) {
        return Err(Some(problem(
            "old_keys",
            name,
            "written under the team's earlier keys by a laptop that has not taken the new keys over; it is read once that laptop has synced",
        )));
    }
    let Ok(mut body) = postcard::from_bytes::<Body>(&plain) else {
        return Err(damaged("its content cannot be read"));
    };
    tk.rewrap(generation, &mut body.keys);
    if let Some(minutes) = too_far_ahead(&body, now_ms) {
        return Err(Some(problem(
            "clock_ahead",
            name,
            format!(
                "the changes are dated {minutes} minutes ahead of this laptop's clock; they are held back until then — check the clock of the laptop that wrote them"
            ),
        )));
    }
    // A device writes only its own changes.
    let dname = device.simple().to_string();
    if body.ops.iter().any(|o| o.device != dname) || body.forgets.iter().any(|f| f.device != dname)
    {
        return Err(Some(problem(
            "forged",
            name,
            "it carries changes in another device's name; it was not applied",
        )));
    }
    Ok((body, file::hash(&bytes)))
}

fn rel(layout: &Layout, path: &Path) -> String {
    path.strip_prefix(layout.root())
        .unwrap_or(path)
        .display()
        .to_string()
}

fn problem(code: &str, file: String, message: impl Into<String>) -> SyncProblem {
    SyncProblem {
        code: code.into(),
        file,
        message: message.into(),
    }
}

fn folder_err(path: &Path, detail: impl Into<String>) -> Error {
    Error::SyncFolder {
        path: path.to_path_buf(),
        detail: detail.into(),
    }
}

fn read_dir_names(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .filter_map(|e| e.file_name().to_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(Error::io(dir))?;
    }
    write_atomic(path, bytes)
}

/// Replaces a file that is rewritten at every sync and whose loss after a
/// power cut only delays compaction (this device's ack): a temp file and a
/// rename, without waiting for the disk. Waiting would wait for whatever
/// was written before it too: on ext4 the WAL of the pull just committed,
/// tens of megabytes. A torn file fails its signature and counts as no ack.
fn write_unsynced(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(Error::io(dir))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{}.tmp", Uuid::new_v4().simple()));
    let written = std::fs::write(&tmp, bytes).and_then(|()| std::fs::rename(&tmp, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written.map_err(Error::io(path))
}

fn host_name() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "computer".into())
}

fn value_ctx<'a>(op: &'a str, field: &'a str) -> Context<'a> {
    Context {
        domain: "sync-value",
        owner: op,
        slot: field,
        schema: 1,
    }
}

fn ms_to_time(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

fn team_keyring(folder: &Path) -> Result<(Keyring, PathBuf)> {
    let path = Layout::new(folder).keyring();
    let bytes = std::fs::read(&path).map_err(|_| {
        folder_err(
            folder,
            "it holds no Tresor team (team/keyring.json is missing); check that the folder is shared and complete, or set it up on the first laptop with `tresor sync setup`",
        )
    })?;
    Ok((Keyring::parse(&bytes, &path)?, path))
}

/// The user to join as when none is named: the team's only user, else its
/// first admin.
pub fn default_user(folder: &Path) -> Result<String> {
    let (ring, _) = team_keyring(folder)?;
    if let [only] = ring.users.as_slice() {
        return Ok(only.name.clone());
    }
    ring.users
        .iter()
        .find(|u| u.role == crate::model::roles::Role::Admin)
        .map(|u| u.name.clone())
        .ok_or_else(|| Error::NotFound {
            what: "user",
            id: "admin".into(),
        })
}

/// Joins the team in the shared folder as an existing user: builds a new
/// local vault in `dir` (never inside the folder) from the folder's keyring
/// and everything the devices have written, and signs in.
pub fn join(
    folder: &Path,
    dir: &Path,
    user: &str,
    passphrase: &[u8],
    clock: Arc<dyn Clock>,
) -> Result<(Session, SyncReport)> {
    join_with(folder, dir, user, passphrase, clock, |path, keys| {
        Store::create(path, &keys.db)
    })
}

/// Benchmarks only: joins into an unencrypted SQLite store, so applying
/// received changes can be measured against plain SQLite in the same run.
#[cfg(feature = "bench-baseline")]
#[doc(hidden)]
pub fn join_plain_baseline(
    folder: &Path,
    dir: &Path,
    user: &str,
    passphrase: &[u8],
    clock: Arc<dyn Clock>,
) -> Result<(Session, SyncReport)> {
    join_with(folder, dir, user, passphrase, clock, |path, _| {
        Store::open_plain_baseline(path)
    })
}

fn join_with(
    folder: &Path,
    dir: &Path,
    user: &str,
    passphrase: &[u8],
    clock: Arc<dyn Clock>,
    create: impl FnOnce(&Path, &crate::keyring::Keyset) -> Result<Store>,
) -> Result<(Session, SyncReport)> {
    let (ring, ring_path) = team_keyring(folder)?;
    let (keys, personal) = ring.unlock_personal(user, passphrase, &ring_path)?;
    // A joining laptop learns the team from the folder's keyring; its
    // admins' key must at least be the one the vault's id derives from,
    // and the user's role one those admins signed.
    let role = match ring.signed_role(user) {
        Some(role) if ring.anchored(None) => role,
        _ => {
            return Err(Error::RoleNotSigned {
                path: ring_path,
                user: user.to_owned(),
            });
        }
    };
    let vault = VaultDir::new(dir);
    let folder_abs = std::fs::canonicalize(folder).unwrap_or_else(|_| folder.to_path_buf());
    if let Ok(d) = std::fs::canonicalize(dir.parent().unwrap_or(dir))
        && d.starts_with(&folder_abs)
    {
        return Err(Error::invalid(
            "vault",
            "the local vault must not be inside the shared folder; choose a directory outside it",
        ));
    }
    if vault.exists() || vault.db_path().exists() {
        return Err(Error::VaultExists {
            path: dir.to_path_buf(),
        });
    }
    let existed = dir.exists();
    std::fs::create_dir_all(dir).map_err(Error::io(dir))?;
    let built = (|| {
        let store = create(&vault.db_path(), &keys)?;
        store.set_meta("vault_id", &ring.vault_id)?;
        store.set_meta("key_generation", &ring.generation.to_string())?;
        store.set_meta("device_id", &Uuid::now_v7().simple().to_string())?;
        store.set_meta("sync_folder", &folder_abs.display().to_string())?;
        if ring.has_admin_key() {
            store.set_meta(crate::session::open::ADMIN_ROOT_META, ring.admin_root())?;
        }
        vault.write_keyring(&ring)?;
        let mut session = Session::unseeded(vault.clone(), store, keys, user.into(), role, clock)?;
        session.personal = Some(personal);
        let report = session.sync()?;
        session.seed_consent_defaults()?;
        Ok((session, report))
    })();
    if built.is_err() {
        // A join that failed half-way leaves nothing: the next try starts clean.
        if existed {
            for name in [
                "tresor.db",
                "tresor.db-wal",
                "tresor.db-shm",
                "keyring.json",
                "sync.lock",
            ] {
                let _ = std::fs::remove_file(dir.join(name));
            }
        } else {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
    built
}

impl Session {
    fn team_keys(&self) -> TeamKeys {
        TeamKeys::of(&self.keys)
    }

    fn device_uuid(&self) -> Result<Uuid> {
        Uuid::try_parse(self.device()).map_err(|_| {
            Error::invalid(
                "device",
                "this vault has no device id that can sync (a benchmark baseline?)",
            )
        })
    }

    fn signing_key(&self) -> Result<SigningKey> {
        if let Some(hex) = self.store.meta("device_signing_key")?
            && let Some(k) = Key32::from_hex(&hex)
        {
            return Ok(SigningKey::from_bytes(k.expose()));
        }
        let key = Key32::random();
        self.store
            .set_meta("device_signing_key", key.to_hex().as_str())?;
        Ok(SigningKey::from_bytes(key.expose()))
    }

    fn layout(&self) -> Result<Layout> {
        let folder = self.store.meta("sync_folder")?.ok_or(Error::SyncNotSetUp)?;
        let path = PathBuf::from(folder);
        if !path.is_dir() {
            return Err(folder_err(
                &path,
                "it is not there; check that the shared drive is connected",
            ));
        }
        Ok(Layout::new(&path))
    }

    /// Publishes this vault's team to a shared folder (empty, or holding
    /// the same vault's team) and sends every change. Admins only.
    pub fn sync_setup(&mut self, folder: &Path) -> Result<SyncReport> {
        self.require(Action::ManageUsers)?;
        self.device_uuid()?;
        std::fs::create_dir_all(folder).map_err(Error::io(folder))?;
        let abs = std::fs::canonicalize(folder).map_err(Error::io(folder))?;
        let vault_abs = std::fs::canonicalize(self.vault().dir())
            .unwrap_or_else(|_| self.vault().dir().to_path_buf());
        if vault_abs.starts_with(&abs) {
            return Err(Error::invalid(
                "folder",
                "the shared folder must not contain the vault itself; the database stays on this laptop",
            ));
        }
        let layout = Layout::new(&abs);
        if layout.keyring().exists() {
            let bytes = std::fs::read(layout.keyring()).map_err(Error::io(layout.keyring()))?;
            let theirs = Keyring::parse(&bytes, &layout.keyring())?;
            if theirs.vault_id != self.vault().keyring()?.vault_id {
                return Err(folder_err(
                    &abs,
                    "it already holds another vault's team; choose an empty folder",
                ));
            }
        } else if std::fs::read_dir(&abs).map_err(Error::io(&abs))?.any(|e| {
            e.ok()
                .and_then(|e| e.file_name().to_str().map(|n| !n.starts_with('.')))
                .unwrap_or(false)
        }) {
            return Err(folder_err(
                &abs,
                "it is not empty; choose an empty folder for the team",
            ));
        }
        self.store
            .set_meta("sync_folder", &abs.display().to_string())?;
        self.sync()
    }

    /// Pushes and pulls once: reads what the other devices wrote, applies
    /// it, writes this device's new changes, acknowledges, and compacts
    /// when every device has read everything. Any role.
    pub fn sync(&mut self) -> Result<SyncReport> {
        self.sync_with(false)
    }

    /// As [`Session::sync`]; with `compact`, compacts whenever every
    /// active device has acknowledged everything.
    pub fn sync_with(&mut self, compact: bool) -> Result<SyncReport> {
        let layout = self.layout()?;
        // One sync at a time per vault (the app and the command line may
        // both run): two would write the same segment number.
        let lock_path = self.vault().dir().join("sync.lock");
        let lock = std::fs::File::create(&lock_path).map_err(Error::io(&lock_path))?;
        lock.lock().map_err(Error::io(&lock_path))?;
        let me = self.device_uuid()?;
        let signer = self.signing_key()?;
        let mut report = SyncReport::default();
        // First: keys changed on another laptop are taken over before
        // anything is read or written.
        let stale = self.sync_keyring(&layout, &mut report)?;
        let tk = self.team_keys();
        self.publish_card(&layout, me, &tk, &signer)?;
        let team = self.read_team(&layout, &tk, &mut report)?;
        let erased = self.pull(&layout, &team, &tk, &mut report)?;
        if erased {
            // At once: should pushing fail below, the erased person's
            // freed pages are still cleared (the next sync would not know).
            self.store.compact()?;
        }
        if stale {
            // Nothing is sent under keys that were replaced.
        } else if team.retired.contains_key(&me) {
            report.problems.push(problem(
                "retired",
                rel(&layout, &layout.retirement(me)),
                "an admin retired this laptop: it still receives, but what is changed here is not sent; join the team again with `tresor join` to take part",
            ));
        } else {
            self.push(&layout, me, &tk, &signer, &mut report)?;
        }
        if !stale {
            self.write_ack(&layout, me, &tk, &signer)?;
        }
        if !stale && !team.retired.contains_key(&me) {
            report.compacted = self.maybe_compact(&layout, &team, me, &tk, &signer, compact)?;
        }
        let now = self.now().timestamp_millis();
        self.store.set_meta("sync_last", &now.to_string())?;
        if report.received_changes + report.received_removals > 0 {
            self.store
                .set_meta("sync_last_received", &now.to_string())?;
        }
        self.store.set_meta(
            "sync_problems",
            &serde_json::to_string(&report.problems).unwrap_or_default(),
        )?;
        Ok(report)
    }

    /// The sync state: folder, last sync, changes waiting, problems.
    pub fn sync_status(&self) -> Result<SyncStatus> {
        let folder = self.store.meta("sync_folder")?;
        let pending_changes = if folder.is_some() {
            self.store.outbox_len()?
        } else {
            0
        };
        Ok(SyncStatus {
            folder,
            device: self.device().to_owned(),
            last_sync: self
                .store
                .meta("sync_last")?
                .and_then(|s| s.parse().ok())
                .map(ms_to_time),
            last_received: self
                .store
                .meta("sync_last_received")?
                .and_then(|s| s.parse().ok())
                .map(ms_to_time),
            pending_changes,
            problems: self
                .store
                .meta("sync_problems")?
                .and_then(|s| serde_json::from_str(&s).ok())
                .unwrap_or_default(),
            role: self.role(),
        })
    }

    /// The devices of the team as the folder shows them.
    pub fn devices(&self) -> Result<Vec<DeviceInfo>> {
        let layout = self.layout()?;
        let tk = self.team_keys();
        let mut ignore = SyncReport::default();
        let team = self.read_team(&layout, &tk, &mut ignore)?;
        let heads: HashMap<String, u64> = self.store.seen_heads()?.into_iter().collect();
        let flagged = self.flagged_devices()?;
        let mut out = Vec::new();
        for (id, card) in &team.cards {
            let hex = id.simple().to_string();
            let last_seen = self
                .read_ack(&layout, &team, *id, &tk)
                .map(|a| ms_to_time(a.at_ms));
            out.push(DeviceInfo {
                last_segment: heads.get(&hex).copied().unwrap_or(0),
                this_device: hex == self.device(),
                flagged: flagged.get(&hex).cloned(),
                id: hex,
                user: card.user.clone(),
                host: card.host.clone(),
                created: ms_to_time(card.created_ms),
                last_seen,
                retired: team.retired.contains_key(id),
            });
        }
        Ok(out)
    }

    /// Devices whose changes were refused here, with the first reason.
    fn flagged_devices(&self) -> Result<BTreeMap<String, String>> {
        Ok(self
            .store
            .meta(FLAGGED)?
            .and_then(|j| serde_json::from_str(&j).ok())
            .unwrap_or_default())
    }

    /// Reports changes of `device` refused in `file` and flags the device.
    fn refused(
        &mut self,
        device: &str,
        file: &str,
        count: u64,
        why: String,
        report: &mut SyncReport,
    ) -> Result<()> {
        report.problems.push(problem(
            "refused",
            file.to_owned(),
            format!(
                "{count} changes from laptop {device} were refused and not applied: {why}; the laptop is flagged in the device list"
            ),
        ));
        let mut flagged = self.flagged_devices()?;
        flagged.entry(device.to_owned()).or_insert(why);
        self.store.set_meta(
            FLAGGED,
            &serde_json::to_string(&flagged).unwrap_or_default(),
        )
    }

    /// Retires a device that has gone silent, so compaction no longer
    /// waits for it. Admins only; a retired device must join again.
    pub fn retire_device(&mut self, id: &str) -> Result<()> {
        self.require(Action::ManageUsers)?;
        let layout = self.layout()?;
        let me = self.device_uuid()?;
        let tk = self.team_keys();
        let mut ignore = SyncReport::default();
        let team = self.read_team(&layout, &tk, &mut ignore)?;
        let matching: Vec<Uuid> = team
            .cards
            .keys()
            .filter(|d| id.len() >= 4 && d.simple().to_string().starts_with(id))
            .copied()
            .collect();
        let target = match matching.as_slice() {
            [one] => *one,
            [] => {
                return Err(Error::NotFound {
                    what: "device",
                    id: id.into(),
                });
            }
            _ => {
                return Err(Error::invalid(
                    "device",
                    "several devices start with this; give the whole id from `tresor device list`",
                ));
            }
        };
        if target == me {
            return Err(Error::invalid(
                "device",
                "this laptop cannot retire itself; retire it from another laptop",
            ));
        }
        self.write_retirement(&layout, me, target, None, &tk)
    }

    /// After keys were changed here (a user `removed`, a role lowered):
    /// retires the devices whose cards name a removed user, so every laptop
    /// stops at the same segment of them, signs again the retirements an
    /// earlier admins' key signed, and asks for a compaction, after which
    /// no segment or snapshot in the folder opens with the replaced keys.
    /// Without a reachable folder it only asks: the other laptops take no
    /// more of that user's changes once they have the new keyring anyway.
    pub(crate) fn after_key_change(&mut self, removed: Option<&str>) -> Result<()> {
        if self.store.meta("sync_folder")?.is_none() {
            return Ok(());
        }
        self.store.set_meta("sync_compact_wanted", "1")?;
        let (Ok(layout), Ok(me)) = (self.layout(), self.device_uuid()) else {
            return Ok(());
        };
        let tk = self.team_keys();
        let Ok(team) = self.read_team(&layout, &tk, &mut SyncReport::default()) else {
            return Ok(());
        };
        let theirs: Vec<Uuid> = team
            .cards
            .iter()
            .chain(&team.earlier)
            .filter(|(d, c)| {
                removed == Some(c.user.as_str())
                    && **d != me
                    && (!team.retired.contains_key(*d) || team.departed.contains(*d))
            })
            .map(|(d, _)| *d)
            .collect();
        for d in theirs {
            self.write_retirement(&layout, me, d, None, &tk)?;
        }
        // Retirements signed with an admins' key this removal replaced are
        // signed again, so they keep counting.
        let ring = self.vault().keyring()?;
        for name in read_dir_names(&layout.devices()) {
            let Some(d) = name.strip_suffix(".retired").and_then(file::device_of_name) else {
                continue;
            };
            let body = std::fs::read(layout.devices().join(&name))
                .ok()
                .and_then(|b| {
                    let env = file::parse(&b)?;
                    postcard::from_bytes::<RetireBody>(&tk.open(&env)?.0).ok()
                })
                .filter(|b| b.device == d);
            if let Some(body) = body
                && !ring.admin_current_verifies(&body.signed(), &body.admin_sig)
                && ring.admin_ever_verifies(&body.signed(), &body.admin_sig)
            {
                self.write_retirement(&layout, me, d, Some(body.upto), &tk)?;
            }
        }
        Ok(())
    }

    /// Writes an admin's retirement of `target`, up to `upto` or else its
    /// last segment applied here.
    fn write_retirement(
        &mut self,
        layout: &Layout,
        me: Uuid,
        target: Uuid,
        upto: Option<u64>,
        tk: &TeamKeys,
    ) -> Result<()> {
        let upto = match upto {
            Some(u) => u,
            None => self
                .store
                .seen_heads()?
                .into_iter()
                .find(|(d, _)| *d == target.simple().to_string())
                .map_or(0, |(_, s)| s),
        };
        let mut body = RetireBody {
            device: target,
            by: self.user().to_owned(),
            at_ms: self.now().timestamp_millis(),
            upto,
            admin_sig: Vec::new(),
        };
        body.admin_sig = Keyring::admin_sign(&self.keys, &body.signed())
            .map(|s| s.to_vec())
            .unwrap_or_default();
        let body = postcard::to_stdvec(&body).unwrap_or_default();
        let signer = self.signing_key()?;
        let bytes = file::write(Kind::Retire, me, 0, [0; 32], &body, tk.current(), &signer);
        write_file(&layout.retirement(target), &bytes)
    }

    /// Brings this laptop's keyring and the folder's together. Returns
    /// true when the folder holds keys of a later generation that this
    /// laptop could not take over: it then sends nothing, since what it
    /// wrote would be sealed under keys a removed user may hold.
    fn sync_keyring(&mut self, layout: &Layout, report: &mut SyncReport) -> Result<bool> {
        let path = layout.keyring();
        let at = rel(layout, &path);
        let mut ours = self.vault().keyring()?;
        // Only admins write the team's keyring, signed with the admins'
        // key; in vaults made before that key existed, every laptop did.
        let publishes = self.keys.admin.is_some() || !ours.has_admin_key();
        let theirs = match std::fs::read(&path).map(|b| Keyring::parse(&b, &path)) {
            Err(_) => None,
            Ok(Ok(theirs)) if theirs.vault_id == ours.vault_id => Some(theirs),
            Ok(parsed) => {
                let why =
                    parsed.map_or_else(|e| e.to_string(), |_| "it belongs to another vault".into());
                report.problems.push(problem(
                    "keyring",
                    at,
                    format!("the team keyring was not taken over: {why}"),
                ));
                return Ok(false);
            }
        };
        let Some(theirs) = theirs else {
            if publishes {
                write_file(&path, &ours.to_bytes())?;
            }
            return Ok(false);
        };
        let signed = theirs.signed_by_admin_of(&ours);
        let unsigned = |report: &mut SyncReport| {
            report.problems.push(problem(
                "forged",
                at.clone(),
                "a team keyring that no admin of this team signed was ignored",
            ));
        };
        if theirs.generation > ours.generation {
            // Keys were changed on another laptop (a user removed, a role
            // lowered): taken over when an admin changed them.
            if !ours.has_admin_key() {
                report.problems.push(problem(
                    "keyring",
                    at,
                    "the team's keys were changed on another laptop, and this vault was made before keyrings were signed by an admin, so they are not taken over: join the team again with `tresor join`",
                ));
                return Ok(false);
            }
            if !signed {
                unsigned(report);
                if publishes {
                    write_file(&path, &ours.to_bytes())?;
                }
                return Ok(false);
            }
            return Ok(match self.take_over_keys(&theirs, &path) {
                Ok(()) => {
                    // Users an admin added here and had not sent yet stay,
                    // with keys of the new generation.
                    if self.keys.is_complete() {
                        let mut now = self.vault().keyring()?;
                        if now.keep_users_of(&ours, &self.keys)? {
                            self.vault().write_keyring(&now)?;
                            write_file(&path, &now.to_bytes())?;
                        }
                    }
                    false
                }
                Err(e) => {
                    let why = match e {
                        Error::Invalid { message, .. } => message,
                        e => format!("they could not be taken over: {e}"),
                    };
                    report.problems.push(problem(
                        "keyring",
                        at,
                        format!("the team's keys were changed on another laptop: {why}"),
                    ));
                    true
                }
            });
        }
        if theirs.generation < ours.generation {
            // Keys were changed here: this keyring replaces the older one,
            // keeping users an admin added there meanwhile.
            if publishes {
                if signed && self.keys.is_complete() {
                    if ours.keep_users_of(&theirs, &self.keys)? {
                        self.vault().write_keyring(&ours)?;
                    }
                } else {
                    // Signed with an admins' key replaced here: an admin who
                    // left may have made it, so its users are not taken.
                    let lost: Vec<&str> = theirs
                        .users
                        .iter()
                        .map(|u| u.name.as_str())
                        .filter(|n| ours.user(n).is_none() && !ours.was_removed(n))
                        .collect();
                    if !lost.is_empty() {
                        report.problems.push(problem(
                            "keyring",
                            at.clone(),
                            format!(
                                "users added on another laptop while the admins' key was changed here were not kept: {}; add them again",
                                lost.join(", ")
                            ),
                        ));
                    }
                }
                write_file(&path, &ours.to_bytes())?;
            }
            return Ok(false);
        }
        if ours.has_admin_key() && !signed {
            unsigned(report);
            if publishes {
                write_file(&path, &ours.to_bytes())?;
            }
            return Ok(false);
        }
        // The same generation: users added on either side.
        match ours.merge_users(&theirs, &self.keys, &path) {
            Ok(added) => {
                if added {
                    self.vault().write_keyring(&ours)?;
                }
                let names = |r: &Keyring| {
                    r.users
                        .iter()
                        .map(|u| u.name.clone())
                        .collect::<BTreeSet<_>>()
                };
                if publishes && names(&theirs) != names(&ours) {
                    write_file(&path, &ours.to_bytes())?;
                }
            }
            Err(e) => report.problems.push(problem(
                "keyring",
                at,
                format!("the team keyring was not taken over: {e}"),
            )),
        }
        Ok(false)
    }

    fn publish_card(
        &self,
        layout: &Layout,
        me: Uuid,
        tk: &TeamKeys,
        signer: &SigningKey,
    ) -> Result<()> {
        let path = layout.device_card(me);
        // Written again when keys were changed: laptops that join later
        // accept a card under an earlier key only for a retired device.
        let mine = signer.verifying_key();
        let old = std::fs::read(&path)
            .ok()
            .and_then(|b| file::parse(&b))
            .filter(|env| env.kind == Kind::Device && env.device == me && env.signed_by(&mine))
            .and_then(|env| tk.open(&env))
            .and_then(|(plain, g)| Some((postcard::from_bytes::<Card>(&plain).ok()?, g)));
        if old.as_ref().is_some_and(|(_, g)| *g == 0) {
            return Ok(());
        }
        let card = Card {
            public: mine.to_bytes(),
            user: self.user().to_owned(),
            host: host_name(),
            created_ms: old.map_or_else(|| self.now().timestamp_millis(), |(c, _)| c.created_ms),
        };
        let body = postcard::to_stdvec(&card).unwrap_or_default();
        let bytes = file::write(Kind::Device, me, 0, [0; 32], &body, tk.current(), signer);
        write_file(&path, &bytes)
    }

    fn read_team(&self, layout: &Layout, tk: &TeamKeys, report: &mut SyncReport) -> Result<Team> {
        let mut team = Team::default();
        let dir = layout.devices();
        let mut retirements = Vec::new();
        // Cards under an earlier generation's key, of devices not seen
        // here before: a removed user still holds that key, so such a card
        // counts only for a device an admin retired (its segments up to
        // the retirement are still applied).
        let mut earlier_cards = Vec::new();
        for name in read_dir_names(&dir) {
            let path = dir.join(&name);
            if let Some(stem) = name.strip_suffix(".device")
                && let Some(d) = file::device_of_name(stem)
            {
                let bytes = std::fs::read(&path).unwrap_or_default();
                if let Some(env) = file::parse(&bytes)
                    && env.kind == Kind::Device
                    && tk.open(&env).is_none()
                {
                    report.problems.push(problem(
                        "other_keys",
                        rel(layout, &path),
                        "a device card sealed with team keys this laptop does not hold: keys were changed on another laptop",
                    ));
                    continue;
                }
                let card = Some(bytes).and_then(|b| {
                    let env = file::parse(&b)?;
                    let (plain, generation) = tk.open(&env)?;
                    let card: Card = postcard::from_bytes(&plain).ok()?;
                    let key = VerifyingKey::from_bytes(&card.public).ok()?;
                    (env.kind == Kind::Device && env.device == d && env.signed_by(&key))
                        .then_some((card, generation))
                });
                let hex = d.simple().to_string();
                let card = match card {
                    Some((card, g)) if g > 0 && self.store.device_key(&hex)?.is_none() => {
                        earlier_cards.push((d, card));
                        continue;
                    }
                    Some((card, g)) => {
                        if g == 0 {
                            team.current.insert(d);
                        }
                        Some(card)
                    }
                    None => None,
                };
                let Some(card) = card else {
                    report.problems.push(problem(
                        "forged",
                        rel(layout, &path),
                        "a device card that does not verify under the team's key was ignored",
                    ));
                    continue;
                };
                match self.store.device_key(&hex)? {
                    Some((public, user)) if public != card.public || user != card.user => {
                        report.problems.push(problem(
                            "forged",
                            rel(layout, &path),
                            "this device card shows a different signing key or user than when the device was first seen; its files are ignored",
                        ));
                        continue;
                    }
                    Some(_) => {}
                    None => self.store.pin_device(
                        &hex,
                        &card.public,
                        &card.user,
                        &card.host,
                        card.created_ms,
                    )?,
                }
                team.cards.insert(d, card);
            } else if let Some(stem) = name.strip_suffix(".retired")
                && let Some(d) = file::device_of_name(stem)
            {
                retirements.push((d, path));
            }
        }
        let ring = self.vault().keyring()?;
        let admins: BTreeSet<String> = ring
            .users
            .iter()
            .filter(|u| u.role == crate::model::roles::Role::Admin)
            .map(|u| u.name.clone())
            .collect();
        for (d, path) in retirements {
            let upto = std::fs::read(&path).ok().and_then(|b| {
                let env = file::parse(&b)?;
                let body: RetireBody = postcard::from_bytes(&tk.open(&env)?.0).ok()?;
                let key = team.key(env.device)?;
                // Only an admin retires others: signed with the admins' key
                // (in vaults made before it, by the card's user).
                let signer_is_admin = if ring.has_admin_key() {
                    ring.admin_current_verifies(&body.signed(), &body.admin_sig)
                } else {
                    admins.contains(&team.cards.get(&env.device)?.user)
                };
                (env.kind == Kind::Retire
                    && body.device == d
                    && env.device != d
                    && signer_is_admin
                    && env.signed_by(&key))
                .then_some(body.upto)
            });
            if let Some(upto) = upto {
                team.retired.insert(d, upto);
            }
        }
        for (d, card) in earlier_cards {
            if team.retired.contains_key(&d) {
                team.cards.insert(d, card);
            } else {
                team.earlier.insert(d, card);
            }
        }
        // A device of a user no longer in the team sends nothing more:
        // what this laptop applied of it stays, later segments are not
        // applied (an admin's retirement, written when the user was
        // removed, sets one point for every laptop).
        let heads: HashMap<String, u64> = self.store.seen_heads()?.into_iter().collect();
        for (d, card) in &team.cards {
            if ring.user(&card.user).is_none() && !team.retired.contains_key(d) {
                let upto = heads.get(&d.simple().to_string()).copied().unwrap_or(0);
                team.retired.insert(*d, upto);
                team.departed.insert(*d);
            }
        }
        Ok(team)
    }

    fn read_ack(&self, layout: &Layout, team: &Team, d: Uuid, tk: &TeamKeys) -> Option<AckBody> {
        let bytes = std::fs::read(layout.ack(d)).ok()?;
        let env = file::parse(&bytes)?;
        let key = team.key(d)?;
        if env.kind != Kind::Ack || env.device != d || !env.signed_by(&key) {
            return None;
        }
        postcard::from_bytes(&tk.open(&env)?.0).ok()
    }

    /// Wire form of an op: values of a subject's records sealed again
    /// under the subject's sync key.
    fn wire_op(
        &self,
        op: Op,
        subject: Option<Uuid>,
        cache: &mut HashMap<Uuid, Option<Key32>>,
    ) -> WireOp {
        let key = match subject {
            Some(s) if op.field != CREATE_FIELD && !matches!(op.value, OpValue::Cleared) => cache
                .entry(s)
                .or_insert_with(|| self.subject_sync_key(s, None))
                .clone()
                .map(|k| (s, k)),
            _ => None,
        };
        let id = op.id.to_string();
        let value = match (op.value, key) {
            (OpValue::Cleared, _) => WireValue::Cleared,
            (OpValue::Open(json), None) => WireValue::Open(json.into_bytes()),
            (OpValue::Sealed { compartment, bytes }, None) => {
                WireValue::Sealed(compartment.as_str().into(), bytes)
            }
            (OpValue::Open(json), Some((subject, k))) => WireValue::Subject {
                subject,
                compartment: None,
                bytes: crypto::seal(&k, &value_ctx(&id, &op.field), json.as_bytes()),
            },
            (OpValue::Sealed { compartment, bytes }, Some((subject, k))) => WireValue::Subject {
                subject,
                compartment: Some(compartment.as_str().into()),
                bytes: crypto::seal(&k, &value_ctx(&id, &op.field), &bytes),
            },
        };
        WireOp {
            id: op.id,
            hlc: op.hlc.0,
            device: op.device,
            author: op.author,
            record: op.record,
            kind: op.kind.as_str().into(),
            field: op.field,
            value,
        }
    }

    /// The sync key of a subject: from its wrapped key in `wrapped` or here.
    fn subject_sync_key(&self, subject: Uuid, wrapped: Option<&Vec<u8>>) -> Option<Key32> {
        match wrapped {
            Some(w) => sync_key(&self.keys.subject_wrap, subject, w),
            None => {
                let stored = self.store.subject_key(subject).ok().flatten()?;
                sync_key(&self.keys.subject_wrap, subject, &stored)
            }
        }
    }

    fn unwire(
        &self,
        w: WireOp,
        keys: &HashMap<Uuid, Vec<u8>>,
        cache: &mut HashMap<Uuid, Option<Key32>>,
    ) -> Option<Op> {
        let key = match &w.value {
            WireValue::Subject { subject, .. } => Some(
                cache
                    .entry(*subject)
                    .or_insert_with(|| self.subject_sync_key(*subject, keys.get(subject)))
                    .clone()?,
            ),
            _ => None,
        };
        let mut op = unwire_op(w, key.as_ref())?;
        reseal(&self.keys, &mut op);
        Some(op)
    }

    /// Applies a body as [`Session::apply_opened`] does.
    fn apply_body(&mut self, body: Body, gate: Arc<admit::Gate>) -> Result<Applied> {
        let opened = open_body(body, &self.keys, &mut HashMap::new());
        self.apply_opened(opened, gate)
    }

    /// The gate for what arrives: each card's user, and the roles the
    /// admins signed in this laptop's own keyring.
    fn gate(&self, team: &Team) -> Result<Arc<admit::Gate>> {
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
    fn due_here(&self, target: Uuid, at: DateTime<Utc>) -> bool {
        if self.store.is_erased(target).unwrap_or(false)
            || self.store.is_gone(target).unwrap_or(false)
        {
            return true;
        }
        let subject = match self.store.record(target) {
            Ok(Some((RecordKind::Person, _) | (_, None))) => target,
            Ok(Some((_, Some(s)))) => s,
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
    fn apply_opened(&mut self, body: Opened, gate: Arc<admit::Gate>) -> Result<Applied> {
        let mut applying = self.begin_body(body.forgets, &body.keys, gate, None)?;
        let spent = self.apply_slots(&mut applying, body.slots)?;
        free_beside(spent);
        self.end_body(applying)
    }

    /// The start of applying a body: the removals that filter first, then
    /// its subject keys.
    fn begin_body(
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
            match gate.removal(applying.from.as_deref(), &f.device, &f.forget, |t| {
                self.due_here(t, at)
            }) {
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
        applying.erased |= matches!(f.forget, Forget::Subject { .. } | Forget::Records { .. });
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
    fn apply_slots(&mut self, applying: &mut Applying, slots: Vec<Slot>) -> Result<Vec<Op>> {
        let mut ops = Vec::with_capacity(slots.len());
        for slot in slots {
            let failed = match slot {
                Slot::Ready(op) => {
                    if applying.admits(&admit::Change::of(&op)) {
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
                            if applying.admits(&admit::Change::of(&op)) {
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

    /// The end of applying a body: the other removals. Returns (changes
    /// applied, removals applied, any erasure, changes that could not be
    /// read).
    fn end_body(&mut self, mut applying: Applying) -> Result<Applied> {
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

    fn pull(
        &mut self,
        layout: &Layout,
        team: &Team,
        tk: &TeamKeys,
        report: &mut SyncReport,
    ) -> Result<bool> {
        let erased = self.apply_snapshot_if_needed(layout, team, tk, report)?;
        // The segments go in as one batch, which commits once every
        // BATCH_CHANGES changes (and at the end), so pages written again
        // and again by one segment after another (indexes, the search
        // index) are written once per part, and the rows derived from the
        // changes are refreshed once, before each commit.
        self.store.begin_batch()?;
        // The batch ends here on every path: committed, or rolled back on
        // an error, a failed commit or a panic (the app goes on after one),
        // also one while the derived rows are refreshed before the commit.
        let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let e = self.pull_segments(layout, team, tk, report)?;
            self.store.end_batch().map(|()| erased | e)
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

    fn pull_segments(
        &mut self,
        layout: &Layout,
        team: &Team,
        tk: &TeamKeys,
        report: &mut SyncReport,
    ) -> Result<bool> {
        let mut erased = false;
        let mut in_batch = 0;
        let heads: HashMap<String, u64> = self.store.seen_heads()?.into_iter().collect();
        let gate = self.gate(team)?;
        for dname in read_dir_names(&layout.logs()) {
            let Some(device) = file::device_of_name(&dname) else {
                continue;
            };
            let mut seqs: Vec<u64> = read_dir_names(&layout.log(device))
                .iter()
                .filter_map(|n| file::seq_of_name(n))
                .collect();
            seqs.sort_unstable();
            let head = heads.get(&dname).copied().unwrap_or(0);
            // The last applied segment must still read the same.
            if head > 0
                && seqs.contains(&head)
                && let (Ok(bytes), Some(seen)) = (
                    std::fs::read(layout.segment(device, head)),
                    self.store.seen_segment(&dname, head)?,
                )
                && file::hash(&bytes).as_slice() != seen.as_slice()
            {
                report.problems.push(problem(
                    "cloned_device",
                    rel(layout, &layout.segment(device, head)),
                    "this segment differs from the one applied here under the same number: a copy of that laptop's vault is writing as the same device; retire one of them and let it join again",
                ));
                continue;
            }
            // The segment before the first new one: known here, or none yet.
            let prev = if head == 0 {
                Some([0u8; 32])
            } else {
                self.store
                    .seen_segment(&dname, head)?
                    .and_then(|h| <[u8; 32]>::try_from(h.as_slice()).ok())
            };
            let wanted: Vec<u64> = seqs.into_iter().filter(|s| *s > head).collect();
            if wanted.is_empty() {
                continue;
            }
            // A second thread reads, checks and opens the next segments
            // while this one applies, and hands them over in parts; it
            // stops at the first that cannot be applied, and when this side
            // stops listening.
            let held = self.keys.clone();
            let now_ms = u64::try_from(self.now().timestamp_millis()).unwrap_or(0);
            std::thread::scope(|scope| -> Result<()> {
                let (tx, rx) = std::sync::mpsc::sync_channel(4);
                // Applied changes go back to be freed where they were
                // allocated: freeing them here, or on a third thread, would
                // contend for this thread's allocator.
                let (spent_tx, spent_rx) = std::sync::mpsc::channel::<Vec<Op>>();
                scope.spawn(move || {
                    let mut cache = HashMap::new();
                    let mut prev = prev;
                    let mut expected = head + 1;
                    for seq in wanted {
                        let link = if seq == expected { prev } else { None };
                        let read = read_segment(layout, team, tk, now_ms, (device, seq), link);
                        let (body, hash) = match read {
                            Ok(r) => r,
                            Err(p) => {
                                let _ = tx.send(Piece::Stops(p));
                                break;
                            }
                        };
                        prev = Some(hash);
                        expected = seq + 1;
                        learn_keys(&body.keys, &held.subject_wrap, &mut cache);
                        let begins = Piece::Begins {
                            seq,
                            keys: body.keys,
                            forgets: body.forgets,
                        };
                        if tx.send(begins).is_err() {
                            break;
                        }
                        let mut ops = body.ops.into_iter();
                        loop {
                            let part: Vec<WireOp> = ops.by_ref().take(PART).collect();
                            if part.is_empty() {
                                break;
                            }
                            if tx
                                .send(Piece::Changes(open_ops(part, &cache, &held)))
                                .is_err()
                            {
                                return;
                            }
                            spent_rx.try_iter().for_each(drop);
                        }
                        if tx.send(Piece::Ends(hash)).is_err() {
                            break;
                        }
                    }
                    drop(tx);
                    spent_rx.into_iter().for_each(drop);
                });
                let mut current: Option<(u64, Applying)> = None;
                for piece in rx {
                    let (seq, applying, hash) = match piece {
                        Piece::Begins { seq, keys, forgets } => {
                            current = Some((
                                seq,
                                self.begin_body(forgets, &keys, gate.clone(), Some(dname.clone()))?,
                            ));
                            continue;
                        }
                        Piece::Changes(slots) => {
                            if let Some((_, applying)) = &mut current {
                                let spent = self.apply_slots(applying, slots)?;
                                if let Err(unsent) = spent_tx.send(spent) {
                                    free_beside(unsent.0);
                                }
                            }
                            continue;
                        }
                        Piece::Ends(hash) => match current.take() {
                            Some((seq, applying)) => (seq, applying, hash),
                            None => break, // never sent so
                        },
                        Piece::Stops(Some(p)) => {
                            report.problems.push(p);
                            break;
                        }
                        Piece::Stops(None) => break, // an earlier segment has not arrived yet
                    };
                    let Applied {
                        changes,
                        removals,
                        erased: e,
                        unreadable,
                        refused,
                        refusal,
                    } = self.end_body(applying)?;
                    if refused > 0 {
                        let file = rel(layout, &layout.segment(device, seq));
                        self.refused(&dname, &file, refused, refusal.unwrap_or_default(), report)?;
                    }
                    if unreadable > 0 {
                        report.problems.push(problem(
                            "unreadable",
                            rel(layout, &layout.segment(device, seq)),
                            format!("{unreadable} changes in it could not be read (written by a newer Tresor?); the rest was applied, and it is read again at every sync until they can be"),
                        ));
                        break;
                    }
                    if removals > 0 {
                        self.store.set_meta("sync_compact_wanted", "1")?;
                    }
                    self.store.mark_seen(&dname, seq, &hash)?;
                    erased |= e;
                    report.received_changes += changes;
                    report.received_removals += removals;
                    report.received_segments += 1;
                    in_batch += changes;
                    if in_batch >= BATCH_CHANGES {
                        self.store.batch_commit()?;
                        in_batch = 0;
                    }
                }
                Ok(())
            })?;
        }
        Ok(erased)
    }

    fn push(
        &mut self,
        layout: &Layout,
        me: Uuid,
        tk: &TeamKeys,
        signer: &SigningKey,
        report: &mut SyncReport,
    ) -> Result<()> {
        let hex = me.simple().to_string();
        let head = self
            .store
            .seen_heads()?
            .into_iter()
            .find(|(d, _)| *d == hex)
            .map_or(0, |(_, s)| s);
        // Only a segment this device's key signed counts: a stray file
        // under its name must not stop it from sending.
        let mine = signer.verifying_key();
        let in_folder = read_dir_names(&layout.log(me))
            .iter()
            .filter_map(|n| file::seq_of_name(n))
            .filter(|s| *s > head)
            .filter(|s| {
                std::fs::read(layout.segment(me, *s))
                    .ok()
                    .and_then(|b| file::parse(&b))
                    .is_some_and(|e| e.signed_by(&mine))
            })
            .max()
            .unwrap_or(0);
        if in_folder > head {
            report.problems.push(problem(
                "cloned_device",
                rel(layout, &layout.log(me)),
                "the folder holds segments of this laptop that this vault has not written (a restored backup or a copied vault?); nothing was sent",
            ));
            return Ok(());
        }
        let pushed_forget: i64 = self
            .store
            .meta("sync_pushed_forget")?
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let mut forgets = self.store.forgets_of_device(&hex, pushed_forget)?;
        let mut seq = head;
        let mut cache = HashMap::new();
        loop {
            let (ops, last) = self.store.outbox(CHUNK)?;
            if last.is_none() && forgets.is_empty() {
                break;
            }
            if ops.is_empty() && forgets.is_empty() {
                // Only ops removed since they were made: nothing to send.
                self.store.sent(last.unwrap_or(0))?;
                continue;
            }
            let last_forget = forgets.last().map(|f| f.seq);
            let mut ids = BTreeSet::new();
            let mut body = Body::default();
            for (op, subject) in ops {
                ids.insert(op.record);
                ids.extend(subject);
                body.ops.push(self.wire_op(op, subject, &mut cache));
            }
            body.keys = self.store.wrapped_keys(&ids)?;
            body.forgets = forgets
                .drain(..)
                .map(|f| WireForget {
                    id: f.stamp.id,
                    hlc: f.stamp.hlc.0,
                    device: f.stamp.device,
                    forget: f.forget,
                })
                .collect();
            let prev: [u8; 32] = if seq == 0 {
                [0; 32]
            } else {
                self.store
                    .seen_segment(&hex, seq)?
                    .and_then(|h| h.try_into().ok())
                    .unwrap_or([0; 32])
            };
            let plain = zeroize::Zeroizing::new(postcard::to_stdvec(&body).unwrap_or_default());
            seq += 1;
            let bytes = file::write(Kind::Segment, me, seq, prev, &plain, tk.current(), signer);
            write_file(&layout.segment(me, seq), &bytes)?;
            self.store.mark_seen(&hex, seq, &file::hash(&bytes))?;
            report.sent_changes += body.ops.len() as u64;
            report.sent_removals += body.forgets.len() as u64;
            report.sent_segments += 1;
            if !body.forgets.is_empty() {
                // Removed data stays readable in older segments until compacted.
                self.store.set_meta("sync_compact_wanted", "1")?;
            }
            if let Some(upto) = last {
                self.store.sent(upto)?;
            }
            if let Some(f) = last_forget {
                self.store.set_meta("sync_pushed_forget", &f.to_string())?;
            }
        }
        Ok(())
    }

    fn write_ack(
        &self,
        layout: &Layout,
        me: Uuid,
        tk: &TeamKeys,
        signer: &SigningKey,
    ) -> Result<()> {
        let heads: Vec<(Uuid, u64)> = self
            .store
            .seen_heads()?
            .into_iter()
            .filter_map(|(d, s)| Some((file::device_of_name(&d)?, s)))
            .collect();
        let key = format!("{heads:?}");
        // Written without fsync: after a power cut the file may be older
        // or torn while the note of it survived, so the file is read back.
        let mine = signer.verifying_key();
        let current = || {
            let bytes = std::fs::read(layout.ack(me)).ok()?;
            let env = file::parse(&bytes)?;
            if env.kind != Kind::Ack || env.device != me || !env.signed_by(&mine) {
                return None;
            }
            postcard::from_bytes::<AckBody>(&env.open(tk.current())?).ok()
        };
        if self.store.meta("sync_acked")?.as_deref() == Some(key.as_str())
            && current().is_some_and(|a| a.heads == heads)
        {
            return Ok(());
        }
        let at_ms = self.now().timestamp_millis();
        let body = postcard::to_stdvec(&AckBody { heads, at_ms }).unwrap_or_default();
        let bytes = file::write(
            Kind::Ack,
            me,
            u64::try_from(at_ms).unwrap_or(0),
            [0; 32],
            &body,
            tk.current(),
            signer,
        );
        write_unsynced(&layout.ack(me), &bytes)?;
        self.store.set_meta("sync_acked", &key)
    }

    /// The newest snapshot that verifies, with its name.
    fn latest_snapshot(
        &self,
        layout: &Layout,
        team: &Team,
        tk: &TeamKeys,
    ) -> Option<(String, Uuid, SnapshotBody)> {
        let mut names: Vec<(u64, Uuid, String)> = read_dir_names(&layout.snapshots())
            .into_iter()
            .filter_map(|n| file::snapshot_of_name(&n).map(|(k, d)| (k, d, n)))
            .collect();
        names.sort();
        names.into_iter().rev().find_map(|(k, d, name)| {
            let bytes = std::fs::read(layout.snapshots().join(&name)).ok()?;
            let env = file::parse(&bytes)?;
            let key = team.key(d)?;
            if env.kind != Kind::Snapshot
                || env.device != d
                || env.seq != k
                || team.retired.contains_key(&d)
                || !env.signed_by(&key)
            {
                return None;
            }
            let (plain, generation) = tk.open(&env)?;
            if !team.accepts(d, generation) {
                return None;
            }
            let mut body: SnapshotBody = postcard::from_bytes(&plain).ok()?;
            tk.rewrap(generation, &mut body.body.keys);
            Some((name, d, body))
        })
    }

    /// A device that missed segments now compacted (a new laptop, or one
    /// away for long) starts from the snapshot.
    fn apply_snapshot_if_needed(
        &mut self,
        layout: &Layout,
        team: &Team,
        tk: &TeamKeys,
        report: &mut SyncReport,
    ) -> Result<bool> {
        let Some((name, snap_device, snap)) = self.latest_snapshot(layout, team, tk) else {
            return Ok(false);
        };
        if self.store.meta("sync_snapshot")?.as_deref() == Some(name.as_str()) {
            return Ok(false);
        }
        let heads: HashMap<String, u64> = self.store.seen_heads()?.into_iter().collect();
        let behind = snap
            .covers
            .iter()
            .any(|(d, s, _)| heads.get(&d.simple().to_string()).copied().unwrap_or(0) < *s);
        // Even when not behind, its tombstones are adopted: an erasure
        // reaches a laptop that was away while the segments were compacted.
        let mut parts = SnapshotParts {
            erased: snap.erased.clone(),
            gone: snap.gone.clone(),
            forgotten: snap
                .forgotten
                .iter()
                .map(|(r, f, h)| (*r, f.clone(), Hlc(*h)))
                .collect(),
        };
        // Any laptop compacts; the removals a snapshot carries count here
        // as they would in its writer's own segments: from a user who may
        // not erase, only for what this laptop does not hold, or holds due.
        let writer = team.cards.get(&snap_device).map(|c| c.user.clone());
        let roles = self.vault().keyring()?.signed_roles();
        let may_remove = writer
            .and_then(|u| roles.get(&u).copied())
            .is_some_and(|r| r.may(Action::Erase) || r.may(Action::ManageRetention));
        if !may_remove {
            let now = self.now();
            let fine =
                |id: Uuid| !matches!(self.store.record(id), Ok(Some(_))) || self.due_here(id, now);
            let before = parts.erased.len() + parts.gone.len() + parts.forgotten.len();
            parts.erased.retain(|(id, _, _)| fine(*id));
            parts.gone.retain(|id| fine(*id));
            parts.forgotten.retain(|(id, _, _)| fine(*id));
            let refused = before - parts.erased.len() - parts.gone.len() - parts.forgotten.len();
            if refused > 0 {
                let by = snap_device.simple().to_string();
                self.refused(
                    &by,
                    &format!("snapshot {name}"),
                    refused as u64,
                    "a snapshot by a user who may not erase removes data that no retention rule makes due here".into(),
                    report,
                )?;
            }
        }
        let mut erased = self.store.adopt_tombstones(&parts)?;
        if behind {
            let gate = self.gate(team)?;
            let applied = self.apply_body(snap.body, gate)?;
            if applied.refused > 0 {
                let by = snap_device.simple().to_string();
                let file = format!("snapshot {name}");
                self.refused(
                    &by,
                    &file,
                    applied.refused,
                    applied.refusal.unwrap_or_default(),
                    report,
                )?;
            }
            let (changes, e) = (applied.changes, applied.erased);
            erased |= e;
            report.received_changes += changes;
            report.received_segments += 1;
            for (d, s, h) in &snap.covers {
                self.store.mark_seen(&d.simple().to_string(), *s, h)?;
            }
        }
        self.store.set_meta("sync_snapshot", &name)?;
        Ok(erased)
    }

    /// Every segment and snapshot of the folder, opened as far as this
    /// vault's keys reach: per file, its decrypted content and every value
    /// inside that opens. Files that do not open yield nothing readable.
    pub(crate) fn open_folder_files(&self) -> Result<Vec<(String, Vec<String>)>> {
        let layout = self.layout()?;
        let tk = self.team_keys();
        let mut files = Vec::new();
        for dname in read_dir_names(&layout.logs()) {
            let dir = layout.logs().join(&dname);
            files.extend(read_dir_names(&dir).into_iter().map(|n| dir.join(n)));
        }
        files.extend(
            read_dir_names(&layout.snapshots())
                .into_iter()
                .map(|n| layout.snapshots().join(n)),
        );
        files.sort();
        let mut out = Vec::new();
        for path in files {
            let Ok(bytes) = std::fs::read(&path) else {
                continue;
            };
            let mut texts = vec![String::from_utf8_lossy(&bytes).into_owned()];
            let env = file::parse(&bytes);
            if let Some((kind, (plain, generation))) =
                env.and_then(|e| Some((e.kind, tk.open(&e)?)))
            {
                texts.push(String::from_utf8_lossy(&plain).into_owned());
                let body = match kind {
                    Kind::Segment => postcard::from_bytes::<Body>(&plain).ok(),
                    Kind::Snapshot => postcard::from_bytes::<SnapshotBody>(&plain)
                        .ok()
                        .map(|s| s.body),
                    _ => None,
                };
                if let Some(mut body) = body {
                    tk.rewrap(generation, &mut body.keys);
                    let keys: HashMap<Uuid, Vec<u8>> = body.keys.iter().cloned().collect();
                    let mut cache = HashMap::new();
                    for w in body.ops {
                        let record = w.record.to_string();
                        if let Some(op) = self.unwire(w, &keys, &mut cache) {
                            match &op.value {
                                OpValue::Open(json) => texts.push(json.clone()),
                                sealed @ OpValue::Sealed { .. } => {
                                    texts.extend(self.open_sealed(&record, &op.field, sealed));
                                }
                                OpValue::Cleared => {}
                            }
                        }
                    }
                }
            }
            out.push((path.display().to_string(), texts));
        }
        Ok(out)
    }

    #[allow(clippy::too_many_arguments)]
    fn maybe_compact(
        &mut self,
        layout: &Layout,
        team: &Team,
        me: Uuid,
        tk: &TeamKeys,
        signer: &SigningKey,
        force: bool,
    ) -> Result<bool> {
        let mut folder_heads: BTreeMap<Uuid, (u64, usize)> = BTreeMap::new();
        for dname in read_dir_names(&layout.logs()) {
            let Some(d) = file::device_of_name(&dname) else {
                continue;
            };
            let seqs: Vec<u64> = read_dir_names(&layout.log(d))
                .iter()
                .filter_map(|n| file::seq_of_name(n))
                .collect();
            if let Some(max) = seqs.iter().max() {
                folder_heads.insert(d, (*max, seqs.len()));
            }
        }
        let segments: usize = folder_heads.values().map(|(_, n)| n).sum();
        let wanted = force
            || segments >= COMPACT_AFTER
            || self.store.meta("sync_compact_wanted")?.as_deref() == Some("1");
        if !wanted || segments == 0 {
            return Ok(false);
        }
        // Everything in the folder must be applied here and acknowledged by
        // every active device.
        let mut covers = Vec::new();
        // Every device this laptop has applied anything of, also those whose
        // segments an earlier compaction removed: a laptop starting from
        // this snapshot needs each chain's last link.
        let mut heads: BTreeMap<Uuid, u64> = self
            .store
            .seen_heads()?
            .into_iter()
            .filter_map(|(d, s)| Some((file::device_of_name(&d)?, s)))
            .collect();
        for (d, (max, _)) in &folder_heads {
            heads.insert(*d, *max);
        }
        for (d, max) in &heads {
            // A retired device's later segments are never applied: covered,
            // so they go with the rest.
            let max = &team.retired.get(d).map_or(*max, |upto| (*upto).min(*max));
            if *max == 0 {
                continue;
            }
            let Some(hash) = self.store.seen_segment(&d.simple().to_string(), *max)? else {
                return Ok(false);
            };
            let hash: [u8; 32] = hash.try_into().unwrap_or([0; 32]);
            covers.push((*d, *max, hash));
        }
        for d in team.cards.keys().filter(|d| !team.retired.contains_key(d)) {
            if *d == me {
                continue;
            }
            let Some(ack) = self.read_ack(layout, team, *d, tk) else {
                return Ok(false);
            };
            let acked: HashMap<Uuid, u64> = ack.heads.into_iter().collect();
            if covers
                .iter()
                .any(|(dev, max, _)| acked.get(dev).copied().unwrap_or(0) < *max)
            {
                return Ok(false);
            }
        }
        let mut body = Body::default();
        let mut cache = HashMap::new();
        let mut ops = Vec::new();
        self.store.each_op(|op, subject| {
            ops.push((op, subject));
            Ok(())
        })?;
        for (op, subject) in ops {
            body.ops.push(self.wire_op(op, subject, &mut cache));
        }
        body.keys = self
            .store
            .subject_keys()?
            .into_iter()
            .filter_map(|(s, w)| Some((Uuid::parse_str(&s).ok()?, w)))
            .collect();
        let parts = self.store.snapshot_parts()?;
        let snap = SnapshotBody {
            covers,
            body,
            erased: parts.erased,
            gone: parts.gone,
            forgotten: parts
                .forgotten
                .into_iter()
                .map(|(r, f, h)| (r, f, h.0))
                .collect(),
        };
        let plain = zeroize::Zeroizing::new(postcard::to_stdvec(&snap).unwrap_or_default());
        let n = self.tick().0;
        let bytes = file::write(Kind::Snapshot, me, n, [0; 32], &plain, tk.current(), signer);
        let path = layout.snapshot(n, me);
        write_file(&path, &bytes)?;
        let name = path
            .file_name()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        self.store.set_meta("sync_snapshot", &name)?;
        // Now the covered segments and older snapshots can go.
        for (d, max, _) in &snap.covers {
            // A departed user's later segments stay: should this laptop
            // merely not know the user yet, they are read once it does.
            let retired = team.retired.contains_key(d) && !team.departed.contains(d);
            for n in read_dir_names(&layout.log(*d)) {
                if file::seq_of_name(&n).is_some_and(|s| s <= *max || retired) {
                    let _ = std::fs::remove_file(layout.log(*d).join(n));
                }
            }
        }
        for old in read_dir_names(&layout.snapshots()) {
            if file::snapshot_of_name(&old).is_some_and(|(k, _)| k < n) {
                let _ = std::fs::remove_file(layout.snapshots().join(old));
            }
        }
        self.store.set_meta("sync_compact_wanted", "0")?;
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use crate::clock::SystemClock;
    use crate::crypto::KdfParams;
    use crate::model::contacts::{FieldInput, PersonInput};

    use super::*;

    const PASS: &[u8] = b"Sommer-Regen-2026!";

    #[test]
    fn a_pull_longer_than_a_batch_commits_in_between_and_loses_nothing() {
        let tmp = tempfile::tempdir().expect("tmp");
        let folder = tmp.path().join("shared");
        let (mut a, _) = Session::create(
            &tmp.path().join("a"),
            "dora",
            PASS,
            KdfParams::FLOOR,
            Arc::new(SystemClock),
        )
        .expect("create");
        a.sync_setup(&folder).expect("setup");
        let (mut b, _) = join(
            &folder,
            &tmp.path().join("b"),
            "dora",
            PASS,
            Arc::new(SystemClock),
        )
        .expect("join");
        // Twenty segments of a few changes each: a batch of 20 ends after
        // every few of them.
        let mut sent = 0;
        for i in 0..20 {
            a.add_person(
                &PersonInput::default()
                    .with("given_name", FieldInput::Text(format!("Person{i}")))
                    .with("family_name", FieldInput::Text("Stapel".into())),
            )
            .expect("person");
            sent += a.sync().expect("sync a").sent_changes;
        }
        let r = b.sync().expect("sync b");
        assert!(r.problems.is_empty(), "{:?}", r.problems);
        assert!(r.received_segments >= 20, "{r:?}");
        assert!(r.received_changes > 2 * BATCH_CHANGES);
        assert_eq!(r.received_changes, sent);
        assert_eq!(b.count().expect("count"), a.count().expect("count"));
        // The checkpoint beside does not stand in the way of emptying the
        // WAL at once (as erasure and its proof need).
        b.store.full_checkpoint().expect("full checkpoint");
        let wal = {
            let mut p = b.store.path().as_os_str().to_owned();
            p.push("-wal");
            std::path::PathBuf::from(p)
        };
        assert_eq!(std::fs::metadata(&wal).map_or(0, |m| m.len()), 0);
        // Nothing is left open: a local change afterwards is committed and
        // survives closing the vault.
        let after = b
            .add_person(
                &PersonInput::default().with("family_name", FieldInput::Text("Danach".into())),
            )
            .expect("person");
        drop(b);
        let b = Session::unlock(&tmp.path().join("b"), "dora", PASS, Arc::new(SystemClock))
            .expect("unlock");
        assert!(b.contact(after).is_ok());
    }

    #[test]
    fn an_ack_torn_or_lost_is_written_again_at_the_next_sync() {
        let tmp = tempfile::tempdir().expect("tmp");
        let (mut a, _) = Session::create(
            &tmp.path().join("a"),
            "dora",
            PASS,
            KdfParams::FLOOR,
            Arc::new(SystemClock),
        )
        .expect("create");
        a.sync_setup(&tmp.path().join("shared")).expect("setup");
        a.sync().expect("sync");
        let layout = a.layout().expect("layout");
        let me = a.device_uuid().expect("device");
        let tk = a.team_keys();
        let ack = |s: &Session| {
            let team = s
                .read_team(&layout, &tk, &mut SyncReport::default())
                .expect("team");
            s.read_ack(&layout, &team, me, &tk)
        };
        let written = ack(&a).expect("ack").heads;
        assert!(!written.is_empty());
        let bytes = std::fs::read(layout.ack(me)).expect("read");
        // Torn: the sync after it, with nothing new, writes it again.
        std::fs::write(layout.ack(me), &bytes[..bytes.len() / 2]).expect("tear");
        assert!(ack(&a).is_none());
        a.sync().expect("sync");
        assert_eq!(ack(&a).expect("ack again").heads, written);
        // Lost.
        std::fs::remove_file(layout.ack(me)).expect("remove");
        a.sync().expect("sync");
        assert_eq!(ack(&a).expect("ack again").heads, written);
    }

    #[test]
    fn a_person_changed_across_segments_and_parts_is_indexed_as_it_ends() {
        let tmp = tempfile::tempdir().expect("tmp");
        let folder = tmp.path().join("shared");
        let clock = || -> Arc<dyn crate::clock::Clock> { Arc::new(SystemClock) };
        let (mut a, _) = Session::create(
            &tmp.path().join("a"),
            "dora",
            PASS,
            KdfParams::FLOOR,
            clock(),
        )
        .expect("create");
        a.sync_setup(&folder).expect("setup");
        let (mut b, _) = join(&folder, &tmp.path().join("b"), "dora", PASS, clock()).expect("join");
        b.sync().expect("settle");
        // Created in one segment, renamed in the next, with others between:
        // b receives it all in one pull, its changes split into parts.
        let p = a
            .add_person(
                &PersonInput::default()
                    .with("given_name", FieldInput::Text("Altmut".into()))
                    .with("family_name", FieldInput::Text("Vorher".into())),
            )
            .expect("person");
        a.sync().expect("sync a");
        let mut others = Vec::new();
        for i in 0..4 {
            others.push(
                a.add_person(
                    &PersonInput::default()
                        .with("given_name", FieldInput::Text(format!("Teil{i}")))
                        .with("family_name", FieldInput::Text("Zwischen".into())),
                )
                .expect("person"),
            );
        }
        a.edit(
            p,
            &[
                ("given_name".into(), FieldInput::Text("Neumut".into())),
                ("family_name".into(), FieldInput::Text("Nachher".into())),
            ],
        )
        .expect("edit");
        a.sync().expect("sync a");
        let r = b.sync().expect("sync b");
        assert!(r.problems.is_empty(), "{:?}", r.problems);
        assert!(r.received_segments >= 2, "{r:?}");
        assert!(r.received_changes > 3 * PART as u64, "{r:?}");

        let found = b.search("Neumut", 10).expect("search");
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].id, p);
        assert_eq!(found[0].display, "Neumut Nachher");
        assert!(b.search("Altmut", 10).expect("search").is_empty());
        assert!(b.search("Vorher", 10).expect("search").is_empty());
        // One entry each, not one per part that touched it.
        assert_eq!(b.search("Zwischen", 10).expect("search").len(), 4);
        assert_eq!(b.count().expect("count"), a.count().expect("count"));
        // The retention dates as the sender computed them.
        for id in others.iter().chain([&p]) {
            let due = |s: &Session| {
                s.store
                    .due_of(*id)
                    .expect("due")
                    .into_iter()
                    .map(|d| (d.rule, d.due))
                    .collect::<Vec<_>>()
            };
            assert!(!due(&b).is_empty());
            assert_eq!(due(&b), due(&a));
        }
    }
}
