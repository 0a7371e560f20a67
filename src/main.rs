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
}

fn main() -> ExitCode {
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
    let filter = tracing_subscriber::EnvFilter::try_from_env("LIPUTAN_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // Under systemd, journald adds its own timestamps.
    let under_systemd = std::env::var_os("JOURNAL_STREAM").is_some();
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if under_systemd {
        builder.without_time().with_ansi(false).init();
    } else {
        builder.init();
    }
}

fn serve(config: Arc<Config>) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .map_err(|e| {
                anyhow::anyhow!("cannot listen on {} (server.listen): {e}", config.listen)
            })?;
        tracing::info!("panel on http://{}", listener.local_addr()?);
        liputan::app::serve(config, listener, shutdown_signal()).await
    })?;
    Ok(ExitCode::SUCCESS)
}

async fn shutdown_signal() {
    let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(term) => term,
        Err(e) => {
            tracing::error!("cannot listen for SIGTERM: {e}");
            let _ = tokio::signal::ctrl_c().await;
            return;
        }
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
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
