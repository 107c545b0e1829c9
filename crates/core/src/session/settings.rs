//! Settings of the vault: one record per setting, a JSON document under a
//! deterministic id, so two laptops that set a default meet on one record.

use super::consent::{doc, open_json};
use crate::error::Result;
use crate::model::categories::RecordKind;
use crate::model::consent::NAMESPACE;
use crate::ops::Op;
use crate::session::Session;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

impl Session {
    pub(crate) fn setting_id(name: &str) -> Uuid {
        Uuid::new_v5(&NAMESPACE, format!("setting:{name}").as_bytes())
    }

    pub(crate) fn setting_ops<T: Serialize + ?Sized>(&mut self, name: &str, value: &T) -> Vec<Op> {
        let id = Self::setting_id(name);
        let mut ops = Vec::new();
        if !matches!(self.store.record(id), Ok(Some(_))) {
            ops.push(self.create_op(id, RecordKind::Setting, None));
        }
        ops.push(self.op(id, RecordKind::Setting, "value", open_json(value)));
        ops
    }

    pub(crate) fn setting<T: for<'de> Deserialize<'de>>(&self, name: &str) -> Result<Option<T>> {
        Ok(self
            .store
            .fields(Self::setting_id(name))?
            .into_iter()
            .find(|(f, _)| f == "value")
            .and_then(|(_, v)| doc(&v)))
    }
}
