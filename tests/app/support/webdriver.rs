//! A small WebDriver client for the real app window: Xvfb, tauri-driver
//! (stopped with SIGTERM, never SIGKILL), a session closed by a guard, and
//! the few W3C WebDriver calls the tests need.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::{Value, json};

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";
pub const WAIT: Duration = Duration::from_secs(30);

/// An X server for the window: the one in DISPLAY, or a private Xvfb.
pub struct Display {
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
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let k = NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let n = 100 + (std::process::id() % 500) * 16 + k % 16;
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
static ONE_APP: std::sync::Mutex<()> = std::sync::Mutex::new(());

pub struct App {
    pub driver: Child,
    base: String,
    session: String,
    http: ureq::Agent,
    name: &'static str,
    display: Display,
    // Dropped last: the next test's app starts only after this one is gone.
    _one_at_a_time: std::sync::MutexGuard<'static, ()>,
}

impl App {
    /// Starts the app binary with its vault in `vault`, its window in German.
    pub fn launch(name: &'static str, vault: &Path) -> App {
        Self::launch_in(name, vault, &[], "de")
    }

    /// Starts the app with extra environment variables, in German.
    pub fn launch_with_env(name: &'static str, vault: &Path, env: &[(&str, &str)]) -> App {
        Self::launch_in(name, vault, env, "de")
    }

    /// Starts the app with its window in `lang` ("de" or "en"), whatever
    /// the machine's locale: the UI otherwise follows the system language,
    /// and a test must not pass on one machine and fail on another.
    pub fn launch_in(name: &'static str, vault: &Path, env: &[(&str, &str)], lang: &str) -> App {
        let app = Self::launch_inner(
            name,
            vault,
            Path::new(env!("CARGO_BIN_EXE_tresor-app")),
            env,
        );
        app.set_language(lang);
        app
    }

    /// Starts any Tauri binary (the app, or the bare baseline window).
    /// One app at a time per test binary: the harness may run tests in
    /// parallel, two windows on two cores would make timings and focus flaky.
    pub fn launch_binary(name: &'static str, vault: &Path, binary: &Path) -> App {
        Self::launch_inner(name, vault, binary, &[])
    }

    /// Stores the language in the UI's own settings (as the settings view
    /// does) and reloads the page, then waits until the page shows it.
    fn set_language(&self, lang: &str) {
        self.wait_until("the first page", |a| {
            a.js("return document.readyState").as_str() == Some("complete")
        });
        let script = format!(
            "localStorage.setItem('tresor.settings', JSON.stringify({{ lang: '{lang}', autolockMinutes: 5 }})); window.__tresorBeforeReload = true; location.reload(); return true;"
        );
        self.js(&script);
        self.wait_until("the page in the chosen language", |a| {
            a.js("return !window.__tresorBeforeReload && document.readyState === 'complete' && document.documentElement.lang")
                .as_str()
                == Some(lang)
                && a.js("return document.body.children.length").as_u64() > Some(0)
        });
    }

    fn launch_inner(name: &'static str, vault: &Path, binary: &Path, env: &[(&str, &str)]) -> App {
        let one_at_a_time = ONE_APP
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
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
            // GTK's file chooser keeps its settings in memory, not in the
            // tester's dconf.
            .env("GSETTINGS_BACKEND", "memory")
            .envs(env.iter().copied())
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
            _one_at_a_time: one_at_a_time,
            driver,
            base,
            session: String::new(),
            http,
            name,
            display,
        };
        let caps = json!({ "capabilities": { "alwaysMatch": {
            "tauri:options": { "application": binary }
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

    pub fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
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

    pub fn try_find(&self, css: &str) -> Option<String> {
        let v = self.call(
            "POST",
            "/element",
            Some(json!({ "using": "css selector", "value": css })),
        );
        v["value"][ELEMENT].as_str().map(str::to_owned)
    }

    /// Waits until `css` matches an element, and returns it.
    pub fn find(&self, css: &str) -> String {
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

    pub fn count(&self, css: &str) -> usize {
        let v = self.call(
            "POST",
            "/elements",
            Some(json!({ "using": "css selector", "value": css })),
        );
        v["value"].as_array().map_or(0, Vec::len)
    }

    /// Clicks an element as a person would: scrolled to the middle of its
    /// scrolling box first, so a button at the bottom edge of a panel is
    /// not clicked through the status bar below it.
    pub fn click(&self, css: &str) {
        let e = self.find(css);
        self.call(
            "POST",
            "/execute/sync",
            Some(json!({
                "script": "arguments[0].scrollIntoView({block: 'center', inline: 'nearest'});",
                "args": [{ (ELEMENT): e }],
            })),
        );
        self.call("POST", &format!("/element/{e}/click"), None);
    }

    pub fn clear(&self, css: &str) {
        let e = self.find(css);
        self.call("POST", &format!("/element/{e}/clear"), None);
    }

    pub fn type_in(&self, css: &str, text: &str) {
        let e = self.find(css);
        self.call(
            "POST",
            &format!("/element/{e}/value"),
            Some(json!({ "text": text })),
        );
    }

    /// The element's text content. (WebKitWebDriver's "visible text" drops
    /// text under `unicode-bidi: plaintext`, which record text uses.)
    pub fn text(&self, css: &str) -> String {
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

    pub fn attr(&self, css: &str, name: &str) -> Option<String> {
        let e = self.find(css);
        self.call("GET", &format!("/element/{e}/attribute/{name}"), None)["value"]
            .as_str()
            .map(str::to_owned)
    }

    /// Signs in on the unlock screen and waits for the main screen.
    pub fn unlock(&self, user: &str, passphrase: &str) {
        self.find("#unlock-passphrase");
        self.js(&format!(
            "const s = document.querySelector('#unlock-user'); s.value = {user:?}; s.dispatchEvent(new Event('change', {{bubbles: true}}));"
        ));
        self.type_in("#unlock-passphrase", passphrase);
        self.click("[data-testid=unlock-submit]");
        self.find("[data-testid=whoami]");
    }

    /// Process ids of the app and everything it started (the WebKit web and
    /// network processes), found below tauri-driver's WebKitWebDriver.
    pub fn app_pids(&self) -> Vec<u32> {
        let mut parent_of = Vec::new();
        for entry in std::fs::read_dir("/proc")
            .into_iter()
            .flatten()
            .filter_map(Result::ok)
        {
            let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
                continue;
            };
            let stat = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
            // pid (comm) state ppid …: the comm may contain spaces, so split after ')'.
            let ppid = stat
                .rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().nth(1)?.parse::<u32>().ok());
            if let Some(ppid) = ppid {
                parent_of.push((pid, ppid));
            }
        }
        let mut found = vec![self.driver.id()];
        let mut i = 0;
        while i < found.len() {
            let p = found[i];
            found.extend(parent_of.iter().filter(|(_, pp)| *pp == p).map(|(c, _)| *c));
            i += 1;
        }
        let comm =
            |pid: u32| std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
        found
            .into_iter()
            .filter(|p| {
                let c = comm(*p);
                !c.starts_with("tauri-driver") && !c.starts_with("WebKitWebDriver")
            })
            .collect()
    }

    /// Proportional set size of the app and its WebKit processes, in KiB.
    pub fn pss_kib(&self) -> u64 {
        self.app_pids()
            .iter()
            .filter_map(|p| std::fs::read_to_string(format!("/proc/{p}/smaps_rollup")).ok())
            .filter_map(|s| {
                s.lines()
                    .find(|l| l.starts_with("Pss:"))
                    .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
            })
            .sum()
    }

    /// Runs an async script (its last argument is the callback) and returns its result.
    pub fn js_async(&self, script: &str) -> Value {
        self.call(
            "POST",
            "/execute/async",
            Some(json!({ "script": script, "args": [] })),
        )["value"]
            .clone()
    }

    pub fn js(&self, script: &str) -> Value {
        self.call(
            "POST",
            "/execute/sync",
            Some(json!({ "script": script, "args": [] })),
        )["value"]
            .clone()
    }

    /// Answers the app's native (GTK) save dialog titled `title` the way a
    /// person would: waits for it, then types `path` into its name field and
    /// presses Enter, or presses Escape for `None`. Driven with xdotool
    /// (Debian package xdotool) on the app's X display, since WebDriver
    /// reaches only the web view.
    pub fn answer_save_dialog(&self, title: &str, path: Option<&Path>) {
        // Then select the suggested name and type over it.
        self.focus_dialog(title);
        let Some(path) = path else {
            self.xdotool(&["key", "Escape"]);
            return;
        };
        self.xdotool(&["key", "--clearmodifiers", "ctrl+a"]);
        self.xdotool(&["type", "--delay", "5", &path.display().to_string()]);
        self.xdotool(&["key", "Return"]);
    }

    /// Answers the app's native (GTK) open dialog titled `title` as a
    /// person who knows the file's path would: opens the dialog's location
    /// field (Ctrl+L), types the path and presses Enter.
    pub fn answer_open_dialog(&self, title: &str, path: &Path) {
        self.focus_dialog(title);
        self.xdotool(&["key", "--clearmodifiers", "ctrl+l"]);
        std::thread::sleep(Duration::from_millis(200));
        self.xdotool(&["type", "--delay", "5", &path.display().to_string()]);
        std::thread::sleep(Duration::from_millis(200));
        self.xdotool(&["key", "Return"]);
    }

    /// Waits for the native dialog titled `title` and gives it the
    /// keyboard focus directly (no window manager runs under Xvfb).
    fn focus_dialog(&self, title: &str) {
        let started = Instant::now();
        let window = loop {
            let found = self.xdotool(&["search", "--onlyvisible", "--name", title]);
            if let Some(w) = found.lines().next().filter(|w| !w.trim().is_empty()) {
                break w.trim().to_owned();
            }
            if started.elapsed() > WAIT {
                self.screenshot(&format!("{}-no-dialog", self.name));
                panic!("no dialog titled {title:?} appeared");
            }
            std::thread::sleep(Duration::from_millis(100));
        };
        self.xdotool(&["windowfocus", "--sync", &window]);
        std::thread::sleep(Duration::from_millis(300));
    }

    /// Runs xdotool; a search that finds nothing prints nothing (and
    /// fails), anything else must succeed.
    fn xdotool(&self, args: &[&str]) -> String {
        let out = Command::new("xdotool")
            .args(args)
            .env("DISPLAY", &self.display.name)
            .output()
            .expect("xdotool (Debian package xdotool) must be installed");
        assert!(
            out.status.success() || args.first() == Some(&"search"),
            "xdotool {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Waits until `check` holds, re-evaluating it.
    pub fn wait_until(&self, what: &str, check: impl Fn(&App) -> bool) {
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
    pub fn screenshot(&self, file: &str) {
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
