//! What the contact list shows of a person beyond their name: the city of
//! their first address, the day of their last contact, and the orders the
//! list can be sorted in.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// A column the contact list can be sorted by. Name sorts by family name,
/// then given name (umlauts with their base letter); every other column
/// sorts its values the same way and then by name, with empty values last
/// whichever the direction, so the people that have one come first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum ListSort {
    /// Family name, then given name.
    #[default]
    Name,
    /// The first company a person is linked to.
    Company,
    /// The city of the first postal address.
    City,
    /// The first phone number.
    Phone,
    /// The day of the last contact (recorded or the latest interaction).
    LastContact,
    /// The tags, in the order they were given.
    Tags,
}

impl ListSort {
    /// Every column, in the order the table view shows them.
    pub const ALL: [ListSort; 6] = [
        ListSort::Name,
        ListSort::Company,
        ListSort::City,
        ListSort::Phone,
        ListSort::LastContact,
        ListSort::Tags,
    ];
}

/// How a list is ordered: a column and a direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ListOrder {
    /// The column.
    #[serde(default)]
    pub by: ListSort,
    /// Largest first (Z to A, the latest day first).
    #[serde(default)]
    pub descending: bool,
}

/// A word that is a postcode: 4 or 5 digits, perhaps after a country's
/// letters and a dash (`10115`, `D-80331`, `A-1010`); the digits.
pub fn postcode(word: &str) -> Option<&str> {
    let code = word
        .split_once('-')
        .filter(|(c, _)| c.len() <= 2 && c.chars().all(|c| c.is_ascii_alphabetic()))
        .map_or(word, |(_, n)| n);
    (matches!(code.len(), 4 | 5) && code.chars().all(|c| c.is_ascii_digit())).then_some(code)
}

/// The city of a postal address as typed: its last line (or, on that
/// line, the part that starts with a postcode, else the part after its
/// last comma), without a leading postcode
/// (`10115 Berlin`, `D-80331 München`, `A-1010 Wien` give the city). None
/// when nothing is left.
pub fn city_of(address: &str) -> Option<String> {
    let line = address.lines().map(str::trim).rfind(|l| !l.is_empty())?;
    // The part that starts with a postcode (4 or 5 digits, perhaps after
    // a country letter: `D-80331`); a country after it is not the city,
    // and a house number (`12 Main Street, London`) is no postcode.
    let starts_with_code = |p: &&str| p.split_whitespace().next().and_then(postcode).is_some();
    let part = line
        .rsplit(',')
        .find(starts_with_code)
        .unwrap_or_else(|| line.rsplit(',').next().unwrap_or(line))
        .trim();
    let mut words = part.split_whitespace().peekable();
    if words
        .peek()
        .is_some_and(|w| w.chars().any(|c| c.is_ascii_digit()))
    {
        words.next();
    }
    let city = words.collect::<Vec<_>>().join(" ");
    (!city.is_empty()).then_some(city)
}

/// A postal address in the parts a letter's fields take: the street lines,
/// and the postcode (as typed, `D-80331` too) and the city of its last
/// line when that line starts with a postcode. An address whose last line
/// has none is all street. The import puts these parts back together as
/// they were (`street\npostcode city`).
pub fn address_parts(address: &str) -> (String, String, String) {
    let lines: Vec<&str> = address
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    if let Some((last, streets)) = lines.split_last()
        && let Some((code, city)) = last.split_once(char::is_whitespace)
        && postcode(code).is_some()
        && !city.trim().is_empty()
    {
        return (streets.join("\n"), code.to_owned(), city.trim().to_owned());
    }
    (lines.join("\n"), String::new(), String::new())
}

/// The day of a person's last contact: the recorded day or the day of the
/// latest interaction, whichever is later. What a contact's page shows
/// and the list sorts by.
pub fn last_contact_day(
    recorded: Option<NaiveDate>,
    interactions: impl IntoIterator<Item = DateTime<Utc>>,
) -> Option<NaiveDate> {
    let latest = interactions.into_iter().map(|t| t.date_naive()).max();
    recorded.max(latest)
}

/// Lower case, umlauts and accents folded: how names sort and compare.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars().flat_map(char::to_lowercase) {
        match c {
            'ä' | 'á' | 'à' | 'â' | 'å' | 'ã' => out.push('a'),
            'ö' | 'ó' | 'ò' | 'ô' | 'ø' | 'õ' => out.push('o'),
            'ü' | 'ú' | 'ù' | 'û' => out.push('u'),
            'é' | 'è' | 'ê' | 'ë' => out.push('e'),
            'í' | 'ì' | 'î' | 'ï' => out.push('i'),
            'ç' => out.push('c'),
            'ñ' => out.push('n'),
            'ß' => out.push_str("ss"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_splits_into_street_postcode_and_city() {
        let parts = |a: &str| {
            let (s, p, c) = address_parts(a);
            (s, p, c)
        };
        assert_eq!(
            parts("Hauptstr. 1\nHinterhaus\n10115 Berlin"),
            (
                "Hauptstr. 1\nHinterhaus".into(),
                "10115".into(),
                "Berlin".into()
            )
        );
        assert_eq!(
            parts("Ring 2\nD-80331 München"),
            ("Ring 2".into(), "D-80331".into(), "München".into())
        );
        assert_eq!(
            parts("12 Main Street\nLondon"),
            (
                "12 Main Street\nLondon".into(),
                String::new(),
                String::new()
            )
        );
        assert_eq!(
            parts("10115"),
            ("10115".into(), String::new(), String::new())
        );
    }

    #[test]
    fn the_city_is_the_last_line_without_its_postcode() {
        assert_eq!(
            city_of("Hauptstr. 1\n10115 Berlin").as_deref(),
            Some("Berlin")
        );
        assert_eq!(
            city_of("Am Markt 3, D-80331 München\n").as_deref(),
            Some("München")
        );
        assert_eq!(
            city_of("c/o Huber\nRingstraße 9\n60311 Frankfurt am Main").as_deref(),
            Some("Frankfurt am Main")
        );
        assert_eq!(city_of("Wien").as_deref(), Some("Wien"));
        assert_eq!(
            city_of("Ring 1\n1010 Wien, Österreich").as_deref(),
            Some("Wien")
        );
        assert_eq!(
            city_of("12 Main Street, London").as_deref(),
            Some("London"),
            "a house number is no postcode"
        );
        assert_eq!(city_of("12345"), None);
        assert_eq!(city_of("  \n "), None);
    }

    #[test]
    fn the_last_contact_is_the_later_of_recorded_and_interactions() {
        let day = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok();
        let at = |s: &str| {
            DateTime::parse_from_rfc3339(s)
                .map(|t| t.with_timezone(&Utc))
                .ok()
        };
        let mails = [at("2026-03-01T10:00:00Z"), at("2026-05-02T23:30:00Z")];
        assert_eq!(
            last_contact_day(day("2026-04-01"), mails.iter().flatten().copied()),
            day("2026-05-02")
        );
        assert_eq!(
            last_contact_day(day("2026-06-01"), mails.iter().flatten().copied()),
            day("2026-06-01")
        );
        assert_eq!(last_contact_day(None, []), None);
        assert_eq!(last_contact_day(day("2026-01-01"), []), day("2026-01-01"));
    }
}
