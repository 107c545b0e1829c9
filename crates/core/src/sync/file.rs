//! The files of the shared folder: their names and their envelope.
//!
//! Every file Tresor writes there (segments, device cards, acknowledgements,
//! snapshots, retirements) is one envelope:
//!
//! ```text
//! magic "TRESOR\0\x01" (8) | kind (1) | device (16) | seq (8, big-endian)
//! | prev (32) | body length (4, big-endian) | sealed body | Ed25519 signature (64)
//! ```
//!
//! The body is sealed with XChaCha20-Poly1305 under the team's sync key,
//! bound to kind, device, seq and prev; the signature covers every byte
//! before it. The format is specified in `docs/sync-format.md`.

use std::path::{Path, PathBuf};

use ed25519_dalek::{Signature, Signer as _, SigningKey, Verifier as _, VerifyingKey};
use sha2::{Digest as _, Sha256};
use uuid::Uuid;

use crate::crypto::{self, Context, Key32};

const MAGIC: &[u8; 8] = b"TRESOR\0\x01";
const HEADER: usize = 8 + 1 + 16 + 8 + 32 + 4;
const SIG: usize = 64;

/// What an envelope holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Changes of one device, in sequence.
    Segment = 1,
    /// A device's card: its signing key, user and host.
    Device = 2,
    /// What a device has applied.
    Ack = 3,
    /// The state replacing acknowledged segments.
    Snapshot = 4,
    /// An admin's retirement of a device.
    Retire = 5,
    /// A backup of a vault (outside the folder: see `sync::backup`).
    Backup = 6,
    /// The subject keys beside the backups.
    BackupKeys = 7,
}

impl Kind {
    fn from_byte(b: u8) -> Option<Kind> {
        Some(match b {
            1 => Kind::Segment,
            2 => Kind::Device,
            3 => Kind::Ack,
            4 => Kind::Snapshot,
            5 => Kind::Retire,
            6 => Kind::Backup,
            7 => Kind::BackupKeys,
            _ => return None,
        })
    }

    fn domain(self) -> &'static str {
        match self {
            Kind::Segment => "sync-segment",
            Kind::Device => "sync-device",
            Kind::Ack => "sync-ack",
            Kind::Snapshot => "sync-snapshot",
            Kind::Retire => "sync-retire",
            Kind::Backup => "backup",
            Kind::BackupKeys => "backup-keys",
        }
    }
}

/// An envelope as read, before its signature is checked.
#[derive(Debug)]
pub struct Envelope {
    /// The kind.
    pub kind: Kind,
    /// The writing device.
    pub device: Uuid,
    /// Sequence number (or a kind-specific number).
    pub seq: u64,
    /// Hash of the previous segment of the device (zeros for none).
    pub prev: [u8; 32],
    signed: Vec<u8>,
    sealed_at: (usize, usize),
    signature: Signature,
}

/// SHA-256 of a file's bytes: the chain link and the clone check.
pub fn hash(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

fn seal_ctx(device: &str, seq: u64, prev: &[u8; 32]) -> (String, String) {
    (device.to_owned(), format!("{seq}:{}", hex(prev)))
}

/// Lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Seals and signs a body into an envelope.
pub fn write(
    kind: Kind,
    device: Uuid,
    seq: u64,
    prev: [u8; 32],
    body: &[u8],
    team: &Key32,
    signer: &SigningKey,
) -> Vec<u8> {
    let (owner, slot) = seal_ctx(&device.simple().to_string(), seq, &prev);
    let ctx = Context {
        domain: kind.domain(),
        owner: &owner,
        slot: &slot,
        schema: 1,
    };
    let sealed = crypto::seal(team, &ctx, body);
    let mut out = Vec::with_capacity(HEADER + sealed.len() + SIG);
    out.extend_from_slice(MAGIC);
    out.push(kind as u8);
    out.extend_from_slice(device.as_bytes());
    out.extend_from_slice(&seq.to_be_bytes());
    out.extend_from_slice(&prev);
    out.extend_from_slice(
        &u32::try_from(sealed.len())
            .unwrap_or(u32::MAX)
            .to_be_bytes(),
    );
    out.extend_from_slice(&sealed);
    let sig = signer.sign(&out);
    out.extend_from_slice(&sig.to_bytes());
    out
}

/// Parses an envelope's frame; `None` when it is truncated or not one.
pub fn parse(bytes: &[u8]) -> Option<Envelope> {
    if bytes.len() < HEADER + SIG || &bytes[..8] != MAGIC {
        return None;
    }
    let kind = Kind::from_byte(bytes[8])?;
    let device = Uuid::from_slice(&bytes[9..25]).ok()?;
    let seq = u64::from_be_bytes(bytes[25..33].try_into().ok()?);
    let prev: [u8; 32] = bytes[33..65].try_into().ok()?;
    let len = u32::from_be_bytes(bytes[65..69].try_into().ok()?) as usize;
    if bytes.len() != HEADER + len + SIG {
        return None;
    }
    let signature = Signature::from_bytes(bytes[HEADER + len..].try_into().ok()?);
    Some(Envelope {
        kind,
        device,
        seq,
        prev,
        signed: bytes[..HEADER + len].to_vec(),
        sealed_at: (HEADER, HEADER + len),
        signature,
    })
}

impl Envelope {
    /// Whether `key` signed it.
    pub fn signed_by(&self, key: &VerifyingKey) -> bool {
        key.verify(&self.signed, &self.signature).is_ok()
    }

    /// Opens the body with the team key; `None` when it does not open.
    pub fn open(&self, team: &Key32) -> Option<zeroize::Zeroizing<Vec<u8>>> {
        let (owner, slot) = seal_ctx(&self.device.simple().to_string(), self.seq, &self.prev);
        let ctx = Context {
            domain: self.kind.domain(),
            owner: &owner,
            slot: &slot,
            schema: 1,
        };
        crypto::open(team, &ctx, &self.signed[self.sealed_at.0..self.sealed_at.1])
    }
}

/// Parses a device id as used in file names: 32 lower-case hex digits.
pub fn device_of_name(s: &str) -> Option<Uuid> {
    if s.len() == 32
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        Uuid::try_parse(s).ok()
    } else {
        None
    }
}

/// A segment's sequence number from its file name: exactly ten digits and
/// `.seg`, nothing else (conflict copies and temp files do not match).
pub fn seq_of_name(name: &str) -> Option<u64> {
    let digits = name.strip_suffix(".seg")?;
    if digits.len() == 10 && digits.bytes().all(|b| b.is_ascii_digit()) {
        digits.parse().ok()
    } else {
        None
    }
}

/// A snapshot's (number, device) from its name: `<16 hex>-<32 hex>.snap`.
pub fn snapshot_of_name(name: &str) -> Option<(u64, Uuid)> {
    let stem = name.strip_suffix(".snap")?;
    let (n, d) = stem.split_once('-')?;
    if n.len() != 16
        || !n
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    {
        return None;
    }
    Some((u64::from_str_radix(n, 16).ok()?, device_of_name(d)?))
}

/// The folder's layout.
#[derive(Debug, Clone)]
pub struct Layout {
    root: PathBuf,
}

impl Layout {
    /// The layout under `root`.
    pub fn new(root: &Path) -> Layout {
        Layout {
            root: root.to_path_buf(),
        }
    }

    /// The root.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The team keyring.
    pub fn keyring(&self) -> PathBuf {
        self.root.join("team").join("keyring.json")
    }

    /// The copy of the key file of the backups (see `sync::backup`).
    pub fn backup_keys(&self) -> PathBuf {
        self.root.join("team").join("backup-keys.tbk")
    }

    /// The directory of device cards and retirements.
    pub fn devices(&self) -> PathBuf {
        self.root.join("team").join("devices")
    }

    /// A device's card.
    pub fn device_card(&self, device: Uuid) -> PathBuf {
        self.devices().join(format!("{}.device", device.simple()))
    }

    /// A device's retirement.
    pub fn retirement(&self, device: Uuid) -> PathBuf {
        self.devices().join(format!("{}.retired", device.simple()))
    }

    /// The log directory of all devices.
    pub fn logs(&self) -> PathBuf {
        self.root.join("log")
    }

    /// A device's log directory.
    pub fn log(&self, device: Uuid) -> PathBuf {
        self.logs().join(device.simple().to_string())
    }

    /// A segment.
    pub fn segment(&self, device: Uuid, seq: u64) -> PathBuf {
        self.log(device).join(format!("{seq:010}.seg"))
    }

    /// The acknowledgements directory.
    pub fn acks(&self) -> PathBuf {
        self.root.join("acks")
    }

    /// A device's acknowledgement.
    pub fn ack(&self, device: Uuid) -> PathBuf {
        self.acks().join(format!("{}.ack", device.simple()))
    }

    /// The snapshots directory.
    pub fn snapshots(&self) -> PathBuf {
        self.root.join("snap")
    }

    /// A snapshot.
    pub fn snapshot(&self, n: u64, device: Uuid) -> PathBuf {
        self.snapshots()
            .join(format!("{n:016x}-{}.snap", device.simple()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_grammar_exactly() {
        assert_eq!(seq_of_name("0000000042.seg"), Some(42));
        for bad in [
            "0000000042.sync-conflict-20261124-120000-ABCDEFG.seg",
            "0000000042 (conflicted copy 2026-11-24).seg",
            "0000000042.seg.tmp",
            ".syncthing.0000000042.seg.tmp",
            "~0000000042.seg",
            "42.seg",
            "00000000042.seg",
            "000000004a.seg",
        ] {
            assert_eq!(seq_of_name(bad), None, "{bad}");
        }
        let d = Uuid::now_v7();
        let name = format!("{:016x}-{}.snap", 7u64, d.simple());
        assert_eq!(snapshot_of_name(&name), Some((7, d)));
        assert!(device_of_name(&d.simple().to_string().to_uppercase()).is_none());
    }

    #[test]
    fn an_envelope_is_detected_when_cut_flipped_or_signed_by_another() {
        let team = Key32::random();
        let signer = SigningKey::generate(&mut rand::rngs::OsRng);
        let other = SigningKey::generate(&mut rand::rngs::OsRng);
        let d = Uuid::now_v7();
        let bytes = write(Kind::Segment, d, 3, [7; 32], b"body", &team, &signer);
        let env = parse(&bytes).expect("parses");
        assert!(env.signed_by(&signer.verifying_key()));
        assert!(!env.signed_by(&other.verifying_key()));
        assert_eq!(env.open(&team).expect("opens").as_slice(), b"body");
        assert!(env.open(&Key32::random()).is_none());
        assert!(parse(&bytes[..bytes.len() - 1]).is_none(), "truncated");
        for i in [0, 9, 30, 70, bytes.len() - 70, bytes.len() - 1] {
            let mut flipped = bytes.clone();
            flipped[i] ^= 1;
            let ok = parse(&flipped)
                .is_some_and(|e| e.signed_by(&signer.verifying_key()) && e.open(&team).is_some());
            assert!(!ok, "flip at {i} accepted");
        }
    }
}
