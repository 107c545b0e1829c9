//! The team as the folder shows it: device cards, retirements, the users
//! behind them, and the devices flagged for changes refused here.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use ed25519_dalek::{SigningKey, VerifyingKey};
use serde::Serialize;
use uuid::Uuid;

use crate::crypto::Key32;
use crate::error::{Error, Result};
use crate::keyring::Keyring;
use crate::model::roles::Action;
use crate::session::Session;

use super::file::{self, Kind, Layout};
use super::folder::{read_dir_names, rel, write_file};
use super::keys::TeamKeys;
use super::report::{SyncReport, problem};
use super::wire::{AckBody, Card, RetireBody, ms_to_time};

/// Where the devices whose changes were refused are kept (device → why).
const FLAGGED: &str = "sync_flagged";

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

/// The devices with valid cards in the folder.
#[derive(Default)]
pub(super) struct Team {
    pub(super) cards: BTreeMap<Uuid, Card>,
    /// Retired devices with the last segment still accepted.
    pub(super) retired: BTreeMap<Uuid, u64>,
    /// Of those, the devices of users no longer in the team.
    pub(super) departed: BTreeSet<Uuid>,
    /// Cards under an earlier generation's key of devices neither seen
    /// here before nor retired: not trusted, but retired with their user.
    pub(super) earlier: BTreeMap<Uuid, Card>,
    /// Devices whose card is sealed under the current generation's key:
    /// they took the current keys over.
    pub(super) current: BTreeSet<Uuid>,
}

impl Team {
    /// Whether a file of `device` that opened with generation `g` counts:
    /// one under an earlier key only from a device that has taken the
    /// current keys over since (it wrote it before), or a retired one (up
    /// to its retirement). A removed user holds the earlier keys, and a
    /// card's user is only its own claim, so a device that never took the
    /// current keys over is not trusted with them.
    pub(super) fn accepts(&self, device: Uuid, g: usize) -> bool {
        g == 0 || self.current.contains(&device) || self.retired.contains_key(&device)
    }
}

impl Team {
    pub(super) fn key(&self, d: Uuid) -> Option<VerifyingKey> {
        self.cards
            .get(&d)
            .and_then(|c| VerifyingKey::from_bytes(&c.public).ok())
    }
}

fn host_name() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "computer".into())
}

impl Session {
    pub(super) fn device_uuid(&self) -> Result<Uuid> {
        Uuid::try_parse(self.device()).map_err(|_| {
            Error::invalid(
                "device",
                "this vault has no device id that can sync (a benchmark baseline?)",
            )
        })
    }

    pub(super) fn signing_key(&self) -> Result<SigningKey> {
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
    pub(super) fn refused(
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
        // The key file beside the backups carries the new keyring: a
        // restore then knows the removed user, and their old passphrase
        // opens no key file written from now on.
        if self.refresh_backup_keys().is_err() {
            self.store.set_meta("backup_keys_pending", "1")?;
        }
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

    pub(super) fn publish_card(
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

    pub(super) fn read_team(
        &self,
        layout: &Layout,
        tk: &TeamKeys,
        report: &mut SyncReport,
    ) -> Result<Team> {
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

    pub(super) fn read_ack(
        &self,
        layout: &Layout,
        team: &Team,
        d: Uuid,
        tk: &TeamKeys,
    ) -> Option<AckBody> {
        let bytes = std::fs::read(layout.ack(d)).ok()?;
        let env = file::parse(&bytes)?;
        let key = team.key(d)?;
        if env.kind != Kind::Ack || env.device != d || !env.signed_by(&key) {
            return None;
        }
        postcard::from_bytes(&tk.open(&env)?.0).ok()
    }
}
