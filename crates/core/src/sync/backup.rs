//! Backups to a folder the user picks, and restore from them.
//!
//! A backup is built as the shared folder's snapshots are: every change of
//! the journal, the values about a person sealed a second time under a
//! key derived from that person's subject key, the whole sealed under the
//! team's sync key and signed by this laptop. The subject keys are not in
//! it: they are in one key file beside the backups (and in the team's
//! folder, when there is one), which every erasure and retention removal
//! rewrites without the removed. From that moment no backup, however old,
//! holds anything about them that opens. The key file also carries the
//! newest keyring (so a restore knows the users removed since, and a
//! backup opens only with a passphrase of now) and the tombstones (so it
//! applies every erasure and deletion since). A backup carries no keyring
//! of its own: an old passphrase opens nothing.
//!
//! ```text
//! file  = "TRESORBK" | version (1) | postcard(Head) | envelope
//! ```
//!
//! The envelope is the folder's (`file::write`): sealed, bound to its kind,
//! and signed; its `prev` is the SHA-256 of the head, so the head cannot
//! be changed without the team's keys either.
//!
//! Every laptop writes the key file with what it knows merged into what
//! the file holds: keys of both, less every removal either knows. A laptop
//! behind on removals cannot put a key back, and a restored old backup
//! does not take the keys of people added since away from newer backups.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::keyring::{Keyring, Keyset};
use crate::model::backups::{self, Rotation};
use crate::model::roles::Action;
use crate::ops::Hlc;
use crate::session::Session;
use crate::store::{SnapshotParts, Store};
use crate::vault::{VaultDir, write_atomic};

use super::admit;
use super::apply::open_body;
use super::file::{self, Kind, Layout};
use super::folder::read_dir_names;
use super::keys::TeamKeys;
use super::wire::{Body, ms_to_time};

const MAGIC: &[u8; 8] = b"TRESORBK";
const VERSION: u8 = 1;

const FOLDER_META: &str = "backup_folder";
const ROTATION_META: &str = "backup_rotation";
const LAST_META: &str = "backup_last";
const ERROR_META: &str = "backup_error";
/// Set while a removal has not reached the key file (the folder was
/// away): carried there the moment it is back, before anything else.
const KEYS_PENDING_META: &str = "backup_keys_pending";

/// What a backup file says of itself before it is opened.
#[derive(Serialize, Deserialize)]
struct Head {
    vault_id: String,
    taken_ms: i64,
    generation: u64,
    device: Uuid,
    signer: [u8; 32],
    sync_folder: Option<String>,
    changes: u64,
    people: u64,
}

/// The sealed part of a backup.
#[derive(Serialize, Deserialize)]
struct BackupBody {
    body: Body,
    erased: Vec<(Uuid, i64, String)>,
    gone: Vec<Uuid>,
    forgotten: Vec<(Uuid, String, u64)>,
}

/// A backup's or key file's sealed body as a reader decodes it, for the
/// fuzzer: the changes of a backup go on as a segment's would.
#[cfg(feature = "fuzzing")]
pub(crate) fn fuzz_body(kind: Kind, plain: &[u8]) -> Option<Body> {
    match kind {
        Kind::Backup => postcard::from_bytes::<BackupBody>(plain).ok().map(|b| {
            let _ = parts_of(&b.erased, &b.gone, &b.forgotten);
            b.body
        }),
        Kind::BackupKeys => {
            if let Ok(k) = postcard::from_bytes::<KeyBody>(plain) {
                let _ = parts_of(&k.erased, &k.gone, &k.forgotten);
            }
            None
        }
        _ => None,
    }
}

/// What the key file says of itself.
#[derive(Serialize, Deserialize)]
struct KeyHead {
    vault_id: String,
    written_ms: i64,
    generation: u64,
    device: Uuid,
    signer: [u8; 32],
    keyring: Vec<u8>,
}

/// The sealed part of the key file: the subject keys of everyone still
/// in the vault (wrapped under the subject-wrapping key), and every
/// removal so far.
#[derive(Serialize, Deserialize)]
struct KeyBody {
    keys: Vec<(Uuid, Vec<u8>)>,
    erased: Vec<(Uuid, i64, String)>,
    gone: Vec<Uuid>,
    forgotten: Vec<(Uuid, String, u64)>,
}

/// Backups as the status bar and the Backups view show them.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct BackupStatus {
    /// The backup folder, when set up.
    pub folder: Option<String>,
    /// Whether the folder is there now (a USB stick may be unplugged).
    pub present: bool,
    /// How many are kept.
    pub rotation: Rotation,
    /// The last backup written.
    pub last: Option<BackupInfo>,
    /// Why the last automatic backup failed, if it did.
    pub last_error: Option<String>,
    /// An erasure has not reached the backup folder yet (it was away).
    pub keys_pending: bool,
    /// Whether the signed-in user may set backups up and restore.
    pub may_manage: bool,
}

/// One backup file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct BackupInfo {
    /// The file.
    pub file: String,
    /// When it was taken.
    pub taken_at: DateTime<Utc>,
    /// Its size in bytes.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub size: u64,
}

/// What one check of a backup found.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct BackupCheck {
    /// The file.
    pub file: String,
    /// Whether it opens and is whole.
    pub ok: bool,
    /// Changes it holds.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub changes: u64,
    /// People it holds whose key is in the key file (still readable).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub people: u64,
    /// People it holds whose key is gone (erased or deleted since).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub forgotten: u64,
    /// What is wrong, when it is not ok.
    pub problem: Option<String>,
}

/// What a restore did.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RestoreReport {
    /// The backup restored.
    pub file: String,
    /// When it was taken.
    pub taken_at: DateTime<Utc>,
    /// Changes restored.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub changes: u64,
    /// People in the backup erased or deleted since, left out.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub forgotten: u64,
    /// Where the vault that was replaced was kept.
    pub replaced_kept: Option<String>,
    /// Whether the vault rejoined its team's shared folder and caught up.
    pub rejoined: bool,
    /// What the catching up reported, if anything went wrong there.
    pub problems: Vec<String>,
}

fn damaged(path: &Path, detail: &str) -> Error {
    Error::invalid(
        "backup",
        format!(
            "{} is not a Tresor backup or is damaged ({detail}); nothing was restored",
            path.display()
        ),
    )
}

/// Splits a file into its head and envelope; the envelope must name the
/// head's hash (which its seal and signature cover).
fn read_framed<H: for<'de> Deserialize<'de>>(path: &Path) -> Result<(H, file::Envelope)> {
    let bytes = std::fs::read(path).map_err(Error::io(path))?;
    if bytes.len() < 9 || &bytes[..8] != MAGIC {
        return Err(damaged(path, "it does not start as a backup does"));
    }
    if bytes[8] != VERSION {
        return Err(damaged(path, "it was written by another version of Tresor"));
    }
    let (head, rest): (H, &[u8]) =
        postcard::take_from_bytes(&bytes[9..]).map_err(|_| damaged(path, "its head"))?;
    let head_bytes = &bytes[9..bytes.len() - rest.len()];
    let env = file::parse(rest).ok_or_else(|| damaged(path, "it is cut short or altered"))?;
    if env.prev != file::hash(head_bytes) {
        return Err(damaged(path, "its head was altered"));
    }
    Ok((head, env))
}

/// The file: magic, version, head, and the envelope `seal` makes of the
/// head's hash.
fn framed(head: &impl Serialize, seal: impl FnOnce([u8; 32]) -> Vec<u8>) -> Vec<u8> {
    let head = postcard::to_stdvec(head).unwrap_or_default();
    let env = seal(file::hash(&head));
    let mut out = MAGIC.to_vec();
    out.push(VERSION);
    out.extend(head);
    out.extend(env);
    out
}

fn verifying(signer: &[u8; 32]) -> Option<ed25519_dalek::VerifyingKey> {
    ed25519_dalek::VerifyingKey::from_bytes(signer).ok()
}

/// Opens a backup's envelope with the team keys.
fn open_backup(
    path: &Path,
    head: &Head,
    env: &file::Envelope,
    tk: &TeamKeys,
) -> Result<BackupBody> {
    if env.kind != Kind::Backup || env.device != head.device {
        return Err(damaged(path, "its envelope is not a backup's"));
    }
    if !verifying(&head.signer).is_some_and(|k| env.signed_by(&k)) {
        return Err(damaged(path, "its signature does not match"));
    }
    let (plain, _) = tk
        .open(env)
        .ok_or_else(|| damaged(path, "it does not open with this team's keys"))?;
    postcard::from_bytes(&plain).map_err(|_| damaged(path, "its content"))
}

/// The key file in `dir`, opened; `None` when there is none.
fn open_key_file(path: &Path, tk: &TeamKeys) -> Result<Option<(KeyHead, KeyBody)>> {
    if !path.exists() {
        return Ok(None);
    }
    let (head, env): (KeyHead, _) = read_framed(path)?;
    let body = open_key_body(&head, &env, tk).ok_or_else(|| {
        damaged(
            path,
            "it is not signed as it says or does not open with this team's keys",
        )
    })?;
    Ok(Some((head, body)))
}

/// A key file's body, if it is one, signed as its head says and opened
/// with these team keys.
fn open_key_body(kh: &KeyHead, kenv: &file::Envelope, tk: &TeamKeys) -> Option<KeyBody> {
    if kenv.kind != Kind::BackupKeys || !verifying(&kh.signer).is_some_and(|k| kenv.signed_by(&k)) {
        return None;
    }
    tk.open(kenv)
        .and_then(|(p, _)| postcard::from_bytes::<KeyBody>(&p).ok())
}

/// The person a request's op is about, if it is a request's value.
fn request_person(op: &crate::ops::Op) -> Option<Uuid> {
    if op.kind != crate::model::categories::RecordKind::Request {
        return None;
    }
    let crate::ops::OpValue::Open(json) = &op.value else {
        return None;
    };
    let v: serde_json::Value = serde_json::from_str(json).ok()?;
    Uuid::parse_str(v.get("person")?.as_str()?).ok()
}

/// Where a backup's key file may be: beside it, and in the team's folder.
fn key_files_of(file: &Path, head: &Head) -> Vec<PathBuf> {
    let beside = file.parent().map_or_else(
        || PathBuf::from(backups::KEY_FILE),
        |d| d.join(backups::KEY_FILE),
    );
    let shared = head
        .sync_folder
        .as_ref()
        .map(|f| Layout::new(Path::new(f)).backup_keys());
    std::iter::once(beside).chain(shared).collect()
}

fn parts_of(
    erased: &[(Uuid, i64, String)],
    gone: &[Uuid],
    forgotten: &[(Uuid, String, u64)],
) -> SnapshotParts {
    SnapshotParts {
        erased: erased.to_vec(),
        gone: gone.to_vec(),
        forgotten: forgotten
            .iter()
            .map(|(r, f, h)| (*r, f.clone(), Hlc(*h)))
            .collect(),
    }
}

fn canonical(p: &Path) -> PathBuf {
    std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf())
}

impl Session {
    fn backup_folder(&self) -> Result<Option<PathBuf>> {
        Ok(self.store.meta(FOLDER_META)?.map(PathBuf::from))
    }

    fn rotation(&self) -> Result<Rotation> {
        Ok(self
            .store
            .meta(ROTATION_META)?
            .and_then(|s| serde_json::from_str(&s).ok())
            .unwrap_or_default())
    }

    /// Sets the folder backups go to and how many are kept, and takes the
    /// first backup there. Admins and the data-protection officer.
    pub fn backup_setup(&mut self, folder: &Path, rotation: Rotation) -> Result<BackupReport> {
        self.require(Action::ManageBackups)?;
        rotation
            .validate()
            .map_err(|m| Error::invalid("rotation", m))?;
        std::fs::create_dir_all(folder).map_err(Error::io(folder))?;
        let abs = canonical(folder);
        let shared = self
            .store
            .meta("sync_folder")?
            .map(|s| canonical(Path::new(&s)));
        if let Some(why) =
            backups::folder_refusal(&abs, &canonical(self.vault().dir()), shared.as_deref())
        {
            return Err(Error::invalid("folder", why));
        }
        if let Ok((kh, _)) = read_framed::<KeyHead>(&abs.join(backups::KEY_FILE))
            && kh.vault_id != self.vault().keyring()?.vault_id
        {
            return Err(Error::invalid(
                "folder",
                "the folder holds the backups of another vault; choose an empty folder or that vault's own",
            ));
        }
        self.store
            .set_meta(FOLDER_META, &abs.display().to_string())?;
        self.store.set_meta(
            ROTATION_META,
            &serde_json::to_string(&rotation).unwrap_or_default(),
        )?;
        self.backup()
    }

    /// The backup state, for the status bar and the Backups view. Carries
    /// a removal still waiting for the folder there, if it is back.
    pub fn backup_status(&mut self) -> Result<BackupStatus> {
        let folder = self.backup_folder()?;
        let present = folder.as_ref().is_some_and(|f| f.is_dir());
        if present && self.store.meta(KEYS_PENDING_META)?.is_some() {
            let _ = self.refresh_backup_keys();
        }
        Ok(BackupStatus {
            folder: folder.map(|f| f.display().to_string()),
            present,
            rotation: self.rotation()?,
            last: self
                .store
                .meta(LAST_META)?
                .and_then(|s| serde_json::from_str(&s).ok()),
            last_error: self.store.meta(ERROR_META)?.filter(|s| !s.is_empty()),
            keys_pending: self.store.meta(KEYS_PENDING_META)?.is_some(),
            may_manage: self.role().may(Action::ManageBackups),
        })
    }

    fn present_folder(&self) -> Result<PathBuf> {
        let folder = self.backup_folder()?.ok_or_else(|| {
            Error::invalid(
                "backup",
                "no backup folder is set up; choose one with `tresor backup setup --folder DIR` or in Backups",
            )
        })?;
        if !folder.is_dir() {
            return Err(Error::invalid(
                "backup",
                format!(
                    "the backup folder {} is not there; plug in the USB stick or connect the share, then try again",
                    folder.display()
                ),
            ));
        }
        Ok(folder)
    }

    /// Takes a backup now: written to a temporary file, renamed, opened
    /// again and checked; then the key file is rewritten and the oldest
    /// backups beyond the rotation are removed.
    pub fn backup(&mut self) -> Result<BackupReport> {
        self.require(Action::ManageBackups)?;
        let folder = self.present_folder()?;
        let result = self.backup_to(&folder);
        let error = match &result {
            Ok(_) => String::new(),
            Err(e) => e.to_string(),
        };
        self.store.set_meta(ERROR_META, &error)?;
        result
    }

    fn backup_to(&mut self, folder: &Path) -> Result<BackupReport> {
        // The key file first: a removal waiting for the folder is carried
        // before anything else is written there.
        self.refresh_backup_keys()?;
        let me = self.device_uuid()?;
        let signer = self.signing_key()?;
        let tk = self.team_keys();
        let ring = self.vault().keyring()?;
        // Two backups in one millisecond (or on a clock that stands still):
        // the later one takes the next free millisecond, so none is lost.
        // To the millisecond, as the file's name says it.
        let mut at = ms_to_time(self.now().timestamp_millis());
        while folder.join(backups::file_name(at)).exists() {
            at += chrono::Duration::milliseconds(1);
        }
        let (body, people) = self
            .store
            .read_consistent(|store| {
                let mut ops = Vec::new();
                store.each_op(|op, subject| {
                    ops.push((op, subject));
                    Ok(())
                })?;
                let parts = store.snapshot_parts()?;
                let people = store.subject_keys()?.len() as u64;
                Ok((ops, parts, people))
            })
            .map(|(ops, parts, people)| {
                let mut body = Body::default();
                let mut cache = HashMap::new();
                // A request belongs to no subject (it outlives an erasure,
                // scrubbed), yet its texts may name the person: in a
                // backup they are sealed under the person's key as well,
                // so that an erasure reaches them in every backup taken
                // before.
                let mut subject_of: HashMap<Uuid, Uuid> = HashMap::new();
                for (op, subject) in ops {
                    if let Some(s) = subject {
                        subject_of.insert(op.record, s);
                    }
                    let seal_as = subject
                        .or_else(|| request_person(&op).and_then(|p| subject_of.get(&p).copied()));
                    body.ops.push(self.wire_op(op, seal_as, &mut cache));
                }
                let backup = BackupBody {
                    body,
                    erased: parts.erased,
                    gone: parts.gone,
                    forgotten: parts
                        .forgotten
                        .into_iter()
                        .map(|(r, f, h)| (r, f, h.0))
                        .collect(),
                };
                (backup, people)
            })?;
        let changes = body.body.ops.len() as u64;
        let plain = zeroize::Zeroizing::new(postcard::to_stdvec(&body).unwrap_or_default());
        drop(body);
        let seq = at.timestamp_millis() as u64;
        let head = Head {
            vault_id: ring.vault_id.clone(),
            taken_ms: at.timestamp_millis(),
            generation: ring.generation,
            device: me,
            signer: signer.verifying_key().to_bytes(),
            sync_folder: self.store.meta("sync_folder")?,
            changes,
            people,
        };
        let bytes = framed(&head, |prev| {
            file::write(Kind::Backup, me, seq, prev, &plain, tk.current(), &signer)
        });
        let path = folder.join(backups::file_name(at));
        write_atomic(&path, &bytes)?;
        // Read back from the disk and opened as a restore would.
        let check = (|| {
            let (h, env): (Head, _) = read_framed(&path)?;
            let b = open_backup(&path, &h, &env, &tk)?;
            if b.body.ops.len() as u64 != changes {
                return Err(damaged(&path, "it does not hold what was written"));
            }
            Ok(())
        })();
        if let Err(e) = check {
            let _ = std::fs::remove_file(&path);
            return Err(e);
        }
        let info = BackupInfo {
            file: path.display().to_string(),
            taken_at: ms_to_time(head.taken_ms),
            size: bytes.len() as u64,
        };
        self.store
            .set_meta(LAST_META, &serde_json::to_string(&info).unwrap_or_default())?;
        let removed = self.rotate_backups(folder, at)?;
        Ok(BackupReport {
            backup: info,
            changes,
            people,
            removed,
        })
    }

    /// Removes the backups beyond the rotation; returns their files.
    /// Counted by the dates in their names, and only files dated up to
    /// the one just written: files named for a later date (planted, or
    /// from a clock gone wrong) neither take a place in the rotation nor
    /// push the real ones out, and the one just written always stays.
    fn rotate_backups(&self, folder: &Path, written: DateTime<Utc>) -> Result<Vec<String>> {
        let list: Vec<BackupInfo> = list_in(folder)
            .into_iter()
            .filter(|b| b.taken_at <= written)
            .collect();
        let times: Vec<DateTime<Utc>> = list.iter().map(|b| b.taken_at).collect();
        let keep = self.rotation()?.keep(&times);
        let mut removed = Vec::new();
        for (b, k) in list.iter().zip(keep) {
            if !k && b.taken_at != written && std::fs::remove_file(&b.file).is_ok() {
                removed.push(b.file.clone());
            }
        }
        Ok(removed)
    }

    /// The backups in the backup folder, newest first.
    pub fn backup_list(&self) -> Result<Vec<BackupInfo>> {
        self.require(Action::ManageBackups)?;
        let folder = self.present_folder()?;
        let mut list = list_in(&folder);
        list.reverse();
        Ok(list)
    }

    /// Opens each backup of the folder (or one file) as a restore would
    /// and says what it holds.
    pub fn backup_verify(&self, file: Option<&Path>) -> Result<Vec<BackupCheck>> {
        self.require(Action::ManageBackups)?;
        let (files, keys_dir): (Vec<PathBuf>, PathBuf) = match file {
            Some(f) => (
                vec![f.to_path_buf()],
                f.parent()
                    .map_or_else(|| PathBuf::from("."), Path::to_path_buf),
            ),
            None => {
                let folder = self.present_folder()?;
                let mut l = list_in(&folder);
                l.reverse();
                (
                    l.into_iter().map(|b| PathBuf::from(b.file)).collect(),
                    folder,
                )
            }
        };
        let tk = self.team_keys();
        let key_file = open_key_file(&keys_dir.join(backups::KEY_FILE), &tk)?;
        let held: BTreeSet<Uuid> = key_file
            .as_ref()
            .map(|(_, b)| b.keys.iter().map(|(s, _)| *s).collect())
            .unwrap_or_default();
        Ok(files
            .into_iter()
            .map(|path| {
                let file = path.display().to_string();
                let opened = read_framed::<Head>(&path)
                    .and_then(|(h, env)| open_backup(&path, &h, &env, &tk));
                match opened {
                    Ok(b) => {
                        let subjects: BTreeSet<Uuid> = b
                            .body
                            .ops
                            .iter()
                            .filter_map(|o| match o.value {
                                super::wire::WireValue::Subject { subject, .. } => Some(subject),
                                _ => None,
                            })
                            .collect();
                        let people = subjects.iter().filter(|s| held.contains(s)).count() as u64;
                        BackupCheck {
                            file,
                            ok: true,
                            changes: b.body.ops.len() as u64,
                            people,
                            forgotten: subjects.len() as u64 - people,
                            problem: None,
                        }
                    }
                    Err(e) => BackupCheck {
                        file,
                        ok: false,
                        changes: 0,
                        people: 0,
                        forgotten: 0,
                        problem: Some(e.to_string()),
                    },
                }
            })
            .collect())
    }

    /// For `erasure verify --backups DIR`: each file of the backup folder
    /// with every text it yields to someone holding this vault's keys and
    /// the key file beside it (the file as it is, its opened body, each
    /// value opened as far as those keys reach).
    pub(crate) fn open_backup_files(&self, dir: &Path) -> Result<Vec<(String, Vec<String>)>> {
        let tk = self.team_keys();
        let key_file = open_key_file(&dir.join(backups::KEY_FILE), &tk)
            .ok()
            .flatten();
        let keys = key_file.map(|(_, b)| b.keys).unwrap_or_default();
        let mut out = Vec::new();
        let mut names = read_dir_names(dir);
        names.sort();
        for name in names {
            let path = dir.join(&name);
            let Ok(bytes) = std::fs::read(&path) else {
                continue;
            };
            let mut texts = vec![String::from_utf8_lossy(&bytes).into_owned()];
            if let Ok((head, env)) = read_framed::<Head>(&path)
                && let Ok(mut body) = open_backup(&path, &head, &env, &tk)
            {
                body.body.keys = keys.clone();
                texts.extend(self.texts_of_body(body.body));
            }
            out.push((path.display().to_string(), texts));
        }
        Ok(out)
    }

    /// Rewrites the key file, beside the backups and in the team's folder,
    /// with the subject keys of everyone still in the vault merged into
    /// what each file holds (less every removal this laptop or the file
    /// knows); when the backup folder is away, remembers to write it there
    /// the moment it is back. A file of newer keys than this laptop's, or
    /// of another vault, is left as it is.
    pub(crate) fn refresh_backup_keys(&mut self) -> Result<()> {
        let stick = match self.backup_folder()? {
            Some(f) if f.is_dir() => Some(f.join(backups::KEY_FILE)),
            Some(_) => {
                self.store.set_meta(KEYS_PENDING_META, "1")?;
                None
            }
            None => None,
        };
        let shared = self.layout().ok().map(|l| l.backup_keys());
        if stick.is_none() && shared.is_none() {
            return Ok(());
        }
        let me = self.device_uuid()?;
        let signer = self.signing_key()?;
        let tk = self.team_keys();
        let ring = self.vault().keyring()?;
        let (local, parts) = self
            .store
            .read_consistent(|store| Ok((store.subject_keys()?, store.snapshot_parts()?)))?;
        let mut keys: std::collections::BTreeMap<Uuid, Vec<u8>> = local
            .into_iter()
            .filter_map(|(s, w)| Some((Uuid::parse_str(&s).ok()?, w)))
            .collect();
        let mut erased: std::collections::BTreeMap<Uuid, (i64, String)> = parts
            .erased
            .into_iter()
            .map(|(id, at, r)| (id, (at, r)))
            .collect();
        let mut gone: BTreeSet<Uuid> = parts.gone.into_iter().collect();
        let mut forgotten: std::collections::BTreeMap<(Uuid, String), u64> = parts
            .forgotten
            .into_iter()
            .map(|(r, f, h)| ((r, f), h.0))
            .collect();
        // What the files hold: their removals always, their keys when they
        // are of this laptop's keys (a laptop behind on a removal cannot
        // put a key back; a restored old backup keeps the keys of newer).
        let mut targets = Vec::new();
        for path in stick.iter().chain(shared.iter()) {
            let Ok((kh, kenv)) = read_framed::<KeyHead>(path) else {
                // None yet, or damaged: written anew.
                targets.push(path.clone());
                continue;
            };
            if kh.vault_id != ring.vault_id || kh.generation > ring.generation {
                continue;
            }
            if let Some(body) = open_key_body(&kh, &kenv, &tk) {
                for (id, at, r) in body.erased {
                    erased.entry(id).or_insert((at, r));
                }
                gone.extend(body.gone);
                for (r, f, h) in body.forgotten {
                    let e = forgotten.entry((r, f)).or_insert(h);
                    *e = (*e).max(h);
                }
                if kh.generation == ring.generation {
                    for (id, w) in body.keys {
                        keys.entry(id).or_insert(w);
                    }
                }
            }
            targets.push(path.clone());
        }
        keys.retain(|id, _| !gone.contains(id) && !erased.contains_key(id));
        let body = KeyBody {
            keys: keys.into_iter().collect(),
            erased: erased
                .into_iter()
                .map(|(id, (at, r))| (id, at, r))
                .collect(),
            gone: gone.into_iter().collect(),
            forgotten: forgotten.into_iter().map(|((r, f), h)| (r, f, h)).collect(),
        };
        let plain = zeroize::Zeroizing::new(postcard::to_stdvec(&body).unwrap_or_default());
        let at = self.now().timestamp_millis();
        let head = KeyHead {
            vault_id: ring.vault_id.clone(),
            written_ms: at,
            generation: ring.generation,
            device: me,
            signer: signer.verifying_key().to_bytes(),
            keyring: ring.to_bytes(),
        };
        let bytes = framed(&head, |prev| {
            file::write(
                Kind::BackupKeys,
                me,
                at as u64,
                prev,
                &plain,
                tk.current(),
                &signer,
            )
        });
        for path in &targets {
            if Some(path) == stick.as_ref() {
                if let Err(e) = write_atomic(path, &bytes) {
                    self.store.set_meta(KEYS_PENDING_META, "1")?;
                    return Err(e);
                }
                self.store.delete_meta(KEYS_PENDING_META)?;
            } else {
                // The team's copy: one lost stick does not make the
                // backups on another unreadable. Written again at the
                // next removal or sync if this fails.
                let _ = super::folder::write_file(path, &bytes);
            }
        }
        Ok(())
    }

    /// After something was removed for good (an erasure, a deletion, a
    /// merge, an undone import, removals received): the freed pages are
    /// cleared and the key file beside the backups forgets the removed.
    /// A key file that cannot be written (a stick pulled out meanwhile)
    /// does not undo the removal: it stays pending, shown in the status
    /// bar, and is carried at the next chance.
    pub(crate) fn after_removal(&mut self) -> Result<()> {
        self.store.compact()?;
        if self.refresh_backup_keys().is_err() {
            self.store.set_meta(KEYS_PENDING_META, "1")?;
        }
        Ok(())
    }

    /// The automatic backup every front door runs after unlock (and the
    /// app daily while a vault stays open): once a day of use, when the
    /// folder is there. A failure is kept for the status bar, never in
    /// the way of the work.
    pub fn backup_if_due(&mut self) -> Result<Option<BackupReport>> {
        let Some(folder) = self.backup_folder()? else {
            return Ok(None);
        };
        if !self.role().may(Action::ManageBackups) || !folder.is_dir() {
            return Ok(None);
        }
        if self.store.meta(KEYS_PENDING_META)?.is_some() {
            self.refresh_backup_keys()?;
        }
        let last: Option<BackupInfo> = self
            .store
            .meta(LAST_META)?
            .and_then(|s| serde_json::from_str(&s).ok());
        if last.is_some_and(|l| l.taken_at.date_naive() >= self.now().date_naive()) {
            return Ok(None);
        }
        self.backup().map(Some)
    }

    /// Before keys change (a user removed, a role lowered): a backup, when
    /// a folder is set up and there, so the state before the change can
    /// be restored.
    pub(crate) fn backup_before_key_change(&mut self) -> Result<()> {
        if let Some(folder) = self.backup_folder()?
            && folder.is_dir()
            && self.role().may(Action::ManageBackups)
        {
            self.backup()?;
        }
        Ok(())
    }
}

/// What one backup wrote.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct BackupReport {
    /// The file written.
    pub backup: BackupInfo,
    /// Changes it holds.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub changes: u64,
    /// People it holds.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub people: u64,
    /// Older backups removed by the rotation.
    pub removed: Vec<String>,
}

/// The backups in `folder`, oldest first.
fn list_in(folder: &Path) -> Vec<BackupInfo> {
    let mut list: Vec<BackupInfo> = read_dir_names(folder)
        .into_iter()
        .filter_map(|n| {
            let taken_at = backups::taken_at(&n)?;
            let path = folder.join(&n);
            let size = std::fs::metadata(&path).ok()?.len();
            Some(BackupInfo {
                file: path.display().to_string(),
                taken_at,
                size,
            })
        })
        .collect();
    list.sort_by_key(|b| b.taken_at);
    list
}

/// How a restore is to go.
pub struct RestoreRequest<'a> {
    /// The backup file.
    pub file: &'a Path,
    /// The vault to build.
    pub dir: &'a Path,
    /// Who signs in.
    pub user: &'a str,
    /// Their passphrase (of the keyring in the key file, or of the backup's own).
    pub passphrase: &'a [u8],
    /// Whether a vault already in `dir` is replaced (kept aside).
    pub replace: bool,
    /// The recovery kit's key, on a machine where no admin's passphrase is
    /// known: it opens the keys, and `passphrase` becomes `user`'s new one
    /// (an admin), as `tresor recover` does for a vault.
    pub recovery: Option<&'a crate::keyring::RecoveryKey>,
}

/// Restores a backup into a new vault in `dir`: the keys and every
/// removal since come from the key file beside it (or the team's folder);
/// then, for a team, the vault catches up through the shared folder.
pub fn restore(req: RestoreRequest<'_>, clock: Arc<dyn Clock>) -> Result<(Session, RestoreReport)> {
    crate::keyring::validate_user_name(req.user)?;
    let (head, env): (Head, _) = read_framed(req.file)?;
    // Each key file carries its keyring: the one of the newest keys (then
    // the last written) that this passphrase opens gives the keys; the
    // removals of every copy that opens are applied, so a copy that lost
    // or hid one cannot bring a removed person back.
    let mut best: Option<(KeyHead, KeyBody, Keyring, Keyset)> = None;
    let mut removals = Vec::new();
    let mut first_error = None;
    for path in key_files_of(req.file, &head) {
        let Ok((kh, kenv)) = read_framed::<KeyHead>(&path) else {
            continue;
        };
        if kh.vault_id != head.vault_id {
            continue;
        }
        let Ok(ring) = Keyring::parse(&kh.keyring, &path) else {
            continue;
        };
        let opened = match req.recovery {
            Some(rk) => ring.unlock_recovery(rk, &path),
            None => ring
                .unlock_personal(req.user, req.passphrase, &path)
                .map(|(k, _)| k),
        };
        let keys = match opened {
            Ok(k) => k,
            Err(e) => {
                first_error.get_or_insert(e);
                continue;
            }
        };
        let Some(body) = open_key_body(&kh, &kenv, &TeamKeys::of(&keys)) else {
            continue;
        };
        removals.push(parts_of(&body.erased, &body.gone, &body.forgotten));
        if best.as_ref().is_none_or(|(b, _, r, _)| {
            (ring.generation, kh.written_ms) > (r.generation, b.written_ms)
        }) {
            best = Some((kh, body, ring, keys));
        }
    }
    let Some((_, key_body, mut ring, keys)) = best else {
        if let Some(e) = first_error {
            return Err(e);
        }
        return Err(Error::invalid(
            "backup",
            format!(
                "the key file {} is not beside the backup (nor in the team's folder): without it the people in the backup cannot be read; copy it there from the backup folder",
                backups::KEY_FILE
            ),
        ));
    };
    if ring.generation < head.generation {
        return Err(damaged(req.file, "it is newer than its key file"));
    }
    let role = match ring.signed_role(req.user) {
        Some(role) if ring.anchored(None) => role,
        _ => {
            return Err(Error::RoleNotSigned {
                path: req.file.to_path_buf(),
                user: req.user.to_owned(),
            });
        }
    };
    if !role.may(Action::ManageBackups) {
        return Err(Error::Forbidden {
            role: role.as_str().into(),
            action: Action::ManageBackups.describe().into(),
        });
    }
    if req.recovery.is_some() {
        // The recovery key resets an admin's passphrase only, as at unlock.
        if role != crate::model::roles::Role::Admin {
            return Err(Error::invalid(
                "user",
                "the recovery key can only reset an admin's passphrase",
            ));
        }
        crate::session::validate_new_passphrase(req.passphrase)?;
        let kdf = ring
            .user(req.user)
            .map(|u| u.kdf)
            .filter(|k| k.in_bounds())
            .unwrap_or(crate::crypto::KdfParams::FLOOR);
        ring.set_passphrase(req.user, req.passphrase, kdf, &keys)?;
    }
    let tk = TeamKeys::of(&keys);
    let body = open_backup(req.file, &head, &env, &tk)?;

    // Built beside the target and moved into place whole: a restore cut
    // off half-way (a crash, kill -9) leaves no vault that opens half-built.
    let dir = req.dir;
    let target = VaultDir::new(dir);
    let occupied = target.exists() || target.db_path().exists();
    if occupied && !req.replace {
        return Err(Error::VaultExists {
            path: dir.to_path_buf(),
        });
    }
    let name = dir
        .file_name()
        .map_or_else(|| "vault".into(), |n| n.to_string_lossy().into_owned());
    let building = dir.with_file_name(format!(".{name}.restoring-{}", Uuid::now_v7().simple()));
    let vault = VaultDir::new(&building);
    let built = (|| {
        std::fs::create_dir_all(&building).map_err(Error::io(&building))?;
        let store = Store::create(&vault.db_path(), &keys.db)?;
        store.set_meta("vault_id", &ring.vault_id)?;
        store.set_meta("key_generation", &ring.generation.to_string())?;
        store.set_meta("device_id", &Uuid::now_v7().simple().to_string())?;
        if let Some(f) = &head.sync_folder {
            store.set_meta("sync_folder", f)?;
        }
        if ring.has_admin_key() {
            store.set_meta(crate::session::open::ADMIN_ROOT_META, ring.admin_root())?;
        }
        if let Some(backup_dir) = req.file.parent() {
            store.set_meta(FOLDER_META, &canonical(backup_dir).display().to_string())?;
        }
        vault.write_keyring(&ring)?;
        let mut session = Session::unseeded(
            vault.clone(),
            store,
            keys,
            req.user.into(),
            role,
            clock.clone(),
        )?;
        // Every removal the backup and its key file know, first.
        session
            .store
            .adopt_tombstones(&parts_of(&body.erased, &body.gone, &body.forgotten))?;
        for parts in &removals {
            session.store.adopt_tombstones(parts)?;
        }
        let mut restored = body.body;
        let in_backup: BTreeSet<Uuid> = restored
            .ops
            .iter()
            .filter_map(|o| match o.value {
                super::wire::WireValue::Subject { subject, .. } => Some(subject),
                _ => None,
            })
            .collect();
        let removed: BTreeSet<Uuid> = removals
            .iter()
            .flat_map(|p| p.gone.iter().copied().chain(p.erased.iter().map(|e| e.0)))
            .collect();
        restored.keys = key_body
            .keys
            .into_iter()
            .filter(|(s, _)| in_backup.contains(s) && !removed.contains(s))
            .collect();
        let forgotten = in_backup.len().saturating_sub(restored.keys.len()) as u64;
        let has_suppression_key = restored
            .ops
            .iter()
            .any(|o| o.record == Session::setting_id("suppression-key"));
        let gate = Arc::new(admit::Gate::new(
            HashMap::new(),
            ring.signed_roles(),
            has_suppression_key,
        ));
        let opened = open_body(restored, &session.keys, &mut HashMap::new());
        let applied = session.apply_opened(opened, gate)?;
        session.after_removal()?;
        let mut report = RestoreReport {
            file: req.file.display().to_string(),
            taken_at: ms_to_time(head.taken_ms),
            changes: applied.changes,
            forgotten,
            replaced_kept: None,
            rejoined: false,
            problems: Vec::new(),
        };
        if applied.refused > 0 {
            report.problems.push(format!(
                "{} changes were refused: {}",
                applied.refused,
                applied.refusal.unwrap_or_default()
            ));
        }
        if head.sync_folder.is_some() {
            match session.sync() {
                Ok(sync) => {
                    report.rejoined = true;
                    report
                        .problems
                        .extend(sync.problems.into_iter().map(|p| p.message));
                }
                Err(e) => report.problems.push(format!(
                    "the team's shared folder was not reached ({e}); the vault catches up at its next sync"
                )),
            }
        }
        session.seed_consent_defaults()?;
        Ok((session, report))
    })();
    let (session, mut report) = match built {
        Ok(done) => done,
        Err(e) => {
            // Never half-applied: what was built goes.
            let _ = std::fs::remove_dir_all(&building);
            return Err(e);
        }
    };
    drop(session);
    // Into place: the vault there is kept aside, and comes back should
    // the move fail.
    let into_place = || -> Result<Option<PathBuf>> {
        let mut aside = None;
        if occupied {
            let stamp = clock.now().format("%Y%m%d-%H%M%S");
            let kept = PathBuf::from(format!("{}.replaced-{stamp}", dir.display()));
            std::fs::rename(dir, &kept).map_err(Error::io(dir))?;
            aside = Some(kept);
        } else if dir.exists() {
            // An empty folder is taken; one holding other files is not.
            std::fs::remove_dir(dir).map_err(Error::io(dir))?;
        }
        if let Err(e) = std::fs::rename(&building, dir) {
            if let Some(kept) = &aside {
                let _ = std::fs::rename(kept, dir);
            }
            return Err(Error::io(dir)(e));
        }
        Ok(aside)
    };
    match into_place() {
        Ok(aside) => report.replaced_kept = aside.map(|p| p.display().to_string()),
        Err(e) => {
            let _ = std::fs::remove_dir_all(&building);
            return Err(e);
        }
    }
    let session = Session::unlock(dir, req.user, req.passphrase, clock)?;
    Ok((session, report))
}

/// The user a restore signs in as when none is named: the backup's only
/// user, else its first admin.
pub fn restore_default_user(file: &Path) -> Result<String> {
    let (head, _): (Head, _) = read_framed(file)?;
    // The users of the newest keyring a key file names (unopened: a name
    // to ask the passphrase for, nothing more).
    let ring = key_files_of(file, &head)
        .into_iter()
        .filter_map(|p| {
            let (kh, _) = read_framed::<KeyHead>(&p).ok()?;
            let ring = Keyring::parse(&kh.keyring, &p).ok()?;
            (kh.vault_id == head.vault_id).then_some(ring)
        })
        .max_by_key(|r| r.generation)
        .ok_or_else(|| {
            Error::invalid(
                "backup",
                format!(
                    "the key file {} is not beside the backup (nor in the team's folder)",
                    backups::KEY_FILE
                ),
            )
        })?;

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

/// The newest backup in `folder`, if any: the default of a restore.
pub fn newest_backup(folder: &Path) -> Option<PathBuf> {
    list_in(folder).pop().map(|b| PathBuf::from(b.file))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_that_is_not_a_backup_is_refused_by_name() {
        let dir = tempfile::tempdir().expect("test");
        let p = dir.path().join("x.tbk");
        std::fs::write(&p, b"PK\x03\x04 not a backup").expect("test");
        let e = read_framed::<Head>(&p)
            .map(|_| ())
            .expect_err("refused")
            .to_string();
        assert!(e.contains("not a Tresor backup"), "{e}");
        let mut bytes = MAGIC.to_vec();
        bytes.push(VERSION);
        bytes.extend([0xff; 40]);
        std::fs::write(&p, bytes).expect("test");
        assert!(read_framed::<Head>(&p).is_err());
    }
}
