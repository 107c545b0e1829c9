//! Two real Syncthing instances on loopback, for tests whose files must travel.
//!
//! Needs the `syncthing` binary (1.19 or later) on `PATH`; set `TRESOR_TEST_SYNCTHING` to use
//! another one. Nothing leaves 127.0.0.1: global and local discovery, relays, NAT traversal
//! (and with it STUN), usage reporting, crash reporting and upgrades are all off, and each
//! instance knows the other only by an explicit `tcp://127.0.0.1:<port>` address.
//! The REST API is spoken as bare HTTP/1.1 over `TcpStream`.

use std::fs;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The Syncthing folder id both instances share.
pub const FOLDER_ID: &str = "tresor-test";

const CONNECT_TIMEOUT: Duration = Duration::from_secs(60);
const STOP_TIMEOUT: Duration = Duration::from_secs(15);
const LOG_TAIL_LINES: usize = 40;

/// Two real Syncthing instances on loopback sharing one folder each.
pub struct SyncthingPair {
    a: Instance,
    b: Instance,
}

impl SyncthingPair {
    /// Starts two instances with homes under `work` (a temp dir the caller owns), sharing
    /// folder `a` (instance A's path) with folder `b` (instance B's path) as one Syncthing
    /// folder, both send-receive, rescan interval 1 s and fs watcher on (delay 1 s), and waits
    /// (up to ~60 s) until the two are connected. Panics with a clear message (including the
    /// tail of each instance's log) on failure.
    pub fn start(work: &Path, a: &Path, b: &Path) -> SyncthingPair {
        let started = Instant::now();
        let folder_a = prepare_folder(a);
        let folder_b = prepare_folder(b);
        let home_a = work.join("syncthing-a");
        let home_b = work.join("syncthing-b");
        let id_a = generate(&home_a);
        let id_b = generate(&home_b);

        let ports = free_ports(4);
        let a = Setup {
            name: "A",
            home: home_a,
            id: id_a,
            listen: ports[0],
            gui: ports[1],
            api_key: "tresor-test-key-a".to_string(),
            folder: folder_a,
        };
        let b = Setup {
            name: "B",
            home: home_b,
            id: id_b,
            listen: ports[2],
            gui: ports[3],
            api_key: "tresor-test-key-b".to_string(),
            folder: folder_b,
        };
        write_config(&a, &b);
        write_config(&b, &a);

        // Each instance stops itself when dropped, so a panic below leaves nothing behind.
        let mut pair = SyncthingPair {
            a: Instance::spawn(&a, &b.id),
            b: Instance::spawn(&b, &a.id),
        };

        loop {
            let exits = [pair.a.exited(), pair.b.exited()];
            for (name, status) in ["A", "B"].into_iter().zip(exits) {
                if let Some(status) = status {
                    pair.fail(&format!(
                        "syncthing {name} exited early ({status}) while waiting for the connection"
                    ));
                }
            }
            let (ra, rb) = (pair.a.connected(), pair.b.connected());
            if let (Ok(true), Ok(true)) = (&ra, &rb) {
                break;
            }
            if started.elapsed() > CONNECT_TIMEOUT {
                pair.fail(&format!(
                    "syncthing instances not connected after {:?} (last check: A: {ra:?}, B: {rb:?})",
                    started.elapsed()
                ));
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        eprintln!(
            "syncthing pair connected after {:.1} s",
            started.elapsed().as_secs_f64()
        );
        pair
    }

    /// Waits (up to `timeout`) until `cond()` is true, asking both instances to rescan the
    /// folder every second meanwhile; returns whether it became true.
    pub fn wait_until(&self, timeout: Duration, mut cond: impl FnMut() -> bool) -> bool {
        let started = Instant::now();
        let mut last_scan: Option<Instant> = None;
        loop {
            if cond() {
                return true;
            }
            if started.elapsed() >= timeout {
                return cond();
            }
            if last_scan.is_none_or(|t| t.elapsed() >= Duration::from_secs(1)) {
                self.rescan();
                last_scan = Some(Instant::now());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Asks both instances to rescan now.
    pub fn rescan(&self) {
        // Errors (an instance busy or briefly unreachable) are fine: the periodic rescan and
        // the fs watcher catch up anyway.
        let _ = self.a.rescan();
        let _ = self.b.rescan();
    }

    /// Cuts the connection between the two (both pause all devices), so
    /// changes on each side pile up as if the laptops were offline.
    pub fn pause(&self) {
        for i in [&self.a, &self.b] {
            if let Err(e) = i.post("/rest/system/pause") {
                self.fail(&format!("cannot pause syncthing {}: {e}", i.name));
            }
        }
    }

    /// Reconnects the two after [`SyncthingPair::pause`].
    pub fn resume(&self) {
        for i in [&self.a, &self.b] {
            if let Err(e) = i.post("/rest/system/resume") {
                self.fail(&format!("cannot resume syncthing {}: {e}", i.name));
            }
        }
    }

    /// The tails of both instances' logs, for a test's own failure messages.
    pub fn logs(&self) -> String {
        format!("{}\n{}", self.a.log_tail(), self.b.log_tail())
    }

    fn fail(&self, what: &str) -> ! {
        panic!("{what}\n{}", self.logs())
    }
}

impl Drop for SyncthingPair {
    fn drop(&mut self) {
        // Signal both first so they shut down in parallel, then reap each.
        self.a.terminate();
        self.b.terminate();
        self.a.reap();
        self.b.reap();
    }
}

/// What one instance is configured with.
struct Setup {
    name: &'static str,
    home: PathBuf,
    id: String,
    listen: u16,
    gui: u16,
    api_key: String,
    folder: PathBuf,
}

struct Instance {
    name: &'static str,
    home: PathBuf,
    gui: SocketAddr,
    api_key: String,
    peer_id: String,
    child: Option<Child>,
}

impl Instance {
    fn spawn(setup: &Setup, peer_id: &str) -> Instance {
        let log = fs::File::create(log_path(&setup.home)).expect("create syncthing log");
        let log_err = log.try_clone().expect("clone syncthing log");
        let mut cmd = Command::new(binary());
        cmd.arg("serve")
            .arg("--home")
            .arg(&setup.home)
            .args([
                "--no-browser",
                "--no-restart",
                "--no-upgrade",
                "--logflags=3",
            ])
            .env("STNODEFAULTFOLDER", "1")
            .env("STNOUPGRADE", "1")
            .env("STNORESTART", "1")
            .env_remove("STGUIADDRESS")
            .env_remove("STGUIAPIKEY")
            .env_remove("STTRACE")
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log_err);
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {:?}: {e}", binary()));
        Instance {
            name: setup.name,
            home: setup.home.clone(),
            gui: SocketAddr::from(([127, 0, 0, 1], setup.gui)),
            api_key: setup.api_key.clone(),
            peer_id: peer_id.to_string(),
            child: Some(child),
        }
    }

    /// `Some(status)` if the process has already exited.
    fn exited(&mut self) -> Option<String> {
        let child = self.child.as_mut()?;
        match child.try_wait() {
            Ok(Some(status)) => Some(status.to_string()),
            Ok(None) => None,
            Err(e) => Some(format!("unknown: {e}")),
        }
    }

    /// Whether this instance reports a live connection to its peer.
    fn connected(&self) -> Result<bool, String> {
        let (status, body) = http(self.gui, &self.api_key, "GET", "/rest/system/connections")?;
        if status != 200 {
            return Err(format!("HTTP {status}: {}", body.trim()));
        }
        let compact: String = body.chars().filter(|c| !c.is_whitespace()).collect();
        let Some(at) = compact.find(&format!("\"{}\":{{", self.peer_id)) else {
            return Ok(false);
        };
        let rest = &compact[at..];
        Ok(rest
            .find("\"connected\":")
            .is_some_and(|i| rest[i + "\"connected\":".len()..].starts_with("true")))
    }

    fn post(&self, path: &str) -> Result<(), String> {
        match http(self.gui, &self.api_key, "POST", path)? {
            (200, _) => Ok(()),
            (status, body) => Err(format!("HTTP {status}: {}", body.trim())),
        }
    }

    fn rescan(&self) -> Result<(), String> {
        let path = format!("/rest/db/scan?folder={FOLDER_ID}");
        match http(self.gui, &self.api_key, "POST", &path)? {
            (200, _) => Ok(()),
            (status, body) => Err(format!("HTTP {status}: {}", body.trim())),
        }
    }

    /// Sends SIGTERM if the process still runs.
    fn terminate(&mut self) {
        if self.exited().is_some() {
            return;
        }
        if let Some(child) = &self.child {
            let _ = Command::new("kill")
                .arg("-TERM")
                .arg(child.id().to_string())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
    }

    /// Waits for the process to exit, killing it if SIGTERM was not enough.
    fn reap(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let deadline = Instant::now() + STOP_TIMEOUT;
        loop {
            match child.try_wait() {
                Ok(Some(_)) => return,
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(50))
                }
                _ => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return;
                }
            }
        }
    }

    fn log_tail(&self) -> String {
        let text = fs::read_to_string(log_path(&self.home)).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        let tail = lines[lines.len().saturating_sub(LOG_TAIL_LINES)..].join("\n");
        format!(
            "--- last {LOG_TAIL_LINES} lines of syncthing {} log ({}) ---\n{tail}",
            self.name,
            log_path(&self.home).display()
        )
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        self.terminate();
        self.reap();
    }
}

fn binary() -> String {
    std::env::var("TRESOR_TEST_SYNCTHING").unwrap_or_else(|_| "syncthing".to_string())
}

fn log_path(home: &Path) -> PathBuf {
    home.join("syncthing.log")
}

/// Makes `dir` absolute, creates it and its `.stfolder` marker.
fn prepare_folder(dir: &Path) -> PathBuf {
    let dir = std::path::absolute(dir).expect("absolute folder path");
    fs::create_dir_all(dir.join(".stfolder")).expect("create folder marker");
    dir
}

/// Generates keys and a config in `home`; returns the device ID.
fn generate(home: &Path) -> String {
    let out = Command::new(binary())
        .arg("generate")
        .arg("--home")
        .arg(home)
        .args(["--no-default-folder", "--skip-port-probing"])
        .env("STNODEFAULTFOLDER", "1")
        .output()
        .unwrap_or_else(|e| panic!("cannot run {:?}: {e}", binary()));
    assert!(
        out.status.success(),
        "syncthing generate failed: {}\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let out = Command::new(binary())
        .arg("serve")
        .arg("--home")
        .arg(home)
        .arg("--device-id")
        .output()
        .unwrap_or_else(|e| panic!("cannot run {:?}: {e}", binary()));
    let id = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert!(
        out.status.success() && id.len() >= 56 && !id.contains(char::is_whitespace),
        "syncthing --device-id failed: {} {id:?} {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    id
}

/// Free loopback ports, all distinct (the listeners are held until all are chosen).
fn free_ports(n: usize) -> Vec<u16> {
    let listeners: Vec<TcpListener> = (0..n)
        .map(|_| TcpListener::bind("127.0.0.1:0").expect("bind a free port"))
        .collect();
    listeners
        .iter()
        .map(|l| l.local_addr().expect("local addr").port())
        .collect()
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

/// Writes `me`'s whole config.xml (replacing the generated one), with `peer` as the only
/// other device. Every folder field is spelled out: fields missing from a folder element
/// would be zero, and `maxConflicts` 0 means no conflict copies at all.
fn write_config(me: &Setup, peer: &Setup) {
    let folder = xml_escape(&me.folder.to_string_lossy());
    let (my_id, my_name, peer_id, peer_name) = (&me.id, me.name, &peer.id, peer.name);
    let (listen, gui, key, peer_listen) = (me.listen, me.gui, &me.api_key, peer.listen);
    let xml = format!(
        r#"<configuration version="36">
    <folder id="{FOLDER_ID}" label="{FOLDER_ID}" path="{folder}" type="sendreceive" rescanIntervalS="1" fsWatcherEnabled="true" fsWatcherDelayS="1" ignorePerms="true" autoNormalize="true">
        <filesystemType>basic</filesystemType>
        <device id="{my_id}" introducedBy="">
            <encryptionPassword></encryptionPassword>
        </device>
        <device id="{peer_id}" introducedBy="">
            <encryptionPassword></encryptionPassword>
        </device>
        <minDiskFree unit="%">0</minDiskFree>
        <versioning>
            <cleanupIntervalS>3600</cleanupIntervalS>
            <fsPath></fsPath>
            <fsType>basic</fsType>
        </versioning>
        <copiers>0</copiers>
        <pullerMaxPendingKiB>0</pullerMaxPendingKiB>
        <hashers>0</hashers>
        <order>random</order>
        <ignoreDelete>false</ignoreDelete>
        <scanProgressIntervalS>0</scanProgressIntervalS>
        <pullerPauseS>0</pullerPauseS>
        <maxConflicts>10</maxConflicts>
        <disableSparseFiles>false</disableSparseFiles>
        <disableTempIndexes>false</disableTempIndexes>
        <paused>false</paused>
        <weakHashThresholdPct>25</weakHashThresholdPct>
        <markerName>.stfolder</markerName>
        <copyOwnershipFromParent>false</copyOwnershipFromParent>
        <modTimeWindowS>0</modTimeWindowS>
        <maxConcurrentWrites>2</maxConcurrentWrites>
        <disableFsync>false</disableFsync>
        <blockPullOrder>standard</blockPullOrder>
        <copyRangeMethod>standard</copyRangeMethod>
        <caseSensitiveFS>false</caseSensitiveFS>
        <junctionsAsDirs>false</junctionsAsDirs>
    </folder>
    <device id="{my_id}" name="{my_name}" compression="metadata" introducer="false" skipIntroductionRemovals="false" introducedBy="">
        <address>dynamic</address>
        <paused>false</paused>
        <autoAcceptFolders>false</autoAcceptFolders>
        <maxSendKbps>0</maxSendKbps>
        <maxRecvKbps>0</maxRecvKbps>
        <maxRequestKiB>0</maxRequestKiB>
        <untrusted>false</untrusted>
        <remoteGUIPort>0</remoteGUIPort>
    </device>
    <device id="{peer_id}" name="{peer_name}" compression="metadata" introducer="false" skipIntroductionRemovals="false" introducedBy="">
        <address>tcp://127.0.0.1:{peer_listen}</address>
        <paused>false</paused>
        <autoAcceptFolders>false</autoAcceptFolders>
        <maxSendKbps>0</maxSendKbps>
        <maxRecvKbps>0</maxRecvKbps>
        <maxRequestKiB>0</maxRequestKiB>
        <untrusted>false</untrusted>
        <remoteGUIPort>0</remoteGUIPort>
    </device>
    <gui enabled="true" tls="false" debugging="false">
        <address>127.0.0.1:{gui}</address>
        <apikey>{key}</apikey>
        <theme>default</theme>
    </gui>
    <ldap></ldap>
    <options>
        <listenAddress>tcp://127.0.0.1:{listen}</listenAddress>
        <globalAnnounceServer>default</globalAnnounceServer>
        <globalAnnounceEnabled>false</globalAnnounceEnabled>
        <localAnnounceEnabled>false</localAnnounceEnabled>
        <localAnnouncePort>21027</localAnnouncePort>
        <localAnnounceMCAddr>[ff12::8384]:21027</localAnnounceMCAddr>
        <maxSendKbps>0</maxSendKbps>
        <maxRecvKbps>0</maxRecvKbps>
        <reconnectionIntervalS>1</reconnectionIntervalS>
        <relaysEnabled>false</relaysEnabled>
        <relayReconnectIntervalM>10</relayReconnectIntervalM>
        <startBrowser>false</startBrowser>
        <natEnabled>false</natEnabled>
        <natLeaseMinutes>60</natLeaseMinutes>
        <natRenewalMinutes>30</natRenewalMinutes>
        <natTimeoutSeconds>10</natTimeoutSeconds>
        <urAccepted>-1</urAccepted>
        <urSeen>3</urSeen>
        <urUniqueID></urUniqueID>
        <urURL>https://data.syncthing.net/newdata</urURL>
        <urPostInsecurely>false</urPostInsecurely>
        <urInitialDelayS>1800</urInitialDelayS>
        <restartOnWakeup>false</restartOnWakeup>
        <autoUpgradeIntervalH>0</autoUpgradeIntervalH>
        <upgradeToPreReleases>false</upgradeToPreReleases>
        <keepTemporariesH>24</keepTemporariesH>
        <cacheIgnoredFiles>false</cacheIgnoredFiles>
        <progressUpdateIntervalS>5</progressUpdateIntervalS>
        <limitBandwidthInLan>false</limitBandwidthInLan>
        <minHomeDiskFree unit="%">0</minHomeDiskFree>
        <releasesURL>https://upgrades.syncthing.net/meta.json</releasesURL>
        <overwriteRemoteDeviceNamesOnConnect>false</overwriteRemoteDeviceNamesOnConnect>
        <tempIndexMinBlocks>10</tempIndexMinBlocks>
        <trafficClass>0</trafficClass>
        <setLowPriority>false</setLowPriority>
        <maxFolderConcurrency>0</maxFolderConcurrency>
        <crashReportingURL>https://crash.syncthing.net/newcrash</crashReportingURL>
        <crashReportingEnabled>false</crashReportingEnabled>
        <stunKeepaliveStartS>180</stunKeepaliveStartS>
        <stunKeepaliveMinS>20</stunKeepaliveMinS>
        <stunServer>default</stunServer>
        <databaseTuning>auto</databaseTuning>
        <maxConcurrentIncomingRequestKiB>0</maxConcurrentIncomingRequestKiB>
        <announceLANAddresses>false</announceLANAddresses>
        <sendFullIndexOnUpgrade>false</sendFullIndexOnUpgrade>
        <connectionLimitEnough>0</connectionLimitEnough>
        <connectionLimitMax>0</connectionLimitMax>
        <insecureAllowOldTLSVersions>false</insecureAllowOldTLSVersions>
    </options>
</configuration>
"#
    );
    fs::write(me.home.join("config.xml"), xml).expect("write syncthing config.xml");
}

/// One bare HTTP/1.1 request to Syncthing's REST API; returns status and body.
fn http(addr: SocketAddr, key: &str, method: &str, path: &str) -> Result<(u16, String), String> {
    let mut stream =
        TcpStream::connect_timeout(&addr, Duration::from_secs(2)).map_err(|e| e.to_string())?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .map_err(|e| e.to_string())?;
    stream
        .set_write_timeout(Some(Duration::from_secs(5)))
        .map_err(|e| e.to_string())?;
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nX-API-Key: {key}\r\n\
         Content-Length: 0\r\nConnection: close\r\n\r\n"
    );
    stream
        .write_all(request.as_bytes())
        .map_err(|e| e.to_string())?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).map_err(|e| e.to_string())?;

    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or("response without end of headers")?;
    let head = String::from_utf8_lossy(&raw[..end]).to_ascii_lowercase();
    let body = &raw[end + 4..];
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse::<u16>().ok())
        .ok_or_else(|| format!("bad status line in {head:?}"))?;
    let chunked = head
        .lines()
        .any(|l| l.starts_with("transfer-encoding:") && l.contains("chunked"));
    let body = if chunked {
        dechunk(body)?
    } else {
        body.to_vec()
    };
    Ok((status, String::from_utf8_lossy(&body).into_owned()))
}

fn dechunk(mut rest: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    loop {
        let eol = rest
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or("truncated chunk size")?;
        let line = String::from_utf8_lossy(&rest[..eol]);
        let hex = line.split(';').next().unwrap_or("").trim();
        let size =
            usize::from_str_radix(hex, 16).map_err(|e| format!("chunk size {hex:?}: {e}"))?;
        rest = &rest[eol + 2..];
        if size == 0 {
            return Ok(out);
        }
        if rest.len() < size {
            return Err("truncated chunk".to_string());
        }
        out.extend_from_slice(&rest[..size]);
        rest = rest.get(size + 2..).unwrap_or(&[]);
    }
}
