//! Bytes of an imported file to text: the byte-order mark first, then valid
//! UTF-8, then UTF-16 without a mark (every other byte zero), else a guess
//! by `chardetng` with a German hint, decoded by `encoding_rs`. A file
//! whose text holds NUL or other binary control bytes is refused as not a
//! text file rather than imported as noise.

use encoding_rs::{Encoding, UTF_8, UTF_16BE, UTF_16LE};

use crate::error::{Error, Result};

/// Decoded text and the encoding it was read in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    /// The text, without a byte-order mark.
    pub text: String,
    /// The encoding's name as `encoding_rs` spells it (`UTF-8`, `windows-1252`).
    pub encoding: &'static str,
}

/// UTF-16 without a byte-order mark: in the first bytes nearly every
/// second byte is zero (Latin text), on the odd side for little endian.
fn utf16_without_bom(bytes: &[u8]) -> Option<&'static Encoding> {
    let head = &bytes[..bytes.len().min(4096) & !1];
    if head.len() < 4 {
        return None;
    }
    let pairs = head.len() / 2;
    let zero_at = |i: usize| head.chunks_exact(2).filter(|p| p[i] == 0).count();
    let (even, odd) = (zero_at(0), zero_at(1));
    if odd * 10 >= pairs * 7 && even * 10 < pairs {
        Some(UTF_16LE)
    } else if even * 10 >= pairs * 7 && odd * 10 < pairs {
        Some(UTF_16BE)
    } else {
        None
    }
}

/// Picks the encoding: the one named (`--encoding`), the byte-order mark,
/// valid UTF-8, UTF-16 by its zeros, else chardetng's guess for German text.
pub fn detect(bytes: &[u8], named: Option<&str>) -> Result<(&'static Encoding, usize)> {
    if let Some(label) = named {
        let enc = Encoding::for_label(label.trim().as_bytes()).ok_or_else(|| {
            Error::invalid(
                "encoding",
                format!("'{label}' is not an encoding (UTF-8, windows-1252, ISO-8859-1, UTF-16LE)"),
            )
        })?;
        let bom = Encoding::for_bom(bytes)
            .filter(|(e, _)| *e == enc)
            .map_or(0, |(_, n)| n);
        return Ok((enc, bom));
    }
    if let Some((enc, n)) = Encoding::for_bom(bytes) {
        return Ok((enc, n));
    }
    // UTF-16 of ASCII text is valid UTF-8 too (full of NULs): look first.
    if let Some(enc) = utf16_without_bom(bytes) {
        return Ok((enc, 0));
    }
    if std::str::from_utf8(bytes).is_ok() {
        return Ok((UTF_8, 0));
    }
    let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    detector.feed(bytes, true);
    Ok((
        detector.guess(Some(b"de"), chardetng::Utf8Detection::Deny),
        0,
    ))
}

/// Decodes a file's bytes; refuses binary content.
pub fn decode(bytes: &[u8], named: Option<&str>) -> Result<Decoded> {
    let (enc, bom) = detect(bytes, named)?;
    let (text, had_errors) = enc.decode_without_bom_handling(&bytes[bom..]);
    // A NUL, or more than one control character in a hundred (a stray
    // ESC or DOS end-of-file byte in a list is not a reason to refuse it).
    let (mut chars, mut controls, mut nul) = (0usize, 0usize, false);
    for c in text.chars() {
        chars += 1;
        nul |= c == '\0';
        if matches!(c, '\u{1}'..='\u{8}' | '\u{e}'..='\u{1f}') {
            controls += 1;
        }
    }
    if nul || controls * 100 > chars || (had_errors && enc == UTF_8 && named.is_none()) {
        return Err(Error::invalid(
            "file",
            "is not a text file (CSV, vCard) in any encoding Tresor reads",
        ));
    }
    // DOS editors end a file with Ctrl-Z: not a row.
    Ok(Decoded {
        text: text.trim_end_matches('\u{1a}').to_owned(),
        encoding: enc.name(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mark_then_utf8_then_a_guess_for_german_text() {
        let bom = b"\xEF\xBB\xBFName;Ort\r\nM\xC3\xBCller;K\xC3\xB6ln\r\n";
        let d = decode(bom, None).expect("ok");
        assert_eq!(
            (d.encoding, d.text.as_str()),
            ("UTF-8", "Name;Ort\r\nMüller;Köln\r\n")
        );

        let plain = "Vorname;Straße\nJürgen;Hauptstraße 1\n";
        assert_eq!(
            decode(plain.as_bytes(), None).expect("ok").encoding,
            "UTF-8"
        );

        let (cp1252, _, _) = encoding_rs::WINDOWS_1252.encode(
            "Vorname;Nachname;Straße\r\nJürgen;Größe;Äußere Weg 5\r\nÖzlem;Weiß;Grüner Ring 2\r\n",
        );
        let d = decode(&cp1252, None).expect("ok");
        assert_eq!(d.encoding, "windows-1252");
        assert!(d.text.contains("Jürgen;Größe;Äußere Weg 5"), "{}", d.text);
    }

    #[test]
    fn utf16_with_and_without_a_mark() {
        let text = "First Name,Last Name\r\nJürgen,Weiß\r\n";
        let le: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
        let be: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
        for (bytes, name) in [(le.clone(), "UTF-16LE"), (be, "UTF-16BE")] {
            let d = decode(&bytes, None).expect("ok");
            assert_eq!((d.encoding, d.text.as_str()), (name, text));
        }
        let mut marked = vec![0xFF, 0xFE];
        marked.extend(&le);
        assert_eq!(decode(&marked, None).expect("ok").text, text);
    }

    #[test]
    fn a_named_encoding_wins_and_a_wrong_name_is_refused() {
        let latin1 = b"Name\nM\xFCller\n";
        let d = decode(latin1, Some("ISO-8859-1")).expect("ok");
        assert_eq!(d.text, "Name\nMüller\n");
        let err = decode(latin1, Some("klingon")).expect_err("refused");
        assert!(err.to_string().contains("not an encoding"), "{err}");
    }

    #[test]
    fn ascii_utf16_without_a_mark_and_a_stray_control_byte_are_read() {
        let text = "Name,Email\r\nAnna,a@example.de\r\n";
        let le: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
        assert_eq!(decode(&le, None).expect("ok").text, text);
        let with_eof = format!("{}\u{1a}", "Name;Ort\nAnna;Köln\n".repeat(10));
        assert_eq!(
            decode(with_eof.as_bytes(), None).expect("ok").text,
            with_eof.trim_end_matches('\u{1a}')
        );
    }

    #[test]
    fn binary_files_are_refused() {
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x10";
        let err = decode(png, None).expect_err("refused");
        assert!(err.to_string().contains("not a text file"), "{err}");
        let zip = b"PK\x03\x04\x14\0\0\0\x08\0";
        assert!(decode(zip, None).is_err());
    }
}
