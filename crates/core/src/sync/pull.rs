//! Reading what the other devices wrote: their segments checked and
//! opened on one thread while another applies them, in batches.

use std::collections::HashMap;

use uuid::Uuid;

use crate::crypto::Key32;
use crate::error::Result;
use crate::ops::{Hlc, Op, OpValue};
use crate::session::Session;

use super::apply::{Applied, Applying, Slot, free_beside, learn_keys, open_ops};
use super::file::{self, Kind, Layout};
use super::folder::{read_dir_names, rel};
use super::keys::{TeamKeys, reseal};
use super::report::{SyncProblem, SyncReport, problem};
use super::team::Team;
use super::wire::{Body, SnapshotBody, WireForget, WireOp, WireValue, unwire_op};

/// Received changes applied in one transaction, about (a batch ends
/// after the segment that reaches it): the WAL grows to about 150 MB for
/// them before it is checkpointed. Small in unit tests, so that they go
/// through the commits between.
const BATCH_CHANGES: u64 = if cfg!(test) { 20 } else { 250_000 };

/// Changes dated further ahead than this are held back, not trusted.
const FUTURE_SLACK_MS: u64 = 5 * 60 * 1000;

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

/// Changes per [`Piece::Changes`] (a few in unit tests, so that one
/// person's changes come in several parts).
const PART: usize = if cfg!(test) { 3 } else { 2_048 };

/// How many minutes ahead of `now_ms` the body's newest change is, when
/// more than the slack.
pub(super) fn too_far_ahead(body: &Body, now_ms: u64) -> Option<u64> {
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

impl Session {
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

    pub(super) fn pull(
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
        self.in_batch(|s| {
            let e = s.pull_segments(layout, team, tk, report)?;
            Ok(erased | e)
        })
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
                    texts.extend(self.texts_of_body(body));
                }
            }
            out.push((path.display().to_string(), texts));
        }
        Ok(out)
    }

    /// Every value of a body opened as far as its keys and this vault's
    /// reach, as text: what a holder of those keys could read.
    pub(super) fn texts_of_body(&self, body: Body) -> Vec<String> {
        let mut texts = Vec::new();
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
        texts
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use crate::clock::SystemClock;
    use crate::crypto::KdfParams;
    use crate::model::contacts::{FieldInput, PersonInput};
    use crate::sync::join::join;

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
