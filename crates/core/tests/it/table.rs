//! The contact list's table view on a real SQLCipher vault: sorted by
//! each column in both directions with empty values last, search in the
//! same order, and the last contact kept current as interactions are
//! made here or arrive from another laptop.

use tresor_core::Session;
use tresor_core::model::contacts::{FieldInput, InteractionInput, PersonInput};
use tresor_core::model::directory::{ListOrder, ListSort};
use tresor_core::model::roles::Role;

use crate::clocked::{at, second_laptop, vault_at};

fn person(s: &mut Session, name: &str, more: &[(&str, FieldInput)]) -> uuid::Uuid {
    let mut input = PersonInput::default().with_name(name);
    for (field, value) in more {
        match (field, value) {
            (&"company", FieldInput::Text(c)) => input.company = Some(c.clone()),
            _ => input = input.with(field, value.clone()),
        }
    }
    s.add_person(&input).expect("person")
}

fn list(values: &[&str]) -> FieldInput {
    FieldInput::List(values.iter().map(|v| (*v).to_owned()).collect())
}

fn names(s: &Session, by: ListSort, descending: bool) -> Vec<String> {
    s.list_sorted(ListOrder { by, descending }, 0, 100)
        .expect("list")
        .into_iter()
        .map(|r| r.display)
        .collect()
}

#[test]
fn each_column_sorts_both_ways_with_the_empty_ones_last() {
    let (_tmp, _clock, mut s) = vault_at(at(2026, 6, 1));
    person(
        &mut s,
        "Anna Zander",
        &[
            ("addresses", list(&["Ring 1\n80331 München"])),
            ("tags", list(&["Messe"])),
            ("company", FieldInput::Text("Bäckerei Öztürk".into())),
            ("phones", list(&["+49 30 111"])),
            ("emails", list(&["anna@example.de"])),
        ],
    );
    person(
        &mut s,
        "Bert Ahrens",
        &[
            ("addresses", list(&["Weg 2, 10115 Berlin"])),
            ("tags", list(&["Ausstellung", "VIP"])),
            ("company", FieldInput::Text("Acme GmbH".into())),
            ("emails", list(&["bert@example.de"])),
        ],
    );
    person(
        &mut s,
        "Cora Müller",
        &[
            ("addresses", list(&["Platz 3\n20095 Hamburg"])),
            ("phones", list(&["+49 40 222"])),
        ],
    );
    person(
        &mut s,
        "Dirk Leer",
        &[("emails", list(&["dirk@example.de"]))],
    );

    assert_eq!(
        names(&s, ListSort::Name, false),
        ["Bert Ahrens", "Dirk Leer", "Cora Müller", "Anna Zander"]
    );
    assert_eq!(
        names(&s, ListSort::Name, true),
        ["Anna Zander", "Cora Müller", "Dirk Leer", "Bert Ahrens"]
    );
    // Umlauts sort with their base letter; people without one come last,
    // in both directions, by name.
    assert_eq!(
        names(&s, ListSort::Company, false),
        ["Bert Ahrens", "Anna Zander", "Dirk Leer", "Cora Müller"]
    );
    assert_eq!(
        names(&s, ListSort::Company, true),
        ["Anna Zander", "Bert Ahrens", "Dirk Leer", "Cora Müller"]
    );
    assert_eq!(
        names(&s, ListSort::City, false),
        ["Bert Ahrens", "Cora Müller", "Anna Zander", "Dirk Leer"]
    );
    assert_eq!(
        names(&s, ListSort::City, true),
        ["Anna Zander", "Cora Müller", "Bert Ahrens", "Dirk Leer"]
    );
    assert_eq!(
        names(&s, ListSort::Phone, true),
        ["Cora Müller", "Anna Zander", "Bert Ahrens", "Dirk Leer"]
    );
    assert_eq!(
        names(&s, ListSort::Tags, false),
        ["Bert Ahrens", "Anna Zander", "Dirk Leer", "Cora Müller"]
    );
    let rows = s
        .list_sorted(
            ListOrder {
                by: ListSort::City,
                descending: false,
            },
            0,
            1,
        )
        .expect("page");
    assert_eq!(rows[0].city.as_deref(), Some("Berlin"));
    assert_eq!(rows[0].tags, ["Ausstellung", "VIP"]);
    assert_eq!(rows[0].company.as_deref(), Some("Acme GmbH"));
    // Pages follow the order.
    let second = s
        .list_sorted(
            ListOrder {
                by: ListSort::City,
                descending: false,
            },
            1,
            2,
        )
        .expect("page");
    assert_eq!(
        second
            .iter()
            .map(|r| r.display.as_str())
            .collect::<Vec<_>>(),
        ["Cora Müller", "Anna Zander"]
    );

    // Pages of any size put together are the whole list, also where
    // those with a value end and the empty ones begin.
    for by in ListSort::ALL {
        for descending in [false, true] {
            let whole = names(&s, by, descending);
            for size in 1..=3 {
                let mut paged = Vec::new();
                loop {
                    let page = s
                        .list_sorted(ListOrder { by, descending }, paged.len(), size)
                        .expect("page");
                    if page.is_empty() {
                        break;
                    }
                    paged.extend(page.into_iter().map(|r| r.display));
                }
                assert_eq!(paged, whole, "{by:?} descending={descending} by {size}");
            }
        }
    }

    // A search lists its matches in the order the list would.
    let found: Vec<String> = s
        .search_sorted(
            "example",
            ListOrder {
                by: ListSort::City,
                descending: true,
            },
            10,
        )
        .expect("search")
        .into_iter()
        .map(|r| r.display)
        .collect();
    assert_eq!(found, ["Anna Zander", "Bert Ahrens", "Dirk Leer"]);
    // The city is a search term.
    let hamburg = s.search("hambu", 10).expect("search");
    assert_eq!(hamburg.len(), 1);
    assert_eq!(hamburg[0].display, "Cora Müller");
}

#[test]
fn the_last_contact_follows_interactions_made_here_and_elsewhere() {
    let (tmp, clock, mut a) = vault_at(at(2026, 6, 1));
    let early = person(
        &mut a,
        "Eva Früh",
        &[("last_contact", FieldInput::Text("2026-01-15".into()))],
    );
    let never = person(&mut a, "Nils Nie", &[]);
    let last = |s: &Session, id| {
        s.list(0, 100)
            .expect("list")
            .into_iter()
            .find(|r| r.id == id)
            .and_then(|r| r.last_contact)
    };
    assert_eq!(last(&a, early).as_deref(), Some("2026-01-15"));
    assert_eq!(last(&a, never), None);

    a.add_interaction(
        never,
        &InteractionInput {
            kind: "call".into(),
            summary: "Rückruf".into(),
            at: Some(at(2026, 5, 20)),
            ..Default::default()
        },
    )
    .expect("call");
    assert_eq!(last(&a, never).as_deref(), Some("2026-05-20"));
    // The contact's page shows the same day.
    assert_eq!(
        a.contact(never)
            .expect("contact")
            .field("last_contact")
            .and_then(|f| f.value.as_text())
            .as_deref(),
        Some("2026-05-20")
    );
    // The latest contact first, no contact last.
    assert_eq!(
        names(&a, ListSort::LastContact, true),
        ["Nils Nie", "Eva Früh"]
    );

    // An interaction recorded on another laptop moves it when it arrives.
    let mut b = second_laptop(tmp.path(), &mut a, clock, "eve", Role::Agent);
    b.add_interaction(
        early,
        &InteractionInput {
            kind: "email".into(),
            summary: "Angebot".into(),
            at: Some(at(2026, 5, 30)),
            ..Default::default()
        },
    )
    .expect("mail");
    b.sync().expect("sync b");
    a.sync().expect("sync a again");
    assert_eq!(last(&a, early).as_deref(), Some("2026-05-30"));
    assert_eq!(
        names(&a, ListSort::LastContact, false),
        ["Nils Nie", "Eva Früh"]
    );
}
