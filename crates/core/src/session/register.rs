//! The Art. 30 register on the session: versions stored as records, derived
//! anew when the configuration changes (`model::register` derives it).

use crate::error::{Error, Result};
use crate::model::categories::RecordKind;
use crate::model::register::Register;
use crate::model::register::RegisterVersionInfo;
use crate::model::roles::Action;
use crate::ops::OpValue;
use crate::session::Session;
use uuid::Uuid;

impl Session {
    fn stored_registers(&self) -> Result<Vec<Register>> {
        Ok(self
            .store
            .records_with_field(RecordKind::RegisterVersion, "register")?
            .into_iter()
            .filter_map(|(_, _, v)| match v {
                OpValue::Open(json) => serde_json::from_str::<Register>(&json).ok(),
                _ => None,
            })
            .enumerate()
            .map(|(i, mut r)| {
                r.version = u32::try_from(i + 1).unwrap_or(u32::MAX);
                r
            })
            .collect())
    }

    /// Stores a new register version when the derived content changed.
    pub(crate) fn snapshot_register(&mut self) -> Result<()> {
        let content = crate::model::register::derive(&self.purposes_unchecked()?);
        let versions = self.stored_registers()?;
        if versions.last().is_some_and(|r| r.content == content) {
            return Ok(());
        }
        let register = Register {
            version: 0,
            created: self.now(),
            created_by: self.user().to_owned(),
            content,
        };
        let id = Uuid::now_v7();
        let json = serde_json::to_string(&register).unwrap_or_default();
        let ops = vec![
            self.create_op(id, RecordKind::RegisterVersion, None),
            self.op(
                id,
                RecordKind::RegisterVersion,
                "register",
                OpValue::Open(json),
            ),
        ];
        self.store.apply(&ops, &[])?;
        self.persist_clock()
    }

    /// Every register version.
    pub fn register_versions(&self) -> Result<Vec<RegisterVersionInfo>> {
        self.require(Action::ViewConsent)?;
        Ok(self
            .stored_registers()?
            .into_iter()
            .map(|r| RegisterVersionInfo {
                version: r.version,
                created: r.created,
                created_by: r.created_by,
            })
            .collect())
    }

    /// A register version, the newest by default.
    pub fn register(&self, version: Option<u32>) -> Result<Register> {
        self.require(Action::ViewConsent)?;
        let versions = self.stored_registers()?;
        match version {
            None => versions.into_iter().last(),
            Some(n) => versions.into_iter().find(|r| r.version == n),
        }
        .ok_or_else(|| Error::NotFound {
            what: "register version",
            id: version.map_or_else(|| "latest".into(), |v| v.to_string()),
        })
    }
}
