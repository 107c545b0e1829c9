//! The due-date rule: when a retention period starts counting for a person,
//! decided from plain facts the store reads (interactions, consents, the
//! recorded last contact, a pending erasure), with no store and no clock.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use crate::model::consent::ConsentState;
use crate::model::retention::{PendingErasure, RetentionEvent, RetentionRule, RuleKey};

/// What dates a person's retention, as the store reads it from their
/// records: plain facts, no rule applied yet (see [`period_start`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonFacts {
    /// When the person's record was created.
    pub created: DateTime<Utc>,
    /// The last contact recorded on the person (`last_contact`), from the
    /// start of its day.
    pub recorded_contact: Option<DateTime<Utc>>,
    /// Their interactions.
    pub interactions: Vec<InteractionFacts>,
    /// Their consent entries, in the order they were recorded.
    pub consents: Vec<ConsentFacts>,
    /// Set when the person was erased except for records a law requires.
    pub pending: Option<PendingErasure>,
}

/// What dates an interaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InteractionFacts {
    /// When it happened, if that is known.
    pub at: Option<DateTime<Utc>>,
    /// Its keep class (`invoice`, `business_letter`), if any.
    pub keep: Option<String>,
}

impl InteractionFacts {
    /// The rule it falls under: its keep class's, else communication.
    pub fn rule(&self) -> RuleKey {
        RuleKey::for_keep_class(self.keep.as_deref())
    }
}

/// One consent entry, as far as retention needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentFacts {
    /// The purpose's key.
    pub purpose: String,
    /// The channel.
    pub channel: String,
    /// When it was given or withdrawn.
    pub at: DateTime<Utc>,
    /// The state it records; none for one this build does not know.
    pub state: Option<ConsentState>,
}

impl PersonFacts {
    /// The latest contact of any kind: the latest interaction or the
    /// recorded last contact, else the creation.
    pub fn last_contact(&self) -> DateTime<Utc> {
        self.interactions
            .iter()
            .filter_map(|i| i.at)
            .max()
            .max(self.recorded_contact)
            .unwrap_or(self.created)
    }

    /// The latest invoice or business letter.
    pub fn last_business(&self) -> Option<DateTime<Utc>> {
        self.interactions
            .iter()
            .filter(|i| i.rule() != RuleKey::Communication)
            .filter_map(|i| i.at)
            .max()
    }

    /// The last withdrawal of a consent, if the person is kept only because
    /// of consents (no contact, no business) and none is given or pending
    /// any more. Per purpose and channel, the latest entry by when it
    /// happened counts (of two at the same time, the one recorded later).
    pub fn consent_withdrawn(&self) -> Option<DateTime<Utc>> {
        if !self.interactions.is_empty() || self.recorded_contact.is_some() {
            return None;
        }
        let mut latest: BTreeMap<(&str, &str), &ConsentFacts> = BTreeMap::new();
        for c in &self.consents {
            let key = (c.purpose.as_str(), c.channel.as_str());
            if latest.get(&key).is_none_or(|l| c.at >= l.at) {
                latest.insert(key, c);
            }
        }
        let in_force = |c: &&ConsentFacts| {
            matches!(c.state, Some(ConsentState::Given | ConsentState::Pending))
        };
        if latest.values().any(in_force) {
            return None;
        }
        latest
            .values()
            .filter(|c| c.state == Some(ConsentState::Withdrawn))
            .map(|c| c.at)
            .max()
    }
}

/// When the period of `rule` starts for a person: the event it runs from,
/// as `facts` date it. None when the rule does not date this person: a
/// consent rule while they are not kept only for withdrawn consents, any
/// rule once they are kept after an erasure (then [`PendingErasure::due`]
/// dates them), and the rules that date each interaction (from when it
/// happened, under [`InteractionFacts::rule`]) or request instead.
pub fn period_start(rule: &RetentionRule, facts: &PersonFacts) -> Option<DateTime<Utc>> {
    if facts.pending.is_some() {
        return None;
    }
    match rule.key {
        RuleKey::People => Some(match rule.from {
            RetentionEvent::Creation => facts.created,
            RetentionEvent::ContractEnd => facts
                .last_business()
                .unwrap_or_else(|| facts.last_contact()),
            // A withdrawal is no event of this rule (`validate` refuses
            // it); a rule stored with it runs from the last contact.
            RetentionEvent::LastContact
            | RetentionEvent::RelationshipEnd
            | RetentionEvent::ConsentWithdrawal => facts.last_contact(),
        }),
        // The withdrawal is the only event a consent rule may run from.
        RuleKey::Consent => facts.consent_withdrawn(),
        RuleKey::Communication
        | RuleKey::BusinessLetters
        | RuleKey::Invoices
        | RuleKey::Requests => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveDate, TimeZone as _};
    use uuid::Uuid;

    use crate::model::retention::{KeptRecord, default_rules};

    fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, 12, 0, 0)
            .single()
            .expect("valid")
    }

    fn default_rule(key: RuleKey) -> RetentionRule {
        default_rules()
            .into_iter()
            .find(|r| r.key == key)
            .expect("a default")
    }

    fn people_from(from: RetentionEvent) -> RetentionRule {
        RetentionRule {
            from,
            ..default_rule(RuleKey::People)
        }
    }

    fn interaction(at: Option<DateTime<Utc>>, keep: Option<&str>) -> InteractionFacts {
        InteractionFacts {
            at,
            keep: keep.map(Into::into),
        }
    }

    fn consent(channel: &str, at: DateTime<Utc>, state: Option<ConsentState>) -> ConsentFacts {
        ConsentFacts {
            purpose: "newsletter".into(),
            channel: channel.into(),
            at,
            state,
        }
    }

    /// Created in 2020, a last contact recorded for March 2021, an invoice
    /// in July 2021 and a call in May 2022.
    fn customer() -> PersonFacts {
        PersonFacts {
            created: at(2020, 1, 1),
            recorded_contact: Some(at(2021, 3, 1)),
            interactions: vec![
                interaction(Some(at(2022, 5, 1)), None),
                interaction(Some(at(2021, 7, 1)), Some("invoice")),
            ],
            consents: Vec::new(),
            pending: None,
        }
    }

    /// Known only from consents: no contact, no interaction.
    fn subscriber(consents: Vec<ConsentFacts>) -> PersonFacts {
        PersonFacts {
            created: at(2020, 1, 1),
            recorded_contact: None,
            interactions: Vec::new(),
            consents,
            pending: None,
        }
    }

    #[test]
    fn the_people_rule_runs_from_the_event_it_names() {
        let facts = customer();
        let start = |from| period_start(&people_from(from), &facts);
        assert_eq!(start(RetentionEvent::Creation), Some(at(2020, 1, 1)));
        // The latest interaction of any kind, over the recorded contact.
        assert_eq!(start(RetentionEvent::LastContact), Some(at(2022, 5, 1)));
        assert_eq!(start(RetentionEvent::RelationshipEnd), Some(at(2022, 5, 1)));
        // The latest invoice or business letter, not the later call.
        assert_eq!(start(RetentionEvent::ContractEnd), Some(at(2021, 7, 1)));
        // Not an event of this rule; stored anyway, it runs from the last
        // contact.
        assert_eq!(
            start(RetentionEvent::ConsentWithdrawal),
            Some(at(2022, 5, 1))
        );
    }

    #[test]
    fn without_interactions_the_people_rule_falls_back_to_the_recorded_contact_then_the_creation() {
        let mut facts = customer();
        facts.interactions = vec![interaction(None, Some("business_letter"))];
        let start = |from, facts: &PersonFacts| period_start(&people_from(from), facts);
        // An interaction of unknown date dates nothing.
        assert_eq!(
            start(RetentionEvent::LastContact, &facts),
            Some(at(2021, 3, 1))
        );
        // No dated business: the end of contract is the last contact.
        assert_eq!(
            start(RetentionEvent::ContractEnd, &facts),
            Some(at(2021, 3, 1))
        );
        facts.recorded_contact = None;
        assert_eq!(
            start(RetentionEvent::LastContact, &facts),
            Some(at(2020, 1, 1))
        );
        assert_eq!(
            start(RetentionEvent::ContractEnd, &facts),
            Some(at(2020, 1, 1))
        );
        // A recorded contact later than every interaction counts.
        let mut facts = customer();
        facts.recorded_contact = Some(at(2023, 2, 1));
        assert_eq!(
            start(RetentionEvent::RelationshipEnd, &facts),
            Some(at(2023, 2, 1))
        );
    }

    #[test]
    fn the_consent_rule_runs_from_the_last_withdrawal() {
        let rule = default_rule(RuleKey::Consent);
        assert_eq!(rule.from, RetentionEvent::ConsentWithdrawal);
        let facts = subscriber(vec![
            consent("email", at(2021, 1, 1), Some(ConsentState::Given)),
            consent("email", at(2023, 4, 1), Some(ConsentState::Withdrawn)),
            consent("post", at(2022, 6, 1), Some(ConsentState::Withdrawn)),
        ]);
        assert_eq!(period_start(&rule, &facts), Some(at(2023, 4, 1)));
    }

    #[test]
    fn a_consent_given_or_pending_on_any_channel_keeps_the_consent_rule_from_starting() {
        let rule = default_rule(RuleKey::Consent);
        let withdrawn = consent("email", at(2023, 4, 1), Some(ConsentState::Withdrawn));
        for (state, starts) in [
            (Some(ConsentState::Given), false),
            (Some(ConsentState::Pending), false),
            // Neither in force nor a withdrawal: the withdrawal counts.
            (Some(ConsentState::Expired), true),
            (None, true),
            (Some(ConsentState::Withdrawn), true),
        ] {
            let facts = subscriber(vec![
                withdrawn.clone(),
                consent("post", at(2022, 6, 1), state),
            ]);
            assert_eq!(
                period_start(&rule, &facts),
                starts.then_some(at(2023, 4, 1)),
                "{state:?}"
            );
        }
        // Only states other than a withdrawal: nothing to run from.
        let facts = subscriber(vec![consent(
            "post",
            at(2022, 6, 1),
            Some(ConsentState::Expired),
        )]);
        assert_eq!(period_start(&rule, &facts), None);
    }

    #[test]
    fn the_latest_entry_of_a_channel_counts_by_when_it_happened() {
        let rule = default_rule(RuleKey::Consent);
        // Recorded after the withdrawal, but given before it.
        let facts = subscriber(vec![
            consent("email", at(2023, 4, 1), Some(ConsentState::Withdrawn)),
            consent("email", at(2021, 1, 1), Some(ConsentState::Given)),
        ]);
        assert_eq!(period_start(&rule, &facts), Some(at(2023, 4, 1)));
        // Given again after the withdrawal.
        let facts = subscriber(vec![
            consent("email", at(2023, 4, 1), Some(ConsentState::Withdrawn)),
            consent("email", at(2024, 1, 1), Some(ConsentState::Given)),
        ]);
        assert_eq!(period_start(&rule, &facts), None);
        // At the same time: the one recorded later.
        let facts = subscriber(vec![
            consent("email", at(2023, 4, 1), Some(ConsentState::Given)),
            consent("email", at(2023, 4, 1), Some(ConsentState::Withdrawn)),
        ]);
        assert_eq!(period_start(&rule, &facts), Some(at(2023, 4, 1)));
    }

    #[test]
    fn contact_or_business_keeps_the_consent_rule_from_starting() {
        let rule = default_rule(RuleKey::Consent);
        let withdrawn = vec![consent(
            "email",
            at(2023, 4, 1),
            Some(ConsentState::Withdrawn),
        )];
        let mut facts = subscriber(withdrawn.clone());
        facts.recorded_contact = Some(at(2021, 3, 1));
        assert_eq!(period_start(&rule, &facts), None);
        // Even an interaction of unknown date.
        let mut facts = subscriber(withdrawn);
        facts.interactions = vec![interaction(None, None)];
        assert_eq!(period_start(&rule, &facts), None);
    }

    #[test]
    fn a_person_kept_after_an_erasure_is_dated_by_the_kept_records_alone() {
        let kept = |until| KeptRecord {
            record: Uuid::from_u128(7),
            class: "invoice".into(),
            at: at(2021, 7, 1),
            law: "HGB §257".into(),
            until,
        };
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).expect("valid");
        let mut pending = PendingErasure {
            reference: "retention:people".into(),
            at: at(2024, 2, 1),
            kept: vec![kept(day(2029, 12, 31)), kept(day(2030, 1, 1))],
        };
        let mut facts = subscriber(vec![consent(
            "email",
            at(2023, 4, 1),
            Some(ConsentState::Withdrawn),
        )]);
        facts.pending = Some(pending.clone());
        for key in RuleKey::ALL {
            assert_eq!(period_start(&default_rule(key), &facts), None, "{key:?}");
        }
        assert_eq!(
            pending.due(),
            Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0)
                .single()
                .expect("valid")
        );
        pending.kept.clear();
        assert_eq!(pending.due(), at(2024, 2, 1));
    }

    #[test]
    fn interactions_and_requests_are_dated_on_their_own_not_with_the_person() {
        let facts = customer();
        for key in [
            RuleKey::Communication,
            RuleKey::BusinessLetters,
            RuleKey::Invoices,
            RuleKey::Requests,
        ] {
            assert_eq!(period_start(&default_rule(key), &facts), None, "{key:?}");
        }
        assert_eq!(interaction(None, None).rule(), RuleKey::Communication);
        assert_eq!(interaction(None, Some("invoice")).rule(), RuleKey::Invoices);
        assert_eq!(
            interaction(None, Some("business_letter")).rule(),
            RuleKey::BusinessLetters
        );
    }
}
