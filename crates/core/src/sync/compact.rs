//! Compaction and snapshots: what every device has acknowledged replaced
//! by one snapshot, and a laptop that missed segments starting from it.

use std::collections::{BTreeMap, HashMap};

use ed25519_dalek::SigningKey;
use uuid::Uuid;

use crate::error::Result;
use crate::model::roles::Action;
use crate::ops::Hlc;
use crate::session::Session;
use crate::store::SnapshotParts;

use super::file::{self, Kind, Layout};
use super::folder::{read_dir_names, write_file};
use super::keys::TeamKeys;
use super::report::SyncReport;
use super::team::Team;
use super::wire::{Body, SnapshotBody};

/// Compact once the folder holds this many segments (or after an erasure).
const COMPACT_AFTER: usize = 64;

impl Session {
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
    pub(super) fn apply_snapshot_if_needed(
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

    #[allow(clippy::too_many_arguments)]
    pub(super) fn maybe_compact(
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
