//! Output: human text on a terminal, JSON with `--json`. Results go to
//! stdout, messages and errors to stderr, so `id=$(tresor contact add …)`
//! works in scripts.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

use serde_json::json;
use tresor_core::crypto::KdfParams;
use tresor_core::demo::SeedReport;
use tresor_core::model::categories::Category;
use tresor_core::model::contacts::{ContactView, FieldValue, HistoryEntry};
use tresor_core::session::UserInfo;
use tresor_core::session::doctor::Check;
use tresor_core::store::DirectoryRow;

/// Text made safe for a terminal: every control character except `'\n'`
/// is shown as a `\u{..}` escape, so an ESC stored in a record (a note, a
/// name, evidence) cannot clear the screen, move the cursor, retitle the
/// window or hide the line before it. Everything the command prints passes
/// through here ([`outln!`] and [`errln!`]).
pub fn clean(s: &str) -> Cow<'_, str> {
    if !s.chars().any(|c| c.is_control() && c != '\n') {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if c.is_control() && c != '\n' {
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// `println!` through [`clean`]: the only way this crate writes to stdout.
macro_rules! outln {
    () => {
        $crate::print::write_out("")
    };
    ($($arg:tt)*) => {
        $crate::print::write_out(&$crate::print::clean(&::std::format!($($arg)*)))
    };
}
pub(crate) use outln;

/// `eprintln!` through [`clean`]: the only way this crate writes to stderr.
macro_rules! errln {
    ($($arg:tt)*) => {
        ::std::eprintln!("{}", $crate::print::clean(&::std::format!($($arg)*)))
    };
}
pub(crate) use errln;

/// Writes one line to stdout. A reader that went away (`tresor contact
/// list | head`) ends the command quietly with success: everything it
/// changed was committed before it printed, and there is nobody left to
/// tell. `println!` would panic there and report an internal error.
pub fn write_out(line: &str) {
    use std::io::Write as _;
    let mut stdout = std::io::stdout().lock();
    let written = writeln!(stdout, "{line}");
    if let Err(e) = written {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        errln!("tresor: cannot write the output: {e}");
        std::process::exit(1);
    }
}

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
            errln!(
                "{}",
                json!({ "error": { "code": code, "message": message } })
            );
        } else {
            errln!("tresor: {message}");
        }
    }

    /// A side note on stderr (never in JSON mode).
    pub fn note(&self, message: &str) {
        if !self.json {
            errln!("{message}");
        }
    }

    /// A confirmation.
    pub fn done(&self, message: &str) {
        if self.json {
            outln!("{}", json!({ "ok": true, "message": message }));
        } else {
            outln!("{message}");
        }
    }

    /// A new record's id.
    pub fn id(&self, id: uuid::Uuid) {
        if self.json {
            outln!("{}", json!({ "id": id }));
        } else {
            outln!("{id}");
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
            outln!(
                "{}",
                json!({ "vault": dir, "admin": admin, "recovery_kit": kit,
                        "kdf": { "m_kib": kdf.m_kib, "t": kdf.t, "p": kdf.p } })
            );
            return;
        }
        outln!("Vault created in {} with admin '{admin}'.", dir.display());
        outln!(
            "Key derivation: Argon2id, {} MiB, {} passes.\n",
            kdf.m_kib / 1024,
            kdf.t
        );
        outln!("{kit}");
        match kit_file {
            Some(f) => outln!(
                "The recovery kit was also written to {}. It is shown only this once.",
                f.display()
            ),
            None => outln!(
                "Write the recovery key down or print this page now. It is shown only this once."
            ),
        }
    }

    /// A contact, grouped by data category.
    pub fn contact(&self, c: &ContactView) {
        if self.json {
            outln!("{}", serde_json::to_string_pretty(c).unwrap_or_default());
            return;
        }
        outln!("{}  ({})", c.display, c.id);
        for cat in Category::ALL {
            let fields: Vec<_> = c.fields.iter().filter(|f| f.category == cat).collect();
            if fields.is_empty() {
                continue;
            }
            outln!(
                "\n  {}",
                cat.label(tresor_core::model::categories::Lang::En)
            );
            for f in fields {
                outln!("    {:<28} {}", f.label_en, value_text(&f.value));
            }
        }
        if !c.companies.is_empty() {
            outln!("\n  Companies");
            for l in &c.companies {
                outln!(
                    "    {}  {}  ({})",
                    l.name,
                    l.role.as_deref().unwrap_or(""),
                    l.company
                );
            }
        }
        if !c.interactions.is_empty() {
            outln!("\n  Interactions");
            for i in &c.interactions {
                let keep = i
                    .keep
                    .as_deref()
                    .map(|k| format!(" [kept by law: {}]", k.replace('_', " ")))
                    .unwrap_or_default();
                outln!(
                    "    {}  {:<8} {}{keep}  — {}",
                    i.at,
                    i.kind,
                    i.summary,
                    i.by
                );
                if !matches!(i.text, FieldValue::Empty) {
                    outln!("        {}", value_text(&i.text));
                }
            }
        }
    }

    /// Directory rows.
    pub fn rows(&self, rows: &[DirectoryRow]) {
        if self.json {
            outln!("{}", serde_json::to_string_pretty(rows).unwrap_or_default());
            return;
        }
        for r in rows {
            outln!(
                "{}  {:<32} {:<30} {:<20} {:<32} {:<20} {:<10} {}{}",
                r.id,
                r.display,
                r.company.as_deref().unwrap_or(""),
                r.city.as_deref().unwrap_or(""),
                r.email.as_deref().unwrap_or(""),
                r.phone.as_deref().unwrap_or(""),
                r.last_contact.as_deref().unwrap_or(""),
                r.tags.join(", "),
                if r.restricted { "  [RESTRICTED]" } else { "" }
            );
        }
        if rows.is_empty() {
            errln!("No matches.");
        }
    }

    /// Change history.
    pub fn history(&self, entries: &[HistoryEntry]) {
        if self.json {
            outln!(
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
            outln!(
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
            outln!(
                "{}",
                serde_json::to_string_pretty(users).unwrap_or_default()
            );
            return;
        }
        for u in users {
            outln!(
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
            outln!(
                "{}",
                serde_json::to_string_pretty(checks).unwrap_or_default()
            );
            return;
        }
        for c in checks {
            outln!(
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
            errln!("  {done} / {total}");
        }
    }

    /// Demo data written.
    pub fn seeded(&self, r: &SeedReport, took: Duration) {
        if self.json {
            outln!(
                "{}",
                json!({ "people": r.people, "interactions": r.interactions, "seconds": took.as_secs_f64() })
            );
        } else {
            outln!(
                "Added {} people and {} interactions in {:.1} s.",
                r.people,
                r.interactions,
                took.as_secs_f64()
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::clean;

    #[test]
    fn control_characters_are_escaped_and_line_breaks_kept() {
        assert_eq!(clean("plain\ntext ä"), "plain\ntext ä");
        assert_eq!(clean("a\x1b[2Jb"), "a\\u{1b}[2Jb");
        assert_eq!(clean("a\rb\tc\u{9b}d\0"), "a\\u{d}b\\u{9}c\\u{9b}d\\u{0}");
    }
}
