//! `tresor import …`: files in, the report out (per file what was read,
//! imported, merged, left out, refused, and every bad row by its line),
//! the batch id to undo it by; `import list` and `import undo`; and
//! `duplicates`, the people already in the vault that look like one, and
//! `duplicates merge`, which makes two of them one; and
//! `export contacts`, people out to one file.

use serde_json::json;
use tresor_core::model::export::ContactSelection;
use tresor_core::model::import::columns::Mapping;
use tresor_core::model::import::{ImportOptions, ImportReport, parse_delimiter};

use crate::args::{Cli, DuplicatesArgs, DuplicatesCmd, ExportCmd, ImportArgs, ImportCmd};
use crate::print::{Out, errln, outln};
use crate::{Failure, Res, open};

fn print(out: &Out, r: &ImportReport) {
    if out.json {
        outln!("{}", json!(r));
        return;
    }
    for f in &r.files {
        if let Some(why) = &f.refused {
            outln!("{}: not imported: {why}", f.file);
            continue;
        }
        let looks = f
            .reading
            .looks_like
            .as_deref()
            .map(|l| format!(", looks like {l}"))
            .unwrap_or_default();
        match f.reading.delimiter.as_deref() {
            _ if f.reading.format == "vcard" => {
                outln!("{}: vCard, {}{looks}", f.file, f.reading.encoding)
            }
            Some(d) => outln!(
                "{}: CSV, {}, delimiter '{d}'{looks}",
                f.file,
                f.reading.encoding
            ),
            None => outln!("{}: XLSX sheet{looks}", f.file),
        }
        if f.reading.saved_mapping {
            outln!(
                "  columns mapped as for the last file with these columns (give --mapping to change)"
            );
        }
        let left_out: Vec<&str> = f
            .reading
            .columns
            .iter()
            .filter(|(_, t)| t.is_none())
            .map(|(h, _)| h.as_str())
            .collect();
        if !left_out.is_empty() {
            outln!("  columns not imported: {}", left_out.join(", "));
        }
        outln!(
            "  read {}, imported {}, merged {}, duplicates left out {}, refused as suppressed {}, bad rows {}",
            f.read,
            f.imported,
            f.merged,
            f.duplicates,
            f.suppressed,
            f.problems.len() - f.suppressed as usize
        );
        for p in &f.problems {
            outln!("  line {}: {}", p.line, p.reason);
        }
        for n in &f.notes {
            outln!("  note, line {}: {}", n.line, n.reason);
        }
    }
    match r.batch {
        Some(b) => outln!("Batch {b}: take it back with `tresor import undo {b}`."),
        None => outln!("Dry run: nothing was written."),
    }
}

/// `tresor import …`
pub fn import(cli: &Cli, out: &Out, args: &ImportArgs) -> Res<()> {
    match &args.cmd {
        Some(ImportCmd::List) => return list(cli, out),
        Some(ImportCmd::Undo { batch }) => {
            let mut s = open(cli)?;
            let r = s.undo_import(*batch)?;
            if out.json {
                outln!("{}", json!(r));
            } else {
                outln!(
                    "Import {batch} undone: {} people erased, {} set back.",
                    r.erased,
                    r.reverted
                );
            }
            return Ok(());
        }
        None => {}
    }
    let mapping = match &args.mapping {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| Failure::Usage(format!("cannot read {}: {e}", path.display())))?;
            Some(Mapping::from_json(&text)?)
        }
        None => None,
    };
    let options = ImportOptions {
        encoding: args.encoding.clone(),
        delimiter: args.delimiter.as_deref().map(parse_delimiter).transpose()?,
        mapping,
        purpose: args.purpose.clone(),
        source: args.source.clone(),
        on_duplicate: args.on_duplicate,
        dry_run: args.dry_run,
    };
    let mut s = open(cli)?;
    let files: Vec<&std::path::Path> = args.files.iter().map(|p| p.as_path()).collect();
    let report = s.import_files(&files, &options, &mut |p| {
        if !out.json && p.total >= 10_000 && (p.done.is_multiple_of(10_000) || p.done == p.total) {
            errln!(
                "  file {} of {}: {} / {}",
                p.file + 1,
                p.files,
                p.done,
                p.total
            );
        }
        true
    })?;
    print(out, &report);
    Ok(())
}

fn list(cli: &Cli, out: &Out) -> Res<()> {
    let s = open(cli)?;
    let batches = s.import_batches()?;
    if out.json {
        outln!("{}", json!(batches));
        return Ok(());
    }
    if batches.is_empty() {
        outln!("No imports yet.");
    }
    for b in batches {
        let undone = b
            .undone
            .map(|(at, by)| format!("  (undone {} by {by})", at.format("%Y-%m-%d %H:%M")))
            .unwrap_or_default();
        outln!(
            "{}  {}  {}  {}: {} created, {} merged{undone}",
            b.id,
            b.at.format("%Y-%m-%d %H:%M"),
            b.by,
            b.files.join(", "),
            b.created.len(),
            b.merged.len()
        );
    }
    Ok(())
}

/// `tresor duplicates`
pub fn duplicates(cli: &Cli, out: &Out, args: &DuplicatesArgs) -> Res<()> {
    if let Some(DuplicatesCmd::Merge { keep, other }) = &args.cmd {
        let mut s = open(cli)?;
        let r = s.merge_people(*keep, *other)?;
        if out.json {
            outln!("{}", json!(r));
        } else {
            let fields = if r.fields.is_empty() {
                "no field".to_owned()
            } else {
                r.fields.join(", ")
            };
            outln!(
                "Merged {} into {}: {fields} filled or added, {} records and {} requests moved; {} is erased.",
                r.merged,
                r.kept,
                r.records,
                r.requests,
                r.merged
            );
        }
        return Ok(());
    }
    let s = open(cli)?;
    let groups = s.duplicates()?;
    if out.json {
        outln!("{}", json!(groups));
        return Ok(());
    }
    if groups.is_empty() {
        outln!("No duplicates found.");
    }
    for g in &groups {
        outln!("{}:", g.why.join(", "));
        for p in &g.people {
            outln!("  {}  {}", p.id, p.display);
        }
    }
    Ok(())
}

/// `tresor export contacts`
pub fn export(cli: &Cli, out: &Out, cmd: &ExportCmd) -> Res<()> {
    let ExportCmd::Contacts {
        format,
        tag,
        search,
        ids,
        purpose,
        lang,
        out: path,
    } = cmd;
    let selection = ContactSelection {
        ids: (!ids.is_empty()).then(|| ids.clone()),
        tag: tag.clone(),
        search: search.clone(),
    };
    let mut s = open(cli)?;
    let e = s.export_contacts(&selection, *format, *lang, purpose.as_deref(), path)?;
    if out.json {
        outln!("{}", json!(e));
        return Ok(());
    }
    let n = e.count;
    outln!(
        "Wrote {n} {} to {}; the export is recorded as a disclosure.",
        if n == 1 { "person" } else { "people" },
        path.display()
    );
    if e.restricted > 0 {
        outln!(
            "Left out {} restricted {} (Art. 18).",
            e.restricted,
            if e.restricted == 1 {
                "person"
            } else {
                "people"
            }
        );
    }
    if !e.left_out.is_empty() {
        let names: Vec<&str> = e.left_out.iter().map(|c| c.as_str()).collect();
        outln!(
            "Left out what your role may not read: {}.",
            names.join(", ")
        );
    }
    Ok(())
}
