//! Contacts: adding and editing people, companies and interactions, a
//! contact's view, the directory, search and the change history.

use std::collections::HashMap;

use uuid::Uuid;

use super::Session;
use crate::error::{Error, Result};
use crate::model::categories::{self, Category, RecordKind};
use crate::model::contacts::{
    CompanyLink, ContactView, FieldInput, FieldValue, FieldView, HistoryEntry, InteractionInput,
    InteractionView, PersonInput, RecordId, shown_last_contact,
};
use crate::model::directory::ListOrder;
use crate::model::roles::Action;
use crate::ops::{CREATE_FIELD, Op, OpValue};
use crate::store::DirectoryRow;

/// Every value typed for one field (the addresses checked against the
/// suppression list).
pub(super) fn values_of(changes: &[(String, FieldInput)], name: &str) -> Vec<String> {
    changes
        .iter()
        .filter(|(f, _)| f == name)
        .flat_map(|(_, v)| match v {
            FieldInput::List(items) => items.clone(),
            FieldInput::Text(t) => vec![t.clone()],
            FieldInput::Clear => Vec::new(),
        })
        .collect()
}

impl Session {
    /// Adds a person from UI changes; "company" and "company_role" link a company.
    pub fn add_person_from(
        &mut self,
        changes: &[crate::model::contacts::FieldChange],
    ) -> Result<RecordId> {
        let mut input = PersonInput::default();
        for c in changes {
            match c.field.as_str() {
                "company" => input.company = c.values.first().cloned(),
                "company_role" => input.company_role = c.values.first().cloned(),
                "name" => input = input.with_name(c.values.first().map_or("", String::as_str)),
                _ => input.fields.push(c.to_input(RecordKind::Person)),
            }
        }
        self.add_person(&input)
    }

    /// Edits a record from UI changes.
    pub fn edit_from(
        &mut self,
        id: RecordId,
        changes: &[crate::model::contacts::FieldChange],
    ) -> Result<()> {
        let kind = self
            .store
            .record(id)?
            .map_or(RecordKind::Person, |(k, _)| k);
        let inputs: Vec<_> = changes.iter().map(|c| c.to_input(kind)).collect();
        self.edit(id, &inputs)
    }

    pub(super) fn person_ops(
        &mut self,
        input: &PersonInput,
        companies: &mut HashMap<String, Uuid>,
    ) -> Result<(Uuid, Vec<Op>)> {
        let id = Uuid::now_v7();
        let has_name = input.fields.iter().any(|(f, v)| {
            (f == "given_name" || f == "family_name")
                && matches!(v, FieldInput::Text(t) if !t.trim().is_empty())
        });
        if !has_name {
            return Err(Error::invalid(
                "name",
                "a person needs a given or a family name",
            ));
        }
        let mut ops = vec![self.create_op(id, RecordKind::Person, Some(id))];
        ops.extend(self.field_ops(id, RecordKind::Person, &input.fields)?);
        if let Some(company) = input.company.as_deref() {
            ops.extend(self.link_ops(id, company, input.company_role.as_deref(), companies)?);
        }
        Ok((id, ops))
    }

    /// Ops linking a person to a company found by exact name or created.
    pub(super) fn link_ops(
        &mut self,
        person: Uuid,
        company: &str,
        role: Option<&str>,
        companies: &mut HashMap<String, Uuid>,
    ) -> Result<Vec<Op>> {
        let company = company.trim();
        if company.is_empty() {
            return Ok(Vec::new());
        }
        let mut ops = Vec::new();
        let company_id = match companies.get(company) {
            Some(c) => *c,
            None => match self.store.find_company(company)? {
                Some(c) => c,
                None => {
                    let c = Uuid::now_v7();
                    ops.push(self.create_op(c, RecordKind::Company, None));
                    ops.extend(self.field_ops(
                        c,
                        RecordKind::Company,
                        &[("name".into(), FieldInput::Text(company.into()))],
                    )?);
                    c
                }
            },
        };
        companies.insert(company.to_owned(), company_id);
        let link = Uuid::now_v7();
        ops.push(self.create_op(link, RecordKind::Affiliation, Some(person)));
        let mut link_fields = vec![
            ("person".to_owned(), FieldInput::Text(person.to_string())),
            (
                "company".to_owned(),
                FieldInput::Text(company_id.to_string()),
            ),
        ];
        if let Some(role) = role.filter(|r| !r.trim().is_empty()) {
            link_fields.push(("role".into(), FieldInput::Text(role.into())));
        }
        ops.extend(self.field_ops(link, RecordKind::Affiliation, &link_fields)?);
        Ok(ops)
    }

    /// Ops setting the role on a person's first company link.
    fn set_link_role(&mut self, person: Uuid, role: &str) -> Result<Vec<Op>> {
        let Some(link) = self
            .store
            .records_of_subject(person, RecordKind::Affiliation)?
            .into_iter()
            .next()
        else {
            return Err(Error::invalid("company_role", "link a company first"));
        };
        self.field_ops(
            link,
            RecordKind::Affiliation,
            &[("role".into(), FieldInput::Text(role.into()))],
        )
    }

    /// Adds a person (and the company link, creating the company if new).
    pub fn add_person(&mut self, input: &PersonInput) -> Result<RecordId> {
        self.add_person_allowing(input, None)
    }

    /// Adds a person; an email or phone on the suppression list is refused
    /// unless `allow_suppressed` gives a reason, which is recorded.
    pub fn add_person_allowing(
        &mut self,
        input: &PersonInput,
        allow_suppressed: Option<&str>,
    ) -> Result<RecordId> {
        self.require(Action::WriteContacts)?;
        self.check_suppressed(
            &values_of(&input.fields, "emails"),
            &values_of(&input.fields, "phones"),
            allow_suppressed,
        )?;
        let (id, ops) = self.person_ops(input, &mut HashMap::new())?;
        let key = self.subject_key(id);
        self.store.apply(&ops, &[(id, key)])?;
        self.persist_clock()?;
        Ok(id)
    }

    /// Adds many people in batches; `progress(done, total)` after each batch.
    /// Each batch is one transaction: a failure leaves earlier batches in place.
    pub fn add_people(
        &mut self,
        people: &[PersonInput],
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<Vec<RecordId>> {
        self.require(Action::WriteContacts)?;
        let mut ids = Vec::with_capacity(people.len());
        let mut companies = HashMap::new();
        for chunk in people.chunks(1000) {
            let mut ops = Vec::new();
            let mut keys = Vec::with_capacity(chunk.len());
            for p in chunk {
                let (id, person_ops) = self.person_ops(p, &mut companies)?;
                ops.extend(person_ops);
                keys.push((id, self.subject_key(id)));
                ids.push(id);
            }
            self.store.apply(&ops, &keys)?;
            progress(ids.len(), people.len());
        }
        self.persist_clock()?;
        Ok(ids)
    }

    /// Adds interactions in batches (for imports and demo data).
    pub fn add_interactions(&mut self, items: &[(RecordId, InteractionInput)]) -> Result<()> {
        self.require(Action::AddInteraction)?;
        for chunk in items.chunks(2000) {
            let mut ops = Vec::new();
            for (person, input) in chunk {
                ops.extend(self.interaction_ops(*person, input)?);
            }
            self.store.apply(&ops, &[])?;
        }
        self.persist_clock()
    }

    fn interaction_ops(&mut self, person: RecordId, input: &InteractionInput) -> Result<Vec<Op>> {
        let id = Uuid::now_v7();
        let at = input.at.unwrap_or_else(|| self.clock.now());
        let mut fields = vec![
            ("kind".to_owned(), FieldInput::Text(input.kind.clone())),
            ("at".to_owned(), FieldInput::Text(at.to_rfc3339())),
            ("by".to_owned(), FieldInput::Text(self.user.clone())),
            (
                "summary".to_owned(),
                FieldInput::Text(input.summary.clone()),
            ),
        ];
        if input.summary.trim().is_empty() {
            return Err(Error::invalid("summary", "an interaction needs a summary"));
        }
        if let Some(text) = &input.text {
            fields.push(("text".into(), FieldInput::Text(text.clone())));
        }
        if let Some(keep) = input.keep {
            fields.push(("keep".into(), FieldInput::Text(keep.as_str().into())));
        }
        let mut ops = vec![self.create_op(id, RecordKind::Interaction, Some(person))];
        ops.extend(self.field_ops(id, RecordKind::Interaction, &fields)?);
        Ok(ops)
    }

    /// Records an interaction with a person.
    pub fn add_interaction(
        &mut self,
        person: RecordId,
        input: &InteractionInput,
    ) -> Result<RecordId> {
        self.require(Action::AddInteraction)?;
        self.person_exists(person)?;
        self.refuse_if_restricted(person)?;
        let ops = self.interaction_ops(person, input)?;
        let id = ops[0].record;
        self.store.apply(&ops, &[])?;
        self.persist_clock()?;
        Ok(id)
    }

    /// Changes fields of a person or company. Field names are catalogue
    /// names; "name" splits into given and family name; "company" links.
    pub fn edit(&mut self, id: RecordId, changes: &[(String, FieldInput)]) -> Result<()> {
        let ops = self.edit_ops(id, changes)?;
        self.store.apply(&ops, &[])?;
        self.persist_clock()
    }

    /// The ops of an edit, every check made, nothing applied yet: a caller
    /// that records more with it (a rectification) applies both at once.
    pub(crate) fn edit_ops(
        &mut self,
        id: RecordId,
        changes: &[(String, FieldInput)],
    ) -> Result<Vec<Op>> {
        self.require(Action::WriteContacts)?;
        let (kind, owner) = self.store.record(id)?.ok_or_else(|| Error::NotFound {
            what: "contact",
            id: id.to_string(),
        })?;
        if let (RecordKind::Company, Some(owner)) = (kind, owner) {
            // A sole trader's company is about them.
            self.refuse_if_restricted(owner)?;
        }
        if !matches!(kind, RecordKind::Person | RecordKind::Company) {
            return Err(Error::NotFound {
                what: "contact",
                id: id.to_string(),
            });
        }
        if kind == RecordKind::Person {
            self.refuse_if_restricted(id)?;
            self.check_suppressed_for(
                id,
                &values_of(changes, "emails"),
                &values_of(changes, "phones"),
            )?;
        }
        let mut fields = Vec::new();
        let mut company = None;
        let mut company_role = None;
        for (name, input) in changes {
            match (kind, name.as_str(), input) {
                (RecordKind::Person, "name", FieldInput::Text(full)) => {
                    fields.extend(PersonInput::default().with_name(full).fields);
                }
                (RecordKind::Person, "company", FieldInput::Text(c)) => company = Some(c.clone()),
                (RecordKind::Person, "company_role", FieldInput::Text(r)) => {
                    company_role = Some(r.clone())
                }
                (RecordKind::Person, "company" | "company_role", _) => {}
                _ => fields.push((name.clone(), input.clone())),
            }
        }
        let mut ops = self.field_ops(id, kind, &fields)?;
        if let Some(company) = company {
            ops.extend(self.link_ops(
                id,
                &company,
                company_role.as_deref(),
                &mut HashMap::new(),
            )?);
        } else if let Some(role) = company_role {
            ops.extend(self.set_link_role(id, &role)?);
        }
        if ops.is_empty() {
            return Err(Error::invalid("edit", "nothing to change"));
        }
        Ok(ops)
    }

    /// A person or company with every field (locked where the role holds no key).
    pub fn contact(&self, id: RecordId) -> Result<ContactView> {
        self.require(Action::ReadContacts)?;
        let not_found = || Error::NotFound {
            what: "contact",
            id: id.to_string(),
        };
        let (kind, _) = self.store.record(id)?.ok_or_else(not_found)?;
        if !matches!(kind, RecordKind::Person | RecordKind::Company) {
            return Err(not_found());
        }
        let stored: HashMap<String, OpValue> = self.store.fields(id)?.into_iter().collect();
        let mut fields: Vec<FieldView> = categories::fields_of(kind)
            .map(|def| {
                let value = if !self.role.can_read(def.category) {
                    // Locked whether or not a value exists: not even that leaks.
                    FieldValue::Locked {
                        reason: self.locked_reason(def.category),
                    }
                } else {
                    stored.get(def.name).map_or(FieldValue::Empty, |v| {
                        self.decode_value(id, def.name, def.category, v)
                    })
                };
                FieldView {
                    name: def.name,
                    label_en: def.label_en,
                    label_de: def.label_de,
                    category: def.category,
                    value,
                }
            })
            .collect();
        let text = |name: &str| {
            fields
                .iter()
                .find(|f| f.name == name)
                .and_then(|f| f.value.as_text())
                .unwrap_or_default()
        };
        let display = match kind {
            RecordKind::Company => text("name"),
            _ => [text("title"), text("given_name"), text("family_name")]
                .into_iter()
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(" "),
        };
        let mut companies = Vec::new();
        let mut interactions = Vec::new();
        if kind == RecordKind::Person {
            for link in self.store.records_of_subject(id, RecordKind::Affiliation)? {
                let lf: HashMap<String, OpValue> = self.store.fields(link)?.into_iter().collect();
                let get = |n: &str| match lf.get(n) {
                    Some(OpValue::Open(j)) => serde_json::from_str::<String>(j).ok(),
                    _ => None,
                };
                let company = get("company").and_then(|c| Uuid::parse_str(&c).ok());
                let Some((company, owner)) = company.and_then(|c| match self.store.record(c) {
                    Ok(Some((RecordKind::Company, owner))) => Some((c, owner)),
                    _ => None,
                }) else {
                    // The company is gone (deleted on another laptop first).
                    continue;
                };
                {
                    let name = match self
                        .store
                        .fields(company)?
                        .into_iter()
                        .find(|(f, _)| f == "name")
                    {
                        Some((_, OpValue::Open(j))) => serde_json::from_str(&j).unwrap_or_default(),
                        _ => String::new(),
                    };
                    companies.push(CompanyLink {
                        company,
                        name,
                        role: get("role"),
                        sole_trader: owner == Some(id),
                    });
                }
            }
            for iid in self.store.records_of_subject(id, RecordKind::Interaction)? {
                interactions.push(self.interaction_view(iid)?);
            }
            interactions.sort_by(|a, b| b.at.cmp(&a.at));
            if let Some(f) = fields.iter_mut().find(|f| f.name == "last_contact") {
                f.value = shown_last_contact(&f.value, &interactions);
            }
        }
        Ok(ContactView {
            id,
            kind,
            display,
            fields,
            companies,
            interactions,
        })
    }

    pub(super) fn interaction_view(&self, id: RecordId) -> Result<InteractionView> {
        let f: HashMap<String, OpValue> = self.store.fields(id)?.into_iter().collect();
        let open = |n: &str| match f.get(n) {
            Some(OpValue::Open(j)) => serde_json::from_str::<String>(j).unwrap_or_default(),
            _ => String::new(),
        };
        let text = if self.role.can_read(Category::Notes) {
            f.get("text").map_or(FieldValue::Empty, |v| {
                self.decode_value(id, "text", Category::Notes, v)
            })
        } else {
            FieldValue::Locked {
                reason: self.locked_reason(Category::Notes),
            }
        };
        Ok(InteractionView {
            id,
            kind: open("kind"),
            at: open("at"),
            // Who signed its creation, not what the field says (none once
            // the field is erased).
            by: if matches!(f.get("by"), Some(OpValue::Open(_))) {
                self.store.creator(id)?.unwrap_or_else(|| open("by"))
            } else {
                String::new()
            },
            summary: open("summary"),
            text,
            keep: Some(open("keep")).filter(|k| !k.is_empty()),
        })
    }

    /// A page of people sorted by family name.
    pub fn list(&self, offset: usize, limit: usize) -> Result<Vec<DirectoryRow>> {
        self.list_sorted(ListOrder::default(), offset, limit)
    }

    /// A page of people in `order`: by a column of the table view (company,
    /// city, phone, last contact, tags) and then by name, empty values
    /// last in either direction.
    pub fn list_sorted(
        &self,
        order: ListOrder,
        offset: usize,
        limit: usize,
    ) -> Result<Vec<DirectoryRow>> {
        self.require(Action::ReadContacts)?;
        self.marking_restricted(self.store.list(RecordKind::Person, order, offset, limit)?)
    }

    /// Marks the restricted people among `rows`. Lists show them, marked,
    /// rather than leave them out: a restricted record is still stored and
    /// must be found to answer the person or lift the restriction (and to
    /// keep it from being entered again as someone new); what processes
    /// data (mailings, exports, edits) leaves them out or refuses.
    fn marking_restricted(&self, mut rows: Vec<DirectoryRow>) -> Result<Vec<DirectoryRow>> {
        if rows.is_empty() {
            return Ok(rows);
        }
        let restricted = self.restricted_people()?;
        for r in &mut rows {
            r.restricted = restricted.contains(&r.id);
        }
        Ok(rows)
    }

    /// A page of companies sorted by name.
    pub fn list_companies(&self, offset: usize, limit: usize) -> Result<Vec<DirectoryRow>> {
        self.require(Action::ReadContacts)?;
        self.store
            .list(RecordKind::Company, ListOrder::default(), offset, limit)
    }

    /// Number of companies.
    pub fn count_companies(&self) -> Result<u64> {
        self.require(Action::ReadContacts)?;
        self.store.count(RecordKind::Company)
    }

    /// Number of people.
    pub fn count(&self) -> Result<u64> {
        self.require(Action::ReadContacts)?;
        self.store.count(RecordKind::Person)
    }

    /// Type-ahead search over names, companies, emails, phones and tags.
    /// Only open categories are indexed, so results never reveal what a
    /// role may not read.
    pub fn search(&self, query: &str, limit: usize) -> Result<Vec<DirectoryRow>> {
        self.search_sorted(query, ListOrder::default(), limit)
    }

    /// [`Session::search`], its matches in `order` as
    /// [`Session::list_sorted`] sorts them.
    pub fn search_sorted(
        &self,
        query: &str,
        order: ListOrder,
        limit: usize,
    ) -> Result<Vec<DirectoryRow>> {
        self.require(Action::ReadContacts)?;
        self.marking_restricted(self.store.search(query, order, limit.clamp(1, 500))?)
    }

    /// Who changed what, when: the record, its company links and interactions.
    pub fn history(&self, id: RecordId) -> Result<Vec<HistoryEntry>> {
        self.require(Action::ViewHistory)?;
        let (kind, _) = self.store.record(id)?.ok_or_else(|| Error::NotFound {
            what: "contact",
            id: id.to_string(),
        })?;
        let mut records = vec![id];
        if kind == RecordKind::Person {
            records.extend(self.store.records_of_subject(id, RecordKind::Affiliation)?);
            records.extend(self.store.records_of_subject(id, RecordKind::Interaction)?);
        }
        records.extend(self.store.records_of_subject(id, RecordKind::FollowUp)?);
        let ops = self.store.history(&records)?;
        Ok(ops
            .into_iter()
            .map(|op| {
                let value = if op.field == CREATE_FIELD {
                    FieldValue::Empty
                } else {
                    let category = categories::field(op.kind, &op.field)
                        .map_or(Category::Notes, |d| d.category);
                    if self.role.can_read(category) {
                        self.decode_value(op.record, &op.field, category, &op.value)
                    } else {
                        FieldValue::Locked {
                            reason: self.locked_reason(category),
                        }
                    }
                };
                HistoryEntry {
                    at: op.hlc.to_datetime(),
                    author: op.author,
                    device: op.device,
                    record: op.record,
                    record_kind: op.kind,
                    field: op.field,
                    value,
                }
            })
            .collect())
    }
}
