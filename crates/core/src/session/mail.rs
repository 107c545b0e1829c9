//! Outgoing mail for double opt-in: the mail-server settings (the password
//! sealed under the mail compartment's key, which only the roles that send
//! confirmation mails hold) and the confirmation mail in German or English.

use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{Message, SmtpTransport, Transport};
use uuid::Uuid;

use crate::crypto;
use crate::error::{Error, Result};
use crate::model::categories::{Compartment, Lang, RecordKind};
use crate::model::consent::{ConsentEntry, OptInRequest};
use crate::model::contacts::RecordId;
use crate::model::mail::SmtpSettings;
use crate::model::mail::TlsMode;
use crate::model::roles::Action;
use crate::ops::{Forget, OpValue};
use crate::render::mail::confirmation_mail;
use crate::session::{Session, field_ctx};

/// The field of the password's setting record that holds it sealed under
/// the mail compartment's key.
const SEALED_FIELD: &str = "sealed";

fn secret_owner() -> Uuid {
    Session::setting_id("smtp-password")
}

fn valid_address(s: &str) -> bool {
    s.parse::<lettre::Address>().is_ok()
}

impl Session {
    /// Stores the mail-server settings; a given password replaces the stored one.
    pub fn set_smtp(&mut self, settings: &SmtpSettings, password: Option<&[u8]>) -> Result<()> {
        self.require(Action::ManageSettings)?;
        let host = settings.host.trim();
        if host.is_empty() || host.len() > 253 || host.contains(char::is_whitespace) {
            return Err(Error::invalid(
                "host",
                "name the mail server, e.g. smtp.example.de",
            ));
        }
        if settings.port == 0 {
            return Err(Error::invalid("port", "use a port from 1 to 65535"));
        }
        if !valid_address(settings.from.trim()) {
            return Err(Error::invalid(
                "from",
                "use the business address, e.g. info@example.de",
            ));
        }
        let mut stored = settings.clone();
        stored.host = host.to_owned();
        stored.from = settings.from.trim().to_owned();
        stored.user = settings
            .user
            .as_deref()
            .map(str::trim)
            .filter(|u| !u.is_empty())
            .map(str::to_owned);
        let mut ops = Vec::new();
        let mut legacy_gone = false;
        if let Some(p) = password {
            match self.keys.compartment(Compartment::Mail).cloned() {
                // Sealed to the roles that send mail: an agent's laptop
                // receives it but holds no key to it.
                Some(key) => {
                    let id = secret_owner();
                    let rid = id.to_string();
                    let bytes = crypto::seal(&key, &field_ctx(&rid, SEALED_FIELD), p);
                    if !matches!(self.store.record(id), Ok(Some(_))) {
                        ops.push(self.create_op(id, RecordKind::Setting, None));
                    }
                    ops.push(self.op(
                        id,
                        RecordKind::Setting,
                        SEALED_FIELD,
                        OpValue::Sealed {
                            compartment: Compartment::Mail,
                            bytes,
                        },
                    ));
                    legacy_gone = self.legacy_password()?.is_some();
                }
                // A vault made before the mail compartment: as before.
                None => {
                    let sealed = self.seal_secret(secret_owner(), p)?;
                    use base64::Engine as _;
                    ops.extend(self.setting_ops(
                        "smtp-password",
                        &base64::engine::general_purpose::STANDARD.encode(sealed),
                    ));
                }
            }
        }
        stored.has_password = password.is_some() || self.smtp_password()?.is_some();
        ops.extend(self.setting_ops("smtp", &stored));
        self.store.apply(&ops, &[])?;
        if legacy_gone {
            // The password sealed the old way (every role held that key)
            // goes with every old value of it.
            self.forget(Forget::fields(secret_owner(), &["value"]))?;
        }
        self.persist_clock()
    }

    /// The mail-server settings, if configured.
    pub fn smtp_settings(&self) -> Result<Option<SmtpSettings>> {
        self.require(Action::ViewConsent)?;
        self.setting("smtp")
    }

    /// The SMTP password, where this laptop's keys open it.
    fn smtp_password(&self) -> Result<Option<zeroize::Zeroizing<Vec<u8>>>> {
        let id = secret_owner();
        let sealed = self
            .store
            .fields(id)?
            .into_iter()
            .find(|(f, _)| f == SEALED_FIELD);
        if let Some((_, OpValue::Sealed { compartment, bytes })) = sealed {
            let rid = id.to_string();
            return Ok(self.open_compartment(compartment, &field_ctx(&rid, SEALED_FIELD), &bytes));
        }
        self.legacy_password()
    }

    /// A password stored before the mail compartment existed.
    fn legacy_password(&self) -> Result<Option<zeroize::Zeroizing<Vec<u8>>>> {
        use base64::Engine as _;
        let Some(b64) = self.setting::<String>("smtp-password")? else {
            return Ok(None);
        };
        let Ok(sealed) = base64::engine::general_purpose::STANDARD.decode(b64) else {
            return Ok(None);
        };
        Ok(self
            .open_secret(secret_owner(), &sealed)?
            .map(zeroize::Zeroizing::new))
    }

    /// Sends a double opt-in mail for a purpose to the person's first email
    /// address and records the pending consent. Nothing is recorded when the
    /// mail cannot be sent.
    pub fn request_consent(
        &mut self,
        person: RecordId,
        purpose: &str,
        lang: Option<Lang>,
    ) -> Result<ConsentEntry> {
        self.require(Action::RequestConsent)?;
        let settings = self.smtp_settings()?.ok_or_else(|| {
            Error::invalid(
                "smtp",
                "no mail server is set up; an admin can set one with `tresor settings smtp`",
            )
        })?;
        let purpose = self.purpose(purpose)?;
        let (mut request, person_lang): (OptInRequest, Lang) =
            self.prepare_opt_in(person, &purpose.key)?;
        let lang = lang.unwrap_or(person_lang);
        let (subject, body) = confirmation_mail(
            lang,
            &request.display,
            &purpose,
            &settings.from,
            &request.token,
        );
        let mail_err = |e: &dyn std::fmt::Display| Error::Mail(e.to_string());
        let from: lettre::message::Mailbox = settings.from.parse().map_err(|e| mail_err(&e))?;
        let to: lettre::message::Mailbox = request.to.parse().map_err(|e| mail_err(&e))?;
        let message = Message::builder()
            .from(from.clone())
            .reply_to(from)
            .to(to)
            .subject(subject)
            .header(ContentType::TEXT_PLAIN)
            .body(body)
            .map_err(|e| mail_err(&e))?;
        let builder = match settings.tls {
            TlsMode::None => SmtpTransport::builder_dangerous(&settings.host),
            TlsMode::Starttls => {
                SmtpTransport::starttls_relay(&settings.host).map_err(|e| mail_err(&e))?
            }
            TlsMode::Tls => SmtpTransport::relay(&settings.host).map_err(|e| mail_err(&e))?,
        };
        let mut builder = builder
            .port(settings.port)
            .timeout(Some(Duration::from_secs(20)));
        if let Some(user) = &settings.user {
            let password = self.smtp_password()?.ok_or_else(|| {
                Error::invalid("smtp", "the mail server needs a password; none is stored")
            })?;
            builder = builder.credentials(Credentials::new(
                user.clone(),
                String::from_utf8_lossy(&password).into_owned(),
            ));
        }
        builder.build().send(&message).map_err(|e| mail_err(&e))?;
        self.record_opt_in(&mut request)?;
        Ok(request.entry)
    }
}
