//! Consent stories through the `tresor` command: a real vault, a real SMTP
//! server on loopback (Debian's python3-aiosmtpd), and LibreOffice reading
//! the exported spreadsheets back.

use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tresor_core::clock::Clock as _;

use crate::support::Vault;

fn json(s: &str) -> serde_json::Value {
    serde_json::from_str(s).expect("json output")
}

fn person(v: &Vault, name: &str, email: &str) -> String {
    v.admin(&["contact", "add", "--name", name, "--email", email])
        .trim()
        .to_owned()
}

/// `consent give|withdraw ID --purpose e-marketing --channel email` and more.
fn e_marketing_email<'a>(verb: &'a str, id: &'a str, more: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "consent",
        verb,
        id,
        "--purpose",
        "e-marketing",
        "--channel",
        "email",
    ];
    args.extend_from_slice(more);
    args
}

#[test]
fn consent_given_then_withdrawn_shows_both_with_author_and_time() {
    let v = Vault::new();
    v.init();
    let id = person(&v, "Erika Mustermann", "erika@example.de");
    v.admin(&e_marketing_email(
        "give",
        &id,
        &[
            "--source",
            "web_form",
            "--evidence",
            "newsletter form, checkbox ticked",
        ],
    ));
    v.admin(&e_marketing_email(
        "withdraw",
        &id,
        &["--reason", "asked by phone"],
    ));
    let h = json(&v.admin(&["--json", "consent", "history", &id]));
    let entries = h.as_array().expect("array");
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0]["state"], "given");
    assert_eq!(entries[1]["state"], "withdrawn");
    for e in entries {
        assert_eq!(e["by"], "ada");
        assert!(e["at"].as_str().is_some_and(|t| t.starts_with("20")));
    }
    let text = v.admin(&["consent", "history", &id]);
    assert!(text.contains("newsletter form, checkbox ticked"));
    assert!(text.contains("reason: asked by phone"));
    let show = v.admin(&["consent", "show", &id]);
    assert!(
        show.contains("E-Marketing") && show.contains("NO BASIS"),
        "{show}"
    );

    // Bad input: a clear message, exit 1, nothing appended.
    let bad = v.run_as(
        "admin.pw",
        &[
            "consent",
            "give",
            &id,
            "--purpose",
            "e-marketing",
            "--channel",
            "fax",
            "--source",
            "web_form",
        ],
    );
    // A channel that does not exist is a usage error, named with the ones
    // that do, before the vault is opened.
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("[possible values: email, phone, post, sms]")
    );
    let unknown = v.run_as(
        "admin.pw",
        &[
            "consent",
            "give",
            &id,
            "--purpose",
            "astrology",
            "--channel",
            "email",
            "--source",
            "web_form",
        ],
    );
    assert_eq!(unknown.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("purpose 'astrology' not found"));
    let h = json(&v.admin(&["--json", "consent", "history", &id]));
    assert_eq!(h.as_array().map(Vec::len), Some(2));
}

#[test]
fn an_expired_consent_is_left_out_of_the_mailing_export_which_is_recorded() {
    let v = Vault::new();
    v.init();
    let old = person(&v, "Otto Alt", "otto@example.de");
    let fresh = person(&v, "Nina Neu", "nina@example.de");
    let gone = person(&v, "Willi Weg", "willi@example.de");
    let three_years_ago = (tresor_core::clock::SystemClock.now() - chrono::Duration::days(3 * 365))
        .format("%Y-%m-%d")
        .to_string();
    v.admin(&e_marketing_email(
        "give",
        &old,
        &["--source", "event", "--at", &three_years_ago],
    ));
    for p in [&fresh, &gone] {
        v.admin(&e_marketing_email("give", p, &["--source", "web_form"]));
    }
    v.admin(&e_marketing_email("withdraw", &gone, &[]));
    let out = v.file("list.csv");
    v.admin(&[
        "mailing",
        "export",
        "--purpose",
        "e-marketing",
        "--channel",
        "email",
        "--out",
        out.to_str().expect("path"),
    ]);
    let csv = std::fs::read_to_string(&out).expect("csv");
    assert!(csv.contains("nina@example.de"), "{csv}");
    assert!(!csv.contains("otto@example.de"), "expired consent exported");
    assert!(
        !csv.contains("willi@example.de"),
        "withdrawn consent exported"
    );
    assert_eq!(csv.lines().count(), 2, "header and one person");

    let show_old = json(&v.admin(&["--json", "consent", "show", &old]));
    assert_eq!(show_old["purposes"][1]["channels"][0]["state"], "expired");
    assert_eq!(show_old["disclosures"].as_array().map(Vec::len), Some(0));
    let show_fresh = json(&v.admin(&["--json", "consent", "show", &fresh]));
    let d = &show_fresh["disclosures"][0];
    assert_eq!(d["purpose"], "e-marketing");
    assert_eq!(d["count"], 1);
    assert_eq!(d["by"], "ada");
    assert_eq!(d["file"], "list.csv");

    let due = json(&v.admin(&["--json", "consent", "reconsent"]));
    let due: Vec<&str> = due
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|i| i["person"].as_str())
        .collect();
    assert_eq!(due, vec![old.as_str()]);
}

/// Debian's aiosmtpd, storing mails in a Maildir; stopped on drop.
struct SmtpServer {
    child: Child,
    port: u16,
}

impl SmtpServer {
    fn start(maildir: &Path) -> SmtpServer {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let child = Command::new("/usr/bin/python3")
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{port}"))
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(maildir)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("python3-aiosmtpd is installed (scripts/deps.sh installs it)");
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "the SMTP server did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        SmtpServer { child, port }
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn mails(maildir: &Path) -> Vec<String> {
    std::fs::read_dir(maildir.join("new"))
        .map(|d| {
            d.filter_map(Result::ok)
                .filter_map(|e| std::fs::read_to_string(e.path()).ok())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn the_smtp_sign_in_name_is_not_the_tresor_user() {
    let v = Vault::new();
    v.init();
    let pw = v.file("smtp.pw");
    std::fs::write(&pw, "mail secret\n").expect("pw");
    let said = v.admin(&[
        "--user",
        "ada",
        "settings",
        "smtp",
        "--host",
        "smtp.example.de",
        "--port",
        "587",
        "--tls",
        "starttls",
        "--from",
        "info@example.de",
        "--smtp-user",
        "info",
        "--password-file",
        pw.to_str().expect("path"),
    ]);
    assert!(said.contains("Mail server saved"), "{said}");
    let shown = json(&v.admin(&["--user", "ada", "--json", "settings", "smtp"]));
    assert_eq!(shown["user"], "info", "{shown}");
    assert_eq!(shown["host"], "smtp.example.de");
    assert_eq!(shown["has_password"], true);
}

#[test]
fn double_opt_in_through_a_real_smtp_server() {
    let v = Vault::new();
    v.init();
    let maildir = v.file("maildir");
    let server = SmtpServer::start(&maildir);
    let id = person(&v, "Jörg Schäfer", "joerg@example.de");
    v.admin(&["contact", "edit", &id, "--language", "de"]);

    // Without a mail server: a clear message, nothing recorded.
    let none = v.run_as(
        "admin.pw",
        &["consent", "request", &id, "--purpose", "e-marketing"],
    );
    assert_eq!(none.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&none.stderr).contains("no mail server is set up"));

    v.admin(&[
        "settings",
        "smtp",
        "--host",
        "127.0.0.1",
        "--port",
        &server.port.to_string(),
        "--tls",
        "none",
        "--from",
        "info@example.de",
    ]);
    v.admin(&["consent", "request", &id, "--purpose", "e-marketing"]);
    let pending = json(&v.admin(&["--json", "consent", "show", &id]));
    assert_eq!(pending["purposes"][1]["channels"][0]["state"], "pending");

    let deadline = Instant::now() + Duration::from_secs(10);
    let mail = loop {
        if let Some(m) = mails(&maildir).pop() {
            break m;
        }
        assert!(Instant::now() < deadline, "no mail arrived");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(mail.contains("To: joerg@example.de"), "{mail}");
    assert!(mail.contains("From: info@example.de"));
    assert!(
        mail.contains("Subject: =?utf-8?") || mail.contains("Subject: Bitte"),
        "{mail}"
    );
    assert!(
        mail.contains("Guten Tag J"),
        "German for a German speaker: {mail}"
    );
    let token = mail
        .split("TRS-")
        .nth(1)
        .map(|rest| format!("TRS-{}", &rest[..24]))
        .expect("a code in the mail");

    // A wrong code is refused and changes nothing.
    let wrong = v.run_as(
        "admin.pw",
        &["consent", "confirm", "TRS-AAAA-AAAA-AAAA-AAAA-AAAA"],
    );
    assert_eq!(wrong.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("unknown or was mistyped"));

    // The reply is pasted whole on stdin.
    let reply = format!("Subject: Re: Bitte bestätigen Sie: E-Marketing [{token}]\n\nJa, gerne.\n");
    let confirmed = v.run_with_stdin("admin.pw", &["consent", "confirm", "-"], &reply);
    assert!(
        confirmed.status.success(),
        "{}",
        String::from_utf8_lossy(&confirmed.stderr)
    );
    let view = json(&v.admin(&["--json", "consent", "show", &id]));
    let ch = &view["purposes"][1]["channels"][0];
    assert_eq!(ch["state"], "given");
    assert_eq!(ch["entry"]["source"], "double_opt_in");
    assert!(
        ch["entry"]["evidence"]
            .as_str()
            .is_some_and(|e| e.contains("Ja, gerne."))
    );
    assert_eq!(
        view["history"].as_array().map(Vec::len),
        Some(2),
        "pending, then given"
    );

    // The same code twice: refused.
    let again = v.run_as("admin.pw", &["consent", "confirm", &token]);
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stderr).contains("already confirmed"));
}

fn libreoffice_csv(xlsx: &Path, workdir: &Path) -> String {
    let profile = workdir.join("lo-profile");
    let out = Command::new("soffice")
        .arg(format!(
            "-env:UserInstallation=file://{}",
            profile.display()
        ))
        // Comma, double quote, UTF-8 (76).
        .args([
            "--headless",
            "--convert-to",
            "csv:Text - txt - csv (StarCalc):44,34,76",
            "--outdir",
        ])
        .arg(workdir)
        .arg(xlsx)
        .output()
        .expect("LibreOffice is installed (scripts/deps.sh installs libreoffice-calc-nogui)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let csv = workdir.join(xlsx.with_extension("csv").file_name().expect("name"));
    std::fs::read_to_string(csv).expect("converted csv")
}

#[test]
fn register_and_legal_basis_spreadsheets_open_in_libreoffice() {
    let v = Vault::new();
    v.init();
    let id = person(&v, "Erika Mustermann", "erika@example.de");
    v.admin(&e_marketing_email(
        "give",
        &id,
        &["--source", "business_card"],
    ));
    v.admin(&["purpose", "edit", "e-marketing", "--validity-months", "12"]);
    let versions = json(&v.admin(&["--json", "register", "versions"]));
    assert_eq!(versions.as_array().map(Vec::len), Some(2));

    let work = v.file("lo");
    std::fs::create_dir_all(&work).expect("dir");
    let reg = work.join("register.xlsx");
    v.admin(&[
        "register",
        "export",
        "--format",
        "xlsx",
        "--lang",
        "de",
        "--out",
        reg.to_str().expect("path"),
    ]);
    let csv = libreoffice_csv(&reg, &work);
    assert!(csv.contains("Verkauf und Service"), "{csv}");
    assert!(csv.contains("E-Marketing"));
    assert!(csv.contains("Art. 6 Abs. 1 lit. a DSGVO (Einwilligung)"));
    assert!(
        csv.contains(",12,") || csv.contains(";12;"),
        "the edited validity: {csv}"
    );

    let old = work.join("register-v1.xlsx");
    v.admin(&[
        "register",
        "export",
        "--format",
        "xlsx",
        "--version",
        "1",
        "--out",
        old.to_str().expect("path"),
    ]);
    let csv1 = libreoffice_csv(&old, &work);
    assert!(
        csv1.contains(",24,") || csv1.contains(";24;"),
        "version 1 kept: {csv1}"
    );

    let lb = work.join("legal-basis.xlsx");
    v.admin(&[
        "legal-basis",
        "export",
        &id,
        "--lang",
        "en",
        "--out",
        lb.to_str().expect("path"),
    ]);
    let csv = libreoffice_csv(&lb, &work);
    assert!(csv.contains("E-Marketing"), "{csv}");
    assert!(csv.contains("business_card"));
    assert!(csv.contains("Art. 6(1)(a) GDPR (consent)"));

    let html = work.join("register.html");
    v.admin(&[
        "register",
        "export",
        "--format",
        "html",
        "--lang",
        "en",
        "--out",
        html.to_str().expect("path"),
    ]);
    let page = std::fs::read_to_string(html).expect("html");
    assert!(page.contains("Record of processing activities (Art. 30 GDPR)"));
    assert!(!page.contains("<script"));
}
