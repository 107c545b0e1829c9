//! The team's keys in the folder: the sync keys of each generation and
//! of each subject, and the exchange of the keyring, with the take-over
//! of keys rotated on another laptop.

use std::collections::BTreeSet;

use uuid::Uuid;

use crate::crypto::{self, Key32};
use crate::error::{Error, Result};
use crate::keyring::{Keyring, Keyset};
use crate::ops::{Op, OpValue};
use crate::session::Session;

use super::file::{self, Layout};
use super::folder::{rel, write_file};
use super::report::{SyncReport, problem};

/// The key a subject's values are sealed under in the folder, from the
/// subject's wrapped key: HKDF of its key (DSK), so it goes with it.
pub(super) fn sync_key(subject_wrap: &Key32, subject: Uuid, wrapped: &[u8]) -> Option<Key32> {
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
pub(super) struct TeamKeys {
    pub(super) gens: Vec<(Key32, Key32)>,
}

impl TeamKeys {
    pub(super) fn of(keys: &Keyset) -> TeamKeys {
        let mut gens = vec![(team_sync_key(&keys.subject_wrap), keys.subject_wrap.clone())];
        for e in &keys.earlier {
            if !gens.iter().any(|(_, w)| *w == e.subject_wrap) {
                gens.push((team_sync_key(&e.subject_wrap), e.subject_wrap.clone()));
            }
        }
        TeamKeys { gens }
    }

    /// The key files are written under.
    pub(super) fn current(&self) -> &Key32 {
        &self.gens[0].0
    }

    /// Opens an envelope with the newest key that opens it; with its
    /// generation's index (0 is the current one).
    pub(super) fn open(
        &self,
        env: &file::Envelope,
    ) -> Option<(zeroize::Zeroizing<Vec<u8>>, usize)> {
        self.gens
            .iter()
            .enumerate()
            .find_map(|(i, (k, _))| env.open(k).map(|plain| (plain, i)))
    }

    /// Subject keys of a body that opened with generation `g`, wrapped
    /// again under the current subject-wrapping key.
    pub(super) fn rewrap(&self, g: usize, keys: &mut [(Uuid, Vec<u8>)]) {
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
pub(super) fn reseal(keys: &Keyset, op: &mut Op) {
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

impl Session {
    pub(super) fn team_keys(&self) -> TeamKeys {
        TeamKeys::of(&self.keys)
    }

    /// The sync key of a subject: from its wrapped key in `wrapped` or here.
    pub(super) fn subject_sync_key(
        &self,
        subject: Uuid,
        wrapped: Option<&Vec<u8>>,
    ) -> Option<Key32> {
        match wrapped {
            Some(w) => sync_key(&self.keys.subject_wrap, subject, w),
            None => {
                let stored = self.store.subject_key(subject).ok().flatten()?;
                sync_key(&self.keys.subject_wrap, subject, &stored)
            }
        }
    }

    /// Brings this laptop's keyring and the folder's together. Returns
    /// true when the folder holds keys of a later generation that this
    /// laptop could not take over: it then sends nothing, since what it
    /// wrote would be sealed under keys a removed user may hold.
    pub(super) fn sync_keyring(
        &mut self,
        layout: &Layout,
        report: &mut SyncReport,
    ) -> Result<bool> {
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
}
