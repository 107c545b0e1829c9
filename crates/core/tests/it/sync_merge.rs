//! Three laptops make random concurrent changes; a random transport carries
//! their files between three folders in random order, partly, and twice
//! (as conflict copies too). Once everything has arrived everywhere, the
//! three vaults show the same state.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{TimeZone, Utc};
use proptest::prelude::*;
use rand::seq::SliceRandom as _;
use rand::{Rng as _, SeedableRng as _};
use tresor_core::Session;
use tresor_core::clock::FixedClock;
use tresor_core::crypto::KdfParams;
use tresor_core::model::contacts::{FieldInput, PersonInput};
use tresor_core::model::requests::{NewRequest, RequestKind};
use tresor_core::sync;

const PW: &[u8] = b"dora passphrase one";
const FIELDS: &[&str] = &["given_name", "family_name", "note", "tags", "emails"];

#[derive(Debug, Clone)]
enum Step {
    Edit {
        device: usize,
        person: usize,
        field: usize,
        value: Option<u8>,
    },
    Sync(usize),
    Deliver {
        from: usize,
        to: usize,
        seed: u64,
    },
    Tick {
        device: usize,
        ms: i64,
    },
    /// Erasure of one field (Art. 17) on one laptop, racing edits elsewhere.
    EraseField {
        device: usize,
        person: usize,
        field: usize,
    },
}

/// Fields that may be erased alone (a name must stay).
const ERASABLE: &[&str] = &["note", "tags", "emails"];

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => (0..3usize, 0..3usize, 0..FIELDS.len(), proptest::option::of(0..4u8)).prop_map(
            |(device, person, field, value)| Step::Edit { device, person, field, value }
        ),
        2 => (0..3usize).prop_map(Step::Sync),
        2 => (0..3usize, 0..3usize, any::<u64>()).prop_map(|(from, to, seed)| Step::Deliver { from, to, seed }),
        1 => (0..3usize, -2000..2000i64).prop_map(|(device, ms)| Step::Tick { device, ms }),
        1 => (0..3usize, 0..3usize, 0..ERASABLE.len()).prop_map(|(device, person, field)| Step::EraseField { device, person, field }),
    ]
}

fn files_under(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if let Ok(rel) = p.strip_prefix(root) {
                out.push(rel.to_path_buf());
            }
        }
    }
    out.sort();
    out
}

/// Copies files of one folder into another: a random part in random order
/// (or all), some twice under a conflict copy's name.
fn deliver(from: &Path, to: &Path, seed: Option<u64>) {
    let mut files = files_under(from);
    if let Some(seed) = seed {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        files.shuffle(&mut rng);
        let keep = rng.gen_range(0..=files.len());
        files.truncate(keep);
        for f in &files {
            if rng.gen_bool(0.2) {
                let name = f.file_name().map(|n| n.to_string_lossy().into_owned());
                let dup = f.with_file_name(format!(
                    "{}.sync-conflict-20261124-101010-XYZ",
                    name.unwrap_or_default()
                ));
                copy(&from.join(f), &to.join(dup));
            }
        }
    }
    for f in files {
        copy(&from.join(&f), &to.join(&f));
    }
}

fn copy(from: &Path, to: &Path) {
    if let Some(d) = to.parent() {
        std::fs::create_dir_all(d).expect("mkdir");
    }
    let bytes = std::fs::read(from).expect("read");
    // Like a sync tool: a temp file, then a rename.
    let tmp = to.with_extension("tmp-transfer");
    std::fs::write(&tmp, bytes).expect("write");
    std::fs::rename(&tmp, to).expect("rename");
}

fn state(s: &Session) -> String {
    let rows = s.list(0, 1000).expect("list");
    let views: Vec<_> = rows
        .iter()
        .map(|r| s.contact(r.id).expect("contact"))
        .collect();
    serde_json::to_string(&views).expect("json")
}

fn run(steps: &[Step]) -> Result<(), TestCaseError> {
    let tmp = tempfile::tempdir().expect("tmp");
    let folder = |i: usize| tmp.path().join(format!("shared-{i}"));
    let start = Utc
        .with_ymd_and_hms(2026, 11, 24, 9, 0, 0)
        .single()
        .expect("t");
    let clocks: Vec<Arc<FixedClock>> = (0..3).map(|_| Arc::new(FixedClock::new(start))).collect();
    let (mut a, _) = Session::create(
        &tmp.path().join("a"),
        "dora",
        PW,
        KdfParams::FLOOR,
        clocks[0].clone(),
    )
    .expect("create");
    let people: Vec<_> = ["Ada", "Bo", "Cem"]
        .iter()
        .map(|n| {
            a.add_person(&PersonInput::default().with_name(&format!("{n} Start")))
                .expect("person")
        })
        .collect();
    a.sync_setup(&folder(0)).expect("setup");
    deliver(&folder(0), &folder(1), None);
    deliver(&folder(0), &folder(2), None);
    let mut s = vec![a];
    for (i, clock) in clocks.iter().enumerate().skip(1) {
        let (joined, _) = sync::join(
            &folder(i),
            &tmp.path().join(format!("v{i}")),
            "dora",
            PW,
            clock.clone(),
        )
        .expect("join");
        s.push(joined);
    }
    for st in steps {
        match st {
            Step::Edit {
                device,
                person,
                field,
                value,
            } => {
                let input = match (FIELDS[*field], value) {
                    (_, None) if FIELDS[*field].ends_with("name") => {
                        FieldInput::Text(format!("N{device}"))
                    }
                    (_, None) => FieldInput::Clear,
                    ("tags" | "emails", Some(v)) => {
                        FieldInput::List(vec![format!("v{v}@d{device}.de")])
                    }
                    (_, Some(v)) => FieldInput::Text(format!("V{v}D{device}")),
                };
                s[*device]
                    .edit(people[*person], &[(FIELDS[*field].into(), input)])
                    .expect("edit");
            }
            Step::Sync(d) => {
                s[*d].sync().expect("sync");
            }
            Step::Deliver { from, to, seed } if from != to => {
                deliver(&folder(*from), &folder(*to), Some(*seed));
            }
            Step::Deliver { .. } => {}
            Step::Tick { device, ms } => clocks[*device].advance_ms(*ms),
            Step::EraseField {
                device,
                person,
                field,
            } => {
                let s = &mut s[*device];
                let reference = s
                    .open_request(&NewRequest {
                        kind: RequestKind::Erasure,
                        person: Some(people[*person]),
                        received: start.date_naive(),
                        identity_check: None,
                    })
                    .expect("request")
                    .reference;
                s.erase_fields(
                    people[*person],
                    &[ERASABLE[*field].into()],
                    &reference,
                    false,
                )
                .expect("erase field");
            }
        }
    }
    // Everything arrives everywhere.
    for _ in 0..2 {
        for d in &mut s {
            d.sync().expect("sync");
        }
        for from in 0..3 {
            for to in 0..3 {
                if from != to {
                    deliver(&folder(from), &folder(to), None);
                }
            }
        }
    }
    for d in &mut s {
        let r = d.sync().expect("final sync");
        prop_assert!(r.problems.is_empty(), "{:?}", r.problems);
    }
    let (s0, s1, s2) = (state(&s[0]), state(&s[1]), state(&s[2]));
    prop_assert_eq!(&s0, &s1);
    prop_assert_eq!(&s0, &s2);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]
    #[test]
    fn three_laptops_converge_whatever_the_delivery(steps in proptest::collection::vec(step(), 1..40)) {
        run(&steps)?;
    }
}
