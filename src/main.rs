//! The `liputan` command: parses arguments, loads the config, sets up logging
//! and calls into the library.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use liputan::Config;

#[derive(Parser)]
#[command(
    name = "liputan",
    version,
    about = "Media ingest and archive for the DKISP Kaltara coverage team"
)]
struct Cli {
    /// Config file (TOML). Without it, the embedded default applies:
    /// inbox ./inbox, archive ./archive, data ./data, panel on 127.0.0.1:8080.
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the daemon: watch the inboxes, ingest, serve the panel.
    Serve,
    /// Ingest the given folders once, with the daemon's pipeline, and print a summary.
    Ingest {
        /// Print the summary as one JSON object.
        #[arg(long)]
        json: bool,
        /// Folders to ingest (each is treated as an inbox root).
        #[arg(required = true, value_name = "DIR")]
        dirs: Vec<PathBuf>,
    },
    /// Search the archive ("*" matches everything), newest capture first.
    Search {
        /// Print `{"total": N, "hits": [asset, ...]}`.
        #[arg(long)]
        json: bool,
        /// How many hits to print.
        #[arg(long, default_value_t = 50)]
        limit: usize,
        /// Only this kind: photo, raw, video, audio, document, other.
        #[arg(long)]
        kind: Option<String>,
        /// From this day (YYYY-MM-DD, in the configured zone) or instant (RFC 3339).
        #[arg(long)]
        from: Option<String>,
        /// Up to this day (inclusive) or instant.
        #[arg(long)]
        to: Option<String>,
        /// Only this leader: gubernur, wakil_gubernur, sekda, kadis, lainnya.
        #[arg(long)]
        leader: Option<String>,
        /// Only this photographer (username).
        #[arg(long)]
        photographer: Option<String>,
        /// Words to look for, in Indonesian.
        #[arg(required = true, value_name = "QUERY")]
        query: Vec<String>,
    },
    /// Rebuild the search index (and any missing thumbnails) from the catalog.
    Reindex,
    /// Readiness, as `GET /readyz` reports it, read from the catalog, index and
    /// archive directly (no daemon needed). Exit 0 when ready, 1 when not.
    Status {
        /// Print `{"ready": bool, "checks": {...}}`.
        #[arg(long)]
        json: bool,
    },
    /// Fixity: re-hash the archive and each replica against the catalog. Exit 1
    /// when anything is missing, changed, unexpected or a replica is offline.
    Verify {
        /// Print the report as one JSON object.
        #[arg(long)]
        json: bool,
        /// Read at most this many MB per second (default: as fast as the disks go).
        #[arg(long, value_name = "MB")]
        mb_per_second: Option<u64>,
    },
    /// Export an assignment's or a month's archived files as a BagIt bag (RFC 8493).
    Export {
        /// The assignment whose files to export.
        #[arg(
            long,
            value_name = "ID",
            conflicts_with = "month",
            required_unless_present = "month"
        )]
        assignment: Option<i64>,
        /// The month (YYYY-MM) whose archive folder to export.
        #[arg(long, value_name = "YYYY-MM")]
        month: Option<String>,
        /// Print a JSON summary.
        #[arg(long)]
        json: bool,
        /// Where to create the bag (must not exist, or be empty).
        #[arg(value_name = "DIR")]
        dir: PathBuf,
    },
    /// Manage login accounts.
    User {
        #[command(subcommand)]
        action: UserAction,
    },
    /// Manage API tokens.
    Token {
        #[command(subcommand)]
        action: TokenAction,
    },
    /// Seed a realistic day (people, cameras, events, assignments, generated
    /// card dumps) in DIR and serve it.
    Demo {
        /// Folder for the demo's config, inbox, archive and data.
        #[arg(long, default_value = "liputan-demo", value_name = "DIR")]
        dir: PathBuf,
        /// Address for the panel (default 127.0.0.1:8080, or what DIR's config says).
        #[arg(long, value_name = "ADDR")]
        listen: Option<String>,
    },
}

#[derive(Subcommand)]
enum UserAction {
    /// Create an account; the password is read from stdin (one line).
    Add {
        username: String,
        /// kadis, kabid, kasi, staf or tenaga_ahli.
        #[arg(long)]
        role: String,
        /// May manage users.
        #[arg(long)]
        admin: bool,
        /// Full name (default: the username).
        #[arg(long)]
        name: Option<String>,
        /// NIP (18 digits) for civil servants.
        #[arg(long)]
        nip: Option<String>,
        /// Crew roles: fotografer, kameraman, reporter (repeatable).
        #[arg(long = "crew-role")]
        crew_roles: Vec<String>,
    },
}

#[derive(Subcommand)]
enum TokenAction {
    /// Print a new API bearer token for USERNAME.
    Create {
        username: String,
        /// Days the token stays valid (default `server.token_days`, at most 3650).
        #[arg(long)]
        days: Option<u64>,
    },
    /// List API tokens (ids, owners, expiry, revoked or not; never the secrets).
    List {
        /// Only this person's tokens.
        username: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Revoke one token by its id (from `token list`), or every token of a person.
    Revoke {
        /// The token's id as `token list` shows it.
        #[arg(required_unless_present = "user", conflicts_with = "user")]
        id: Option<String>,
        /// Revoke every token of this username.
        #[arg(long)]
        user: Option<String>,
    },
}

fn main() -> ExitCode {
    // The catalog holds password hashes and the derived images show every
    // photo: whoever starts liputan (systemd, or an admin by hand), what it
    // creates is for its own user only (files 0600, folders 0700). The unit's
    // UMask=0077 says the same; this covers `serve`, `demo` and `ingest` run
    // from a shell whose umask is 022.
    // SAFETY: umask only sets the process's file mode mask; no memory is touched.
    unsafe {
        libc::umask(0o077);
    }
    let cli = Cli::parse();
    let config = match Config::load(cli.config.as_deref()) {
        Ok(config) => Arc::new(config),
        Err(e) => {
            eprintln!("liputan: {e}");
            return ExitCode::from(2);
        }
    };
    init_logging();
    let result = match cli.command {
        Command::Serve => serve(config),
        Command::Ingest { json, dirs } => ingest(config, &dirs, json),
        Command::Search {
            json,
            limit,
            kind,
            from,
            to,
            leader,
            photographer,
            query,
        } => {
            let query = liputan::browse::AssetQuery {
                q: Some(query.join(" ")),
                kind,
                from,
                to,
                leader,
                photographer,
                per_page: Some(limit),
                ..Default::default()
            };
            search(config, &query, json)
        }
        Command::Reindex => reindex(config),
        Command::Status { json } => status(&config, json),
        Command::Verify {
            json,
            mb_per_second,
        } => verify(&config, json, mb_per_second),
        Command::Export {
            assignment,
            month,
            json,
            dir,
        } => export(&config, assignment, month.as_deref(), json, &dir),
        Command::User {
            action:
                UserAction::Add {
                    username,
                    role,
                    admin,
                    name,
                    nip,
                    crew_roles,
                },
        } => add_user(&config, &username, &role, admin, name, nip, &crew_roles),
        Command::Token { action } => tokens(&config, action),
        Command::Demo { dir, listen } => demo(&dir, listen.as_deref()),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            tracing::error!("{e:#}");
            eprintln!("liputan: {e:#}");
            ExitCode::from(1)
        }
    }
}

fn init_logging() {
    use tracing_subscriber::layer::SubscriberExt as _;
    use tracing_subscriber::util::SubscriberInitExt as _;
    let filter = tracing_subscriber::EnvFilter::try_from_env("LIPUTAN_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // Not under systemd, or stderr redirected away from the journal stream
    // (JOURNAL_STREAM is inherited but names another file): plain stderr.
    if !liputan::journal::stderr_is_journal() {
        tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .init();
        return;
    }
    match liputan::journal::JournalLayer::from_env() {
        Ok(journal) => tracing_subscriber::registry()
            .with(filter)
            .with(journal)
            .init(),
        Err(e) => {
            // stderr is the journal stream: journald adds its own timestamps.
            tracing_subscriber::fmt()
                .with_env_filter(filter)
                .with_writer(std::io::stderr)
                .without_time()
                .with_ansi(false)
                .init();
            tracing::warn!(
                socket = %liputan::journal::socket_path().display(),
                "cannot reach the journal socket ({e}); logging to stderr"
            );
        }
    }
}

fn serve(config: Arc<Config>) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let stop = shutdown_signal();
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .map_err(|e| {
                anyhow::anyhow!("cannot listen on {} (server.listen): {e}", config.listen)
            })?;
        tracing::info!("panel on http://{}", listener.local_addr()?);
        liputan::app::serve(config, listener, stop).await
    })?;
    Ok(ExitCode::SUCCESS)
}

/// Resolves on SIGTERM or SIGINT. The handlers are installed when this is
/// called, not when the future is first polled: a stop requested while the
/// daemon is still starting (catalog recovery, index repair) must be a
/// graceful one, not the default action that kills the process. Needs the
/// runtime.
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    use tokio::signal::unix::{signal, SignalKind};
    let term = signal(SignalKind::terminate());
    let interrupt = signal(SignalKind::interrupt());
    async move {
        match (term, interrupt) {
            (Ok(mut term), Ok(mut interrupt)) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = interrupt.recv() => {}
                }
            }
            (Err(e), _) | (_, Err(e)) => {
                tracing::error!("cannot listen for SIGTERM/SIGINT: {e}; stopping only when killed");
                std::future::pending::<()>().await
            }
        }
    }
}

fn search(
    config: Arc<Config>,
    query: &liputan::browse::AssetQuery,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let found = match liputan::app::search(config, query) {
        Err(e)
            if e.downcast_ref::<liputan::Error>()
                .is_some_and(|e| matches!(e, liputan::Error::Invalid(_))) =>
        {
            eprintln!("liputan: {e}");
            return Ok(ExitCode::from(2));
        }
        other => other?,
    };
    let hits: Vec<_> = found
        .items
        .iter()
        .map(liputan::browse::AssetView::new)
        .collect();
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(
                &serde_json::json!({ "total": found.total, "hits": hits })
            )?
        );
    } else {
        println!(
            "{} found{}",
            found.total,
            if found.total > hits.len() {
                format!(", first {}", hits.len())
            } else {
                String::new()
            }
        );
        for hit in &hits {
            println!(
                "{}  {:<6} {}  {}",
                hit.captured_at.as_deref().unwrap_or("-"),
                hit.kind,
                hit.archive_path,
                &hit.id[..12]
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn verify(config: &Config, json: bool, mb_per_second: Option<u64>) -> anyhow::Result<ExitCode> {
    let report = liputan::care::verify_now(config, mb_per_second)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", report.human());
    }
    Ok(if report.ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn export(
    config: &Config,
    assignment: Option<i64>,
    month: Option<&str>,
    json: bool,
    dir: &std::path::Path,
) -> anyhow::Result<ExitCode> {
    use liputan::care::bagit::Selection;
    let selection = match (assignment, month) {
        (Some(id), _) => Selection::Assignment(id),
        (None, Some(month)) => match Selection::month(month) {
            Ok(selection) => selection,
            Err(e) => return usage_error(e),
        },
        (None, None) => {
            return usage_error(liputan::Error::Invalid(
                "--assignment or --month is needed".into(),
            ))
        }
    };
    let bag = match liputan::care::export_bag(config, selection, dir) {
        Ok(bag) => bag,
        Err(e @ liputan::Error::Io { .. }) | Err(e @ liputan::Error::Catalog(_)) => {
            return Err(e.into())
        }
        Err(e) => return usage_error(e),
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&bag)?);
    } else {
        println!(
            "bag {}: {} files, {:.1} MB (Payload-Oxum {}, External-Identifier {}) in {:.1} s",
            bag.dir,
            bag.files,
            bag.bytes as f64 / 1e6,
            bag.payload_oxum,
            bag.external_identifier,
            bag.seconds
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn status(config: &Config, json: bool) -> anyhow::Result<ExitCode> {
    let readiness = liputan::metrics::status_offline(config);
    if json {
        println!("{}", serde_json::to_string_pretty(&readiness)?);
    } else {
        print!("{}", readiness.human());
    }
    Ok(if readiness.ready {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn reindex(config: Arc<Config>) -> anyhow::Result<ExitCode> {
    let (indexed, thumbnails) = liputan::app::reindex(config)?;
    println!("indexed {indexed} assets; {thumbnails} missing thumbnails queued and made");
    Ok(ExitCode::SUCCESS)
}

fn ingest(config: Arc<Config>, dirs: &[PathBuf], json: bool) -> anyhow::Result<ExitCode> {
    let summary = liputan::app::ingest_once(config, dirs)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
    } else {
        println!(
            "archived {}, duplicates {}, rejected {}, triage {}, damaged {}, failed {} ({:.1} MB in {:.1} s)",
            summary.archived,
            summary.duplicates,
            summary.rejected,
            summary.triage,
            summary.damaged,
            summary.failed,
            summary.bytes as f64 / 1e6,
            summary.seconds
        );
        for error in &summary.errors {
            println!("  {}: {}", error.path, error.reason);
        }
    }
    Ok(if summary.failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Bad input from the command line is a usage error (exit 2), naming the field.
fn usage_error(e: liputan::Error) -> anyhow::Result<ExitCode> {
    match e {
        liputan::Error::Invalid(m) | liputan::Error::Conflict(m) | liputan::Error::NotFound(m) => {
            eprintln!("liputan: {m}");
            Ok(ExitCode::from(2))
        }
        other => Err(other.into()),
    }
}

fn add_user(
    config: &Config,
    username: &str,
    role: &str,
    admin: bool,
    name: Option<String>,
    nip: Option<String>,
    crew_roles: &[String],
) -> anyhow::Result<ExitCode> {
    let mut password = String::new();
    std::io::stdin().read_line(&mut password)?;
    let password = password.trim_end_matches(['\r', '\n']);
    let name = name.unwrap_or_else(|| username.to_owned());
    let person = match liputan::schedule::new_person(
        username,
        &name,
        role,
        crew_roles,
        nip.as_deref(),
        admin,
    ) {
        Ok(p) => p,
        Err(e) => return usage_error(e),
    };
    match liputan::app::add_user(config, &person, password) {
        Ok(()) => {
            eprintln!("liputan: account {username} ({role}) created");
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => usage_error(e),
    }
}

fn tokens(config: &Config, action: TokenAction) -> anyhow::Result<ExitCode> {
    use liputan::app::TokenChoice;
    let done = match action {
        TokenAction::Create { username, days } => {
            liputan::app::create_token(config, &username, days).map(|token| println!("{token}"))
        }
        TokenAction::List { username, json } => {
            liputan::app::list_tokens(config, username.as_deref()).map(|list| {
                if json {
                    println!("{}", serde_json::json!({ "tokens": list }));
                } else {
                    print_tokens(&list, config.zone);
                }
            })
        }
        TokenAction::Revoke { id, user } => {
            let which = match (id.as_deref(), user.as_deref()) {
                (_, Some(user)) => TokenChoice::User(user),
                (Some(id), None) => TokenChoice::Id(id),
                (None, None) => {
                    return usage_error(liputan::Error::Invalid(
                        "token revoke: sebutkan id token atau --user USERNAME".into(),
                    ))
                }
            };
            liputan::app::revoke_tokens(config, which)
                .map(|n| eprintln!("liputan: {n} token dicabut"))
        }
    };
    match done {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(e) => usage_error(e),
    }
}

fn print_tokens(list: &[liputan::catalog::TokenRecord], zone: jiff::tz::Offset) {
    use liputan::catalog::TokenState;
    let day = |ms: i64| {
        jiff::Timestamp::from_millisecond(ms)
            .map(|t| liputan::dates::date_in(t, zone).to_string())
            .unwrap_or_else(|_| "?".into())
    };
    println!(
        "{:<12}  {:<16}  {:<10}  {:<10}  keadaan",
        "id", "pengguna", "dibuat", "berlaku s.d."
    );
    for t in list {
        let state = match t.state {
            TokenState::Active => "aktif".to_owned(),
            TokenState::Expired => "kedaluwarsa".to_owned(),
            TokenState::Revoked => format!(
                "dicabut {} ({})",
                t.revoked_at_ms.map(day).unwrap_or_default(),
                t.revoked_why.as_deref().unwrap_or("-")
            ),
        };
        println!(
            "{:<12}  {:<16}  {:<10}  {:<10}  {state}",
            t.id,
            t.username,
            day(t.created_at_ms),
            day(t.expires_at_ms)
        );
    }
}

/// `liputan demo`: prepares (or reuses) the demo folder, prints where things are
/// and the demo logins, and serves it like `serve`.
fn demo(dir: &std::path::Path, listen: Option<&str>) -> anyhow::Result<ExitCode> {
    let demo = match liputan::demo::prepare(dir, listen) {
        Ok(demo) => demo,
        Err(e @ (liputan::Error::Invalid(_) | liputan::Error::Conflict(_))) => {
            eprintln!("liputan: {e}");
            return Ok(ExitCode::from(2));
        }
        Err(e) => return Err(e.into()),
    };
    print!("{}", demo.banner());
    std::io::Write::flush(&mut std::io::stdout())?;
    serve(Arc::new(demo.config))
}
