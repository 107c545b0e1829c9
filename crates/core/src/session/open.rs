//! Opening a vault as a session: create, unlock, recover. A rotation staged
//! by a program that stopped half-way is finished (or rolled back) here, and
//! the role a user signs in with is the one the admins signed.

use std::path::Path;
use std::sync::Arc;

use super::Session;
use crate::clock::Clock;
use crate::crypto::{KdfParams, Key32};
use crate::error::{Error, Result};
use crate::keyring::{Keyring, Keyset, RecoveryKey};
use crate::model::roles::Role;
use crate::store::Store;
use crate::vault::{VaultDir, restrict_permissions};

impl Session {
    /// Creates a vault in `dir` with its first user, an admin.
    pub fn create(
        dir: &Path,
        admin: &str,
        passphrase: &[u8],
        kdf: KdfParams,
        clock: Arc<dyn Clock>,
    ) -> Result<(Session, RecoveryKey)> {
        crate::keyring::validate_user_name(admin)?;
        crate::session::validate_new_passphrase(passphrase)?;
        let vault = VaultDir::new(dir);
        if vault.exists() || vault.db_path().exists() {
            return Err(Error::VaultExists {
                path: dir.to_path_buf(),
            });
        }
        std::fs::create_dir_all(dir).map_err(Error::io(dir))?;
        restrict_permissions(dir);
        let (ring, keys, recovery, personal) =
            Keyring::create_personal(admin, passphrase, kdf, clock.now())?;
        let store = Store::create(&vault.db_path(), &keys.db)?;
        store.set_meta("vault_id", &ring.vault_id)?;
        store.set_meta("key_generation", &ring.generation.to_string())?;
        store.set_meta("device_id", &uuid::Uuid::now_v7().simple().to_string())?;
        store.set_meta(ADMIN_ROOT_META, ring.admin_root())?;
        vault.write_keyring(&ring)?;
        let mut session = Session::new(vault, store, keys, admin.into(), Role::Admin, clock)?;
        session.personal = Some(personal);
        Ok((session, recovery))
    }

    /// Benchmarks only: the same session over an unencrypted SQLite file, so a
    /// workload can be measured against plain SQLite in the same run.
    #[cfg(feature = "bench-baseline")]
    #[doc(hidden)]
    pub fn open_plain_baseline(dir: &Path, clock: Arc<dyn Clock>) -> Result<Session> {
        std::fs::create_dir_all(dir).map_err(Error::io(dir))?;
        let vault = VaultDir::new(dir);
        let store = Store::open_plain_baseline(&vault.db_path())?;
        if store.meta("device_id")?.is_none() {
            store.set_meta("device_id", "baseline")?;
        }
        Session::new(
            vault,
            store,
            Keyset::generate(),
            "bench".into(),
            Role::Admin,
            clock,
        )
    }

    /// Unlocks the vault in `dir` as `user`.
    pub fn unlock(
        dir: &Path,
        user: &str,
        passphrase: &[u8],
        clock: Arc<dyn Clock>,
    ) -> Result<Session> {
        Unlocking::keys(dir, user, passphrase)?.finish(clock)
    }

    /// Benchmarks only: [`Session::unlock`] in its two steps, so that what it
    /// does beyond the key derivation can be timed alone. This call reads the
    /// keyring and derives the user's keys from the passphrase; the step it
    /// returns does the rest (opens the database with its raw key, checks the
    /// signed role, starts the session).
    #[cfg(feature = "bench-baseline")]
    #[doc(hidden)]
    pub fn unlock_stepwise(
        dir: &Path,
        user: &str,
        passphrase: &[u8],
        clock: Arc<dyn Clock>,
    ) -> Result<impl FnOnce() -> Result<Session>> {
        let unlocking = Unlocking::keys(dir, user, passphrase)?;
        Ok(move || unlocking.finish(clock))
    }

    /// Opens the vault with the recovery key and sets a new passphrase for an admin.
    pub fn recover(
        dir: &Path,
        recovery: &RecoveryKey,
        admin: &str,
        new_passphrase: &[u8],
        clock: Arc<dyn Clock>,
    ) -> Result<Session> {
        crate::session::validate_new_passphrase(new_passphrase)?;
        let vault = VaultDir::new(dir);
        let mut ring = vault.keyring()?;
        let full = ring.unlock_recovery(recovery, &vault.keyring_path())?;
        let entry = ring.user(admin).cloned().ok_or_else(|| Error::NotFound {
            what: "user",
            id: admin.into(),
        })?;
        if ring.signed_role(admin) != Some(Role::Admin) {
            return Err(Error::invalid(
                "user",
                "the recovery key can only reset an admin's passphrase",
            ));
        }
        let (store, full) = finish_rotation(&vault, &ring, full, None)?;
        let kdf = if entry.kdf.in_bounds() {
            entry.kdf
        } else {
            KdfParams::FLOOR
        };
        let personal = ring.set_passphrase(admin, new_passphrase, kdf, &full)?;
        vault.write_keyring(&ring)?;
        let mut session = Session::new(vault, store, full, admin.into(), Role::Admin, clock)?;
        session.personal = Some(personal);
        Ok(session)
    }
}

/// A vault being unlocked: its user's keys derived and opened, its
/// database not yet.
struct Unlocking {
    vault: VaultDir,
    ring: Keyring,
    user: String,
    keys: Keyset,
    personal: Key32,
    /// The keys of a rotation a stopped program left staged, if the
    /// passphrase opens them.
    staged: Option<(Keyring, Keyset)>,
}

impl Unlocking {
    /// Reads the keyring and opens `user`'s keys with the passphrase (and
    /// those of a staged rotation): every key derivation of an unlock.
    fn keys(dir: &Path, user: &str, passphrase: &[u8]) -> Result<Unlocking> {
        let vault = VaultDir::new(dir);
        let ring = vault.keyring()?;
        let (keys, personal) = ring.unlock_personal(user, passphrase, &vault.keyring_path())?;
        let staged = vault.staged().and_then(|next| {
            next.unlock(user, passphrase, &vault.next_path())
                .ok()
                .map(|k| (next, k))
        });
        Ok(Unlocking {
            vault,
            ring,
            user: user.to_owned(),
            keys,
            personal,
            staged,
        })
    }

    /// Opens the database (finishing or dropping a staged rotation) and
    /// starts the session with the role the admins signed: a finished
    /// rotation (or keys taken over from another laptop) may have changed
    /// the role with the keys, and it counts only as the admins signed it.
    fn finish(self, clock: Arc<dyn Clock>) -> Result<Session> {
        let Unlocking {
            vault,
            ring,
            user,
            keys,
            personal,
            staged,
        } = self;
        let (store, keys) = finish_rotation(&vault, &ring, keys, staged)?;
        let role = signed_role(&vault, &store, &user, &keys)?;
        let mut session = Session::new(vault, store, keys, user, role, clock)?;
        session.personal = Some(personal);
        Ok(session)
    }
}

/// Where the database records the admins' first key, so a keyring whose
/// admins' key was swapped is caught in vaults whose id does not derive
/// from it.
pub(crate) const ADMIN_ROOT_META: &str = "admin_root";

/// The role `user` signs in with: the one the admins signed in the keyring,
/// under the admins' key this laptop knows (pinned in the database at the
/// first unlock of vaults made before the id derived from it).
pub(crate) fn signed_role(
    vault: &VaultDir,
    store: &Store,
    user: &str,
    keys: &Keyset,
) -> Result<Role> {
    let mut ring = vault.keyring()?;
    let pinned = store.meta(ADMIN_ROOT_META)?;
    let forged = || Error::RoleNotSigned {
        path: vault.keyring_path(),
        user: user.to_owned(),
    };
    if !ring.anchored(pinned.as_deref()) {
        return Err(forged());
    }
    if pinned.is_none() && ring.has_admin_key() {
        store.set_meta(ADMIN_ROOT_META, ring.admin_root())?;
    }
    // A keyring from before grants: an admin's keys (only admins hold the
    // admins' key) give every entry its grant now.
    if ring.grant_ungranted(keys) {
        vault.write_keyring(&ring)?;
    }
    let meta = format!("{ROLE_META}{user}");
    let seen = store.meta(&meta)?;
    let role = match ring.signed_role(user) {
        Some(role) => role,
        // An entry without a grant in a vault made before grants, until an
        // admin's grant arrives by sync: the role it had when this laptop
        // first unlocked it since, and no other. New vaults have none.
        None => {
            let entry = ring
                .user(user)
                .filter(|_| !ring.has_grant(user) && !ring.id_derived() && ring.has_admin_key());
            match (entry.map(|u| u.role), seen.as_deref()) {
                (Some(role), Some(r)) if r == role.as_str() => role,
                (Some(role), None) if pinned.is_none() => role,
                _ => return Err(forged()),
            }
        }
    };
    if seen.as_deref() != Some(role.as_str()) {
        store.set_meta(&meta, role.as_str())?;
    }
    Ok(role)
}

/// Where a laptop records the role each user last unlocked with.
const ROLE_META: &str = "role:";

/// Opens the database, completing or discarding a rotation that a stopped
/// program left half-done.
fn finish_rotation(
    vault: &VaultDir,
    ring: &Keyring,
    keys: Keyset,
    staged: Option<(Keyring, Keyset)>,
) -> Result<(Store, Keyset)> {
    let path = vault.db_path();
    match (Store::open(&path, &keys.db), staged) {
        (Ok(store), None) => Ok((store, keys)),
        (Ok(mut store), Some((next, next_keys))) => {
            let generation: u64 = store
                .meta("key_generation")?
                .and_then(|g| g.parse().ok())
                .unwrap_or(0);
            if generation == next.generation {
                // Values were re-sealed; only the rekey and the rename are missing.
                if next_keys.db != keys.db {
                    store.rekey(&next_keys.db)?;
                }
                vault.promote_staged()?;
                Ok((store, next_keys))
            } else {
                let _ = ring;
                vault.drop_staged()?;
                Ok((store, keys))
            }
        }
        (Err(_), Some((_, next_keys))) => {
            let store = Store::open(&path, &next_keys.db)?;
            vault.promote_staged()?;
            Ok((store, next_keys))
        }
        (Err(e), None) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::SystemClock;
    use crate::crypto::{self, Context};
    use crate::model::categories::Compartment;
    use crate::model::contacts::{FieldInput, FieldValue, PersonInput};

    const PW: &[u8] = b"admin passphrase 1";

    fn clock() -> Arc<dyn Clock> {
        Arc::new(SystemClock)
    }

    fn new_vault(dir: &Path) -> (Session, RecoveryKey) {
        Session::create(dir, "ada", PW, KdfParams::FLOOR, clock()).expect("create")
    }

    fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .expect("dir")
            .map(|e| {
                let e = e.expect("entry");
                (
                    e.file_name().to_string_lossy().into_owned(),
                    std::fs::read(e.path()).expect("read"),
                )
            })
            .collect();
        files.sort();
        files
    }

    #[test]
    fn a_wrong_passphrase_is_refused_and_writes_nothing() {
        let tmp = tempfile::tempdir().expect("tmp");
        let (s, _) = new_vault(tmp.path());
        drop(s);
        let before = snapshot(tmp.path());
        let err = Session::unlock(tmp.path(), "ada", b"not the passphrase", clock())
            .expect_err("refused");
        assert_eq!(err.to_string(), "wrong passphrase");
        assert_eq!(snapshot(tmp.path()), before);
    }

    #[test]
    fn damaged_files_are_named_and_left_alone() {
        let tmp = tempfile::tempdir().expect("tmp");
        let (s, _) = new_vault(tmp.path());
        drop(s);
        let vault = VaultDir::new(tmp.path());
        // Damaged keyring.
        let good = std::fs::read(vault.keyring_path()).expect("read");
        std::fs::write(vault.keyring_path(), &good[..good.len() / 2]).expect("write");
        let err = Session::unlock(tmp.path(), "ada", PW, clock()).expect_err("damaged");
        assert_eq!(err.code(), "keyring_damaged");
        assert!(err.to_string().contains("keyring.json"));
        assert_eq!(
            std::fs::read(vault.keyring_path()).expect("read"),
            &good[..good.len() / 2]
        );
        std::fs::write(vault.keyring_path(), &good).expect("restore");
        // Damaged database: its first 4 KiB garbled (the header and start
        // of page 1).
        let mut db = std::fs::read(vault.db_path()).expect("db");
        for b in &mut db[..4096] {
            *b ^= 0x5a;
        }
        std::fs::write(vault.db_path(), &db).expect("write");
        let err = Session::unlock(tmp.path(), "ada", PW, clock()).expect_err("damaged db");
        assert_eq!(err.code(), "database_damaged");
        assert!(err.to_string().contains("tresor.db"));
        assert_eq!(std::fs::read(vault.db_path()).expect("db"), db);
    }

    #[test]
    fn an_agents_keyset_cannot_decrypt_notes_or_art9_in_the_raw_database() {
        let tmp = tempfile::tempdir().expect("tmp");
        let (mut admin, _) = new_vault(tmp.path());
        let id = admin
            .add_person(
                &PersonInput::default()
                    .with_name("Berta Beispiel")
                    .with("note", FieldInput::Text("owes us money".into()))
                    .with("special", FieldInput::Text("diabetic".into())),
            )
            .expect("add");
        admin
            .add_user("carl", Role::Agent, b"agent passphrase")
            .expect("agent");
        let ring = VaultDir::new(tmp.path()).keyring().expect("ring");
        let agent_keys = ring
            .unlock("carl", b"agent passphrase", Path::new("k"))
            .expect("agent unlock");
        assert!(agent_keys.compartment(Compartment::Notes).is_none());
        assert!(agent_keys.compartment(Compartment::Special).is_none());
        // The agent's db key opens the database itself …
        let conn = rusqlite::Connection::open(VaultDir::new(tmp.path()).db_path()).expect("open");
        conn.pragma_update(
            None,
            "key",
            format!("x'{}'", agent_keys.db.to_hex().as_str()),
        )
        .expect("key");
        // (in the page format of new vaults)
        conn.execute_batch(
            "PRAGMA cipher_page_size = 16384; PRAGMA cipher_hmac_algorithm = HMAC_SHA256;",
        )
        .expect("format");
        let mut stmt = conn
            .prepare(
                "SELECT field, value FROM fields WHERE record = ?1 AND compartment IS NOT NULL",
            )
            .expect("prepare");
        let sealed: Vec<(String, Vec<u8>)> = stmt
            .query_map([id.to_string()], |r| Ok((r.get(0)?, r.get(1)?)))
            .expect("query")
            .collect::<rusqlite::Result<_>>()
            .expect("rows");
        assert_eq!(sealed.len(), 2);
        // … but no key the agent holds opens the note or the Art. 9 field.
        let rid = id.to_string();
        let agent_candidates = [
            &agent_keys.db,
            &agent_keys.subject_wrap,
            &agent_keys.keyring_mac,
        ];
        for (field, bytes) in &sealed {
            let ctx = Context {
                domain: "field",
                owner: &rid,
                slot: field,
                schema: 1,
            };
            for k in agent_candidates {
                assert!(
                    crypto::open(k, &ctx, bytes).is_none(),
                    "{field} opened with an agent key"
                );
            }
            let text = String::from_utf8_lossy(bytes);
            assert!(!text.contains("owes") && !text.contains("diabetic"));
        }
        // Through the API the agent sees both as locked, never as empty.
        drop(admin);
        let agent = Session::unlock(tmp.path(), "carl", b"agent passphrase", clock())
            .expect("agent session");
        let view = agent.contact(id).expect("view");
        for f in ["note", "special"] {
            assert!(
                matches!(
                    view.field(f).map(|f| &f.value),
                    Some(FieldValue::Locked { .. })
                ),
                "{f}"
            );
        }
        assert!(agent.history(id).expect("history").iter().all(|h| {
            !matches!(&h.value, FieldValue::Value { value } if value.to_string().contains("owes"))
        }));
    }

    #[test]
    fn removing_a_user_rotates_keys_and_keeps_the_data() {
        let tmp = tempfile::tempdir().expect("tmp");
        let (mut admin, rec) = new_vault(tmp.path());
        let id = admin
            .add_person(
                &PersonInput::default()
                    .with_name("Dora Daten")
                    .with("note", FieldInput::Text("call after 5".into())),
            )
            .expect("add");
        admin
            .add_user("eve", Role::Sales, b"sales passphrase")
            .expect("add eve");
        let vault = VaultDir::new(tmp.path());
        let old_ring = std::fs::read(vault.keyring_path()).expect("ring");
        admin.remove_user("eve").expect("remove");
        drop(admin);
        // Eve's copy of the old keyring still unwraps her old keys …
        let old = Keyring::parse(&old_ring, Path::new("old")).expect("parse");
        let eve_old = old
            .unlock("eve", b"sales passphrase", Path::new("old"))
            .expect("old keys");
        // … which no longer open the database.
        assert_eq!(
            Store::open(&vault.db_path(), &eve_old.db)
                .expect_err("old key")
                .code(),
            "database_damaged"
        );
        assert!(matches!(
            Session::unlock(tmp.path(), "eve", b"sales passphrase", clock()),
            Err(Error::NotFound { .. })
        ));
        // The admin, and the recovery key, still read everything.
        let admin = Session::unlock(tmp.path(), "ada", PW, clock()).expect("admin");
        let note = admin
            .contact(id)
            .expect("view")
            .field("note")
            .map(|f| f.value.clone());
        assert_eq!(
            note.and_then(|v| v.as_text()).as_deref(),
            Some("call after 5")
        );
        assert!(
            admin.doctor().expect("doctor").iter().all(|c| c.ok),
            "{:?}",
            admin.doctor()
        );
        drop(admin);
        let s = Session::recover(tmp.path(), &rec, "ada", b"brand new passphrase", clock())
            .expect("recover");
        assert!(s.contact(id).is_ok());
        drop(s);
        assert!(Session::unlock(tmp.path(), "ada", PW, clock()).is_err());
        assert!(Session::unlock(tmp.path(), "ada", b"brand new passphrase", clock()).is_ok());
    }

    #[test]
    fn lowering_a_role_rotates_the_compartments_it_loses() {
        let tmp = tempfile::tempdir().expect("tmp");
        let (mut admin, _) = new_vault(tmp.path());
        let id = admin
            .add_person(
                &PersonInput::default()
                    .with_name("Emil Ernst")
                    .with("note", FieldInput::Text("n".into())),
            )
            .expect("add");
        admin
            .add_user("fred", Role::Sales, b"sales passphrase")
            .expect("add");
        let old_fred = VaultDir::new(tmp.path())
            .keyring()
            .expect("ring")
            .unlock("fred", b"sales passphrase", Path::new("k"))
            .expect("fred");
        admin.set_role("fred", Role::Agent).expect("demote");
        let new_notes = admin.keys.compartment(Compartment::Notes).cloned();
        assert_ne!(old_fred.compartment(Compartment::Notes).cloned(), new_notes);
        assert!(matches!(
            admin
                .contact(id)
                .expect("view")
                .field("note")
                .map(|f| &f.value),
            Some(FieldValue::Value { .. })
        ));
        drop(admin);
        let fred = Session::unlock(tmp.path(), "fred", b"sales passphrase", clock()).expect("fred");
        assert_eq!(fred.role(), Role::Agent);
        assert!(!fred.holds(Compartment::Notes));
    }

    #[test]
    fn a_rotation_stopped_before_the_database_changed_is_rolled_back() {
        let tmp = tempfile::tempdir().expect("tmp");
        let (mut admin, _) = new_vault(tmp.path());
        admin
            .add_user("gil", Role::Sales, b"sales passphrase")
            .expect("add");
        // Stage a rotation the way remove_user does, then "crash".
        let mut ring = admin.vault.keyring().expect("ring");
        let _ = ring.remove_user("gil", &admin.keys).expect("rotate");
        admin.vault.stage_keyring(&ring).expect("stage");
        drop(admin);
        let s = Session::unlock(tmp.path(), "ada", PW, clock()).expect("unlock");
        assert!(!VaultDir::new(tmp.path()).next_path().exists());
        assert!(s.users().expect("users").iter().any(|u| u.name == "gil"));
    }

    #[test]
    fn a_rotation_stopped_before_the_rekey_is_finished_at_unlock() {
        let tmp = tempfile::tempdir().expect("tmp");
        let (mut admin, _) = new_vault(tmp.path());
        admin
            .add_user("hal", Role::Sales, b"sales passphrase")
            .expect("add");
        let mut ring = admin.vault.keyring().expect("ring");
        let (next, _) = ring.remove_user("hal", &admin.keys).expect("rotate");
        admin.vault.stage_keyring(&ring).expect("stage");
        admin
            .store
            .replace_sealed(&[], &[], ring.generation)
            .expect("reseal");
        drop(admin);
        let s = Session::unlock(tmp.path(), "ada", PW, clock()).expect("unlock");
        assert_eq!(s.keys.db, next.db);
        assert!(s.users().expect("users").iter().all(|u| u.name != "hal"));
        assert!(s.doctor().expect("doctor").iter().all(|c| c.ok));
    }

    #[test]
    fn editing_links_a_company_and_sets_the_role_there() {
        let tmp = tempfile::tempdir().expect("tmp");
        let (mut s, _) = new_vault(tmp.path());
        let id = s
            .add_person(&PersonInput::default().with_name("Ida Link"))
            .expect("add");
        assert!(
            s.edit(
                id,
                &[("company_role".into(), FieldInput::Text("CEO".into()))]
            )
            .is_err()
        );
        s.edit(
            id,
            &[
                ("company".into(), FieldInput::Text("Linkfirma GmbH".into())),
                ("company_role".into(), FieldInput::Text("Einkauf".into())),
            ],
        )
        .expect("link");
        s.edit(
            id,
            &[(
                "company_role".into(),
                FieldInput::Text("Geschäftsführung".into()),
            )],
        )
        .expect("role");
        let view = s.contact(id).expect("view");
        assert_eq!(view.companies.len(), 1);
        assert_eq!(view.companies[0].name, "Linkfirma GmbH");
        assert_eq!(view.companies[0].role.as_deref(), Some("Geschäftsführung"));
        assert_eq!(
            s.search("linkfirma", 5).expect("search").len(),
            2,
            "person and company"
        );
    }
}
