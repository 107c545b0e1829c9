//! Sending this device's changes: the outbox written as signed segments
//! of its log, and the ack of what it has read.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use ed25519_dalek::SigningKey;
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::session::Session;

use super::file::{self, Kind, Layout};
use super::folder::{read_dir_names, rel, write_file};
use super::keys::TeamKeys;
use super::report::{SyncReport, problem};
use super::wire::{AckBody, Body, WireForget};

/// Ops per segment: a first sync of a large vault writes several.
const CHUNK: usize = 20_000;

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

impl Session {
    pub(super) fn push(
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

    pub(super) fn write_ack(
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
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use crate::clock::SystemClock;
    use crate::crypto::KdfParams;

    use super::*;

    const PASS: &[u8] = b"Sommer-Regen-2026!";

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
}
