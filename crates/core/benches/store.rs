//! Tresor's store against plain SQLite, same run, same schema, same rows.
//!
//! Each workload runs through the same `Session` API twice: on an encrypted
//! vault (SQLCipher, raw key) and on an unencrypted SQLite file. Field-level
//! seals of compartmented values (about a third of the demo people have a
//! note) happen in both, so the ratio shows what the database encryption
//! costs. Prints `<workload> tresor_ms=<x> plain_ms=<y> ratio=<x/y>`.
//! `unlock_100k_extra` times what an unlock does beyond deriving the keys
//! from the passphrase (the KDF is left out of the clock, not subtracted)
//! against opening the plain file.
//! Set TRESOR_BENCH_N to change the number of contacts (default 100000).
//! TRESOR_BENCH_ONLY picks one workload: =sync runs only `sync_apply_100k`,
//! =insert only `insert_100k` and the search lines, =unlock only
//! `unlock_100k_extra` (over vaults filled once), =dsar only
//! `dsar_package_10k`, =retention only the `retention_sweep_*` lines
//! (TRESOR_BENCH_RETENTION_N sets their number of records, default 1000000),
//! =followups only `followups_due_100k` (the due list of one user over
//! 100,000 people and 50,000 follow-ups, the median of 30 reads), =import
//! only `import_csv_100k` (an Outlook export in German of `n` rows,
//! imported into an empty vault, with the peak memory of the process),
//! =backup only `backup_100k` (a backup of `n` people with one interaction
//! each, written, read back and checked, against `VACUUM INTO` of the same
//! plain SQLite database; the median of three) and `restore_100k` (that
//! backup into a new vault), with the backup's size against the vault's.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};
use tresor_core::clock::{Clock, SystemClock};
use tresor_core::crypto::KdfParams;
use tresor_core::model::categories::Lang;
use tresor_core::model::contacts::{FieldInput, InteractionInput, PersonInput};
use tresor_core::session::Session;

const PASS: &[u8] = b"benchmark passphrase";

fn clock() -> Arc<dyn Clock> {
    Arc::new(SystemClock)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn line(name: &str, tresor: f64, plain: f64) {
    println!(
        "{name} tresor_ms={tresor:.3} plain_ms={plain:.3} ratio={:.3}",
        tresor / plain.max(1e-9)
    );
}

fn people(n: usize) -> Vec<PersonInput> {
    tresor_core::demo::generate(n, 42)
        .into_iter()
        .map(|p| p.person)
        .collect()
}

fn insert(session: &mut Session, people: &[PersonInput]) -> Duration {
    let started = Instant::now();
    session.add_people(people, &mut |_, _| {}).expect("insert");
    session.checkpoint().expect("checkpoint");
    started.elapsed()
}

fn queries(n: usize) -> Vec<String> {
    // What people type: the first 2–5 letters of a name, a company, an email or digits of a phone.
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    let sample = tresor_core::demo::generate(400, 42);
    (0..n)
        .map(|i| {
            let p = &sample[rng.gen_range(0..sample.len())].person;
            let word = match i % 4 {
                0 => field_text(p, "family_name"),
                1 => field_text(p, "given_name"),
                2 => field_text(p, "emails"),
                _ => p
                    .company
                    .clone()
                    .unwrap_or_else(|| field_text(p, "family_name")),
            };
            let take = rng.gen_range(2..=5);
            word.chars().take(take).collect()
        })
        .collect()
}

fn field_text(p: &PersonInput, name: &str) -> String {
    p.fields
        .iter()
        .find(|(f, _)| f == name)
        .map(|(_, v)| match v {
            FieldInput::Text(t) => t.clone(),
            FieldInput::List(l) => l.first().cloned().unwrap_or_default(),
            FieldInput::Clear => String::new(),
        })
        .unwrap_or_default()
}

fn search_latencies(session: &Session, qs: &[String]) -> Vec<f64> {
    for q in qs.iter().take(20) {
        session.search(q, 20).expect("warm");
    }
    let mut lat: Vec<f64> = qs
        .iter()
        .map(|q| {
            let started = Instant::now();
            let hits = session.search(q, 20).expect("search");
            std::hint::black_box(hits);
            ms(started.elapsed())
        })
        .collect();
    lat.sort_by(f64::total_cmp);
    lat
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

/// What an unlock does beyond the key derivation (opening the database
/// with its raw key, the signed role, the session, the first page), timed
/// alone: the keys are derived first, outside the clock.
fn open_encrypted(dir: &Path) -> Duration {
    let rest = Session::unlock_stepwise(dir, "bench", PASS, clock()).expect("keys");
    let started = Instant::now();
    let s = rest().expect("unlock");
    std::hint::black_box(s.list(0, 50).expect("first page"));
    started.elapsed()
}

/// The same on plain SQLite: open the store, start the session, the first
/// page.
fn open_plain(dir: &Path) -> Duration {
    let started = Instant::now();
    let s = Session::open_plain_baseline(dir, clock()).expect("open");
    std::hint::black_box(s.list(0, 50).expect("first page"));
    started.elapsed()
}

fn main() {
    let n: usize = std::env::var("TRESOR_BENCH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let only = std::env::var("TRESOR_BENCH_ONLY").ok();
    let runs = |workload: &str| only.as_deref().is_none_or(|o| o == workload);
    let tmp = tempfile::tempdir().expect("tmp");
    // First, before the other benchmarks leave gigabytes of vaults behind
    // (the retention sweep's million records among them) and a heap that
    // served them.
    // Before anything else, so the process's peak memory is the import's.
    if runs("import") {
        import_csv(tmp.path(), n);
    }
    if runs("sync") {
        sync_apply(tmp.path());
    }
    if runs("insert") || runs("unlock") {
        contacts(tmp.path(), n, runs("insert"), runs("unlock"));
    }
    if runs("dsar") {
        dsar(tmp.path());
    }
    if runs("retention") {
        retention(tmp.path());
    }
    if runs("followups") {
        followups_due(tmp.path(), n);
    }
    if runs("list") {
        list_sorted(tmp.path(), n);
    }
    if runs("backup") {
        backup_restore(tmp.path(), n);
    }
}

/// The size of a vault's database on disk, its write-ahead log included.
fn db_bytes(dir: &Path) -> u64 {
    ["tresor.db", "tresor.db-wal"]
        .iter()
        .filter_map(|f| std::fs::metadata(dir.join(f)).ok())
        .map(|m| m.len())
        .sum()
}

fn backup_restore(root: &Path, n: usize) {
    let k = n / 1000;
    let data = tresor_core::demo::generate(n, 11);
    let inputs: Vec<PersonInput> = data.iter().map(|p| p.person.clone()).collect();
    let fill = |s: &mut Session| {
        let ids = s.add_people(&inputs, &mut |_, _| {}).expect("people");
        let items: Vec<_> = ids
            .iter()
            .zip(&data)
            .map(|(id, p)| {
                let i = p
                    .interactions
                    .first()
                    .cloned()
                    .unwrap_or_else(|| InteractionInput {
                        kind: "note".into(),
                        summary: "Gespräch".into(),
                        ..InteractionInput::default()
                    });
                (*id, i)
            })
            .collect();
        s.add_interactions(&items).expect("interactions");
        s.checkpoint().expect("checkpoint");
    };
    let enc_dir = root.join("backup-vault");
    let (mut enc, _) =
        Session::create(&enc_dir, "bench", PASS, KdfParams::FLOOR, clock()).expect("create");
    fill(&mut enc);
    let plain_dir = root.join("backup-plain");
    let mut plain = Session::open_plain_baseline(&plain_dir, clock()).expect("plain");
    fill(&mut plain);
    drop(plain);
    let folder = root.join("backup-stick");
    let first = enc
        .backup_setup(&folder, tresor_core::model::backups::Rotation::default())
        .expect("setup");
    let (mut t_enc, mut t_plain) = (Vec::new(), Vec::new());
    let mut last = first;
    for run in 0..3 {
        let _ = std::process::Command::new("sync").status();
        let copy = root.join(format!("plain-copy-{run}.db"));
        let started = Instant::now();
        let c = rusqlite::Connection::open(plain_dir.join("tresor.db")).expect("plain db");
        c.execute("VACUUM INTO ?1", [copy.to_str().expect("path")])
            .expect("vacuum into");
        drop(c);
        t_plain.push(ms(started.elapsed()));
        let _ = std::process::Command::new("sync").status();
        let started = Instant::now();
        last = enc.backup().expect("backup");
        t_enc.push(ms(started.elapsed()));
    }
    eprintln!("backup runs: tresor {t_enc:.0?} ms, VACUUM INTO {t_plain:.0?} ms");
    line(
        &format!("backup_{k}k"),
        median(&mut t_enc),
        median(&mut t_plain),
    );
    println!(
        "backup_{k}k_size backup_bytes={} vault_bytes={} ratio={:.3} people={} changes={}",
        last.backup.size,
        db_bytes(&enc_dir),
        last.backup.size as f64 / db_bytes(&enc_dir).max(1) as f64,
        last.people,
        last.changes
    );
    drop(enc);
    let target = root.join("restored");
    let started = Instant::now();
    let (restored, report) = tresor_core::sync::restore(
        tresor_core::sync::RestoreRequest {
            file: Path::new(&last.backup.file),
            dir: &target,
            user: "bench",
            passphrase: PASS,
            replace: false,
            recovery: None,
        },
        clock(),
    )
    .expect("restore");
    let t_restore = ms(started.elapsed());
    assert_eq!(report.changes, last.changes, "every change restored");
    assert!(restored.list(0, 1).expect("list").len() == 1);
    println!(
        "restore_{k}k ms={t_restore:.0} target_ms=30000 changes={}",
        report.changes
    );
}

/// `list_sorted_{k}k_{column}`: a page of 200 people of the table view,
/// sorted by each column, at the top and in the middle of the list (the
/// page a scroll fetches), over `n` people on both stores.
fn list_sorted(root: &Path, n: usize) {
    use tresor_core::model::directory::{ListOrder, ListSort};
    let people = people(n);
    let mut stores = Vec::new();
    for plain in [false, true] {
        let dir = root.join(if plain {
            "list-plain"
        } else {
            "list-encrypted"
        });
        let mut s = if plain {
            Session::open_plain_baseline(&dir, clock()).expect("plain")
        } else {
            Session::create(&dir, "bench", PASS, KdfParams::FLOOR, clock())
                .expect("create")
                .0
        };
        s.add_people(&people, &mut |_, _| {}).expect("people");
        s.checkpoint().expect("checkpoint");
        stores.push(s);
    }
    for by in ListSort::ALL {
        let mut times = [Vec::new(), Vec::new()];
        for run in 0..10 {
            // Alternating which store goes first, so neither always gets
            // the warmer cache.
            for k in [run % 2, 1 - run % 2] {
                let started = Instant::now();
                for (offset, descending) in [(0, false), (n / 2, true)] {
                    let rows = stores[k]
                        .list_sorted(ListOrder { by, descending }, offset, 200)
                        .expect("page");
                    assert_eq!(rows.len(), 200);
                }
                times[k].push(ms(started.elapsed()) / 2.0);
            }
        }
        let [mut te, mut tp] = times;
        line(
            &format!("list_sorted_{}k_{by:?}", n / 1000).to_lowercase(),
            median(&mut te),
            median(&mut tp),
        );
    }
}

/// `followups_due_{k}k`: the user's follow-ups due today or overdue, over
/// `n` people and `n / 2` follow-ups (2 % overdue, a few due today, the
/// rest spread over the coming year), on both stores.
fn followups_due(root: &Path, n: usize) {
    use tresor_core::model::followups::{FollowUpFilter, FollowUpInput};
    let people = people(n);
    let today = SystemClock.now().date_naive();
    let mut results = Vec::new();
    for plain in [false, true] {
        let dir = root.join(if plain {
            "followups-plain"
        } else {
            "followups-encrypted"
        });
        let mut s = if plain {
            Session::open_plain_baseline(&dir, clock()).expect("plain")
        } else {
            Session::create(&dir, "bench", PASS, KdfParams::FLOOR, clock())
                .expect("create")
                .0
        };
        let ids = s.add_people(&people, &mut |_, _| {}).expect("people");
        let items: Vec<_> = (0..n / 2)
            .map(|i| {
                let offset: i64 = if i % 50 == 0 {
                    -(1 + (i as i64 / 50) % 7)
                } else if i % 300 == 1 {
                    0
                } else {
                    1 + (i as i64 % 365)
                };
                let due = today + chrono::Duration::days(offset);
                (
                    ids[(i * 2) % ids.len()],
                    FollowUpInput {
                        what: format!("Angebot {i} nachfassen"),
                        due: due.format("%Y-%m-%d").to_string(),
                        time: None,
                        assignee: None,
                    },
                )
            })
            .collect();
        s.add_followups(&items).expect("follow-ups");
        s.checkpoint().expect("checkpoint");
        let filter = FollowUpFilter {
            due_only: true,
            assignee: Some(s.user().to_owned()),
            include_done: false,
            subject: None,
        };
        let mut times = Vec::new();
        let mut rows = 0;
        for _ in 0..30 {
            let started = Instant::now();
            rows = s.followups(&filter).expect("due").len();
            times.push(ms(started.elapsed()));
        }
        results.push((median(&mut times), rows));
    }
    let ((te, rows), (tp, plain_rows)) = (results[0], results[1]);
    assert_eq!(rows, plain_rows, "both stores list the same");
    println!(
        "followups_due_{}k ms={te:.3} plain_ms={tp:.3} ratio={:.3} rows={rows}",
        n / 1000,
        te / tp.max(1e-9)
    );
}

/// `insert_{k}k` (three pairs) and the search lines, when `insert`;
/// `unlock_{k}k_extra` over the vaults of the first pair, when `unlock`
/// (then the vaults are filled once).
fn contacts(root: &Path, n: usize, insert_and_search: bool, unlock: bool) {
    let k = n / 1000;
    let enc_dir = root.join("encrypted");
    let plain_dir = root.join("plain");
    let data = people(n);

    let (mut enc, _) =
        Session::create(&enc_dir, "bench", PASS, KdfParams::FLOOR, clock()).expect("create");
    let mut plain = Session::open_plain_baseline(&plain_dir, clock()).expect("plain");
    let mut t_plain = vec![ms(insert(&mut plain, &data))];
    let mut t_enc = vec![ms(insert(&mut enc, &data))];
    if insert_and_search {
        // Two more pairs into fresh vaults, the other way round, for a
        // median that one burst of load on this shared machine does not
        // decide.
        for run in 1..3 {
            let (mut e, _) = Session::create(
                &root.join(format!("encrypted-{run}")),
                "bench",
                PASS,
                KdfParams::FLOOR,
                clock(),
            )
            .expect("create");
            let mut p = Session::open_plain_baseline(&root.join(format!("plain-{run}")), clock())
                .expect("plain");
            t_enc.push(ms(insert(&mut e, &data)));
            t_plain.push(ms(insert(&mut p, &data)));
        }
        eprintln!("insert runs: encrypted {t_enc:.0?} ms, plain {t_plain:.0?} ms");
        line(
            &format!("insert_{k}k"),
            median(&mut t_enc),
            median(&mut t_plain),
        );

        let qs = queries(400);
        let le = search_latencies(&enc, &qs);
        let lp = search_latencies(&plain, &qs);
        line(&format!("search_{k}k_p50"), pct(&le, 0.5), pct(&lp, 0.5));
        line(&format!("search_{k}k_p95"), pct(&le, 0.95), pct(&lp, 0.95));
    }
    drop(enc);
    drop(plain);
    if !unlock {
        return;
    }

    // Median of several opens, interleaved; the page cache is warm for both.
    let mut extra = Vec::new();
    let mut base = Vec::new();
    for _ in 0..7 {
        extra.push(ms(open_encrypted(&enc_dir)));
        base.push(ms(open_plain(&plain_dir)));
    }
    eprintln!("unlock runs: encrypted {extra:.3?} ms, plain {base:.3?} ms");
    line(
        &format!("unlock_{k}k_extra"),
        median(&mut extra),
        median(&mut base),
    );
}

/// The access package of a person with 10,000 interactions: gather,
/// render, zip, write, read back and check, record the release.
fn dsar(root: &Path) {
    let (mut enc, _) = Session::create(
        &root.join("dsar-encrypted"),
        "bench",
        PASS,
        KdfParams::FLOOR,
        clock(),
    )
    .expect("create");
    let mut plain = Session::open_plain_baseline(&root.join("dsar-plain"), clock()).expect("plain");
    let te = dsar_package(&mut enc, &root.join("enc.zip"));
    let tp = dsar_package(&mut plain, &root.join("plain.zip"));
    println!(
        "dsar_package_10k ms={te:.1} plain_ms={tp:.1} ratio={:.3}",
        te / tp
    );
}

/// The retention sweep over 1,000,000 records (people with nine
/// interactions each), once with 1 % due and once with nothing due.
fn retention(root: &Path) {
    let records: usize = std::env::var("TRESOR_BENCH_RETENTION_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let mut results = Vec::new();
    for (name, plain) in [("retention-encrypted", false), ("retention-plain", true)] {
        let dir = root.join(name);
        let mut s = if plain {
            Session::open_plain_baseline(&dir, clock()).expect("plain")
        } else {
            Session::create(&dir, "bench", PASS, KdfParams::FLOOR, clock())
                .expect("create")
                .0
        };
        results.push(retention_sweeps(&mut s, records));
    }
    let m = records / 1_000_000;
    let label = if m > 0 {
        format!("{m}m")
    } else {
        format!("{}k", records / 1000)
    };
    let ((e1, en), (p1, pn)) = (results[0], results[1]);
    println!(
        "retention_sweep_{label}_1pct ms={e1:.1} plain_ms={p1:.1} ratio={:.3}",
        e1 / p1
    );
    println!(
        "retention_sweep_{label}_none ms={en:.3} plain_ms={pn:.3} ratio={:.3}",
        en / pn.max(1e-9)
    );
}

/// Applying 100,000 changes another laptop made: read, verify and open
/// the segments, then merge, index and date them. Once into an encrypted
/// vault, once into plain SQLite (the same segments, the same code).
fn sync_apply(root: &Path) {
    let target: u64 = std::env::var("TRESOR_BENCH_SYNC_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let folder = root.join("sync-folder");
    let (mut a, _) = Session::create(
        &root.join("sync-a"),
        "bench",
        PASS,
        KdfParams::FLOOR,
        clock(),
    )
    .expect("create");
    a.sync_setup(&folder).expect("setup");
    // Five receivers of each kind, pulled in turn: the median of five
    // runs of each, interleaved, so a burst of load on this shared machine
    // does not decide the ratio.
    const RUNS: usize = 5;
    let mut receivers = Vec::new();
    for i in 0..RUNS {
        let (enc, _) = tresor_core::sync::join(
            &folder,
            &root.join(format!("sync-enc-{i}")),
            "bench",
            PASS,
            clock(),
        )
        .expect("join");
        let (plain, _) = tresor_core::sync::join_plain_baseline(
            &folder,
            &root.join(format!("sync-plain-{i}")),
            "bench",
            PASS,
            clock(),
        )
        .expect("join plain");
        receivers.push((enc, plain));
    }
    // The joiners' own first changes (defaults) go out first.
    for _ in 0..2 {
        for (enc, plain) in &mut receivers {
            enc.sync().expect("settle");
            plain.sync().expect("settle");
        }
        a.sync().expect("settle");
    }
    let mut seed = 7;
    while a.sync_status().expect("status").pending_changes < target {
        let batch: Vec<PersonInput> = tresor_core::demo::generate(1000, seed)
            .into_iter()
            .map(|p| p.person)
            .collect();
        a.add_people(&batch, &mut |_, _| {}).expect("people");
        seed += 1;
    }
    let sent = a.sync().expect("push").sent_changes;
    let (mut enc_rates, mut plain_rates) = (Vec::new(), Vec::new());
    for (enc, plain) in receivers {
        for (mut s, rates) in [(enc, &mut enc_rates), (plain, &mut plain_rates)] {
            // Each run starts with the disk's write cache empty.
            let _ = std::process::Command::new("sync").status();
            let started = Instant::now();
            let r = s.sync().expect("pull");
            let secs = started.elapsed().as_secs_f64();
            assert_eq!(r.received_changes, sent, "every change applied");
            rates.push(r.received_changes as f64 / secs);
            // Closing waits for the checkpoint the pull left to run beside
            // it, so that it does not run into the next run.
            drop(s);
        }
    }
    eprintln!("sync_apply runs: encrypted {enc_rates:.0?}, plain {plain_rates:.0?}");
    let (enc_rate, plain_rate) = (median(&mut enc_rates), median(&mut plain_rates));
    println!(
        "sync_apply_{}k ops_per_s={enc_rate:.0} plain_ops_per_s={plain_rate:.0} ratio={:.3} changes={sent} runs={RUNS}",
        target / 1000,
        plain_rate / enc_rate
    );
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Fills the vault with `records` records (a tenth people, each with nine
/// interactions), 1 % of them past their retention; returns the time of a
/// sweep that deletes them and of a sweep with nothing due (median of 5).
fn retention_sweeps(s: &mut Session, records: usize) -> (f64, f64) {
    let people = records / 10;
    let lapsed = people / 100;
    let long_ago = SystemClock.now() - chrono::Duration::days(3 * 365);
    let day = long_ago.format("%Y-%m-%d").to_string();
    let inputs: Vec<PersonInput> = (0..people)
        .map(|i| {
            let mut p = PersonInput::default()
                .with_name(&format!("Person{i} Nachname{}", i % 977))
                .with("emails", FieldInput::List(vec![format!("p{i}@example.de")]));
            if i < lapsed {
                p = p.with("last_contact", FieldInput::Text(day.clone()));
            }
            p
        })
        .collect();
    s.add_people(&inputs, &mut |_, _| {}).expect("people");
    let ids: Vec<_> = {
        let mut ids = Vec::new();
        let mut offset = 0;
        loop {
            let page = s.list(offset, 10_000).expect("list");
            if page.is_empty() {
                break;
            }
            offset += page.len();
            ids.extend(page);
        }
        ids
    };
    let lapsed_ids: std::collections::HashSet<_> = ids
        .iter()
        .filter(|r| {
            r.display
                .strip_prefix("Person")
                .and_then(|x| x.split(' ').next())
                .and_then(|n| n.parse::<usize>().ok())
                .is_some_and(|n| n < lapsed)
        })
        .map(|r| r.id)
        .collect();
    for chunk in ids.chunks(2000) {
        let items: Vec<_> = chunk
            .iter()
            .flat_map(|r| {
                let old = lapsed_ids.contains(&r.id);
                (0..9).map(move |k| {
                    (
                        r.id,
                        InteractionInput {
                            kind: "call".into(),
                            summary: format!("Anruf {k}"),
                            at: old.then_some(long_ago),
                            ..Default::default()
                        },
                    )
                })
            })
            .collect();
        s.add_interactions(&items).expect("interactions");
    }
    s.checkpoint().expect("checkpoint");
    // The sweep starts with the disk's write cache empty, as the sync runs do.
    let _ = std::process::Command::new("sync").status();
    let t = Instant::now();
    let report = s.run_retention().expect("sweep");
    let one_pct = ms(t.elapsed());
    assert_eq!(report.total() as usize, lapsed * 10, "1 % removed");
    let mut none: Vec<f64> = (0..5)
        .map(|_| {
            let t = Instant::now();
            assert!(s.sweep_if_due().expect("sweep").is_none());
            ms(t.elapsed())
        })
        .collect();
    none.sort_by(f64::total_cmp);
    (one_pct, none[2])
}

/// Median of three packages for one person with 10,000 interactions.
fn dsar_package(session: &mut Session, out: &Path) -> f64 {
    let person = session
        .add_person(
            &PersonInput::default()
                .with_name("Paula Paket")
                .with("emails", FieldInput::List(vec!["paula@example.de".into()])),
        )
        .expect("person");
    let items: Vec<_> = (0..10_000)
        .map(|i| {
            (
                person,
                InteractionInput {
                    kind: "call".into(),
                    summary: format!("Anruf {i}"),
                    text: Some(format!("Gesprächsnotiz {i}")),
                    at: None,
                    keep: None,
                },
            )
        })
        .collect();
    session.add_interactions(&items).expect("interactions");
    let mut times: Vec<f64> = (0..3)
        .map(|_| {
            let t = Instant::now();
            let pkg = session.access_package(person, Lang::De).expect("package");
            session
                .release_package(&pkg, out, None, None)
                .expect("release");
            ms(t.elapsed())
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[1]
}

/// The process's peak resident memory in MiB (Linux: VmHWM).
fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        })
        .map_or(0.0, |kib| kib / 1024.0)
}

/// `import_csv_{k}k`: an Outlook contact export with German headers
/// (Windows-1252, semicolons, CRLF) of `n` rows, imported into an empty
/// vault and into an empty plain SQLite file, through the same import.
fn import_csv(root: &Path, n: usize) {
    use tresor_core::model::import::ImportOptions;
    let mut text = String::from(
        "Anrede;Vorname;Nachname;Firma;Position;Straße geschäftlich;Postleitzahl geschäftlich;Ort geschäftlich;Telefon geschäftlich;Mobiltelefon;E-Mail-Adresse;Geburtstag;Notizen\r\n",
    );
    let cities = ["Köln", "München", "Düsseldorf", "Nürnberg", "Lübeck"];
    for i in 0..n {
        text.push_str(&format!(
            "{};Jürgen{i};Weiß{i};Bäckerei {};Inhaber;Hauptstraße {};{:05};{};0221 {:07};0171 {:07};p{i}@beispiel.de;{}.{}.19{:02};\"Kunde seit {};\r\nruft gern an\"\r\n",
            if i % 2 == 0 { "Herr" } else { "Frau" },
            i % 997,
            i % 200 + 1,
            10_000 + i % 89_999,
            cities[i % cities.len()],
            i,
            i,
            i % 28 + 1,
            i % 12 + 1,
            i % 90 + 10,
            2000 + i % 25,
        ));
    }
    let file = root.join("outlook.csv");
    let file_mib = {
        let (bytes, _, _) = encoding_rs::WINDOWS_1252.encode(&text);
        std::fs::write(&file, &bytes).expect("write");
        bytes.len() as f64 / (1024.0 * 1024.0)
    };
    drop(text);
    let run = |mut s: Session| {
        let started = Instant::now();
        let r = s
            .import_files(&[&file], &ImportOptions::default(), &mut |_| true)
            .expect("import");
        let took = started.elapsed();
        assert_eq!(
            r.files[0].imported as usize,
            n,
            "{:?}",
            r.files[0].problems.first()
        );
        n as f64 / took.as_secs_f64()
    };
    let dir = root.join("import-enc");
    let (s, _) = Session::create(
        &dir,
        "bench",
        b"bench passphrase",
        KdfParams::FLOOR,
        clock(),
    )
    .expect("create");
    let enc = run(s);
    let peak = peak_rss_mib();
    let plain =
        run(Session::open_plain_baseline(&root.join("import-plain"), clock()).expect("plain"));
    println!(
        "import_csv_{}k rows_per_s={enc:.0} plain_rows_per_s={plain:.0} ratio={:.3} peak_rss_mib={peak:.0} file_mib={file_mib:.1}",
        n / 1000,
        plain / enc,
    );
}
