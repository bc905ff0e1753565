//! Starting the real server for end-to-end tests: the `ntm-server` command line (built here as
//! `ntm-server-test`) on a free loopback port with a temporary data directory, and a small
//! reqwest client that returns status, headers and JSON body.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, Arc};
use std::time::Duration;

use ntm_server::storage::postgres::ScratchDatabase;
use reqwest::header::HeaderMap;
use serde_json::Value;

pub const ADMIN_USER: &str = "admin";
pub const ADMIN_PASSWORD: &str = "admin-password-1";

/// The server binary: `NTM_SERVER_BIN`, or `ntm-server-test` next to the running test's
/// `deps/` directory (cargo builds a package's binaries before its integration tests).
pub fn server_binary() -> PathBuf {
    if let Ok(p) = std::env::var("NTM_SERVER_BIN") {
        return PathBuf::from(p);
    }
    let exe = std::env::current_exe().expect("the test knows its own path");
    let dir = exe
        .parent()
        .and_then(|d| d.parent())
        .expect("tests run from target/<profile>/deps");
    let bin = dir.join(format!("ntm-server-test{}", std::env::consts::EXE_SUFFIX));
    assert!(
        bin.exists(),
        "{} is missing: run the tests with `cargo test -p ntm-tests`",
        bin.display()
    );
    bin
}

/// The storage a test server runs on. The server tests of the storage contract run on both
/// (see [`on_both_backends!`](crate::on_both_backends)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// SQLite in the server's data directory.
    Sqlite,
    /// A scratch database on the PostgreSQL server of `NTM_TEST_POSTGRES_URL` (`./dev test`
    /// starts one).
    Postgres,
}

/// A running server process with its own data directory.
pub struct TestServer {
    pub base: String,
    pub data: tempfile::TempDir,
    child: Option<Child>,
    extra_args: Vec<String>,
    /// `--database` and `--photos` of a server on PostgreSQL; the database is dropped with the
    /// last server that uses it.
    database: Option<Arc<ScratchDatabase>>,
    photos: Option<PathBuf>,
    /// `NTM_LOG` level of a server whose log goes to [`TestServer::log_path`].
    log_level: Option<String>,
    /// `NTM_FAILPOINT`: where the server process aborts on purpose.
    failpoint: Option<String>,
}

impl TestServer {
    /// Starts `ntm-server serve` on 127.0.0.1 (a free port) with a fresh data directory and the
    /// administrator [`ADMIN_USER`] / [`ADMIN_PASSWORD`] created from the environment.
    pub fn start() -> TestServer {
        Self::start_with(&[])
    }

    /// Like [`TestServer::start`], with extra `serve` flags.
    pub fn start_with(extra: &[&str]) -> TestServer {
        Self::start_with_on(Backend::Sqlite, extra)
    }

    /// Like [`TestServer::start`], on `backend`.
    pub fn start_on(backend: Backend) -> TestServer {
        Self::start_with_on(backend, &[])
    }

    /// Like [`TestServer::start_with`], on `backend`.
    pub fn start_with_on(backend: Backend, extra: &[&str]) -> TestServer {
        let database = match backend {
            Backend::Sqlite => None,
            Backend::Postgres => Some(Arc::new(ScratchDatabase::for_tests())),
        };
        Self::launch(database, None, extra)
    }

    /// A second server process on the same PostgreSQL database and the same photo directory as
    /// `other` (as several servers behind a load balancer run), with a data directory of its own.
    pub fn start_sharing(other: &TestServer) -> TestServer {
        let database = other
            .database
            .clone()
            .expect("servers share a PostgreSQL database, not SQLite");
        let photos = other
            .photos
            .clone()
            .unwrap_or_else(|| other.data.path().to_owned());
        let extra: Vec<&str> = other.extra_args.iter().map(String::as_str).collect();
        Self::launch(Some(database), Some(photos), &extra)
    }

    fn launch(
        database: Option<Arc<ScratchDatabase>>,
        photos: Option<PathBuf>,
        extra: &[&str],
    ) -> TestServer {
        let data = tempfile::tempdir().expect("a temporary directory");
        let mut server = TestServer {
            base: String::new(),
            data,
            child: None,
            extra_args: extra.iter().map(|s| s.to_string()).collect(),
            database,
            photos,
            log_level: None,
            failpoint: None,
        };
        server.spawn();
        server
    }

    /// Like [`TestServer::start_on`], logging at `level` into [`TestServer::log_path`].
    pub fn start_logging_on(backend: Backend, level: &str) -> TestServer {
        let mut server = Self::start_with_on(backend, &[]);
        server.kill();
        server.log_level = Some(level.to_owned());
        server.spawn();
        server
    }

    /// Where a server started by [`TestServer::start_logging_on`] writes its log.
    pub fn log_path(&self) -> PathBuf {
        self.data.path().join("server.log")
    }

    /// `--database` and `--photos`, when not the defaults.
    fn storage_args(&self) -> Vec<String> {
        let mut args = Vec::new();
        if let Some(db) = &self.database {
            args.extend(["--database".to_owned(), db.url.clone()]);
        }
        if let Some(p) = &self.photos {
            args.extend(["--photos".to_owned(), p.display().to_string()]);
        }
        args
    }

    fn spawn(&mut self) {
        let mut child = Command::new(server_binary())
            .arg("serve")
            .arg("--data")
            .arg(self.data.path())
            .arg("--listen")
            .arg("127.0.0.1:0")
            .args(self.storage_args())
            .args(&self.extra_args)
            .env("NTM_ADMIN_USER", ADMIN_USER)
            .env("NTM_ADMIN_PASSWORD", ADMIN_PASSWORD)
            .env_remove("NTM_FAILPOINT")
            .envs(self.failpoint.iter().map(|f| ("NTM_FAILPOINT", f.as_str())))
            .env(
                "NTM_LOG",
                self.log_level
                    .clone()
                    .or_else(|| std::env::var("NTM_LOG").ok())
                    .unwrap_or_else(|| "warn".into()),
            )
            .stdout(Stdio::piped())
            .stderr(match &self.log_level {
                Some(_) => Stdio::from(
                    std::fs::OpenOptions::new()
                        .create(true)
                        .append(true)
                        .open(self.log_path())
                        .expect("the log file opens"),
                ),
                None => Stdio::inherit(),
            })
            .spawn()
            .expect("the server binary starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut tx = Some(tx);
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(addr) = line.strip_prefix("listening on ") {
                    if let Some(tx) = tx.take() {
                        let _ = tx.send(addr.trim().to_owned());
                    }
                }
            }
        });
        let base = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("the server announces its address");
        self.base = base;
        self.child = Some(child);
    }

    /// Kills the server with SIGKILL (no chance to flush anything) and waits for it.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Kills and starts it again on the same data directory (the address may change).
    pub fn restart(&mut self) {
        self.kill();
        self.spawn();
    }

    /// Like [`TestServer::restart`], the new process aborting at `failpoint` (see the server's
    /// `failpoint` module), or at none.
    pub fn restart_failing_at(&mut self, failpoint: Option<&str>) {
        self.failpoint = failpoint.map(str::to_owned);
        self.restart();
    }

    /// A copy of everything the server keeps, as it is now (last night's backup): its data
    /// directory and, on PostgreSQL, its database. The server is stopped for the copy and
    /// started again (the address may change).
    pub fn backup(&mut self) -> ServerBackup {
        self.kill();
        let dir = tempfile::tempdir().expect("a temporary directory");
        copy_dir(self.data.path(), dir.path());
        let database = self.database.as_ref().map(|db| {
            db.backup()
                .unwrap_or_else(|e| panic!("cannot copy the test database: {e}"))
        });
        self.spawn();
        ServerBackup { dir, database }
    }

    /// Puts `backup` back in place of everything the server keeps, and starts it again on it
    /// (the address may change).
    pub fn restore(&mut self, backup: &ServerBackup) {
        self.kill();
        for entry in std::fs::read_dir(self.data.path()).expect("the data directory") {
            let p = entry.expect("a directory entry").path();
            if p.is_dir() {
                std::fs::remove_dir_all(&p)
            } else {
                std::fs::remove_file(&p)
            }
            .unwrap_or_else(|e| panic!("cannot remove {}: {e}", p.display()));
        }
        copy_dir(backup.dir.path(), self.data.path());
        if let (Some(db), Some(copy)) = (&self.database, &backup.database) {
            db.restore_from(copy)
                .unwrap_or_else(|e| panic!("cannot restore the test database: {e}"));
        }
        self.spawn();
    }

    /// Whether the server process has ended (a failpoint aborted it).
    pub fn has_exited(&mut self) -> bool {
        self.child
            .as_mut()
            .is_none_or(|c| c.try_wait().ok().flatten().is_some())
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// The `host:port` the server listens on.
    pub fn addr(&self) -> String {
        self.base.trim_start_matches("http://").to_owned()
    }

    /// Runs an administrator command of the same binary on this data directory.
    pub fn cli(&self, args: &[&str]) -> std::process::Output {
        self.cli_with(args, &[])
    }

    /// [`TestServer::cli`] with environment variables (e.g. `NTM_PASSWORD`).
    pub fn cli_with(&self, args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
        let mut cmd = Command::new(server_binary());
        cmd.args(args)
            .arg("--data")
            .arg(self.data.path())
            .args(self.storage_args())
            .env("NTM_LOG", "warn")
            .envs(env.iter().copied());
        cmd.output().expect("the server binary runs")
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// An HTTP answer: status, headers and the body as JSON (`Value::Null` when empty or not JSON).
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// `error.code` of an error body.
    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }
}

/// A client of one server, with an optional bearer token.
#[derive(Clone)]
pub struct Api {
    pub http: reqwest::Client,
    pub base: String,
    pub token: Option<String>,
}

impl Api {
    pub fn new(base: &str) -> Api {
        Api {
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(120))
                .build()
                .unwrap(),
            base: base.to_owned(),
            token: None,
        }
    }

    pub fn with_token(&self, token: &str) -> Api {
        Api {
            token: Some(token.to_owned()),
            ..self.clone()
        }
    }

    /// Logs in and returns a client carrying the session token.
    pub async fn login(base: &str, username: &str, password: &str) -> Api {
        let api = Api::new(base);
        let r = api
            .post(
                "/api/v1/auth/login",
                &serde_json::json!({"username": username, "password": password}),
            )
            .await;
        assert_eq!(r.status, 200, "login of {username}: {:?}", r.body);
        api.with_token(r.body["token"].as_str().unwrap())
    }

    pub async fn admin(server: &TestServer) -> Api {
        Self::login(&server.base, ADMIN_USER, ADMIN_PASSWORD).await
    }

    pub fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let rb = self.http.request(method, format!("{}{}", self.base, path));
        match &self.token {
            Some(t) => rb.bearer_auth(t),
            None => rb,
        }
    }

    pub async fn send(rb: reqwest::RequestBuilder) -> Reply {
        let resp = rb.send().await.expect("the server answers");
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let bytes = resp.bytes().await.expect("the body arrives");
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Reply {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&self, path: &str) -> Reply {
        Self::send(self.request(reqwest::Method::GET, path)).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> Reply {
        Self::send(self.request(reqwest::Method::POST, path).json(body)).await
    }

    pub async fn put(&self, path: &str, body: &Value) -> Reply {
        Self::send(self.request(reqwest::Method::PUT, path).json(body)).await
    }

    /// A raw body with its content type and encoding.
    pub async fn post_raw(
        &self,
        path: &str,
        body: Vec<u8>,
        content_type: &str,
        encoding: Option<&str>,
    ) -> Reply {
        let mut rb = self
            .request(reqwest::Method::POST, path)
            .header("content-type", content_type)
            .body(body);
        if let Some(e) = encoding {
            rb = rb.header("content-encoding", e);
        }
        Self::send(rb).await
    }
}

/// Sends raw bytes on a fresh connection (exactly as given: no client library normalises the
/// path or the headers) and reads the status code and body of the answer.
pub fn raw_http(addr: &str, request: &[u8]) -> (u16, String) {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .unwrap();
    let _ = s.write_all(request);
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                out.extend_from_slice(&buf[..n]);
                let text = String::from_utf8_lossy(&out);
                // Enough once the headers and a Content-Length body are in.
                if let Some((head, body)) = text.split_once("\r\n\r\n") {
                    let len = head.lines().find_map(|l| {
                        l.to_ascii_lowercase()
                            .strip_prefix("content-length:")
                            .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                    });
                    if len.is_some_and(|l| body.len() >= l) {
                        break;
                    }
                }
            }
        }
    }
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (
        status,
        text.split_once("\r\n\r\n")
            .map(|(_, b)| b.to_owned())
            .unwrap_or_default(),
    )
}

/// Runs each named `async fn name(backend: Backend)` of a test file as two tests,
/// `sqlite::name` and `postgres::name`, each on a multi-threaded runtime.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::server::Backend::Sqlite).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::server::Backend::Postgres).await
                }
            )*
        }
    };
}

/// The indicator `id` of a scorecard as the API serialises it (criteria, each with indicators).
pub fn indicator<'a>(card: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    card["criteria"]
        .as_array()
        .expect("a scorecard has criteria")
        .iter()
        .flat_map(|c| {
            c["indicators"]
                .as_array()
                .expect("a criterion has indicators")
        })
        .find(|i| i["id"] == id)
        .unwrap_or_else(|| panic!("no indicator {id} on the scorecard"))
}

/// What [`TestServer::backup`] copied: the data directory, and the database on PostgreSQL.
pub struct ServerBackup {
    dir: tempfile::TempDir,
    database: Option<ScratchDatabase>,
}

/// Copies the directory `from` and everything under it to `to`.
pub fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).expect("a directory for the copy");
    for entry in std::fs::read_dir(from).expect("a directory to copy") {
        let entry = entry.expect("a directory entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("a file type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target)
                .unwrap_or_else(|e| panic!("cannot copy {}: {e}", entry.path().display()));
        }
    }
}
