//! The access package as files: a readable report (HTML), data.json, CSV,
//! a vCard 4.0 (written in `vcard.rs`), and the ZIP (AES-256 when a
//! passphrase is given) that is read back and checked before it is
//! released.

use std::io::{Cursor, Read as _, Write as _};

use zip::write::SimpleFileOptions;

pub(crate) use super::html::report_html;
use crate::error::{Error, Result};
use crate::model::categories::Lang;
use crate::model::contacts::ContactView;
use crate::model::export::Card;
use crate::model::package::PackageData;
use crate::render::CsvFile;
use crate::render::vcard::{Version, write_vcard};

/// The person's vCard 4.0, as the package holds it.
pub(crate) fn vcard(view: &ContactView, lang: Lang) -> String {
    write_vcard(&Card::of(view), Version::V4, lang)
}

pub(super) fn value_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Array(items) => {
            items.iter().map(value_text).collect::<Vec<_>>().join("; ")
        }
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// `data.csv`: the person's fields, companies, interactions and follow-ups,
/// one row each.
pub(crate) fn data_csv(d: &PackageData) -> String {
    let mut out = CsvFile::with_bom();
    out.row(&["section", "category", "field", "value"]);
    for f in &d.fields {
        out.row(&["field", f.category.as_str(), f.label, &value_text(&f.value)]);
    }
    for c in &d.companies {
        out.row(&[
            "company",
            "business",
            &c.name,
            c.role.as_deref().unwrap_or(""),
        ]);
    }
    for c in &d.sole_trader {
        for f in &c.fields {
            out.row(&[
                "sole_trader",
                f.category.as_str(),
                f.label,
                &value_text(&f.value),
            ]);
        }
    }
    for i in &d.interactions {
        let text = i.text.as_text().unwrap_or_default();
        out.row(&[
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
        ]);
    }
    for f in &d.followups {
        let done = f
            .done_at
            .map(|t| format!(", done {}", t.format("%Y-%m-%d")))
            .unwrap_or_default();
        out.row(&[
            "followup",
            "communication",
            &format!("{} ({}{done})", f.due, f.assignee),
            &f.what,
        ]);
    }
    out.finish()
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
