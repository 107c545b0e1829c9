//! The recovery key: the secret half of the kit's key pair, printed on
//! paper in Crockford base32 with a checksum.

use sha2::Digest as _;
use zeroize::Zeroizing;

use crate::crypto::Key32;
use crate::error::{Error, Result};

/// A recovery key: 32 random bytes plus a 3-byte checksum, written as
/// 56 Crockford base32 characters in groups of four.
pub struct RecoveryKey(pub(super) Key32);

const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

impl RecoveryKey {
    pub(super) fn generate() -> RecoveryKey {
        RecoveryKey(Key32::random())
    }

    /// The key as printed in the kit.
    pub fn display(&self) -> Zeroizing<String> {
        let mut bytes = Zeroizing::new(self.0.expose().to_vec());
        let check = sha2::Sha256::digest(self.0.expose());
        bytes.extend_from_slice(&check[..3]);
        let mut chars = Zeroizing::new(String::new());
        let mut acc: u32 = 0;
        let mut bits = 0;
        for &b in bytes.iter() {
            acc = (acc << 8) | u32::from(b);
            bits += 8;
            while bits >= 5 {
                bits -= 5;
                chars.push(char::from(CROCKFORD[((acc >> bits) & 31) as usize]));
            }
        }
        let mut out = Zeroizing::new(String::new());
        for (i, c) in chars.chars().enumerate() {
            if i > 0 && i % 4 == 0 {
                out.push('-');
            }
            out.push(c);
        }
        out
    }

    /// Parses a typed-back key: case, spaces and dashes do not matter, and
    /// O/I/L are read as 0/1/1. A typo is reported as such.
    pub fn parse(typed: &str) -> Result<RecoveryKey> {
        let mut acc: u32 = 0;
        let mut bits = 0;
        let mut bytes = Zeroizing::new(Vec::with_capacity(35));
        for c in typed.chars().filter(|c| !c.is_whitespace() && *c != '-') {
            let c = match c.to_ascii_uppercase() {
                'O' => '0',
                'I' | 'L' => '1',
                c => c,
            };
            let v = CROCKFORD
                .iter()
                .position(|&x| char::from(x) == c)
                .ok_or_else(|| {
                    Error::invalid(
                        "recovery key",
                        "contains a character that is not in the kit",
                    )
                })?;
            acc = (acc << 5) | v as u32;
            bits += 5;
            if bits >= 8 {
                bits -= 8;
                bytes.push(((acc >> bits) & 0xff) as u8);
            }
        }
        if bytes.len() != 35 {
            return Err(Error::invalid(
                "recovery key",
                "must be 56 characters (14 groups of 4)",
            ));
        }
        let key: [u8; 32] = bytes[..32].try_into().map_err(|_| Error::WrongPassphrase)?;
        let check = sha2::Sha256::digest(key);
        if check[..3] != bytes[32..] {
            return Err(Error::invalid(
                "recovery key",
                "has a typo: the checksum does not match",
            ));
        }
        Ok(RecoveryKey(Key32::from_bytes(key)))
    }
}
