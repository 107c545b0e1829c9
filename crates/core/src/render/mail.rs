//! The double opt-in confirmation mail, in the person's language.

use crate::model::categories::Lang;
use crate::model::consent::Purpose;

/// Subject and body of the confirmation mail.
pub fn confirmation_mail(
    lang: Lang,
    display: &str,
    purpose: &Purpose,
    from: &str,
    token: &str,
) -> (String, String) {
    let name = purpose.name(lang);
    let link = format!("mailto:{from}?subject=CONFIRM%20{token}");
    match lang {
        Lang::De => (
            format!("Bitte bestätigen Sie: {name} [{token}]"),
            format!(
                "Guten Tag {display},\n\n\
                 wir möchten Sie zum Zweck „{name}“ per E-Mail kontaktieren:\n{}\n\n\
                 Bitte bestätigen Sie Ihre Einwilligung, indem Sie auf diese E-Mail antworten \
                 oder diesen Link öffnen:\n{link}\n\n\
                 Ihr Bestätigungscode: {token}\n\n\
                 Wenn Sie das nicht angefordert haben, ignorieren Sie diese E-Mail: ohne Ihre \
                 Bestätigung schreiben wir Ihnen nicht. Sie können eine Einwilligung jederzeit \
                 mit Wirkung für die Zukunft widerrufen.\n",
                purpose.description_in(Lang::De)
            ),
        ),
        Lang::En => (
            format!("Please confirm: {name} [{token}]"),
            format!(
                "Hello {display},\n\n\
                 we would like to contact you by email for the purpose \"{name}\":\n{}\n\n\
                 Please confirm your consent by replying to this email or by opening this \
                 link:\n{link}\n\n\
                 Your confirmation code: {token}\n\n\
                 If you did not ask for this, ignore this email: without your confirmation we \
                 will not write to you. You can withdraw a consent at any time with effect for \
                 the future.\n",
                purpose.description_in(Lang::En)
            ),
        ),
    }
}
