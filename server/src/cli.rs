//! The command line: `serve`, `demo`, and the administrator's `user`, `enrollment` and
//! `recompute` commands. Exit codes: 0 success, 1 failure, 2 bad usage, 3 `recompute` found
//! incremental totals that differed from a recompute (they were rewritten).

use std::io::BufRead;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use chrono::Utc;
use clap::{Parser, Subcommand};
use ntm_field::ids::Slug;
use ntm_field::protocol::{CreateUserRequest, Role};

use crate::auth::{hash_password, new_enrollment_code, normalize_code, token_hash};
use crate::limits::Limits;
use crate::storage::{NewEnrollment, NewUser, Storage};
use crate::{AppState, DataDir};

#[derive(Parser)]
#[command(
    name = "ntm-server",
    version,
    about = "ntm-field sync server: API, storage, photos"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Args, Clone)]
struct DataArg {
    /// Data directory (SQLite database and photo store).
    #[arg(long, env = "NTM_DATA")]
    data: PathBuf,
    #[command(flatten)]
    shared: SharedArgs,
}

/// Several servers on one database (README: "Several servers on one PostgreSQL").
#[derive(clap::Args, Clone)]
struct SharedArgs {
    /// PostgreSQL URL (postgres://user:password@host:port/database) shared by several servers,
    /// instead of SQLite in the data directory.
    #[arg(long, env = "NTM_DATABASE_URL")]
    database: Option<String>,
    /// Photo store directory (photos and unfinished uploads), default: the data directory.
    /// Servers sharing one database must share this directory too (e.g. an NFS mount).
    #[arg(long, env = "NTM_PHOTOS")]
    photos: Option<PathBuf>,
}

impl SharedArgs {
    fn data_dir(&self, root: &Path) -> Result<DataDir, Failure> {
        Ok(DataDir::create(root)?
            .with_database(self.database.clone())?
            .with_photos(self.photos.clone()))
    }
}

#[derive(clap::Args, Clone)]
struct ServeArgs {
    /// Address to listen on; port 0 picks a free one (the address is printed).
    #[arg(long, env = "NTM_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Largest photo, MiB.
    #[arg(long, default_value_t = 20)]
    max_photo_mib: u64,
    /// Most versions in one push.
    #[arg(long, default_value_t = 1000)]
    max_versions_per_push: usize,
    /// Seconds a request may take (photo uploads excepted: they keep what arrived).
    #[arg(long, default_value_t = 60)]
    request_timeout_secs: u64,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API. On first start with no account, creates the administrator from
    /// NTM_ADMIN_USER and NTM_ADMIN_PASSWORD when both are set.
    Serve {
        #[command(flatten)]
        data: DataArg,
        #[command(flatten)]
        serve: ServeArgs,
    },
    /// Load the Thiện Kế demo commune (idempotent), print the address, the login and a fresh
    /// enrollment code, then serve.
    Demo {
        /// Data directory; default: ntm-demo-data in the system's temporary directory.
        #[arg(long, env = "NTM_DATA")]
        data: Option<PathBuf>,
        /// Also record Thiện Kế's merger into xã Sơn Thủy on 01/7/2025, with Ninh Lai and Sơn
        /// Nam (illustrative data): from that date Thiện Kế's records count for Sơn Thủy.
        #[arg(long)]
        with_merger: bool,
        #[command(flatten)]
        shared: SharedArgs,
        #[command(flatten)]
        serve: ServeArgs,
    },
    /// Dashboard accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Device enrollment codes.
    Enrollment {
        #[command(subcommand)]
        command: EnrollmentCommand,
    },
    /// Recompute the incremental totals from the records with the core and report whether they
    /// agreed (exit 3 if not; they are then rewritten).
    Recompute {
        #[command(flatten)]
        data: DataArg,
        /// Only this commune (default: every commune).
        #[arg(long)]
        commune: Option<String>,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Add an account; the password comes from NTM_PASSWORD or the first line of standard input.
    Add {
        #[command(flatten)]
        data: DataArg,
        #[arg(long)]
        username: String,
        /// admin, officer or viewer.
        #[arg(long, default_value = "officer")]
        role: String,
        /// The commune an officer or viewer works in.
        #[arg(long)]
        commune: Option<String>,
        /// The province a provincial official works in (instead of a commune).
        #[arg(long)]
        province: Option<String>,
        /// With --province: restores an account of a former district (districts were abolished
        /// on 01/7/2025; new accounts belong to a province or a commune).
        #[arg(long)]
        district: Option<String>,
    },
    /// List accounts.
    List {
        #[command(flatten)]
        data: DataArg,
    },
    /// Set a password (from NTM_PASSWORD or standard input); ends the user's sessions.
    Passwd {
        #[command(flatten)]
        data: DataArg,
        #[arg(long)]
        username: String,
    },
}

#[derive(Subcommand)]
enum EnrollmentCommand {
    /// Create a one-time code for a device of a commune; prints the code.
    Create {
        #[command(flatten)]
        data: DataArg,
        #[arg(long)]
        commune: String,
        /// enumerator, officer or viewer.
        #[arg(long, default_value = "enumerator")]
        role: String,
        #[arg(long, default_value_t = 24)]
        hours: u32,
        /// The person who will use the device (becomes the author of its records).
        #[arg(long)]
        holder: Option<String>,
    },
}

/// A failure with its exit code and a message for the operator.
struct Failure(u8, String);

impl<E: std::fmt::Display> From<E> for Failure {
    fn from(e: E) -> Self {
        Failure(1, e.to_string())
    }
}

pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    init_logging();
    match run(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure(code, message)) => {
            eprintln!("ntm-server: {message}");
            ExitCode::from(code)
        }
    }
}

fn init_logging() {
    let level = std::env::var("NTM_LOG")
        .ok()
        .and_then(|l| l.parse::<tracing::Level>().ok())
        .unwrap_or(tracing::Level::INFO);
    let _ = tracing_subscriber::fmt()
        .with_max_level(level)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}

fn parse_role(s: &str) -> Result<Role, Failure> {
    serde_json::from_value(serde_json::Value::String(s.to_owned())).map_err(|_| {
        Failure(
            2,
            format!("unknown role {s:?}: use admin, officer, enumerator or viewer"),
        )
    })
}

fn parse_slug(s: &str, what: &str) -> Result<Slug, Failure> {
    Slug::parse(s).map_err(|e| Failure(2, format!("{what} {e}")))
}

fn read_password() -> Result<String, Failure> {
    if let Ok(p) = std::env::var("NTM_PASSWORD") {
        return Ok(p);
    }
    eprintln!("password (one line on standard input):");
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

fn open(args: &DataArg) -> Result<Arc<dyn Storage>, Failure> {
    let data = &args.data;
    if !data.exists() {
        return Err(Failure(
            1,
            format!(
                "the data directory {} does not exist; start `ntm-server serve --data {}` first",
                data.display(),
                data.display()
            ),
        ));
    }
    let (storage, _) = args.shared.data_dir(data)?.open()?;
    Ok(storage)
}

fn add_user(storage: &dyn Storage, req: CreateUserRequest) -> Result<(), Failure> {
    use crate::handlers::v1::accounts::{check_new_user, Districts};
    check_new_user(&req, Districts::Former).map_err(|e| Failure(2, e.message))?;
    let hash = hash_password(&req.password)?;
    storage.create_user(&NewUser {
        username: req.username,
        password_hash: hash,
        role: req.role,
        commune_id: req.commune_id,
        province: req.province,
        district: req.district,
    })?;
    Ok(())
}

fn create_code(
    storage: &dyn Storage,
    commune: Slug,
    role: Role,
    hours: u32,
    holder: Option<String>,
    by: &str,
) -> Result<(String, chrono::DateTime<Utc>), Failure> {
    if role == Role::Admin {
        return Err(Failure(
            2,
            "devices enroll as enumerator, officer or viewer".into(),
        ));
    }
    if storage.commune_config(&commune)?.is_none() {
        return Err(Failure(1, format!("commune {commune} does not exist")));
    }
    let code = new_enrollment_code();
    let expires_at = Utc::now() + chrono::Duration::hours(i64::from(hours.clamp(1, 720)));
    storage.create_enrollment(&NewEnrollment {
        code_hash: token_hash(&normalize_code(&code)),
        commune_id: commune,
        role,
        holder,
        expires_at,
        created_by: by.to_owned(),
    })?;
    Ok((code, expires_at))
}

fn run(command: Command) -> Result<(), Failure> {
    match command {
        Command::Serve { data, serve } => {
            let dir = data.shared.data_dir(&data.data)?;
            let (storage, photos) = dir.open()?;
            if storage.count_users()? == 0 {
                match (std::env::var("NTM_ADMIN_USER"), std::env::var("NTM_ADMIN_PASSWORD")) {
                    (Ok(user), Ok(password)) => {
                        let created = add_user(&*storage, CreateUserRequest { username: user.clone(), password, role: Role::Admin, commune_id: None, province: None, district: None });
                        // Another server on the same database may have created it a moment ago.
                        if created.is_err() && storage.user_by_name(&user)?.is_none() {
                            created?;
                        }
                        tracing::info!(%user, "administrator created from NTM_ADMIN_USER");
                    }
                    _ => tracing::warn!(
                        "no accounts yet: set NTM_ADMIN_USER and NTM_ADMIN_PASSWORD, or run `ntm-server user add --role admin`"
                    ),
                }
            }
            run_server(storage, photos, &serve, |addr| {
                println!("listening on http://{addr}");
            })
        }
        Command::Demo {
            data,
            with_merger,
            shared,
            serve,
        } => {
            let root = data.unwrap_or_else(|| std::env::temp_dir().join("ntm-demo-data"));
            let dir = shared.data_dir(&root)?;
            let (storage, photos) = dir.open()?;
            let loaded = crate::seed::load_demo(&*storage)?;
            if with_merger {
                crate::seed::load_demo_merger(&*storage)?;
            }
            let password_file = root.join("demo-admin-password.txt");
            let password = match std::env::var("NTM_ADMIN_PASSWORD") {
                Ok(p) => p,
                Err(_) => match std::fs::read_to_string(&password_file) {
                    Ok(p) => p.trim().to_owned(),
                    Err(_) => {
                        let p = crate::auth::new_token("")
                            .chars()
                            .take(16)
                            .collect::<String>();
                        write_private(&password_file, &p)?;
                        p
                    }
                },
            };
            let username = std::env::var("NTM_ADMIN_USER").unwrap_or_else(|_| "admin".to_owned());
            if storage.user_by_name(&username)?.is_none() {
                add_user(
                    &*storage,
                    CreateUserRequest {
                        username: username.clone(),
                        password: password.clone(),
                        role: Role::Admin,
                        commune_id: None,
                        province: None,
                        district: None,
                    },
                )?;
            } else {
                storage.set_password(&username, &hash_password(&password)?)?;
            }
            let commune = parse_slug(&loaded.commune_id, "commune")?;
            let (code, expires) = create_code(
                &*storage,
                commune.clone(),
                Role::Enumerator,
                24,
                None,
                "demo",
            )?;
            let data_dir = root.display().to_string();
            run_server(storage, photos, &serve, move |addr| {
                println!(
                    "ntm-field demo: commune {} ({} records of the 2020 plan)",
                    loaded.commune_id, loaded.versions_total
                );
                println!("  data directory:  {data_dir}");
                println!("  API:             http://{addr}/api/v1  (OpenAPI: http://{addr}/api/openapi.json)");
                println!("  scorecard:       http://{addr}/api/v1/communes/{commune}/scorecard (log in first)");
                println!("  login:           {username} / {password}  (POST /api/v1/auth/login)");
                println!(
                    "  enrollment code: {code}  (enumerator, valid until {})",
                    expires.format("%Y-%m-%d %H:%M UTC")
                );
                println!("listening on http://{addr}");
            })
        }
        Command::User { command } => match command {
            UserCommand::Add {
                data,
                username,
                role,
                commune,
                province,
                district,
            } => {
                let storage = open(&data)?;
                let role = parse_role(&role)?;
                let commune_id = commune
                    .as_deref()
                    .map(|c| parse_slug(c, "commune"))
                    .transpose()?;
                let password = read_password()?;
                add_user(
                    &*storage,
                    CreateUserRequest {
                        username: username.clone(),
                        password,
                        role,
                        commune_id,
                        province,
                        district,
                    },
                )?;
                println!("user {username} added");
                Ok(())
            }
            UserCommand::List { data } => {
                let storage = open(&data)?;
                for u in storage.list_users()? {
                    let scope = match (&u.commune_id, &u.province, &u.district) {
                        (Some(c), _, _) => format!("commune {c}"),
                        (None, Some(p), Some(d)) => format!("district {d}, province {p}"),
                        (None, Some(p), None) => format!("province {p}"),
                        _ => "everything".to_owned(),
                    };
                    println!("{}\t{:?}\t{scope}", u.username, u.role);
                }
                Ok(())
            }
            UserCommand::Passwd { data, username } => {
                let storage = open(&data)?;
                let password = read_password()?;
                if password.chars().count() < 8 {
                    return Err(Failure(2, "a password needs at least 8 characters".into()));
                }
                storage.set_password(&username, &hash_password(&password)?)?;
                println!("password of {username} changed; their sessions were ended");
                Ok(())
            }
        },
        Command::Enrollment {
            command:
                EnrollmentCommand::Create {
                    data,
                    commune,
                    role,
                    hours,
                    holder,
                },
        } => {
            let storage = open(&data)?;
            let commune = parse_slug(&commune, "commune")?;
            let role = parse_role(&role)?;
            let (code, expires) = create_code(&*storage, commune, role, hours, holder, "cli")?;
            println!("{code}");
            eprintln!("valid once, until {}", expires.format("%Y-%m-%d %H:%M UTC"));
            Ok(())
        }
        Command::Recompute { data, commune } => {
            let storage = open(&data)?;
            let communes = match commune {
                Some(c) => vec![parse_slug(&c, "commune")?],
                None => storage.list_communes()?.into_iter().map(|c| c.id).collect(),
            };
            let mut all_agreed = true;
            for c in communes {
                let started = std::time::Instant::now();
                let report = storage.recompute(&c)?;
                println!(
                    "{}: {} versions, {} entities, {} — {} ms",
                    report.commune_id,
                    report.versions,
                    report.entities,
                    if report.agreed {
                        "incremental totals agree".to_owned()
                    } else {
                        format!(
                            "{} entities differed and were rewritten",
                            report.differences
                        )
                    },
                    started.elapsed().as_millis()
                );
                all_agreed &= report.agreed;
            }
            if all_agreed {
                Ok(())
            } else {
                Err(Failure(
                    3,
                    "incremental totals differed from a recompute (now rewritten)".into(),
                ))
            }
        }
    }
}

fn write_private(path: &Path, text: &str) -> Result<(), Failure> {
    #[cfg(unix)]
    {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(path)?;
        f.write_all(text.as_bytes())?;
    }
    #[cfg(not(unix))]
    std::fs::write(path, text)?;
    Ok(())
}

fn run_server(
    storage: Arc<dyn Storage>,
    photos: crate::photos::PhotoStore,
    args: &ServeArgs,
    announce: impl FnOnce(SocketAddr),
) -> Result<(), Failure> {
    let limits = Limits {
        max_photo_bytes: args.max_photo_mib << 20,
        max_versions_per_push: args.max_versions_per_push,
        request_timeout: std::time::Duration::from_secs(args.request_timeout_secs),
        ..Limits::default()
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .map_err(|e| Failure(1, format!("cannot listen on {}: {e}", args.listen)))?;
        let addr = listener.local_addr()?;
        let state = Arc::new(AppState::new(storage, photos, limits.clone()));
        let app = crate::router::router(state);
        announce(addr);
        use std::io::Write;
        let _ = std::io::stdout().flush();
        tracing::info!(%addr, "serving");
        crate::serve::serve(listener, app, &limits, crate::serve::shutdown_signal()).await?;
        Ok(())
    })
}
