//! Entry points for the fuzz targets in `crates/core/fuzz` (feature
//! `fuzzing`, never in a normal build). Each takes bytes as they could lie
//! in the shared folder, or as they come out of an envelope that opened,
//! and runs the core's own readers over them; none may panic.
//!
//! The keys are fixed test keys (see [`seeds`]), so seed files written by
//! `examples/fuzz_seeds.rs` open in the envelope target.

/// The team keyring file (`team/keyring.json`): parsing, and what a laptop
/// does with a keyring from the folder before trusting it.
pub fn keyring(bytes: &[u8]) {
    crate::keyring::fuzzing::keyring(bytes);
}

/// A keyset as it comes out of a keyring entry that opened.
pub fn keyset(bytes: &[u8]) {
    crate::keyring::fuzzing::keyset(bytes);
}

/// Any file of the folder: envelope frame, signature, seal (fixed test
/// keys), and the body of its kind if it opens; the file-name parsers on
/// the same bytes.
pub fn envelope(bytes: &[u8]) {
    crate::sync::fuzzing::envelope(bytes);
}

/// A segment's body after its envelope opened.
pub fn segment(bytes: &[u8]) {
    crate::sync::fuzzing::segment(bytes);
}

/// A snapshot's body after its envelope opened.
pub fn snapshot(bytes: &[u8]) {
    crate::sync::fuzzing::snapshot(bytes);
}

/// A device card's body after its envelope opened.
pub fn card(bytes: &[u8]) {
    crate::sync::fuzzing::card(bytes);
}

/// An acknowledgement's body after its envelope opened.
pub fn ack(bytes: &[u8]) {
    crate::sync::fuzzing::ack(bytes);
}

/// A retirement's body after its envelope opened.
pub fn retire(bytes: &[u8]) {
    crate::sync::fuzzing::retire(bytes);
}

/// The fuzz targets' names with a few valid inputs each, made by the
/// core's own writers with the fixed test keys: the seed corpus.
pub fn seeds() -> Vec<(&'static str, Vec<Vec<u8>>)> {
    let mut out = crate::keyring::fuzzing::seeds();
    out.extend(crate::sync::fuzzing::seeds());
    out.push(("import_csv", import_seeds().0));
    out.push(("import_xlsx", import_seeds().1));
    out.push(("import_vcard", vcard_seeds()));
    out
}

/// Lists as they come: a German Excel CSV in Windows-1252, a Google export
/// in UTF-8, the same Outlook list in UTF-16; and a sheet written by the
/// XLSX writer the exports use.
fn import_seeds() -> (Vec<Vec<u8>>, Vec<Vec<u8>>) {
    let excel = "Anrede;Vorname;Nachname;Firma;Straße;PLZ;Ort;E-Mail\r\nHerr;Jürgen;Weiß;Bäckerei;Hauptstr. 1;10115;Berlin;jw@example.de\r\n";
    let google = "Name,Given Name,Family Name,E-mail 1 - Value,Phone 1 - Value,Group Membership\nAnna Berg,Anna,Berg,* a@example.de ::: b@example.de,+49 171 555,* myContacts ::: Kunden\n";
    let outlook = "First Name,Last Name,Business Street,Business City,Business Postal Code,Birthday\r\nEva,Maier,Ring 1,Wien,1010,12/31/1975\r\n";
    let (cp1252, _, _) = encoding_rs::WINDOWS_1252.encode(excel);
    let mut utf16 = vec![0xFF, 0xFE];
    utf16.extend(outlook.encode_utf16().flat_map(u16::to_le_bytes));
    let csv = vec![cp1252.into_owned(), google.as_bytes().to_vec(), utf16];
    fn sheet() -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
        let mut wb = rust_xlsxwriter::Workbook::new();
        let ws = wb.add_worksheet();
        for (c, h) in ["Vorname", "Nachname", "PLZ", "Geburtstag"]
            .iter()
            .enumerate()
        {
            ws.write_string(0, c as u16, *h)?;
        }
        ws.write_string(1, 0, "Jürgen")?;
        ws.write_string(1, 1, "Weiß")?;
        ws.write_number(1, 2, 10115.0)?;
        ws.write_string(1, 3, "3.4.1968")?;
        wb.save_to_buffer()
    }
    let sheet = sheet().unwrap_or_default();
    (csv, vec![sheet])
}

/// Address books as they come: Outlook's vCard 2.1 in quoted-printable
/// Latin-1, Apple's 3.0 with groups, a 4.0 card folded inside a UTF-8
/// sequence, and a 3.0 file in UTF-16 with CR CR LF line ends.
fn vcard_seeds() -> Vec<Vec<u8>> {
    let outlook = b"BEGIN:VCARD\r\nVERSION:2.1\r\nN;CHARSET=ISO-8859-1;ENCODING=QUOTED-PRINTABLE:M=FCller;J=FCrgen;;Herr\r\nTEL;WORK;VOICE:+49 30 1234\r\nADR;WORK;ENCODING=QUOTED-PRINTABLE:;;Hauptstr. 1;K=F6ln;;50667;=\r\nDeutschland\r\nEND:VCARD\r\n".to_vec();
    let apple = b"BEGIN:VCARD\nVERSION:3.0\nN:Kaya;\xC3\x96zlem;;;\nitem1.EMAIL;type=INTERNET;type=pref:ok@example.de\nitem1.X-ABLabel:_$!<Other>!$_\nBDAY;VALUE=date:--0412\nCATEGORIES:VIP,Messe\nEND:VCARD\n".to_vec();
    let folded = b"BEGIN:VCARD\r\nVERSION:4.0\r\nFN:J\xC3\r\n \xBCrgen Wei\xC3\x9F\r\nEMAIL;PREF=1:jw@example.de\r\nEND:VCARD\r\n".to_vec();
    let mut utf16 = vec![0xFF, 0xFE];
    utf16.extend(
        "BEGIN:VCARD\r\r\nVERSION:3.0\r\r\nFN:Zoë Weiß\r\r\nEND:VCARD\r\r\n"
            .encode_utf16()
            .flat_map(u16::to_le_bytes),
    );
    vec![outlook, apple, folded, utf16]
}

/// An imported address book: its folds mended, decoded, cut into cards
/// and each read into a person or a problem with its line.
pub fn import_vcard(bytes: &[u8]) {
    use crate::model::import::{file_text, vcard};
    let Ok(text) = file_text(bytes, None) else {
        return;
    };
    let _ = vcard::read(&text.text, text.encoding, &mut |_| Ok(()));
}

/// An imported file: its encoding found and decoded, then read as CSV into
/// rows of people (every row to a person or a problem with its line).
pub fn import_csv(bytes: &[u8]) {
    use crate::model::import::{csv, decode};
    let Ok(text) = decode::decode(bytes, None) else {
        return;
    };
    let mut rows = 0usize;
    let _ = csv::read(
        &text.text,
        text.encoding,
        None,
        Default::default(),
        &mut |_| {
            rows += 1;
            Ok(())
        },
    );
}

/// An imported XLSX sheet: the archive's check, then the sheet read into
/// rows of people.
pub fn import_xlsx(bytes: &[u8]) {
    let _ = crate::model::import::xlsx::read(bytes, Default::default(), &mut |_| Ok(()));
}
