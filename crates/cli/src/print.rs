//! Output: human text on a terminal, JSON with `--json`. Results go to
//! stdout, messages and errors to stderr, so `id=$(tresor contact add …)`
//! works in scripts.

use std::path::Path;
use std::time::Duration;

use serde_json::json;
use tresor_core::api::{Check, UserInfo};
use tresor_core::categories::Category;
use tresor_core::contacts::{ContactView, FieldValue, HistoryEntry};
use tresor_core::crypto::KdfParams;
use tresor_core::demo::SeedReport;
use tresor_core::store::DirectoryRow;

/// Where and how to print.
pub struct Out {
    /// `--json` was given.
    pub json: bool,
}

fn value_text(v: &FieldValue) -> String {
    match v {
        FieldValue::Value { .. } => v.as_text().unwrap_or_default().replace('\n', " / "),
        FieldValue::Empty => "—".into(),
        FieldValue::Locked { reason } => format!("[locked: {reason}]"),
    }
}

impl Out {
    /// An error: code and message on stderr.
    pub fn error(&self, code: &str, message: &str) {
        if self.json {
            eprintln!(
                "{}",
                json!({ "error": { "code": code, "message": message } })
            );
        } else {
            eprintln!("tresor: {message}");
        }
    }

    /// A side note on stderr (never in JSON mode).
    pub fn note(&self, message: &str) {
        if !self.json {
            eprintln!("{message}");
        }
    }

    /// A confirmation.
    pub fn done(&self, message: &str) {
        if self.json {
            println!("{}", json!({ "ok": true, "message": message }));
        } else {
            println!("{message}");
        }
    }

    /// A new record's id.
    pub fn id(&self, id: uuid::Uuid) {
        if self.json {
            println!("{}", json!({ "id": id }));
        } else {
            println!("{id}");
        }
    }

    /// Vault created.
    pub fn created(
        &self,
        dir: &Path,
        admin: &str,
        kit: &str,
        kdf: KdfParams,
        kit_file: Option<&Path>,
    ) {
        if self.json {
            println!(
                "{}",
                json!({ "vault": dir, "admin": admin, "recovery_kit": kit,
                        "kdf": { "m_kib": kdf.m_kib, "t": kdf.t, "p": kdf.p } })
            );
            return;
        }
        println!("Vault created in {} with admin '{admin}'.", dir.display());
        println!(
            "Key derivation: Argon2id, {} MiB, {} passes.\n",
            kdf.m_kib / 1024,
            kdf.t
        );
        println!("{kit}");
        match kit_file {
            Some(f) => println!(
                "The recovery kit was also written to {}. It is shown only this once.",
                f.display()
            ),
            None => println!(
                "Write the recovery key down or print this page now. It is shown only this once."
            ),
        }
    }

    /// A contact, grouped by data category.
    pub fn contact(&self, c: &ContactView) {
        if self.json {
            println!("{}", serde_json::to_string_pretty(c).unwrap_or_default());
            return;
        }
        println!("{}  ({})", c.display, c.id);
        for cat in Category::ALL {
            let fields: Vec<_> = c.fields.iter().filter(|f| f.category == cat).collect();
            if fields.is_empty() {
                continue;
            }
            println!("\n  {}", cat.label(tresor_core::categories::Lang::En));
            for f in fields {
                println!("    {:<28} {}", f.label_en, value_text(&f.value));
            }
        }
        if !c.companies.is_empty() {
            println!("\n  Companies");
            for l in &c.companies {
                println!(
                    "    {}  {}  ({})",
                    l.name,
                    l.role.as_deref().unwrap_or(""),
                    l.company
                );
            }
        }
        if !c.interactions.is_empty() {
            println!("\n  Interactions");
            for i in &c.interactions {
                let keep = i
                    .keep
                    .as_deref()
                    .map(|k| format!(" [kept by law: {}]", k.replace('_', " ")))
                    .unwrap_or_default();
                println!(
                    "    {}  {:<8} {}{keep}  — {}",
                    i.at, i.kind, i.summary, i.by
                );
                if !matches!(i.text, FieldValue::Empty) {
                    println!("        {}", value_text(&i.text));
                }
            }
        }
    }

    /// Directory rows.
    pub fn rows(&self, rows: &[DirectoryRow]) {
        if self.json {
            println!("{}", serde_json::to_string_pretty(rows).unwrap_or_default());
            return;
        }
        for r in rows {
            println!(
                "{}  {:<32} {:<30} {:<32} {}",
                r.id,
                r.display,
                r.company.as_deref().unwrap_or(""),
                r.email.as_deref().unwrap_or(""),
                r.phone.as_deref().unwrap_or("")
            );
        }
        if rows.is_empty() {
            eprintln!("No matches.");
        }
    }

    /// Change history.
    pub fn history(&self, entries: &[HistoryEntry]) {
        if self.json {
            println!(
                "{}",
                serde_json::to_string_pretty(entries).unwrap_or_default()
            );
            return;
        }
        for e in entries {
            let what = if e.field.is_empty() {
                format!("created {}", e.record_kind.as_str())
            } else {
                format!(
                    "{}.{} = {}",
                    e.record_kind.as_str(),
                    e.field,
                    value_text(&e.value)
                )
            };
            println!(
                "{}  {:<12} {}",
                e.at.format("%Y-%m-%d %H:%M:%S%.3fZ"),
                e.author,
                what
            );
        }
    }

    /// Users.
    pub fn users(&self, users: &[UserInfo]) {
        if self.json {
            println!(
                "{}",
                serde_json::to_string_pretty(users).unwrap_or_default()
            );
            return;
        }
        for u in users {
            println!(
                "{:<24} {:<8} since {}",
                u.name,
                u.role.as_str(),
                u.created.format("%Y-%m-%d")
            );
        }
    }

    /// Doctor's report.
    pub fn checks(&self, checks: &[Check]) {
        if self.json {
            println!(
                "{}",
                serde_json::to_string_pretty(checks).unwrap_or_default()
            );
            return;
        }
        for c in checks {
            println!(
                "{}  {:<32} {}",
                if c.ok { "ok  " } else { "FAIL" },
                c.name,
                c.detail
            );
        }
    }

    /// Progress of long work, on stderr.
    pub fn progress(&self, done: usize, total: usize) {
        if !self.json && (done == total || done.is_multiple_of(10_000)) {
            eprintln!("  {done} / {total}");
        }
    }

    /// Demo data written.
    pub fn seeded(&self, r: &SeedReport, took: Duration) {
        if self.json {
            println!(
                "{}",
                json!({ "people": r.people, "interactions": r.interactions, "seconds": took.as_secs_f64() })
            );
        } else {
            println!(
                "Added {} people and {} interactions in {:.1} s.",
                r.people,
                r.interactions,
                took.as_secs_f64()
            );
        }
    }
}
