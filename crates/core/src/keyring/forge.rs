//! Test support, an attack: a user forging their own role in the keyring
//! file on their laptop (see [`Keyring::forge_role`]).

use std::path::Path;

use super::entries::{Keyring, b64, keyset_ctx, owner};
use super::grants::admin_public_of;
use crate::crypto::{self, Key32};
use crate::error::{Error, Result};
use crate::model::roles::Role;

impl Keyring {
    /// Test support, an attack: what `name`, holding only their own keys,
    /// can do to their own entry in the keyring file on their laptop: give
    /// it `role`, seal their own keyset to themselves under that role, and
    /// compute the MAC (every user holds its key), and drop the grant, so the
    /// entry looks like one from before grants. With `own_admin_key` they
    /// instead replace the admins' key by one of their own and sign their
    /// grant and the whole file with it.
    #[doc(hidden)]
    pub fn forge_role(
        &mut self,
        name: &str,
        passphrase: &[u8],
        role: Role,
        own_admin_key: bool,
    ) -> Result<()> {
        let (keys, secret) = self.unlock_personal(name, passphrase, Path::new("keyring"))?;
        let idx = self
            .users
            .iter()
            .position(|u| u.name == name)
            .ok_or_else(|| Error::invalid("user", "not in the keyring"))?;
        let o = owner(&self.vault_id, name);
        self.users[idx].role = role;
        self.users[idx].keyset = b64(&crypto::seal_to(
            &crypto::public_of(&secret),
            &keyset_ctx(&o, role.as_str()),
            &keys.encode(),
        ));
        self.users[idx].grant.clear();
        if own_admin_key {
            let fake = Key32::random();
            self.admin_public = admin_public_of(&fake);
            self.admin_root.clone_from(&self.admin_public);
            self.admin_chain.clear();
            for i in 0..self.users.len() {
                self.users[i].grant = self.grant_for(&self.users[i], &fake);
            }
            self.sign(&fake);
        }
        self.mac = b64(&crypto::mac(&keys.keyring_mac, &self.mac_input()));
        Ok(())
    }
}
