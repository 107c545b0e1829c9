//! End to end: the real app binary in a real WebKitGTK window under Xvfb,
//! driven over WebDriver through `tauri-driver` and `WebKitWebDriver`.
//!
//! Built only with the `custom-protocol` feature (without it the binary
//! would load the dev URL). Each test gets its own vault directory, its own
//! tauri-driver (stopped with SIGTERM, never SIGKILL) and a WebDriver
//! session closed by a guard, so a failing test leaves no app running.
//! Every test saves a screenshot under target/e2e-screenshots/.
#![cfg(feature = "custom-protocol")]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::{Value, json};
use tresor_core::clock::SystemClock;
use tresor_core::contacts::{FieldInput, PersonInput};
use tresor_core::crypto::KdfParams;
use tresor_core::roles::Role;

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";
const WAIT: Duration = Duration::from_secs(30);

/// An X server for the window: the one in DISPLAY, or a private Xvfb.
struct Display {
    name: String,
    xvfb: Option<Child>,
}

impl Display {
    fn start() -> Display {
        if let Ok(name) = std::env::var("DISPLAY")
            && !name.is_empty()
        {
            return Display { name, xvfb: None };
        }
        let n = 90 + (std::process::id() % 100);
        let name = format!(":{n}");
        let xvfb = Command::new("Xvfb")
            .args([
                name.as_str(),
                "-screen",
                "0",
                "1280x900x24",
                "-nolisten",
                "tcp",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("Xvfb (Debian package xvfb) must be installed");
        let socket = PathBuf::from(format!("/tmp/.X11-unix/X{n}"));
        let started = Instant::now();
        while !socket.exists() && started.elapsed() < Duration::from_secs(10) {
            std::thread::sleep(Duration::from_millis(50));
        }
        Display {
            name,
            xvfb: Some(xvfb),
        }
    }
}

impl Drop for Display {
    fn drop(&mut self) {
        if let Some(x) = &mut self.xvfb {
            terminate(x);
        }
    }
}

fn terminate(child: &mut Child) {
    // SIGTERM lets tauri-driver stop WebKitWebDriver and the app; SIGKILL would orphan them.
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(10) {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

fn tauri_driver() -> PathBuf {
    if let Ok(p) = std::env::var("TAURI_DRIVER") {
        return PathBuf::from(p);
    }
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .unwrap_or_default();
    let installed = home.join("bin/tauri-driver");
    if installed.exists() {
        installed
    } else {
        PathBuf::from("tauri-driver")
    }
}

/// The running app: tauri-driver, a WebDriver session, and the vault dirs.
struct App {
    driver: Child,
    base: String,
    session: String,
    http: ureq::Agent,
    name: &'static str,
    _display: Display,
}

impl App {
    fn launch(name: &'static str, vault: &Path) -> App {
        let display = Display::start();
        let port = free_port();
        let native = free_port();
        let driver = Command::new(tauri_driver())
            .args([
                "--port",
                &port.to_string(),
                "--native-port",
                &native.to_string(),
            ])
            .env("DISPLAY", &display.name)
            .env("TRESOR_VAULT", vault)
            .env("TRESOR_DEMO_VAULT", vault.with_extension("demo"))
            .env("LIBGL_ALWAYS_SOFTWARE", "1")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("tauri-driver (cargo install tauri-driver) must be installed");
        let http: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(60)))
            .build()
            .into();
        let base = format!("http://127.0.0.1:{port}");
        let mut app = App {
            driver,
            base,
            session: String::new(),
            http,
            name,
            _display: display,
        };
        let caps = json!({ "capabilities": { "alwaysMatch": {
            "tauri:options": { "application": env!("CARGO_BIN_EXE_tresor-app") }
        }}});
        let started = Instant::now();
        let created = loop {
            match app
                .http
                .post(format!("{}/session", app.base))
                .send_json(&caps)
            {
                Ok(mut r) => break r.body_mut().read_json::<Value>().expect("session json"),
                Err(_) if started.elapsed() < WAIT => {
                    std::thread::sleep(Duration::from_millis(100))
                }
                Err(e) => panic!("tauri-driver did not answer: {e}"),
            }
        };
        app.session = created["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no WebDriver session: {created}"))
            .to_owned();
        app
    }

    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}/session/{}{}", self.base, self.session, path);
        let resp = match (method, body) {
            ("GET", _) => self.http.get(&url).call(),
            ("DELETE", _) => self.http.delete(&url).call(),
            (_, b) => self
                .http
                .post(&url)
                .send_json(b.unwrap_or_else(|| json!({}))),
        };
        let mut resp = resp.unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        resp.body_mut().read_json::<Value>().unwrap_or(Value::Null)
    }

    fn try_find(&self, css: &str) -> Option<String> {
        let v = self.call(
            "POST",
            "/element",
            Some(json!({ "using": "css selector", "value": css })),
        );
        v["value"][ELEMENT].as_str().map(str::to_owned)
    }

    /// Waits until `css` matches an element, and returns it.
    fn find(&self, css: &str) -> String {
        let started = Instant::now();
        loop {
            if let Some(e) = self.try_find(css) {
                return e;
            }
            if started.elapsed() > WAIT {
                self.screenshot(&format!("{}-missing", self.name));
                panic!("{css} did not appear within {WAIT:?}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn count(&self, css: &str) -> usize {
        let v = self.call(
            "POST",
            "/elements",
            Some(json!({ "using": "css selector", "value": css })),
        );
        v["value"].as_array().map_or(0, Vec::len)
    }

    fn click(&self, css: &str) {
        let e = self.find(css);
        self.call("POST", &format!("/element/{e}/click"), None);
    }

    fn clear(&self, css: &str) {
        let e = self.find(css);
        self.call("POST", &format!("/element/{e}/clear"), None);
    }

    fn type_in(&self, css: &str, text: &str) {
        let e = self.find(css);
        self.call(
            "POST",
            &format!("/element/{e}/value"),
            Some(json!({ "text": text })),
        );
    }

    /// The element's text content. (WebKitWebDriver's "visible text" drops
    /// text under `unicode-bidi: plaintext`, which record text uses.)
    fn text(&self, css: &str) -> String {
        let e = self.find(css);
        let args = json!([{ ELEMENT: e }]);
        self.call(
            "POST",
            "/execute/sync",
            Some(json!({ "script": "return arguments[0].textContent", "args": args })),
        )["value"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    fn attr(&self, css: &str, name: &str) -> Option<String> {
        let e = self.find(css);
        self.call("GET", &format!("/element/{e}/attribute/{name}"), None)["value"]
            .as_str()
            .map(str::to_owned)
    }

    fn js(&self, script: &str) -> Value {
        self.call(
            "POST",
            "/execute/sync",
            Some(json!({ "script": script, "args": [] })),
        )["value"]
            .clone()
    }

    /// Waits until `check` holds, re-evaluating it.
    fn wait_until(&self, what: &str, check: impl Fn(&App) -> bool) {
        let started = Instant::now();
        while !check(self) {
            if started.elapsed() > WAIT {
                self.screenshot(&format!("{}-timeout", self.name));
                panic!("timed out waiting for {what}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Saves a PNG after two animation frames, so the picture shows what was rendered.
    fn screenshot(&self, file: &str) {
        self.call(
            "POST",
            "/execute/async",
            Some(json!({
                "script": "const done = arguments[arguments.length - 1]; let fired = false; requestAnimationFrame(() => requestAnimationFrame(() => { fired = true; done(true); })); setTimeout(() => { if (!fired) done(false); }, 2000);",
                "args": []
            })),
        );
        let shot = self.call("GET", "/screenshot", None);
        let Some(b64) = shot["value"].as_str() else {
            return;
        };
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/e2e-screenshots");
        let _ = std::fs::create_dir_all(&dir);
        if let Ok(png) = base64::engine::general_purpose::STANDARD.decode(b64) {
            let _ = std::fs::write(dir.join(format!("{file}.png")), png);
        }
    }
}

impl Drop for App {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let _ = self
                .http
                .delete(format!("{}/session/{}", self.base, self.session))
                .call();
        }
        terminate(&mut self.driver);
    }
}

fn vault_with(
    people: &[PersonInput],
    extra_user: Option<(&str, Role, &[u8])>,
) -> (tempfile::TempDir, PathBuf, Vec<String>) {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().join("vault");
    let (mut s, _) = tresor_core::vault::create(
        &dir,
        "ada",
        b"admin passphrase",
        KdfParams::FLOOR,
        Arc::new(SystemClock),
    )
    .expect("vault");
    let ids = people
        .iter()
        .map(|p| s.add_person(p).expect("person").to_string())
        .collect();
    if let Some((name, role, pw)) = extra_user {
        s.add_user(name, role, pw).expect("user");
    }
    (tmp, dir, ids)
}

fn unlock(app: &App, user: &str, passphrase: &str) {
    app.find("#unlock-passphrase");
    app.js(&format!(
        "const s = document.querySelector('#unlock-user'); s.value = {user:?}; s.dispatchEvent(new Event('change', {{bubbles: true}}));"
    ));
    app.type_in("#unlock-passphrase", passphrase);
    app.click("[data-testid=unlock-submit]");
    app.find("[data-testid=whoami]");
}

#[test]
fn create_add_find_edit_lock_refuse_unlock() {
    let tmp = tempfile::tempdir().expect("tmp");
    let vault = tmp.path().join("vault");
    let app = App::launch("create-add-find-edit-lock", &vault);

    app.click("[data-testid=start-create]");
    app.type_in("#create-admin", "ada");
    app.type_in("#create-passphrase", "Sommer-Regen-2026!");
    app.type_in("#create-passphrase2", "Sommer-Regen-2026!");
    app.click("[data-testid=create-submit]");
    let kit = app.text("[data-testid=recovery-kit]");
    assert!(
        kit.split_whitespace()
            .any(|w| w.len() == 69 && w.matches('-').count() == 13),
        "the recovery kit shows the grouped key: {kit}"
    );
    app.screenshot("01-recovery-kit");
    app.click("[data-testid=kit-done]");
    let who = app.text("[data-testid=whoami]");
    assert!(who.contains("ada"), "{who}");

    app.click("[data-testid=contact-new]");
    app.type_in("#f-given_name", "Anna");
    app.type_in("#f-family_name", "Beispielfrau");
    app.type_in("#f-emails", "anna@example.de");
    app.click("[data-testid=form-save]");
    app.find("[data-testid=contact-detail]");

    app.type_in("#search", "beispiel");
    app.wait_until("the search to find Anna", |a| {
        a.count("[data-testid=contact-row]") == 1
            && a.text("[data-testid=contact-row]")
                .contains("Anna Beispielfrau")
    });
    app.click("[data-testid=contact-row]");
    app.wait_until("the detail of Anna", |a| {
        a.text("[data-testid=field-family_name]")
            .contains("Beispielfrau")
    });

    app.click("[data-testid=contact-edit]");
    app.clear("#f-family_name");
    app.type_in("#f-family_name", "Beispiel-Neu");
    app.click("[data-testid=form-save]");
    app.wait_until("the edited name", |a| {
        a.text("[data-testid=field-family_name]")
            .contains("Beispiel-Neu")
    });
    app.screenshot("02-contact-edited");

    app.click("[data-testid=lock]");
    app.find("#unlock-passphrase");
    assert_eq!(
        app.count("[data-testid=contact-detail]"),
        0,
        "locking clears every view"
    );
    assert!(
        !app.js("return document.body.innerText")
            .as_str()
            .unwrap_or_default()
            .contains("Beispiel"),
        "no record text remains on screen after locking"
    );
    app.type_in("#unlock-passphrase", "not the passphrase");
    app.click("[data-testid=unlock-submit]");
    app.find("[data-testid=unlock-error]");
    app.screenshot("03-wrong-passphrase");
    app.clear("#unlock-passphrase");
    app.type_in("#unlock-passphrase", "Sommer-Regen-2026!");
    app.click("[data-testid=unlock-submit]");
    assert!(app.text("[data-testid=whoami]").contains("ada"));
    app.wait_until("the contact list", |a| {
        a.text("[data-testid=contact-count]").contains('1')
    });
}

#[test]
fn an_agent_sees_restricted_fields_as_locked() {
    let person = PersonInput::default()
        .with_name("Berta Beispiel")
        .with("emails", FieldInput::List(vec!["berta@example.de".into()]))
        .with("note", FieldInput::Text("owes us money".into()))
        .with("special", FieldInput::Text("diabetic".into()));
    let (_tmp, vault, ids) =
        vault_with(&[person], Some(("carl", Role::Agent, b"agent passphrase")));
    let app = App::launch("agent-locked", &vault);
    unlock(&app, "carl", "agent passphrase");
    app.type_in("#search", "berta");
    app.wait_until("Berta in the list", |a| {
        a.count("[data-testid=contact-row]") == 1
    });
    assert_eq!(
        app.attr("[data-testid=contact-row]", "data-id").as_deref(),
        Some(ids[0].as_str())
    );
    app.click("[data-testid=contact-row]");
    app.find("[data-testid=contact-detail]");
    for field in ["note", "special", "deal_value"] {
        let css = format!("[data-testid=field-{field}]");
        assert_eq!(
            app.attr(&css, "data-state").as_deref(),
            Some("locked"),
            "{field}"
        );
        assert!(
            app.text(&css).contains("agent"),
            "{field} says why it is locked"
        );
    }
    assert_eq!(
        app.attr("[data-testid=field-emails]", "data-state")
            .as_deref(),
        Some("value")
    );
    let page = app
        .js("return document.body.innerText")
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(!page.contains("owes us money") && !page.contains("diabetic"));
    assert_eq!(
        app.count("[data-testid=nav-users]"),
        0,
        "no user management for an agent"
    );
    app.screenshot("04-agent-locked-fields");
}

#[test]
fn hostile_text_is_shown_literally_and_runs_nothing() {
    let img = r#"<img src=x onerror="window.__pwned=1">"#;
    let script = "<script>window.__pwned=2</script>";
    let link = "javascript:window.__pwned=3";
    let rtl = "\u{202E}gnp.exe Müller";
    let long = "Ä".repeat(5_000);
    let person = PersonInput::default()
        .with("given_name", FieldInput::Text(img.into()))
        .with("family_name", FieldInput::Text(script.into()))
        .with("title", FieldInput::Text(link.into()))
        .with(
            "emails",
            FieldInput::List(vec![
                "<img/src=x/onerror=window.__pwned=4>@example.de".into(),
            ]),
        )
        .with("addresses", FieldInput::List(vec![format!("{img}\n{rtl}")]))
        .with("tags", FieldInput::List(vec![script.into(), link.into()]))
        .with("note", FieldInput::Text(format!("{long}{img}")))
        .with("special", FieldInput::Text(rtl.into()))
        .with("deal_stage", FieldInput::Text(link.into()));
    let (_tmp, vault, ids) = vault_with(&[person], None);
    let app = App::launch("hostile-text", &vault);
    unlock(&app, "ada", "admin passphrase");
    app.find(&format!("[data-testid=contact-row][data-id='{}']", ids[0]));
    app.click("[data-testid=contact-row]");
    app.find("[data-testid=contact-detail]");
    assert_eq!(app.text("[data-testid=field-given_name]").trim(), img);
    assert_eq!(app.text("[data-testid=field-family_name]").trim(), script);
    assert_eq!(app.text("[data-testid=field-title]").trim(), link);
    assert!(app.text("[data-testid=field-special]").contains("gnp.exe"));
    assert!(
        app.text("[data-testid=field-note]")
            .contains(r#"onerror="window.__pwned=1""#)
    );
    assert_eq!(
        app.js("return window.__pwned === undefined"),
        json!(true),
        "a payload ran"
    );
    assert_eq!(
        app.js("return document.querySelectorAll('img[src=x], script:not([src])').length"),
        json!(0)
    );
    assert_eq!(
        app.js("return document.querySelectorAll('a[href^=javascript]').length"),
        json!(0)
    );
    app.screenshot("05-hostile-text");
}
