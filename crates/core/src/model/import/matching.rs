//! The keys two records of one person share: an email address (case
//! folded), a phone number in E.164 form (German numbers without a country
//! code get `+49`), or the name with the postcode of an address.

use crate::model::directory::{fold, postcode};

/// Why two records are taken for one person.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Key {
    /// The same email address.
    Email(String),
    /// The same phone number.
    Phone(String),
    /// The same given and family name and postcode.
    NamePostcode(String),
}

impl Key {
    /// What matched, in words for the report (never the value itself).
    pub fn describe(&self) -> &'static str {
        match self {
            Key::Email(_) => "the same email address",
            Key::Phone(_) => "the same phone number",
            Key::NamePostcode(_) => "the same name and postcode",
        }
    }
}

/// An email address as compared.
pub fn email_key(email: &str) -> String {
    email.trim().to_lowercase()
}

/// A phone number in E.164 form, default country Germany: `0030 …` and
/// `+49 (0)30 …` and `030 …` give `+4930…`. None for too few digits.
pub fn e164(phone: &str) -> Option<String> {
    let s = phone.trim().replace("(0)", "");
    let plus = s.starts_with('+');
    let digits: String = s.chars().filter(char::is_ascii_digit).collect();
    let number = if plus {
        format!("+{digits}")
    } else if let Some(rest) = digits.strip_prefix("00") {
        format!("+{rest}")
    } else if let Some(rest) = digits.strip_prefix('0') {
        format!("+49{rest}")
    } else {
        // A local number without an area code cannot be placed.
        return None;
    };
    (number.len() >= 8).then_some(number)
}

/// The name-and-postcode key, when both are known.
pub fn name_postcode_key(given: &str, family: &str, postcode: &str) -> Option<String> {
    let family = fold(family.trim());
    let postcode = postcode.trim();
    if family.is_empty() || postcode.is_empty() {
        return None;
    }
    Some(format!("{}|{family}|{postcode}", fold(given.trim())))
}

/// The first postcode an address names: a group of 4 or 5 digits starting
/// a word (`10115 Berlin`, `D-80331`, `A-1010`).
pub fn postcode_of(address: &str) -> Option<String> {
    address
        .split([' ', '\n', ','])
        .find_map(|w| postcode(w.trim()))
        .map(str::to_owned)
}

/// Every key of a person.
pub fn keys(
    given: &str,
    family: &str,
    emails: &[String],
    phones: &[String],
    addresses: &[String],
) -> Vec<Key> {
    let mut keys: Vec<Key> = emails.iter().map(|e| Key::Email(email_key(e))).collect();
    keys.extend(phones.iter().filter_map(|p| e164(p)).map(Key::Phone));
    keys.extend(
        addresses
            .iter()
            .filter_map(|a| postcode_of(a))
            .filter_map(|pc| name_postcode_key(given, family, &pc))
            .map(Key::NamePostcode),
    );
    keys.sort();
    keys.dedup();
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_in_every_german_spelling_are_one_number() {
        for p in [
            "030 1234567",
            "+49 30 1234567",
            "+49 (0)30 123-45-67",
            "0049 30/1234567",
        ] {
            assert_eq!(e164(p).as_deref(), Some("+49301234567"), "{p}");
        }
        assert_eq!(e164("+43 1 5555555").as_deref(), Some("+4315555555"));
        assert_eq!(e164("1234567"), None, "no area code");
        assert_eq!(e164("0 1"), None);
    }

    #[test]
    fn postcodes_and_names_match_across_spellings() {
        assert_eq!(
            postcode_of("Hauptstr. 1\n10115 Berlin").as_deref(),
            Some("10115")
        );
        assert_eq!(
            postcode_of("Am Markt 3, D-80331 München").as_deref(),
            Some("80331")
        );
        assert_eq!(postcode_of("Ring 1\nA-1010 Wien").as_deref(), Some("1010"));
        assert_eq!(postcode_of("Hauptstr. 123456"), None);
        let a = keys(
            "Jürgen",
            "Weiß",
            &["JW@Example.de".into()],
            &[],
            &["Weg 1\n10115 Berlin".into()],
        );
        let b = keys("jürgen", "WEISS", &[], &[], &["10115 Berlin".into()]);
        assert!(a.contains(&Key::Email("jw@example.de".into())));
        let shared: Vec<_> = a.iter().filter(|k| b.contains(k)).collect();
        assert_eq!(shared.len(), 1, "{a:?} {b:?}");
        assert!(matches!(shared[0], Key::NamePostcode(_)));
    }
}
