//! `tresor sync …`, `tresor join` and `tresor device …`.

use std::path::Path;

use serde_json::json;
use tresor_core::sync::{SyncReport, SyncStatus};

use crate::args::{Cli, DeviceCmd, SyncArgs, SyncCmd};
use crate::print::{Out, errln, outln};
use crate::{Res, clock, open, secrets, vault_dir};

fn print_report(out: &Out, r: &SyncReport) {
    if out.json {
        outln!("{}", json!(r));
        return;
    }
    outln!(
        "Sent {} changes and {} removals in {} segments; received {} changes and {} removals from {} segments.{}",
        r.sent_changes,
        r.sent_removals,
        r.sent_segments,
        r.received_changes,
        r.received_removals,
        r.received_segments,
        if r.compacted {
            " The folder was compacted."
        } else {
            ""
        }
    );
    for p in &r.problems {
        errln!("warning: {}: {} [{}]", p.file, p.message, p.code);
    }
}

fn print_status(out: &Out, s: &SyncStatus) {
    if out.json {
        outln!("{}", json!(s));
        return;
    }
    match &s.folder {
        None => outln!("Not synced: no shared folder is set up."),
        Some(f) => {
            outln!("Folder:   {f}");
            outln!("Device:   {}", s.device);
            outln!(
                "Last sync: {}",
                s.last_sync
                    .map_or_else(|| "never".to_owned(), |t| t.to_rfc3339())
            );
            outln!("Waiting:  {} changes", s.pending_changes);
            for p in &s.problems {
                outln!("Problem:  {}: {} [{}]", p.file, p.message, p.code);
            }
        }
    }
}

/// `tresor sync [setup|status]`
pub fn sync(cli: &Cli, out: &Out, args: &SyncArgs) -> Res<()> {
    let mut s = open(cli)?;
    match &args.cmd {
        None => {
            let r = s.sync_with(args.compact)?;
            print_report(out, &r);
        }
        Some(SyncCmd::Setup { folder }) => {
            let r = s.sync_setup(folder)?;
            out.note(&format!(
                "The team is in {}. Other laptops join with `tresor join --folder DIR`.",
                folder.display()
            ));
            print_report(out, &r);
        }
        Some(SyncCmd::Status) => print_status(out, &s.sync_status()?),
    }
    Ok(())
}

/// `tresor join --folder DIR`
pub fn join(cli: &Cli, out: &Out, folder: &Path) -> Res<()> {
    let dir = vault_dir(cli)?;
    let user = match &cli.user {
        Some(u) => u.clone(),
        None => tresor_core::sync::default_user(folder)?,
    };
    let passphrase = secrets::passphrase(
        cli.passphrase_file.as_deref(),
        &format!("Passphrase for {user}: "),
    )?;
    let (s, r) = tresor_core::sync::join(folder, &dir, &user, &passphrase, clock())?;
    out.note(&format!(
        "Joined as {} ({}); this laptop's vault is {}.",
        s.user(),
        s.role(),
        dir.display()
    ));
    print_report(out, &r);
    Ok(())
}

/// `tresor device list|retire`
pub fn device(cli: &Cli, out: &Out, cmd: &DeviceCmd) -> Res<()> {
    let mut s = open(cli)?;
    match cmd {
        DeviceCmd::List => {
            let devices = s.devices()?;
            if out.json {
                outln!("{}", json!(devices));
                return Ok(());
            }
            for d in devices {
                outln!(
                    "{}  {:<12} {:<16} joined {}  last seen {}{}{}",
                    d.id,
                    d.user,
                    d.host,
                    d.created.format("%Y-%m-%d"),
                    d.last_seen.map_or_else(
                        || "never".to_owned(),
                        |t| t.format("%Y-%m-%d %H:%M").to_string()
                    ),
                    if d.retired { "  retired" } else { "" },
                    if d.this_device { "  (this laptop)" } else { "" },
                );
                if let Some(why) = &d.flagged {
                    outln!("    changes from this laptop were refused: {why}");
                }
            }
        }
        DeviceCmd::Retire { id } => {
            s.retire_device(id)?;
            out.done(&format!(
                "Device {id} is retired: compaction no longer waits for it, and what it sends is ignored; it must join again to take part."
            ));
        }
    }
    Ok(())
}
