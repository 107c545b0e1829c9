//! Bulk actions on a selection of people: each person goes through the
//! same checks as the single action (role, restriction, the record being
//! a person), so a selection cannot do what one click may not. Those that
//! fail are reported and skipped; the others change in one transaction.

use super::Session;
use crate::error::{Error, Result};
use crate::model::bulk::{self, BulkAction, BulkReport};
use crate::model::categories::{self, RecordKind};
use crate::model::contacts::{FieldInput, FieldValue, RecordId};
use crate::model::requests::NewRequest;
use crate::model::roles::Action;
use crate::ops::Op;

impl Session {
    /// Does `action` to each of `people`, in one transaction for the
    /// changes; a person it may not change is skipped with the reason.
    pub fn bulk(&mut self, people: &[RecordId], action: &BulkAction) -> Result<BulkReport> {
        let people = bulk::selection(people)?;
        let mut report = BulkReport::default();
        match action {
            BulkAction::Tag { add, remove } => {
                self.require(Action::WriteContacts)?;
                let (add, remove) = bulk::tag_lists(add, remove)?;
                let mut ops: Vec<Op> = Vec::new();
                for id in people {
                    let step = self.person_exists(id).and_then(|()| {
                        let now = self.tags_of(id)?;
                        match bulk::retag(&now, &add, &remove) {
                            None => Ok(None),
                            Some(next) => {
                                let input = if next.is_empty() {
                                    FieldInput::Clear
                                } else {
                                    FieldInput::List(next)
                                };
                                self.edit_ops(id, &[("tags".to_owned(), input)]).map(Some)
                            }
                        }
                    });
                    match step {
                        Ok(Some(more)) => {
                            ops.extend(more);
                            report.done.push(id);
                        }
                        Ok(None) => report.unchanged.push(id),
                        // A tag no one may have (too long, a control
                        // character): said once, nothing changed.
                        Err(e @ Error::Invalid { .. }) => return Err(e),
                        Err(e) => report.skip(id, &e),
                    }
                }
                if !ops.is_empty() {
                    self.store.apply(&ops, &[])?;
                    self.persist_clock()?;
                }
            }
            BulkAction::FollowUp { followup } => {
                self.require(Action::AddInteraction)?;
                let mut ops: Vec<Op> = Vec::new();
                for id in people {
                    match self.followup_ops(id, followup) {
                        Ok(more) => {
                            ops.extend(more);
                            report.done.push(id);
                        }
                        // The same wrong date or unknown user for everyone:
                        // said once, nothing made.
                        Err(e @ Error::Invalid { .. }) => {
                            return Err(e);
                        }
                        Err(e) => report.skip(id, &e),
                    }
                }
                if !ops.is_empty() {
                    self.store.apply(&ops, &[])?;
                    self.persist_clock()?;
                }
            }
            BulkAction::Request {
                kind,
                received,
                identity_check,
            } => {
                self.require(Action::HandleRequests)?;
                // All the requests or none: one transaction.
                return self
                    .in_batch(|s| s.requests_for_each(&people, *kind, *received, identity_check));
            }
        }
        Ok(report)
    }

    fn requests_for_each(
        &mut self,
        people: &[RecordId],
        kind: crate::model::requests::RequestKind,
        received: chrono::NaiveDate,
        identity_check: &Option<String>,
    ) -> Result<BulkReport> {
        let mut report = BulkReport::default();
        for &id in people {
            let input = NewRequest {
                kind,
                person: Some(id),
                received,
                identity_check: identity_check.clone(),
            };
            match self.open_request(&input) {
                Ok(r) => {
                    report.done.push(id);
                    report.requests.push(r.reference);
                }
                Err(e @ Error::Invalid { .. }) => return Err(e),
                Err(e) => report.skip(id, &e),
            }
        }
        Ok(report)
    }

    /// A person's tags as stored; refused when the role may not read them.
    fn tags_of(&self, id: RecordId) -> Result<Vec<String>> {
        let def = categories::field(RecordKind::Person, "tags")
            .ok_or_else(|| Error::invalid("tags", "is not a field of a person"))?;
        let Some((_, stored)) = self
            .store
            .fields(id)?
            .into_iter()
            .find(|(name, _)| name == "tags")
        else {
            return Ok(Vec::new());
        };
        match self.decode_value(id, def.name, def.category, &stored) {
            FieldValue::Value { value } => Ok(value
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default()),
            FieldValue::Empty => Ok(Vec::new()),
            FieldValue::Locked { .. } => Err(Error::CompartmentLocked {
                field: def.name.into(),
                category: def.category.as_str().into(),
                role: self.role.as_str().into(),
            }),
        }
    }
}
