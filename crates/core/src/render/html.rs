//! HTML pages from views, written by askama templates (`crates/core/templates/`)
//! that are compiled into the binary and escape every value they insert:
//! a purpose named `<script>` shows as text. Self-contained pages: no
//! scripts, no remote parts, a Content-Security-Policy that allows none.

use askama::Template;

use super::package::value_text;
use super::{
    register_category_header, register_category_rows, register_purpose_header,
    register_purpose_rows, register_title, version_line,
};
use crate::model::categories::{Category, Lang};
use crate::model::contacts::InteractionView;
use crate::model::package::PackageData;
use crate::model::register::Register;

/// One table under its heading.
struct Section {
    heading: &'static str,
    header: Vec<&'static str>,
    rows: Vec<Vec<String>>,
}

#[derive(Template)]
#[template(path = "register.html")]
struct RegisterPage<'a> {
    lang: &'static str,
    title: &'static str,
    version: String,
    sections: Vec<Section>,
    measures_heading: &'static str,
    measures: Vec<&'a str>,
}

/// The page's text. Templates drop their file's last line break; the page
/// ends with one.
fn page(template: &impl Template) -> String {
    let mut out = template
        .render()
        .expect("the templates only format strings and numbers");
    out.push('\n');
    out
}

/// The language as an HTML `lang` attribute.
pub(super) fn lang_tag(lang: Lang) -> &'static str {
    match lang {
        Lang::De => "de",
        Lang::En => "en",
    }
}

/// The register as a self-contained HTML page.
pub fn register_html(r: &Register, lang: Lang) -> String {
    page(&RegisterPage {
        lang: lang_tag(lang),
        title: register_title(lang),
        version: version_line(r, lang),
        sections: vec![
            Section {
                heading: lang.pick("Verarbeitungstätigkeiten", "Processing activities"),
                header: register_purpose_header(lang),
                rows: register_purpose_rows(r, lang),
            },
            Section {
                heading: lang.pick(
                    "Kategorien personenbezogener Daten",
                    "Categories of personal data",
                ),
                header: register_category_header(lang),
                rows: register_category_rows(r, lang),
            },
        ],
        measures_heading: lang.pick(
            "Technische und organisatorische Maßnahmen (Art. 32 DSGVO)",
            "Technical and organisational measures (Art. 32 GDPR)",
        ),
        measures: r.content.measures.iter().map(|m| m.get(lang)).collect(),
    })
}

/// A purpose the person's data is processed for, with its legal basis.
struct PurposeLine<'a> {
    name: &'a str,
    basis: String,
    description: &'a str,
}

/// A deletion rule as the report states it.
struct RuleLine<'a> {
    key: &'a str,
    period: String,
    from: &'a str,
    reason: &'a str,
    law: Option<&'a str>,
}

/// A mailing list or an export of contacts the person was in.
struct DisclosureLine {
    what: String,
    date: String,
}

/// One entry of the consent history.
struct ConsentLine<'a> {
    date: String,
    purpose: &'a str,
    channel: &'a str,
    state: &'a str,
    source: &'a str,
}

#[derive(Template)]
#[template(path = "report.html")]
struct ReportPage<'a> {
    lang: Lang,
    lang_tag: &'static str,
    display: &'a str,
    generated: String,
    purposes: Vec<PurposeLine<'a>>,
    categories: Vec<(&'static str, &'static str)>,
    rules: Vec<RuleLine<'a>>,
    withheld: Option<String>,
    recipients: Vec<(&'a str, &'a str)>,
    disclosures: Vec<DisclosureLine>,
    sources: Option<String>,
    fields: Vec<(&'a str, String)>,
    companies: Vec<(&'a str, Option<&'a str>)>,
    sole_trader: Vec<(&'a str, String)>,
    interactions: &'a [InteractionView],
    followups: &'a [crate::model::followups::FollowUp],
    history: Vec<ConsentLine<'a>>,
    changes: usize,
}

/// The categories the package holds data of, in their order.
fn categories_held(d: &PackageData) -> Vec<Category> {
    let mut cats: Vec<Category> = d.fields.iter().map(|f| f.category).collect();
    for (held, category) in [
        (
            !d.interactions.is_empty() || !d.followups.is_empty(),
            Category::Communication,
        ),
        (
            !d.companies.is_empty() || !d.sole_trader.is_empty(),
            Category::Business,
        ),
        (!d.legal_basis.history.is_empty(), Category::Consent),
        (!d.legal_basis.disclosures.is_empty(), Category::Disclosures),
        (!d.requests.is_empty(), Category::Requests),
    ] {
        if held {
            cats.push(category);
        }
    }
    cats.sort();
    cats.dedup();
    cats
}

/// The readable report of an access package (Art. 15(1)(a)–(h) and (2)).
pub(crate) fn report_html(d: &PackageData, lang: Lang) -> String {
    let lawful: Vec<_> = d.legal_basis.purposes.iter().filter(|p| p.lawful).collect();
    let mut sources: Vec<&str> = d
        .legal_basis
        .history
        .iter()
        .map(|e| e.source.as_str())
        .collect();
    sources.sort();
    sources.dedup();
    page(&ReportPage {
        lang,
        lang_tag: lang_tag(lang),
        display: &d.display,
        generated: d.generated.format("%Y-%m-%d %H:%M UTC").to_string(),
        purposes: lawful
            .iter()
            .map(|p| PurposeLine {
                name: p.purpose.name(lang),
                basis: p.purpose.basis.label(lang),
                description: p.purpose.description_in(lang),
            })
            .collect(),
        categories: categories_held(d)
            .into_iter()
            .map(|c| (c.label(lang), c.retention(lang)))
            .collect(),
        rules: d
            .retention_rules
            .iter()
            .map(|r| RuleLine {
                key: r.key.as_str(),
                period: r.period().words(lang),
                from: r.from.label(lang),
                reason: r.reason(lang),
                law: r.law.as_deref(),
            })
            .collect(),
        withheld: (!d.withheld_categories.is_empty()).then(|| {
            d.withheld_categories
                .iter()
                .map(|c| c.label(lang))
                .collect::<Vec<_>>()
                .join(", ")
        }),
        recipients: lawful
            .iter()
            .flat_map(|p| {
                p.purpose
                    .recipients
                    .iter()
                    .map(|r| (r.as_str(), p.purpose.name(lang)))
            })
            .collect(),
        disclosures: d
            .legal_basis
            .disclosures
            .iter()
            .map(|x| DisclosureLine {
                what: x.what(lang),
                date: x.at.format("%Y-%m-%d").to_string(),
            })
            .collect(),
        sources: (!sources.is_empty()).then(|| sources.join(", ")),
        fields: d
            .fields
            .iter()
            .map(|f| (f.label, value_text(&f.value)))
            .collect(),
        companies: d
            .companies
            .iter()
            .map(|c| (c.name.as_str(), c.role.as_deref()))
            .collect(),
        sole_trader: d
            .sole_trader
            .iter()
            .flat_map(|c| c.fields.iter().map(|f| (f.label, value_text(&f.value))))
            .collect(),
        interactions: &d.interactions,
        followups: &d.followups,
        history: d
            .legal_basis
            .history
            .iter()
            .map(|e| ConsentLine {
                date: e.at.format("%Y-%m-%d").to_string(),
                purpose: &e.purpose,
                channel: e.channel.label(lang),
                state: e.state.label(lang),
                source: &e.source,
            })
            .collect(),
        changes: d.change_history.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::register::{Bilingual, RegisterContent};

    #[test]
    fn a_register_page_escapes_what_it_inserts_and_breaks_lines_in_cells() {
        let register = Register {
            version: 3,
            created: chrono::DateTime::UNIX_EPOCH,
            created_by: "<img src=x onerror=alert(1)>".into(),
            content: RegisterContent {
                purposes: Vec::new(),
                categories: Vec::new(),
                measures: vec![Bilingual {
                    de: "Verschlüsselung & \"Schlüssel\" <script>".into(),
                    en: "Encryption".into(),
                }],
            },
        };
        let html = register_html(&register, Lang::De);
        assert!(html.starts_with("<!DOCTYPE html>\n<html lang=\"de\">\n"));
        assert!(html.ends_with("</ul>\n</body>\n</html>\n"));
        assert!(
            html.contains("<li>Verschlüsselung &#38; &#34;Schlüssel&#34; &#60;script&#62;</li>\n")
        );
        assert!(!html.contains("<script>"));
        assert!(!html.contains("<img"));
        assert_eq!(html.matches("<table>").count(), 2);
        assert!(register_html(&register, Lang::En).contains("<li>Encryption</li>"));
    }
}
