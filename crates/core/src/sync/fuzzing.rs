//! Fuzzing hooks of sync (feature `fuzzing`): see [`crate::fuzzing`]. A
//! child module, so it reaches the private envelope parser and bodies.
//! Each reader does what the sync code does with a file of the folder as
//! far as that needs no vault database.

use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

use ed25519_dalek::SigningKey;
use uuid::Uuid;

use super::apply::{Slot, open_body};
use super::file;
use super::keys::TeamKeys;
use super::pull::too_far_ahead;
use super::wire::{
    AckBody, Body, Card, RetireBody, SnapshotBody, WireForget, WireOp, WireValue, ms_to_time,
    unwire_op,
};
use crate::crypto::{self, Key32};
use crate::keyring::{Earlier, Keyring, Keyset};
use crate::model::categories::Compartment;
use crate::ops::{Forget, Hlc};

use file::Kind;

/// The clock of the reading laptop.
const NOW_MS: u64 = 1_780_000_000_000;

/// The fixed test keys: a current generation and an earlier one.
fn keys() -> &'static Keyset {
    static KEYS: OnceLock<Keyset> = OnceLock::new();
    KEYS.get_or_init(|| {
        let compartments = |base: u8| -> BTreeMap<Compartment, Key32> {
            Compartment::ALL
                .iter()
                .zip(base..)
                .map(|(c, b)| (*c, Key32::from_bytes([b; 32])))
                .collect()
        };
        Keyset {
            db: Key32::from_bytes([1; 32]),
            subject_wrap: Key32::from_bytes([2; 32]),
            keyring_mac: Key32::from_bytes([3; 32]),
            compartments: compartments(10),
            admin: Some(Key32::from_bytes([4; 32])),
            earlier: vec![Earlier {
                subject_wrap: Key32::from_bytes([5; 32]),
                compartments: compartments(20),
            }],
        }
    })
}

fn team_keys() -> &'static TeamKeys {
    static TK: OnceLock<TeamKeys> = OnceLock::new();
    TK.get_or_init(|| TeamKeys::of(keys()))
}

/// The device that signs the fixed files.
fn device() -> Uuid {
    Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0001)
}

fn signer() -> SigningKey {
    SigningKey::from_bytes(&[9; 32])
}

/// A keyring whose admins' key is the fixed one, for retirements (made
/// once: one Argon2 derivation at the floor).
fn ring() -> &'static Option<Keyring> {
    static RING: OnceLock<Option<Keyring>> = OnceLock::new();
    RING.get_or_init(|| {
        let at = chrono::DateTime::from_timestamp_millis(NOW_MS as i64).unwrap_or_default();
        Keyring::create("ada", b"fuzzing passphrase", crypto::KdfParams::FLOOR, at)
            .ok()
            .map(|(ring, _, _)| ring)
    })
}

pub(crate) fn envelope(bytes: &[u8]) {
    if let Ok(name) = std::str::from_utf8(bytes) {
        let _ = file::device_of_name(name);
        let _ = file::seq_of_name(name);
        let _ = file::snapshot_of_name(name);
        for suffix in [".device", ".retired", ".ack"] {
            let _ = name.strip_suffix(suffix).and_then(file::device_of_name);
        }
    }
    let Some(env) = file::parse(bytes) else {
        return;
    };
    let _ = file::hash(bytes);
    let _ = env.signed_by(&signer().verifying_key());
    let Some((plain, g)) = team_keys().open(&env) else {
        return;
    };
    match env.kind {
        Kind::Segment => segment_at(&plain, g),
        Kind::Snapshot => snapshot_at(&plain, g),
        Kind::Device => card(&plain),
        Kind::Ack => ack(&plain),
        Kind::Retire => retire(&plain),
        Kind::Backup | Kind::BackupKeys => {
            if let Some(body) = super::backup::fuzz_body(env.kind, &plain) {
                open(body);
            }
        }
    }
}

pub(crate) fn segment(bytes: &[u8]) {
    segment_at(bytes, 0);
    segment_at(bytes, 1);
}

/// A segment's body that opened with generation `g`.
fn segment_at(plain: &[u8], g: usize) {
    let Ok(mut body) = postcard::from_bytes::<Body>(plain) else {
        return;
    };
    team_keys().rewrap(g, &mut body.keys);
    let _ = too_far_ahead(&body, NOW_MS);
    let dname = device().simple().to_string();
    let _ = body.ops.iter().any(|o| o.device != dname)
        || body.forgets.iter().any(|f| f.device != dname);
    open(body);
}

/// What the applying side does before the database: opens the changes.
fn open(body: Body) {
    let mut cache = HashMap::new();
    let opened = open_body(body, keys(), &mut cache);
    for slot in opened.slots {
        if let Slot::NeedsKey(subject, w) = slot {
            let key = crypto::expand(subject.as_bytes(), "tresor sync value v1");
            let _ = unwire_op(w, Some(&key));
        }
    }
    for f in opened.forgets {
        let _ = f.forget.goes_first();
        let _ = Hlc(f.hlc).wall_ms();
    }
}

pub(crate) fn snapshot(bytes: &[u8]) {
    snapshot_at(bytes, 0);
    snapshot_at(bytes, 1);
}

fn snapshot_at(plain: &[u8], g: usize) {
    let Ok(mut snap) = postcard::from_bytes::<SnapshotBody>(plain) else {
        return;
    };
    team_keys().rewrap(g, &mut snap.body.keys);
    let _: Vec<_> = snap
        .forgotten
        .iter()
        .map(|(r, f, h)| (*r, f.clone(), Hlc(*h)))
        .collect();
    for (d, s, h) in &snap.covers {
        let _ = (d.simple().to_string(), s, file::hex(h));
    }
    let _ = too_far_ahead(&snap.body, NOW_MS);
    open(snap.body);
}

pub(crate) fn card(bytes: &[u8]) {
    let Ok(card) = postcard::from_bytes::<Card>(bytes) else {
        return;
    };
    let _ = ed25519_dalek::VerifyingKey::from_bytes(&card.public);
    let _ = ms_to_time(card.created_ms);
}

pub(crate) fn ack(bytes: &[u8]) {
    let Ok(ack) = postcard::from_bytes::<AckBody>(bytes) else {
        return;
    };
    let _ = ms_to_time(ack.at_ms);
    let _: Vec<_> = ack.heads.iter().map(|(d, s)| (d.simple(), *s)).collect();
}

pub(crate) fn retire(bytes: &[u8]) {
    let Ok(body) = postcard::from_bytes::<RetireBody>(bytes) else {
        return;
    };
    let signed = body.signed();
    if let Some(ring) = ring() {
        let _ = ring.admin_current_verifies(&signed, &body.admin_sig);
        let _ = ring.admin_ever_verifies(&signed, &body.admin_sig);
    }
    let _ = ms_to_time(body.at_ms);
}

pub(crate) fn seeds() -> Vec<(&'static str, Vec<Vec<u8>>)> {
    let me = device();
    let dname = me.simple().to_string();
    let subject = Uuid::from_u128(7);
    let record = Uuid::from_u128(8);
    let op = |n: u128, value: WireValue| WireOp {
        id: Uuid::from_u128(100 + n),
        hlc: Hlc::tick(Hlc(0), NOW_MS).0,
        device: dname.clone(),
        author: "ada".into(),
        record,
        kind: "person".into(),
        field: "name".into(),
        value,
    };
    let wrapped = crypto::seal(
        &keys().subject_wrap,
        &crate::session::owned_ctx("subject-key", &subject.to_string()),
        &[6; 32],
    );
    let body = Body {
        ops: vec![
            op(1, WireValue::Open(b"\"Ada\"".to_vec())),
            op(2, WireValue::Sealed("notes".into(), vec![1, 2, 3])),
            op(3, WireValue::Cleared),
            op(
                4,
                WireValue::Subject {
                    subject,
                    compartment: None,
                    bytes: vec![4; 40],
                },
            ),
            op(
                5,
                WireValue::Subject {
                    subject,
                    compartment: Some("special".into()),
                    bytes: vec![5; 40],
                },
            ),
        ],
        keys: vec![(subject, wrapped)],
        forgets: vec![
            WireForget {
                id: Uuid::from_u128(200),
                hlc: Hlc::tick(Hlc(0), NOW_MS).0,
                device: dname.clone(),
                forget: Forget::Subject {
                    subject,
                    records: vec![record],
                    at_ms: NOW_MS as i64,
                    request: "R-1".into(),
                },
            },
            WireForget {
                id: Uuid::from_u128(201),
                hlc: Hlc::tick(Hlc(0), NOW_MS).0,
                device: dname.clone(),
                forget: Forget::Fields {
                    record,
                    fields: vec!["email".into()],
                },
            },
        ],
    };
    let seg = postcard::to_stdvec(&body).unwrap_or_default();
    let snap = postcard::to_stdvec(&SnapshotBody {
        covers: vec![(me, 3, [7; 32])],
        body: postcard::from_bytes(&seg).unwrap_or_default(),
        erased: vec![(subject, NOW_MS as i64, "R-1".into())],
        gone: vec![record],
        forgotten: vec![(record, "email".into(), 42)],
    })
    .unwrap_or_default();
    let card = postcard::to_stdvec(&Card {
        public: signer().verifying_key().to_bytes(),
        user: "ada".into(),
        host: "laptop".into(),
        created_ms: NOW_MS as i64,
    })
    .unwrap_or_default();
    let ack = postcard::to_stdvec(&AckBody {
        heads: vec![(me, 3)],
        at_ms: NOW_MS as i64,
    })
    .unwrap_or_default();
    let retire = postcard::to_stdvec(&RetireBody {
        device: Uuid::from_u128(9),
        by: "ada".into(),
        at_ms: NOW_MS as i64,
        upto: 3,
        admin_sig: vec![1; 64],
    })
    .unwrap_or_default();
    let tk = team_keys();
    let wrap = |kind, seq, body: &[u8], team: &Key32| {
        file::write(kind, me, seq, [0; 32], body, team, &signer())
    };
    let earlier = &tk.gens[tk.gens.len() - 1].0;
    let envelopes = vec![
        wrap(Kind::Segment, 1, &seg, tk.current()),
        wrap(Kind::Segment, 2, &seg, earlier),
        wrap(Kind::Snapshot, 1, &snap, tk.current()),
        wrap(Kind::Device, 0, &card, tk.current()),
        wrap(Kind::Ack, NOW_MS, &ack, tk.current()),
        wrap(Kind::Retire, 0, &retire, tk.current()),
        format!("{dname}.device").into_bytes(),
        b"0000000042.seg".to_vec(),
        format!("{:016x}-{dname}.snap", 7).into_bytes(),
    ];
    vec![
        ("envelope", envelopes),
        ("segment", vec![seg]),
        ("snapshot", vec![snap]),
        ("card", vec![card]),
        ("ack", vec![ack]),
        ("retire", vec![retire]),
    ]
}
