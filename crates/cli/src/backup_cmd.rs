//! `tresor backup …` and `tresor restore FILE`.

use std::path::Path;

use serde_json::json;
use tresor_core::keyring::RecoveryKey;
use tresor_core::model::backups::Rotation;
use tresor_core::sync::{BackupReport, BackupStatus, RestoreRequest};

use crate::args::{BackupArgs, BackupCmd, Cli, RecoveryArgs};
use crate::print::{Out, errln, outln};
use crate::{Failure, Res, clock, open, secrets, vault_dir};

fn size(bytes: u64) -> String {
    if bytes >= 1 << 20 {
        format!("{:.1} MB", bytes as f64 / f64::from(1 << 20))
    } else {
        format!("{:.1} kB", bytes as f64 / 1024.0)
    }
}

fn print_report(out: &Out, r: &BackupReport) {
    if out.json {
        outln!("{}", json!(r));
        return;
    }
    outln!(
        "Backup written: {} ({}; {} people, {} changes), opened again and checked.",
        r.backup.file,
        size(r.backup.size),
        r.people,
        r.changes
    );
    for f in &r.removed {
        outln!("Removed by the rotation: {f}");
    }
}

fn print_status(out: &Out, s: &BackupStatus) {
    if out.json {
        outln!("{}", json!(s));
        return;
    }
    match &s.folder {
        None => {
            outln!("No backups: no backup folder is set up (`tresor backup setup --folder DIR`).")
        }
        Some(f) => {
            outln!(
                "Folder:  {f}{}",
                if s.present {
                    ""
                } else {
                    " (not there: plug in the stick or connect the share)"
                }
            );
            outln!(
                "Keeps:   {} daily, {} weekly, {} monthly",
                s.rotation.daily,
                s.rotation.weekly,
                s.rotation.monthly
            );
            match &s.last {
                Some(l) => outln!(
                    "Last:    {} ({}) {}",
                    l.taken_at.to_rfc3339(),
                    size(l.size),
                    l.file
                ),
                None => outln!("Last:    never"),
            }
            if let Some(e) = &s.last_error {
                outln!("Failed:  {e}");
            }
            if s.keys_pending {
                outln!("Waiting: an erasure reaches the backups as soon as the folder is back.");
            }
        }
    }
}

/// `tresor backup [setup|list|verify|status]`
pub fn backup(cli: &Cli, out: &Out, args: &BackupArgs) -> Res<()> {
    let mut s = open(cli)?;
    match &args.cmd {
        None => print_report(out, &s.backup()?),
        Some(BackupCmd::Setup {
            folder,
            keep_daily,
            keep_weekly,
            keep_monthly,
        }) => {
            let r = s.backup_setup(
                folder,
                Rotation {
                    daily: *keep_daily,
                    weekly: *keep_weekly,
                    monthly: *keep_monthly,
                },
            )?;
            out.note(&format!(
                "Backups go to {} from now on: one after each day of use and before every change of keys. Keep the key file {} beside them; without it no backup can be read.",
                folder.display(),
                tresor_core::model::backups::KEY_FILE
            ));
            print_report(out, &r);
        }
        Some(BackupCmd::List) => {
            let list = s.backup_list()?;
            if out.json {
                outln!("{}", json!(list));
            } else if list.is_empty() {
                outln!("No backups in the folder yet.");
            } else {
                for b in list {
                    outln!(
                        "{}  {:>9}  {}",
                        b.taken_at.format("%Y-%m-%d %H:%M:%S"),
                        size(b.size),
                        b.file
                    );
                }
            }
        }
        Some(BackupCmd::Verify { file }) => {
            let checks = s.backup_verify(file.as_deref())?;
            let bad = checks.iter().filter(|c| !c.ok).count();
            if out.json {
                outln!("{}", json!(checks));
            } else {
                for c in &checks {
                    match &c.problem {
                        None => outln!(
                            "ok       {}  ({} changes, {} people readable, {} erased or deleted since)",
                            c.file,
                            c.changes,
                            c.people,
                            c.forgotten
                        ),
                        Some(p) => outln!("DAMAGED  {}: {p}", c.file),
                    }
                }
            }
            if bad > 0 {
                return Err(Failure::Other(anyhow::anyhow!(
                    "{bad} of {} backups are damaged",
                    checks.len()
                )));
            }
        }
        Some(BackupCmd::Status) => print_status(out, &s.backup_status()?),
    }
    Ok(())
}

/// `tresor restore FILE [--replace]`
pub fn restore(
    cli: &Cli,
    out: &Out,
    file: &Path,
    replace: bool,
    recovery: Option<&RecoveryArgs>,
) -> Res<()> {
    let dir = vault_dir(cli)?;
    let user = match &cli.user {
        Some(u) => u.clone(),
        None => tresor_core::sync::restore_default_user(file)?,
    };
    // With the recovery kit, the admin's passphrase is set anew.
    let key = recovery
        .map(|r| {
            secrets::recovery_key(r.recovery_key_file.as_deref())
                .and_then(|typed| Ok(RecoveryKey::parse(&typed)?))
        })
        .transpose()?;
    let passphrase = match recovery {
        Some(r) => secrets::new_passphrase(r.new_passphrase_file.as_deref(), &user)?,
        None => secrets::passphrase(
            cli.passphrase_file.as_deref(),
            &format!("Passphrase for {user}: "),
        )?,
    };
    let restored = tresor_core::sync::restore(
        RestoreRequest {
            file,
            dir: &dir,
            user: &user,
            passphrase: &passphrase,
            replace,
            recovery: key.as_ref(),
        },
        clock(),
    );
    let (s, r) = match restored {
        Err(e @ tresor_core::Error::VaultExists { .. }) => {
            errln!("Add --replace to restore over it: the vault there is kept aside, renamed.");
            return Err(e.into());
        }
        other => other?,
    };
    if out.json {
        outln!("{}", json!(r));
    } else {
        outln!(
            "Restored the backup of {} into {} as {} ({}): {} changes; {} people erased or deleted since were left out.",
            r.taken_at.format("%Y-%m-%d %H:%M"),
            dir.display(),
            s.user(),
            s.role(),
            r.changes,
            r.forgotten
        );
        if let Some(k) = &r.replaced_kept {
            outln!("The vault that was there is kept aside in {k}.");
        }
        if r.rejoined {
            outln!(
                "It caught up with the team through the shared folder. The lost laptop can be retired with `tresor device retire ID`."
            );
        }
    }
    for p in &r.problems {
        errln!("warning: {p}");
    }
    Ok(())
}
