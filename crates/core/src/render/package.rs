//! The access package as files: a readable report (HTML), data.json, CSV,
//! a vCard 4.0 (written in `vcard.rs`), and the ZIP (AES-256 when a
//! passphrase is given) that is read back and checked before it is
//! released.

use std::io::{Cursor, Read as _, Write as _};

use crate::error::{Error, Result};
use crate::model::categories::Category;
use crate::model::categories::Lang;
use crate::model::package::PackageData;
use crate::render::csv_line;
use crate::render::html_escape;
// The vCard writer, by the name the package is built with.
pub(crate) use crate::render::vcard::write_vcard as vcard;
use zip::write::SimpleFileOptions;

fn value_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Array(items) => {
            items.iter().map(value_text).collect::<Vec<_>>().join("; ")
        }
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    }
}

pub(crate) fn data_csv(d: &PackageData) -> String {
    let mut out = String::from("\u{feff}");
    csv_line(&mut out, &["section", "category", "field", "value"]);
    for f in &d.fields {
        csv_line(
            &mut out,
            &["field", f.category.as_str(), f.label, &value_text(&f.value)],
        );
    }
    for c in &d.companies {
        csv_line(
            &mut out,
            &[
                "company",
                "business",
                &c.name,
                c.role.as_deref().unwrap_or(""),
            ],
        );
    }
    for i in &d.interactions {
        let text = i.text.as_text().unwrap_or_default();
        csv_line(
            &mut out,
            &[
                "interaction",
                "communication",
                &format!("{} {} ({})", i.at, i.kind, i.by),
                &format!(
                    "{}{}",
                    i.summary,
                    if text.is_empty() {
                        String::new()
                    } else {
                        format!(" — {text}")
                    }
                ),
            ],
        );
    }
    out
}

pub(crate) fn report_html(d: &PackageData, lang: Lang) -> String {
    let l = |de: &'static str, en: &'static str| -> String { html_escape(lang.pick(de, en)) };
    let mut h = String::new();
    h.push_str(&format!(
        "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n\
         <title>{}</title>\n<style>body{{font-family:sans-serif;margin:2em;color:#111;max-width:60em}}\
         table{{border-collapse:collapse;width:100%;margin-bottom:1.5em}}th,td{{border:1px solid #999;padding:.3em .5em;text-align:left;vertical-align:top}}th{{background:#eee}}</style>\n</head>\n<body>\n",
        if lang == Lang::De { "de" } else { "en" },
        l("Auskunft nach Art. 15 DSGVO", "Access to personal data (Art. 15 GDPR)")
    ));
    h.push_str(&format!(
        "<h1>{}</h1>\n<p>{}: <strong>{}</strong> · {}: {}</p>\n",
        l(
            "Auskunft nach Art. 15 DSGVO",
            "Access to personal data (Art. 15 GDPR)"
        ),
        l("Für", "For"),
        html_escape(&d.display),
        l("Stand", "As of"),
        d.generated.format("%Y-%m-%d %H:%M UTC")
    ));
    let lawful: Vec<_> = d.legal_basis.purposes.iter().filter(|p| p.lawful).collect();
    h.push_str(&format!(
        "<h2>{}</h2>\n<ul>\n",
        l(
            "Zwecke und Rechtsgrundlagen (Art. 15 Abs. 1 lit. a)",
            "Purposes and legal bases (Art. 15(1)(a))"
        )
    ));
    for p in &lawful {
        h.push_str(&format!(
            "<li><strong>{}</strong> — {}<br>{}</li>\n",
            html_escape(p.purpose.name(lang)),
            html_escape(&p.purpose.basis.label(lang)),
            html_escape(&p.purpose.description)
        ));
    }
    h.push_str("</ul>\n");
    let mut cats: Vec<Category> = d.fields.iter().map(|f| f.category).collect();
    if !d.interactions.is_empty() {
        cats.push(Category::Communication);
    }
    if !d.companies.is_empty() {
        cats.push(Category::Business);
    }
    if !d.legal_basis.history.is_empty() {
        cats.push(Category::Consent);
    }
    if !d.legal_basis.disclosures.is_empty() {
        cats.push(Category::Disclosures);
    }
    if !d.requests.is_empty() {
        cats.push(Category::Requests);
    }
    cats.sort();
    cats.dedup();
    h.push_str(&format!(
        "<h2>{}</h2>\n<table>\n<tr><th>{}</th><th>{}</th></tr>\n",
        l(
            "Kategorien und Speicherdauer (lit. b, d)",
            "Categories and how long they are kept ((b), (d))"
        ),
        l("Kategorie", "Category"),
        l("Speicherdauer oder Kriterien", "Period or criteria")
    ));
    for c in &cats {
        h.push_str(&format!(
            "<tr><td>{}</td><td>{}</td></tr>\n",
            html_escape(c.label(lang)),
            html_escape(c.retention(lang))
        ));
    }
    h.push_str("</table>\n");
    h.push_str(&format!(
        "<p>{}</p>\n<table>\n<tr><th>{}</th><th>{}</th><th>{}</th></tr>\n",
        l(
            "Diese Löschregeln gelten zurzeit:",
            "These deletion rules apply at present:"
        ),
        l("Daten", "Data"),
        l("Frist", "Period"),
        l("Grund", "Reason")
    ));
    for r in &d.retention_rules {
        h.push_str(&format!(
            "<tr><td>{}</td><td>{} ({} {})</td><td>{}{}</td></tr>\n",
            html_escape(r.key.as_str()),
            html_escape(&r.period().words(lang)),
            l("ab", "from"),
            html_escape(r.from.label(lang)),
            html_escape(r.reason(lang)),
            r.law
                .as_deref()
                .map(|law| format!(" ({})", html_escape(law)))
                .unwrap_or_default()
        ));
    }
    h.push_str("</table>\n");
    if !d.withheld_categories.is_empty() {
        let names: Vec<&str> = d
            .withheld_categories
            .iter()
            .map(|c| c.label(lang))
            .collect();
        h.push_str(&format!(
            "<p>{} {}</p>\n",
            l(
                "Nicht in diesem Paket (nur für berechtigte Personen lesbar):",
                "Not in this package (readable only by authorised staff):"
            ),
            html_escape(&names.join(", "))
        ));
    }
    h.push_str(&format!(
        "<h2>{}</h2>\n<ul>\n",
        l("Empfänger (lit. c)", "Recipients ((c))")
    ));
    for p in &lawful {
        for r in &p.purpose.recipients {
            h.push_str(&format!(
                "<li>{} ({})</li>\n",
                html_escape(r),
                html_escape(p.purpose.name(lang))
            ));
        }
    }
    for x in &d.legal_basis.disclosures {
        h.push_str(&format!(
            "<li>{} {} · {} · {}</li>\n",
            l("Verteilerliste", "Mailing list"),
            html_escape(&x.purpose),
            html_escape(x.channel.label(lang)),
            x.at.format("%Y-%m-%d")
        ));
    }
    h.push_str("</ul>\n");
    h.push_str(&format!("<h2>{}</h2>\n<p>{}</p>\n",
        l("Ihre Rechte (lit. e, f)", "Your rights ((e), (f))"),
        l("Sie können Berichtigung (Art. 16), Löschung (Art. 17) oder Einschränkung der Verarbeitung (Art. 18) verlangen und der Verarbeitung widersprechen (Art. 21), auch jederzeit der Werbung. Erteilte Einwilligungen können Sie jederzeit mit Wirkung für die Zukunft widerrufen. Sie können sich bei einer Datenschutz-Aufsichtsbehörde beschweren (Art. 77).",
          "You can ask for rectification (Art. 16), erasure (Art. 17) or restriction of processing (Art. 18) and object to processing (Art. 21), to direct marketing at any time. You can withdraw a consent at any time with effect for the future. You can lodge a complaint with a data-protection supervisory authority (Art. 77).")));
    let mut sources: Vec<String> = d
        .legal_basis
        .history
        .iter()
        .map(|e| e.source.clone())
        .collect();
    sources.sort();
    sources.dedup();
    h.push_str(&format!(
        "<h2>{}</h2>\n<p>{}{}</p>\n",
        l(
            "Herkunft der Daten (lit. g)",
            "Where the data came from ((g))"
        ),
        l(
            "Von Ihnen selbst oder im Kontakt mit Ihnen von unseren Mitarbeitern erfasst.",
            "Given by you or recorded by our staff in contact with you."
        ),
        if sources.is_empty() {
            String::new()
        } else {
            format!(
                " {} {}",
                l("Quellen der Einwilligungen:", "Sources of consents:"),
                html_escape(&sources.join(", "))
            )
        }
    ));
    h.push_str(&format!(
        "<h2>{}</h2>\n<p>{}</p>\n<p>{}</p>\n",
        l(
            "Automatisierte Entscheidungen (lit. h) und Drittländer (Abs. 2)",
            "Automated decisions ((h)) and third countries ((2))"
        ),
        l(
            "Es findet keine automatisierte Entscheidungsfindung einschließlich Profiling statt.",
            "There is no automated decision-making, including profiling."
        ),
        l(
            "Ihre Daten werden nicht in Drittländer übermittelt.",
            "Your data is not transferred to third countries."
        )
    ));
    h.push_str(&format!(
        "<h2>{}</h2>\n<table>\n",
        l("Ihre Daten", "Your data")
    ));
    for f in &d.fields {
        h.push_str(&format!(
            "<tr><th>{}</th><td>{}</td></tr>\n",
            html_escape(f.label),
            html_escape(&value_text(&f.value))
        ));
    }
    for c in &d.companies {
        h.push_str(&format!(
            "<tr><th>{}</th><td>{}{}</td></tr>\n",
            l("Firma", "Company"),
            html_escape(&c.name),
            c.role
                .as_deref()
                .map(|r| format!(" ({})", html_escape(r)))
                .unwrap_or_default()
        ));
    }
    h.push_str("</table>\n");
    h.push_str(&format!(
        "<h2>{} ({})</h2>\n<table>\n",
        l("Kontakte mit Ihnen", "Our contacts with you"),
        d.interactions.len()
    ));
    for i in &d.interactions {
        h.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>\n",
            html_escape(&i.at),
            html_escape(&i.kind),
            html_escape(&i.summary)
        ));
    }
    h.push_str("</table>\n");
    h.push_str(&format!(
        "<h2>{}</h2>\n<table>\n",
        l(
            "Einwilligungen und ihr Verlauf",
            "Consents and their history"
        )
    ));
    for e in &d.legal_basis.history {
        h.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
            e.at.format("%Y-%m-%d"),
            html_escape(&e.purpose),
            html_escape(e.channel.label(lang)),
            html_escape(e.state.label(lang)),
            html_escape(&e.source)
        ));
    }
    h.push_str("</table>\n");
    h.push_str(&format!("<p>{} {}</p>\n", l("Änderungen an Ihren Daten (mit Zeitpunkt und Bearbeiter) stehen vollständig in data.json:", "Every change to your data (with time and author) is listed in data.json:"), d.change_history.len()));
    h.push_str(&format!("<p>{}</p>\n</body>\n</html>\n", l(
        "Dieses Paket enthält: report.html (dieser Bericht), data.json (maschinenlesbar), data.csv, contact.vcf (vCard 4.0), consents.csv.",
        "This package contains: report.html (this report), data.json (machine-readable), data.csv, contact.vcf (vCard 4.0), consents.csv.")));
    h
}

/// Writes the ZIP. Encrypted entries must be WinZip AE-2: AE-1 keeps the
/// CRC-32 of the plaintext readable, which confirms guesses of a short or
/// predictable file without the passphrase. The zip crate (9.8) writes AE-2
/// only where it cannot seek back (it upgrades entries of 20 bytes and more
/// to AE-1 otherwise), so encrypted packages go through its streaming
/// writer; [`aes_headers`] then checks every header, so a change in the
/// crate fails here rather than ship AE-1.
pub(crate) fn build_zip(files: &[(String, Vec<u8>)], passphrase: Option<&str>) -> Result<Vec<u8>> {
    let zerr = |e: zip::result::ZipError| Error::Store(format!("cannot write the package: {e}"));
    let base = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    let Some(p) = passphrase else {
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, bytes) in files {
            w.start_file(name.as_str(), base).map_err(zerr)?;
            w.write_all(bytes)
                .map_err(|e| Error::Store(e.to_string()))?;
        }
        return Ok(w.finish().map_err(zerr)?.into_inner());
    };
    let mut w = zip::ZipWriter::new_stream(Vec::new());
    for (name, bytes) in files {
        let opts = base.with_aes_encryption(zip::AesMode::Aes256, p);
        w.start_file(name.as_str(), opts).map_err(zerr)?;
        w.write_all(bytes)
            .map_err(|e| Error::Store(e.to_string()))?;
    }
    let out = w.finish().map_err(zerr)?.into_inner();
    let headers = aes_headers(&out)
        .ok_or_else(|| Error::Store("cannot read back the package's headers".into()))?;
    // Per entry: central and local header with AE-2, a data descriptor.
    let ae2 = headers.len() == files.len() * 3
        && headers.chunks(3).all(|e| {
            e.iter().all(|h| h.crc32 == 0)
                && e[0].vendor_version == Some(2)
                && e[1].vendor_version == Some(2)
                && e[2].vendor_version.is_none()
        });
    if !ae2 {
        return Err(Error::Store(
            "the ZIP library wrote an entry without AE-2 (a readable CRC-32); nothing was written"
                .into(),
        ));
    }
    Ok(out)
}

/// One header of an encrypted entry, as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct AesHeader {
    /// Vendor version of the AES extra field (0x9901): 1 = AE-1, 2 = AE-2;
    /// none for a data descriptor, which has no extra field.
    vendor_version: Option<u16>,
    /// The CRC-32 the header carries (0 under AE-2).
    crc32: u32,
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// The vendor version of the 0x9901 field among ZIP extra fields.
fn aes_vendor_version(extra: &[u8]) -> Option<u16> {
    let mut at = 0;
    while at + 4 <= extra.len() {
        let id = u16_at(extra, at)?;
        let len = usize::from(u16_at(extra, at + 2)?);
        if id == 0x9901 {
            return u16_at(extra, at + 4);
        }
        at += 4 + len;
    }
    None
}

/// For every entry of a (non-ZIP64) archive, in order: its central
/// directory header, its local header and its data descriptor (when it
/// has one; no vendor version). `None` when the archive does not parse or
/// an entry has no AES field.
fn aes_headers(zip: &[u8]) -> Option<Vec<AesHeader>> {
    let eocd = (0..=zip.len().checked_sub(22)?)
        .rev()
        .find(|&i| u32_at(zip, i) == Some(0x0605_4b50))?;
    let entries = usize::from(u16_at(zip, eocd + 10)?);
    let mut at = usize::try_from(u32_at(zip, eocd + 16)?).ok()?;
    let mut out = Vec::new();
    for _ in 0..entries {
        if u32_at(zip, at)? != 0x0201_4b50 {
            return None;
        }
        let flags = u16_at(zip, at + 8)?;
        let crc = u32_at(zip, at + 16)?;
        let compressed = usize::try_from(u32_at(zip, at + 20)?).ok()?;
        let name = usize::from(u16_at(zip, at + 28)?);
        let extra = usize::from(u16_at(zip, at + 30)?);
        let comment = usize::from(u16_at(zip, at + 32)?);
        let local = usize::try_from(u32_at(zip, at + 42)?).ok()?;
        let cd_extra = zip.get(at + 46 + name..at + 46 + name + extra)?;
        out.push(AesHeader {
            vendor_version: Some(aes_vendor_version(cd_extra)?),
            crc32: crc,
        });
        if u32_at(zip, local)? != 0x0403_4b50 {
            return None;
        }
        let l_name = usize::from(u16_at(zip, local + 26)?);
        let l_extra = usize::from(u16_at(zip, local + 28)?);
        let l_extra_bytes = zip.get(local + 30 + l_name..local + 30 + l_name + l_extra)?;
        out.push(AesHeader {
            vendor_version: Some(aes_vendor_version(l_extra_bytes)?),
            crc32: u32_at(zip, local + 14)?,
        });
        if flags & 0x0008 != 0 {
            let mut d = local + 30 + l_name + l_extra + compressed;
            if u32_at(zip, d)? == 0x0807_4b50 {
                d += 4;
            }
            out.push(AesHeader {
                vendor_version: None,
                crc32: u32_at(zip, d)?,
            });
        }
        at += 46 + name + extra + comment;
    }
    Some(out)
}

/// Reads a written package back: every file there, with the same bytes.
pub(crate) fn verify_zip(
    bytes: &[u8],
    files: &[(String, Vec<u8>)],
    passphrase: Option<&str>,
) -> bool {
    let Ok(mut z) = zip::ZipArchive::new(Cursor::new(bytes)) else {
        return false;
    };
    files.iter().all(|(name, want)| {
        let file = match passphrase {
            Some(p) => z.by_name_decrypt(name, p.as_bytes()),
            None => z.by_name(name),
        };
        let Ok(mut f) = file else { return false };
        let mut got = Vec::new();
        f.read_to_end(&mut got).is_ok() && got == *want
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zips_read_back_with_and_without_a_passphrase() {
        let files = vec![("a.txt".to_owned(), b"hello".to_vec())];
        let plain = build_zip(&files, None).expect("zip");
        assert!(verify_zip(&plain, &files, None));
        let sealed = build_zip(&files, Some("a long passphrase")).expect("zip");
        assert!(verify_zip(&sealed, &files, Some("a long passphrase")));
        assert!(!verify_zip(&sealed, &files, Some("the wrong one!")));
        assert!(!sealed.windows(5).any(|w| w == b"hello"));
    }

    #[test]
    fn encrypted_entries_are_ae2_without_a_crc() {
        // 20 bytes and more is where the zip crate would pick AE-1.
        let files = vec![
            ("short.txt".to_owned(), b"hi".to_vec()),
            (
                "report.html".to_owned(),
                "<p>Jörg Paketmann</p>\n".repeat(200).into_bytes(),
            ),
        ];
        let sealed = build_zip(&files, Some("a long passphrase")).expect("zip");
        let headers = aes_headers(&sealed).expect("headers");
        assert_eq!(headers.len(), 6, "central, local and descriptor per entry");
        for (i, h) in headers.iter().enumerate() {
            let want = if i % 3 == 2 { None } else { Some(2) };
            assert_eq!(h.vendor_version, want, "header {i}: {headers:?}");
            assert_eq!(h.crc32, 0, "header {i} carries a CRC");
        }
        assert!(verify_zip(&sealed, &files, Some("a long passphrase")));
        let crc_of_report = {
            let mut z = zip::ZipArchive::new(Cursor::new(&sealed)).expect("zip");
            z.by_name_decrypt("report.html", b"a long passphrase")
                .expect("entry")
                .crc32()
        };
        assert_eq!(crc_of_report, 0);
    }
}
