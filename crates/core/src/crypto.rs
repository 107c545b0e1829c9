//! Key types, the passphrase KDF and sealing.
//!
//! Owns every cryptographic primitive Tresor uses: Argon2id (calibrated, with a
//! hard floor), XChaCha20-Poly1305 seal/open bound to a context, and the
//! X25519 sealed box used for the recovery kit. Keys live in zeroizing types
//! and never implement `Debug` or `Serialize` in the clear. This module must
//! never log, print or return key material inside an error.

use std::time::{Duration, Instant};

use argon2::{Algorithm, Argon2, Params, Version};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hkdf::Hkdf;
use rand::RngCore;
use rand::rngs::OsRng;
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::error::{Error, Result};

/// Version byte in front of every sealed value, so the format can evolve.
const SEAL_V1: u8 = 1;
const NONCE_LEN: usize = 24;
const TAG_LEN: usize = 16;

/// A 256-bit symmetric key, wiped from memory when dropped.
#[derive(Clone, Zeroize, ZeroizeOnDrop, PartialEq, Eq)]
pub struct Key32([u8; 32]);

impl Key32 {
    /// A fresh key from the operating system's CSPRNG.
    pub fn random() -> Self {
        let mut k = [0u8; 32];
        OsRng.fill_bytes(&mut k);
        Self(k)
    }

    /// Wraps raw bytes (taken by value so the caller's copy can be dropped).
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// A key from a slice of exactly 32 bytes.
    pub fn from_slice(bytes: &[u8]) -> Option<Self> {
        <[u8; 32]>::try_from(bytes).ok().map(Self::from_bytes)
    }

    /// The raw bytes; callers must not copy them into non-zeroizing storage.
    pub fn expose(&self) -> &[u8; 32] {
        &self.0
    }

    /// Lower-case hex in a zeroizing string (for the SQLCipher key pragma).
    pub fn to_hex(&self) -> Zeroizing<String> {
        let mut s = Zeroizing::new(String::with_capacity(64));
        for b in self.0 {
            s.push(char::from_digit(u32::from(b >> 4), 16).unwrap_or('0'));
            s.push(char::from_digit(u32::from(b & 0xf), 16).unwrap_or('0'));
        }
        s
    }

    /// From 64 hex digits (as written by [`Key32::to_hex`]).
    pub fn from_hex(hex: &str) -> Option<Self> {
        if hex.len() != 64 {
            return None;
        }
        let mut out = Zeroizing::new([0u8; 32]);
        for (i, chunk) in hex.as_bytes().chunks(2).enumerate() {
            let s = std::str::from_utf8(chunk).ok()?;
            out[i] = u8::from_str_radix(s, 16).ok()?;
        }
        Some(Self(*out))
    }
}

impl std::fmt::Debug for Key32 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Key32(…)")
    }
}

/// What a ciphertext is bound to. Opening under a different context fails,
/// so a sealed value cannot be moved to another record, field or purpose.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// The kind of thing sealed: "field", "keyset", "subject-key", …
    pub domain: &'a str,
    /// The record, user or subject the value belongs to.
    pub owner: &'a str,
    /// The field or slot within the owner.
    pub slot: &'a str,
    /// Schema version of the surrounding format.
    pub schema: u32,
}

impl Context<'_> {
    fn associated_data(&self) -> Vec<u8> {
        // Length-prefixed so no two different contexts serialise alike.
        let mut ad = Vec::with_capacity(64);
        ad.extend_from_slice(b"tresor/seal/v1");
        for part in [self.domain, self.owner, self.slot] {
            ad.extend_from_slice(&(part.len() as u32).to_le_bytes());
            ad.extend_from_slice(part.as_bytes());
        }
        ad.extend_from_slice(&self.schema.to_le_bytes());
        ad
    }
}

/// Pads to a bucket so ciphertext length reveals only a coarse size class:
/// 4-byte length, payload, zeros up to 32, 64, 128, 256, then multiples of 256.
fn pad(plain: &[u8]) -> Zeroizing<Vec<u8>> {
    let need = plain.len() + 4;
    let bucket = match need {
        0..=32 => 32,
        33..=64 => 64,
        65..=128 => 128,
        _ => need.div_ceil(256) * 256,
    };
    let mut out = Zeroizing::new(Vec::with_capacity(bucket));
    out.extend_from_slice(&(plain.len() as u32).to_le_bytes());
    out.extend_from_slice(plain);
    out.resize(bucket, 0);
    out
}

fn unpad(padded: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    let len_bytes: [u8; 4] = padded.get(..4)?.try_into().ok()?;
    let len = u32::from_le_bytes(len_bytes) as usize;
    let body = padded.get(4..4 + len)?;
    if padded[4 + len..].iter().any(|&b| b != 0) {
        return None;
    }
    Some(Zeroizing::new(body.to_vec()))
}

/// Seals `plain` under `key`, bound to `ctx`: version ‖ nonce ‖ ciphertext.
pub fn seal(key: &Key32, ctx: &Context<'_>, plain: &[u8]) -> Vec<u8> {
    let mut nonce = [0u8; NONCE_LEN];
    OsRng.fill_bytes(&mut nonce);
    let cipher = XChaCha20Poly1305::new(key.expose().into());
    let padded = pad(plain);
    let ad = ctx.associated_data();
    let ct = cipher
        .encrypt(
            XNonce::from_slice(&nonce),
            Payload {
                msg: &padded,
                aad: &ad,
            },
        )
        .unwrap_or_default(); // encryption of in-memory buffers cannot fail
    let mut out = Vec::with_capacity(1 + NONCE_LEN + ct.len());
    out.push(SEAL_V1);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&ct);
    out
}

/// Opens a value sealed by [`seal`]; `None` when the key, context or bytes
/// do not match (tampering and wrong keys are indistinguishable by design).
pub fn open(key: &Key32, ctx: &Context<'_>, sealed: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    if sealed.len() < 1 + NONCE_LEN + TAG_LEN || sealed[0] != SEAL_V1 {
        return None;
    }
    let cipher = XChaCha20Poly1305::new(key.expose().into());
    let ad = ctx.associated_data();
    let padded = Zeroizing::new(
        cipher
            .decrypt(
                XNonce::from_slice(&sealed[1..1 + NONCE_LEN]),
                Payload {
                    msg: &sealed[1 + NONCE_LEN..],
                    aad: &ad,
                },
            )
            .ok()?,
    );
    unpad(&padded)
}

/// Argon2id parameters stored per user in the keyring.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct KdfParams {
    /// Memory in KiB.
    pub m_kib: u32,
    /// Iterations.
    pub t: u32,
    /// Lanes.
    pub p: u32,
}

impl KdfParams {
    /// RFC 9106's second recommended option: never go below it.
    pub const FLOOR: KdfParams = KdfParams {
        m_kib: 64 * 1024,
        t: 3,
        p: 1,
    };

    /// The most a keyring may ask for. Calibration stays at or below 1 GiB
    /// and only adds passes beyond t=3 once it is at 1 GiB, so a vault
    /// calibrated to 0.5–1 s on the fastest machines gets a few passes at
    /// most; these bounds are twice that memory and many times those
    /// passes. Anything beyond is a doctored keyring: 2^32-1 KiB would abort
    /// the program on allocation and 100,000 passes would hang it.
    pub const CEILING: KdfParams = KdfParams {
        // 2 GiB.
        m_kib: 2 * 1024 * 1024,
        t: 64,
        p: 16,
    };

    /// Largest memory calibration will pick, to stay friendly on small laptops.
    const MAX_M_KIB: u32 = 1024 * 1024;

    /// True when these parameters are at least as strong as the floor.
    pub fn meets_floor(&self) -> bool {
        self.m_kib >= Self::FLOOR.m_kib && self.t >= Self::FLOOR.t && self.p >= Self::FLOOR.p
    }

    /// True when no parameter exceeds [`KdfParams::CEILING`].
    pub fn within_ceiling(&self) -> bool {
        self.m_kib <= Self::CEILING.m_kib && self.t <= Self::CEILING.t && self.p <= Self::CEILING.p
    }

    /// True for parameters a keyring may carry: at least the floor, at most
    /// the ceiling.
    pub fn in_bounds(&self) -> bool {
        self.meets_floor() && self.within_ceiling()
    }

    /// Refuses parameters outside the bounds, before any derivation: below
    /// the floor is a downgrade, above the ceiling a denial of service.
    pub fn check(&self) -> Result<()> {
        if !self.meets_floor() {
            return Err(Error::KdfBelowFloor);
        }
        if !self.within_ceiling() {
            return Err(Error::KdfAboveCeiling);
        }
        Ok(())
    }

    /// Raises memory, then iterations, from the floor until one derivation
    /// takes at least `target` on this machine (about 0.5–1 s in production).
    pub fn calibrate(target: Duration) -> Result<Self> {
        let mut params = Self::FLOOR;
        let salt = [7u8; 16];
        loop {
            let started = Instant::now();
            derive_kek(b"calibration", &salt, params)?;
            let took = started.elapsed();
            if took >= target {
                return Ok(params);
            }
            // Scale towards the target in one step where possible.
            let factor = (target.as_secs_f64() / took.as_secs_f64().max(1e-3)).clamp(1.2, 4.0);
            if params.m_kib < Self::MAX_M_KIB {
                let m = (f64::from(params.m_kib) * factor) as u32;
                params.m_kib = m.min(Self::MAX_M_KIB);
            } else {
                params.t = ((f64::from(params.t) * factor).ceil() as u32).max(params.t + 1);
            }
            if params.t >= Self::CEILING.t {
                params.t = Self::CEILING.t;
                return Ok(params);
            }
        }
    }
}

/// Derives a key-encryption key from a passphrase; refuses parameters below
/// the floor so a doctored keyring cannot downgrade the KDF, and above the
/// ceiling so it cannot abort or hang the program.
pub fn derive_kek(passphrase: &[u8], salt: &[u8], params: KdfParams) -> Result<Key32> {
    params.check()?;
    let p = Params::new(params.m_kib, params.t, params.p, Some(32))
        .map_err(|_| Error::KdfBelowFloor)?;
    let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, p);
    let mut out = [0u8; 32];
    argon
        .hash_password_into(passphrase, salt, &mut out)
        .map_err(|_| Error::KdfBelowFloor)?;
    Ok(Key32::from_bytes(out))
}

/// HKDF-SHA256 expansion of a high-entropy secret into a purpose-bound key.
pub fn expand(secret: &[u8], info: &str) -> Key32 {
    let hk = Hkdf::<Sha256>::new(Some(b"tresor/hkdf/v1"), secret);
    let mut out = [0u8; 32];
    // 32 bytes is always a valid HKDF-SHA256 output length.
    let _ = hk.expand(info.as_bytes(), &mut out);
    Key32::from_bytes(out)
}

/// Random salt for a new KDF derivation.
pub fn random_salt() -> [u8; 16] {
    let mut s = [0u8; 16];
    OsRng.fill_bytes(&mut s);
    s
}

/// Seals to an X25519 public key (ephemeral-static ECDH, HKDF, XChaCha20):
/// whoever holds the public key can seal, only the secret's holder can open.
/// Used for the recovery kit so admins can re-wrap after a key rotation
/// without ever holding the recovery secret.
pub fn seal_to(public: &[u8; 32], ctx: &Context<'_>, plain: &[u8]) -> Vec<u8> {
    let eph = x25519_dalek::StaticSecret::random_from_rng(OsRng);
    let eph_pub = x25519_dalek::PublicKey::from(&eph);
    let shared = eph.diffie_hellman(&x25519_dalek::PublicKey::from(*public));
    let key = box_key(shared.as_bytes(), eph_pub.as_bytes(), public);
    let mut out = eph_pub.as_bytes().to_vec();
    out.extend_from_slice(&seal(&key, ctx, plain));
    out
}

/// Opens a value sealed by [`seal_to`] with the matching secret.
pub fn open_from(secret: &Key32, ctx: &Context<'_>, sealed: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    let eph_pub: [u8; 32] = sealed.get(..32)?.try_into().ok()?;
    let sk = x25519_dalek::StaticSecret::from(*secret.expose());
    let public = x25519_dalek::PublicKey::from(&sk);
    let shared = sk.diffie_hellman(&x25519_dalek::PublicKey::from(eph_pub));
    let key = box_key(shared.as_bytes(), &eph_pub, public.as_bytes());
    open(&key, ctx, &sealed[32..])
}

/// The X25519 public key of a secret.
pub fn public_of(secret: &Key32) -> [u8; 32] {
    let sk = x25519_dalek::StaticSecret::from(*secret.expose());
    *x25519_dalek::PublicKey::from(&sk).as_bytes()
}

fn box_key(shared: &[u8; 32], eph: &[u8; 32], recipient: &[u8; 32]) -> Key32 {
    let mut ikm = Zeroizing::new(Vec::with_capacity(96));
    ikm.extend_from_slice(shared);
    ikm.extend_from_slice(eph);
    ikm.extend_from_slice(recipient);
    expand(&ikm, "sealed-box")
}

/// HMAC-SHA256, for the keyring's integrity tag.
pub fn mac(key: &Key32, data: &[u8]) -> [u8; 32] {
    use hmac::{Hmac, Mac};
    let mut m =
        <Hmac<Sha256> as Mac>::new_from_slice(key.expose()).expect("HMAC takes keys of any length");
    m.update(data);
    m.finalize().into_bytes().into()
}

/// Constant-time comparison of two MACs.
pub fn mac_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ctx<'a>(owner: &'a str, slot: &'a str) -> Context<'a> {
        Context {
            domain: "field",
            owner,
            slot,
            schema: 1,
        }
    }

    proptest! {
        #[test]
        fn seal_open_round_trip(plain in proptest::collection::vec(any::<u8>(), 0..2000)) {
            let key = Key32::random();
            let sealed = seal(&key, &ctx("r1", "note"), &plain);
            let opened = open(&key, &ctx("r1", "note"), &sealed).expect("opens");
            prop_assert_eq!(&opened[..], &plain[..]);
        }

        #[test]
        fn any_flipped_bit_is_detected(plain in proptest::collection::vec(any::<u8>(), 0..300), pos in any::<prop::sample::Index>(), bit in 0u8..8) {
            let key = Key32::random();
            let mut sealed = seal(&key, &ctx("r1", "note"), &plain);
            let i = pos.index(sealed.len());
            sealed[i] ^= 1 << bit;
            prop_assert!(open(&key, &ctx("r1", "note"), &sealed).is_none());
        }

        #[test]
        fn truncation_is_detected(plain in proptest::collection::vec(any::<u8>(), 0..300), cut in 1usize..64) {
            let key = Key32::random();
            let sealed = seal(&key, &ctx("r1", "note"), &plain);
            let keep = sealed.len().saturating_sub(cut);
            prop_assert!(open(&key, &ctx("r1", "note"), &sealed[..keep]).is_none());
        }

        #[test]
        fn padding_hides_exact_length(a in 0usize..28, b in 0usize..28) {
            let key = Key32::random();
            let sa = seal(&key, &ctx("r", "f"), &vec![1u8; a]);
            let sb = seal(&key, &ctx("r", "f"), &vec![1u8; b]);
            prop_assert_eq!(sa.len(), sb.len());
        }
    }

    #[test]
    fn a_value_cannot_move_to_another_record_or_field() {
        let key = Key32::random();
        let sealed = seal(&key, &ctx("record-a", "note"), b"secret");
        assert!(open(&key, &ctx("record-b", "note"), &sealed).is_none());
        assert!(open(&key, &ctx("record-a", "summary"), &sealed).is_none());
        assert!(open(&Key32::random(), &ctx("record-a", "note"), &sealed).is_none());
        assert!(open(&key, &ctx("record-a", "note"), &sealed).is_some());
    }

    #[test]
    fn sealed_box_opens_only_with_the_secret() {
        let secret = Key32::random();
        let public = public_of(&secret);
        let c = ctx("vault", "recovery");
        let sealed = seal_to(&public, &c, b"keyset");
        assert_eq!(
            &open_from(&secret, &c, &sealed).expect("opens")[..],
            b"keyset"
        );
        assert!(open_from(&Key32::random(), &c, &sealed).is_none());
    }

    #[test]
    fn kdf_refuses_parameters_below_the_floor() {
        let weak = KdfParams {
            m_kib: 8 * 1024,
            t: 1,
            p: 1,
        };
        assert!(matches!(
            derive_kek(b"pw", &[0; 16], weak),
            Err(Error::KdfBelowFloor)
        ));
        let fewer_passes = KdfParams {
            t: 2,
            ..KdfParams::FLOOR
        };
        assert!(matches!(
            derive_kek(b"pw", &[0; 16], fewer_passes),
            Err(Error::KdfBelowFloor)
        ));
    }

    #[test]
    fn kdf_refuses_parameters_above_the_ceiling() {
        for huge in [
            KdfParams {
                m_kib: u32::MAX,
                ..KdfParams::FLOOR
            },
            KdfParams {
                t: 100_000,
                ..KdfParams::FLOOR
            },
            KdfParams {
                p: 1 << 20,
                ..KdfParams::FLOOR
            },
        ] {
            assert!(!huge.in_bounds());
            assert!(matches!(
                derive_kek(b"pw", &[0; 16], huge),
                Err(Error::KdfAboveCeiling)
            ));
        }
        assert!(KdfParams::CEILING.in_bounds() && KdfParams::FLOOR.in_bounds());
    }

    #[test]
    fn kdf_is_deterministic_and_salted() {
        let a = derive_kek(b"pw", &[1; 16], KdfParams::FLOOR).expect("kdf");
        let b = derive_kek(b"pw", &[1; 16], KdfParams::FLOOR).expect("kdf");
        let c = derive_kek(b"pw", &[2; 16], KdfParams::FLOOR).expect("kdf");
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn calibration_never_goes_below_the_floor() {
        let p = KdfParams::calibrate(Duration::from_millis(1)).expect("calibrate");
        assert!(p.meets_floor());
        assert_eq!(
            p,
            KdfParams::FLOOR,
            "a 1 ms target is met by the floor itself"
        );
    }
}
