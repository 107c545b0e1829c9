//! The development server: the command table over HTTP and JSON on
//! 127.0.0.1, for the UI in a browser (`npm run dev`) and for its tests
//! against the real core. Built only with the `serve` feature, which the
//! app never enables: the app and its package contain no listening code.
//!
//! `POST /ipc/<command>` with the arguments as a JSON object (keys in
//! camelCase, as the window sends them to Tauri) and
//! `Authorization: Bearer <token>` answers 200 with the result as JSON, or
//! 400 with the same `{code, message, field}` error the window gets.
//! `POST /dev/advance` (`{"days": n}`) moves a fixed clock; `POST
//! /dev/seed` (`{"people": n}`) adds generated people through the core's
//! demo seeding; `POST /dev/fresh` locks and moves to new, empty folders
//! inside the data folder (a fresh vault for the next test); `POST
//! /dev/save-dialog` (`{"cancel": true}`) makes the save dialog answer
//! as if the person cancelled it, until a fresh vault or `false` (it
//! otherwise answers the suggested name in the export folder); `POST
//! /dev/folder-dialog` (`{"path": "/some/folder"}` or `{"path": null}`)
//! sets what the folder dialog answers next (a folder, or cancelled, as
//! after a fresh vault); `POST /dev/files-dialog` (`{"paths": [...]}`)
//! sets what the dialog for files to import answers next (none:
//! cancelled). A request without the token gets 401 and nothing else.

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use tiny_http::{Header, Method, Request, Response, Server};
use tresor_core::clock::{Clock, FixedClock};
use tresor_core::crypto::KdfParams;
use tresor_core::demo;

use crate::commands::{AppState, StateConfig, with_session};
use crate::dto::IpcError;
use crate::table::dispatch;

/// The line the server prints once it listens, before the address and the
/// token; whoever started it reads them from there.
pub const READY: &str = "TRESOR_DEV_SERVER";

/// Largest request body accepted (an evidence file in base64 fits).
const MAX_BODY: u64 = 32 << 20;

/// A development server bound to a random port of 127.0.0.1.
pub struct DevServer {
    server: Server,
    token: String,
    state: Arc<AppState>,
    clock: Option<Arc<FixedClock>>,
    data: Arc<Path>,
    /// Whether the save dialog answers "cancelled".
    cancel_save: Arc<AtomicBool>,
    /// What the folder dialog answers (none: cancelled).
    folder: Arc<Mutex<Option<PathBuf>>>,
    /// What the dialog for files to import answers (none: cancelled).
    files: Arc<Mutex<Vec<PathBuf>>>,
}

impl DevServer {
    /// Binds to 127.0.0.1 on `port` (0: a random one) and draws a token.
    pub fn bind(
        data: &Path,
        state: AppState,
        clock: Option<Arc<FixedClock>>,
        port: u16,
    ) -> Result<DevServer, String> {
        let server = Server::http(("127.0.0.1", port)).map_err(|e| e.to_string())?;
        let mut secret = [0u8; 32];
        getrandom::fill(&mut secret).map_err(|e| e.to_string())?;
        let cancel_save = Arc::new(AtomicBool::new(false));
        let cancel = cancel_save.clone();
        state.set_save_picker(Box::new(move |ask| {
            (!cancel.load(Ordering::SeqCst)).then(|| ask.dir.join(&ask.file_name))
        }));
        let folder: Arc<Mutex<Option<PathBuf>>> = Arc::new(Mutex::new(None));
        let answer = folder.clone();
        state.set_folder_picker(Box::new(move |_title| {
            answer.lock().map_or(None, |a| a.clone())
        }));
        let files: Arc<Mutex<Vec<PathBuf>>> = Arc::new(Mutex::new(Vec::new()));
        let chosen = files.clone();
        state.set_files_picker(Box::new(move |_title| {
            chosen.lock().map_or_else(|_| Vec::new(), |a| a.clone())
        }));
        Ok(DevServer {
            server,
            token: hex::encode(secret),
            state: Arc::new(state),
            clock,
            data: data.into(),
            cancel_save,
            folder,
            files,
        })
    }

    /// The address it listens on, as a URL.
    pub fn url(&self) -> String {
        match self.server.server_addr().to_ip() {
            Some(addr) => format!("http://{addr}"),
            None => "http://127.0.0.1".into(),
        }
    }

    /// The bearer token every request must carry.
    pub fn token(&self) -> &str {
        &self.token
    }

    /// Answers requests until the process ends, each on a thread of its
    /// own (as Tauri runs async commands), so a long unlock does not hold
    /// up the status bar's polling.
    pub fn run(self) {
        let DevServer {
            server,
            token,
            state,
            clock,
            data,
            cancel_save,
            folder,
            files,
        } = self;
        let token: Arc<str> = token.into();
        let fresh = Arc::new(AtomicU32::new(0));
        for request in server.incoming_requests() {
            let ctx = Ctx {
                state: state.clone(),
                clock: clock.clone(),
                data: data.clone(),
                fresh: fresh.clone(),
                cancel_save: cancel_save.clone(),
                folder: folder.clone(),
                files: files.clone(),
            };
            let token = token.clone();
            std::thread::spawn(move || answer(request, &ctx, &token));
        }
    }
}

/// Sets what the folder dialog answers next.
fn set_folder(ctx: &Ctx, path: Option<PathBuf>) {
    if let Ok(mut answer) = ctx.folder.lock() {
        *answer = path;
    }
}

/// What one request may touch.
struct Ctx {
    state: Arc<AppState>,
    clock: Option<Arc<FixedClock>>,
    data: Arc<Path>,
    /// How many fresh folders were handed out.
    fresh: Arc<AtomicU32>,
    cancel_save: Arc<AtomicBool>,
    folder: Arc<Mutex<Option<PathBuf>>>,
    files: Arc<Mutex<Vec<PathBuf>>>,
}

/// The folders under `data` the state starts in, or the `n`th fresh ones.
pub fn folders(data: &Path, n: u32, clock: Arc<dyn Clock>, kdf: Option<KdfParams>) -> StateConfig {
    let root = if n == 0 {
        data.to_path_buf()
    } else {
        data.join(format!("fresh-{n}"))
    };
    StateConfig {
        vault_dir: root.join("vault"),
        demo_dir: root.join("demo"),
        export_dir: root.join("exports"),
        start_demo: false,
        clock,
        kdf,
    }
}

fn answer(mut request: Request, ctx: &Ctx, token: &str) {
    let response = if !authorised(&request, token) {
        reply(401, &error("unauthorised", "a bearer token is required"))
    } else if *request.method() != Method::Post {
        reply(405, &error("invalid", "only POST is served"))
    } else {
        let path = request
            .url()
            .split('?')
            .next()
            .unwrap_or_default()
            .to_owned();
        match read_json(&mut request) {
            Err(e) => reply(400, &e),
            Ok(args) => match route(&path, args, ctx) {
                Ok(value) => reply(200, &value),
                Err(e) => reply(400, &serde_json::to_value(e).unwrap_or_default()),
            },
        }
    };
    // The caller may have gone away; nothing to do about it.
    let _ = request.respond(response);
}

fn route(path: &str, args: serde_json::Value, ctx: &Ctx) -> Result<serde_json::Value, IpcError> {
    let state = &ctx.state;
    if let Some(command) = path.strip_prefix("/ipc/") {
        return dispatch(state, command, args);
    }
    match path {
        "/dev/fresh" => {
            let n = ctx.fresh.fetch_add(1, Ordering::SeqCst) + 1;
            // The clock and KDF stay as they are; only the folders change.
            state.move_home(&folders(&ctx.data, n, state.clock(), None));
            ctx.cancel_save.store(false, Ordering::SeqCst);
            set_folder(ctx, None);
            if let Ok(mut answer) = ctx.files.lock() {
                answer.clear();
            }
            Ok(serde_json::Value::Null)
        }
        "/dev/folder-dialog" => {
            let path = match &args["path"] {
                serde_json::Value::Null => None,
                serde_json::Value::String(p) if !p.trim().is_empty() => Some(PathBuf::from(p)),
                _ => return Err(invalid("path: a folder or null is needed")),
            };
            set_folder(ctx, path);
            Ok(serde_json::Value::Null)
        }
        "/dev/files-dialog" => {
            let paths = args["paths"]
                .as_array()
                .ok_or_else(|| invalid("paths: a list of files is needed"))?
                .iter()
                .map(|p| p.as_str().map(PathBuf::from))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| invalid("paths: each one a file name"))?;
            if let Ok(mut answer) = ctx.files.lock() {
                *answer = paths;
            }
            Ok(serde_json::Value::Null)
        }
        "/dev/advance" => {
            let clock = ctx
                .clock
                .as_ref()
                .ok_or_else(|| invalid("the server runs on the real clock"))?;
            let days = args["days"]
                .as_i64()
                .ok_or_else(|| invalid("days: a whole number is needed"))?;
            clock.advance_ms(days * 86_400_000);
            Ok(serde_json::Value::Null)
        }
        "/dev/save-dialog" => {
            let cancel = args["cancel"]
                .as_bool()
                .ok_or_else(|| invalid("cancel: true or false is needed"))?;
            ctx.cancel_save.store(cancel, Ordering::SeqCst);
            Ok(serde_json::Value::Null)
        }
        "/dev/seed" => {
            let people = args["people"]
                .as_u64()
                .and_then(|n| usize::try_from(n).ok())
                .ok_or_else(|| invalid("people: a whole number is needed"))?;
            let report = with_session(state, |s| demo::seed(s, people, 7, &mut |_, _| {}))?;
            serde_json::to_value(report).map_err(|e| invalid(&e.to_string()))
        }
        _ => Err(invalid(&format!("nothing is served at {path}"))),
    }
}

fn authorised(request: &Request, token: &str) -> bool {
    let want = format!("Bearer {token}");
    request
        .headers()
        .iter()
        .filter(|h| h.field.equiv("Authorization"))
        .any(|h| same(h.value.as_str().as_bytes(), want.as_bytes()))
}

/// Compares without stopping at the first difference.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |d, (x, y)| d | (x ^ y)) == 0
}

fn read_json(request: &mut Request) -> Result<serde_json::Value, serde_json::Value> {
    let mut body = Vec::new();
    request
        .as_reader()
        .take(MAX_BODY + 1)
        .read_to_end(&mut body)
        .map_err(|e| error("invalid", &format!("the request could not be read ({e})")))?;
    if body.len() as u64 > MAX_BODY {
        return Err(error("invalid", "the request is too large"));
    }
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(serde_json::Value::Null);
    }
    serde_json::from_slice(&body)
        .map_err(|e| error("invalid", &format!("the request is not JSON ({e})")))
}

fn invalid(message: &str) -> IpcError {
    IpcError {
        code: tresor_core::ErrorCode::Invalid.into(),
        message: message.to_owned(),
        field: None,
    }
}

fn error(code: &str, message: &str) -> serde_json::Value {
    serde_json::json!({ "code": code, "message": message, "field": null })
}

fn reply(status: u16, body: &serde_json::Value) -> Response<std::io::Cursor<Vec<u8>>> {
    let mut response = Response::from_data(body.to_string().into_bytes()).with_status_code(status);
    if let Ok(h) = Header::from_bytes("Content-Type", "application/json") {
        response.add_header(h);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use tresor_core::clock::SystemClock;

    fn post(url: &str, token: Option<&str>, body: &str) -> (u16, serde_json::Value) {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        let mut req = agent.post(url).header("Content-Type", "application/json");
        if let Some(t) = token {
            req = req.header("Authorization", &format!("Bearer {t}"));
        }
        let mut res = req.send(body).expect("request");
        let status = res.status().as_u16();
        let value = res.body_mut().read_json().unwrap_or_default();
        (status, value)
    }

    #[test]
    fn the_server_answers_only_with_its_token_and_with_the_windows_errors() {
        let tmp = tempfile::tempdir().expect("tmp");
        let config = folders(tmp.path(), 0, Arc::new(SystemClock), Some(KdfParams::FLOOR));
        let server = DevServer::bind(tmp.path(), AppState::new(config), None, 0).expect("bind");
        let (url, token) = (server.url(), server.token().to_owned());
        assert!(url.starts_with("http://127.0.0.1:"), "{url}");
        assert_eq!(token.len(), 64);
        std::thread::spawn(move || server.run());

        let (status, body) = post(&format!("{url}/ipc/app_status"), None, "{}");
        assert_eq!(status, 401);
        assert_eq!(body["code"], "unauthorised");
        let wrong = "0".repeat(64);
        assert_eq!(
            post(&format!("{url}/ipc/app_status"), Some(&wrong), "{}").0,
            401
        );

        let (status, body) = post(&format!("{url}/ipc/app_status"), Some(&token), "");
        assert_eq!(status, 200);
        assert_eq!(body["vault_exists"], false);

        // The same error the window gets: locked, with its code.
        let (status, body) = post(&format!("{url}/ipc/list_users"), Some(&token), "{}");
        assert_eq!((status, body["code"].as_str()), (400, Some("locked")));

        // Arguments by their camelCase names, as Tauri takes them.
        let create = r#"{"admin":"anna","passphrase":"correct horse battery"}"#;
        assert_eq!(
            post(&format!("{url}/ipc/create_vault"), Some(&token), create).0,
            200
        );
        let add = r#"{"name":"ben","roleName":"sales","passphrase":"correct horse battery"}"#;
        assert_eq!(
            post(&format!("{url}/ipc/add_user"), Some(&token), add).0,
            200
        );
        let (status, body) = post(
            &format!("{url}/ipc/add_user"),
            Some(&token),
            r#"{"name":"x"}"#,
        );
        assert_eq!((status, body["code"].as_str()), (400, Some("invalid")));
        assert!(
            body["message"]
                .as_str()
                .unwrap_or_default()
                .contains("roleName")
        );
        let (_, users) = post(&format!("{url}/ipc/list_users"), Some(&token), "{}");
        assert_eq!(users.as_array().map(Vec::len), Some(2));

        // A fresh vault for the next test: locked, in new folders.
        assert_eq!(post(&format!("{url}/dev/fresh"), Some(&token), "{}").0, 200);
        let (_, status) = post(&format!("{url}/ipc/app_status"), Some(&token), "{}");
        assert_eq!(status["vault_exists"], false);
        assert!(
            status["vault_dir"]
                .as_str()
                .unwrap_or_default()
                .contains("fresh-1")
        );
        // No fixed clock: it cannot be moved.
        let (status, _) = post(&format!("{url}/dev/advance"), Some(&token), r#"{"days":1}"#);
        assert_eq!(status, 400);
        assert_eq!(post(&format!("{url}/nothing"), Some(&token), "{}").0, 400);
        let dialog = format!("{url}/dev/save-dialog");
        assert_eq!(post(&dialog, Some(&token), r#"{"cancel":"yes"}"#).0, 400);
        assert_eq!(post(&dialog, Some(&token), r#"{"cancel":true}"#).0, 200);
    }

    /// The control of the app's test that its binary holds no server: the
    /// markers it looks for are in a binary that has one (this one).
    #[test]
    fn a_binary_with_the_server_holds_the_markers_the_app_test_looks_for() {
        let me = std::fs::read(std::env::current_exe().expect("exe")).expect("read");
        for marker in [
            &b"TRESOR_DEV_SERVER"[..],
            b"tiny_http",
            b"crates/shell/src/serve.rs",
        ] {
            assert!(
                me.windows(marker.len()).any(|w| w == marker),
                "{}",
                String::from_utf8_lossy(marker)
            );
        }
    }
}
