//! Configuration: the TOML file (or the embedded default) parsed once, checked,
//! and turned into a [`Config`] that the rest of the program reads. Nothing else
//! sees raw text. Owns the rules for keys and values; not where files go.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

/// The documented default config; also what runs when no `--config` is given.
pub const EMBEDDED_DEFAULT: &str = include_str!("../config/liputan.toml");

/// Longest lifetime of an API token, in days (ten years).
pub const MAX_TOKEN_DAYS: u64 = 3650;

/// A config that cannot be used, with the key it is about.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config {origin}: `{key}`: {message}")]
    Invalid {
        origin: String,
        key: String,
        message: String,
    },
}

/// `[server]`: what keeps connections from holding the daemon.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpSettings {
    /// Extra host names accepted in `Host`, lower case, without port.
    pub allowed_hosts: Vec<String>,
    pub header_timeout: Duration,
    pub idle_timeout: Duration,
    pub body_timeout: Duration,
    pub max_connections: usize,
    /// 0: no per-address limit.
    pub max_connections_per_address: usize,
    /// Peers the per-address limit does not apply to: `server.trusted_proxies`
    /// (a reverse proxy carries everyone's connections under its address).
    pub proxies: Vec<std::net::IpAddr>,
    pub live_per_user: usize,
}

/// The checked configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub inbox: Vec<PathBuf>,
    pub archive: PathBuf,
    pub data: PathBuf,
    pub listen: SocketAddr,
    /// `[server]` limits on connections, timeouts and hosts (`crate::web::serve`).
    pub http: HttpSettings,
    pub zone: jiff::tz::Offset,
    pub settle: Duration,
    pub rescan: Duration,
    pub delete_source_after_verify: bool,
    pub incomplete_grace: Duration,
    pub workers: usize,
    pub thumb_workers: usize,
    pub min_free_bytes: u64,
    pub before_minutes: u32,
    pub after_minutes: u32,
    pub session_idle: Duration,
    pub session_max: Duration,
    /// How long an API token made without `--days` stays valid.
    pub token_valid: Duration,
    pub upload_max_bytes: u64,
    /// Peers whose `X-Forwarded-For` names the client (the office's TLS
    /// proxy); empty: the header is ignored.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Password attempts per client address per minute that did not succeed
    /// (checked before hashing).
    pub login_attempts_per_minute: u32,
    /// Per person: the declared sizes of their unfinished uploads, together.
    pub upload_quota_bytes: u64,
    /// Per person: how many unfinished uploads at once.
    pub upload_max_open: u64,
    /// `[publish]`: web copies, credit lines, the end-of-day hour (reports).
    pub publish: crate::reports::PublishSettings,
    /// Scheduled fixity check of the archive and replicas; `None`: never.
    pub verify_every: Option<Duration>,
    /// Read rate limit of the scheduled verify, bytes per second; 0: none.
    pub verify_bytes_per_second: u64,
    /// Replica roots: full, verified copies of the archive.
    pub replicas: Vec<PathBuf>,
    /// How often the replica worker looks for files to copy and for replicas
    /// that came back.
    pub replica_poll: Duration,
    /// `[letter]`: Surat Tugas numbering, kop, wording, paper (`crate::letters`).
    pub letter: crate::letters::LetterSettings,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    paths: PathsSection,
    server: ServerSection,
    time: TimeSection,
    ingest: IngestSection,
    matching: MatchingSection,
    publish: PublishSection,
    verify: VerifySection,
    replication: ReplicationSection,
    letter: LetterSection,
    replica: Vec<ReplicaEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PathsSection {
    inbox: Vec<PathBuf>,
    archive: PathBuf,
    data: PathBuf,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ServerSection {
    listen: String,
    allowed_hosts: Vec<String>,
    header_timeout_seconds: u64,
    idle_timeout_seconds: u64,
    body_timeout_seconds: u64,
    max_connections: usize,
    max_connections_per_address: usize,
    live_per_user: usize,
    session_idle_minutes: u64,
    session_max_hours: u64,
    token_days: u64,
    upload_max_mb: u64,
    trusted_proxies: Vec<String>,
    login_attempts_per_minute: u32,
    upload_quota_mb: u64,
    upload_max_open: u64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TimeSection {
    zone: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IngestSection {
    settle_seconds: u64,
    rescan_minutes: u64,
    delete_source_after_verify: bool,
    incomplete_grace_seconds: u64,
    workers: usize,
    thumb_workers: usize,
    min_free_mb: u64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MatchingSection {
    before_minutes: u32,
    after_minutes: u32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PublishSection {
    web_long_edge_px: u32,
    credit: String,
    copyright: String,
    region: String,
    complete_by_hour: u8,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VerifySection {
    every_days: u64,
    mb_per_second: u64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReplicationSection {
    poll_seconds: u64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LetterSection {
    paper: String,
    font: String,
    font_size: f64,
    number_pattern: String,
    klasifikasi: String,
    unit: String,
    urut_digits: usize,
    government: String,
    agency: String,
    address: Vec<String>,
    logo: String,
    title: String,
    diktum: String,
    dasar: Vec<String>,
    untuk: Vec<String>,
    place: String,
    signer: String,
    signer_title: String,
    tembusan: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReplicaEntry {
    path: PathBuf,
}

impl Config {
    /// Loads `path`, or the embedded default when `None`. Keys missing from a
    /// file take their default, so a file may hold only what it changes.
    pub fn load(path: Option<&Path>) -> Result<Config, ConfigError> {
        match path {
            None => Config::parse(EMBEDDED_DEFAULT, "embedded default", Path::new(".")),
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                    path: path.to_owned(),
                    source,
                })?;
                let base = path.parent().unwrap_or(Path::new("."));
                Config::parse(&text, &path.display().to_string(), base)
            }
        }
    }

    /// Parses `text` over the embedded default; relative paths resolve against `base`.
    pub fn parse(text: &str, origin: &str, base: &Path) -> Result<Config, ConfigError> {
        let invalid = |key: String, message: String| ConfigError::Invalid {
            origin: origin.to_owned(),
            key,
            message,
        };
        let mut merged: toml::Table = toml::from_str(EMBEDDED_DEFAULT)
            .map_err(|e| invalid("(embedded default)".into(), e.to_string()))?;
        let overrides: toml::Table = toml::from_str(text).map_err(|e| {
            invalid(
                "(syntax)".into(),
                e.message().to_owned() + &describe_span(text, e.span()),
            )
        })?;
        merge_tables(&mut merged, overrides, "", &invalid)?;
        let file: FileConfig = serde_path_to_error::deserialize(toml::Value::Table(merged))
            .map_err(|e| invalid(e.path().to_string(), e.inner().to_string()))?;
        Config::check(file, base).map_err(|(key, message)| invalid(key.into(), message))
    }

    fn check(file: FileConfig, base: &Path) -> Result<Config, (&'static str, String)> {
        let resolve = |p: &Path| {
            if p.is_absolute() || base == Path::new(".") {
                p.to_owned()
            } else {
                base.join(p)
            }
        };
        if file.paths.inbox.is_empty() {
            return Err(("paths.inbox", "at least one inbox folder is needed".into()));
        }
        let inbox: Vec<PathBuf> = file.paths.inbox.iter().map(|p| resolve(p)).collect();
        let archive = resolve(&file.paths.archive);
        let data = resolve(&file.paths.data);
        for root in &inbox {
            if nested(root, &archive) {
                return Err((
                    "paths.archive",
                    format!(
                        "the archive and the inbox {} must not contain each other",
                        root.display()
                    ),
                ));
            }
            if nested(root, &data) {
                return Err((
                    "paths.data",
                    format!(
                        "the data folder and the inbox {} must not contain each other",
                        root.display()
                    ),
                ));
            }
        }
        let listen = file.server.listen.parse().map_err(|e| {
            (
                "server.listen",
                format!(
                    "{:?} is not an address like 127.0.0.1:8080 ({e})",
                    file.server.listen
                ),
            )
        })?;
        let mut http = check_http(&file.server)?;
        let zone = parse_offset(&file.time.zone).ok_or_else(|| {
            (
                "time.zone",
                format!("{:?} is not a UTC offset like +08:00", file.time.zone),
            )
        })?;
        let ingest = &file.ingest;
        let server = &file.server;
        if server.session_idle_minutes == 0 || server.session_max_hours == 0 {
            return Err((
                "server.session_idle_minutes",
                "session limits must be at least 1".into(),
            ));
        }
        if !(1..=MAX_TOKEN_DAYS).contains(&server.token_days) {
            return Err((
                "server.token_days",
                format!("must be between 1 and {MAX_TOKEN_DAYS}"),
            ));
        }
        let trusted_proxies = server
            .trusted_proxies
            .iter()
            .map(|p| {
                p.trim().parse().map_err(|_| {
                    (
                        "server.trusted_proxies",
                        format!("{p:?} is not an IP address like 127.0.0.1"),
                    )
                })
            })
            .collect::<Result<Vec<std::net::IpAddr>, _>>()?;
        http.proxies = trusted_proxies.clone();
        if server.login_attempts_per_minute == 0 {
            return Err((
                "server.login_attempts_per_minute",
                "must be at least 1".into(),
            ));
        }
        if ingest.rescan_minutes == 0 {
            return Err(("ingest.rescan_minutes", "must be at least 1".into()));
        }
        if ingest.workers == 0 || ingest.workers > 64 {
            return Err(("ingest.workers", "must be between 1 and 64".into()));
        }
        if ingest.thumb_workers == 0 || ingest.thumb_workers > 64 {
            return Err(("ingest.thumb_workers", "must be between 1 and 64".into()));
        }
        if file.replication.poll_seconds == 0 {
            return Err(("replication.poll_seconds", "must be at least 1".into()));
        }
        let mut replicas: Vec<PathBuf> = Vec::new();
        for (i, entry) in file.replica.iter().enumerate() {
            // Named with its index; leaked only on the way to exit code 2.
            let key =
                || -> &'static str { Box::leak(format!("replica[{i}].path").into_boxed_str()) };
            let path = resolve(&entry.path);
            if path.as_os_str().is_empty() {
                return Err((key(), "must name a folder".into()));
            }
            for (what, other) in inbox
                .iter()
                .map(|p| ("an inbox", p))
                .chain([("the archive", &archive), ("the data folder", &data)])
                .chain(replicas.iter().map(|p| ("another replica", p)))
            {
                if nested(&path, other) {
                    return Err((
                        key(),
                        format!(
                            "{} and {what} ({}) must not contain each other",
                            path.display(),
                            other.display()
                        ),
                    ));
                }
            }
            replicas.push(path);
        }
        let letter = check_letter(&file.letter, &resolve)?;
        let publish = &file.publish;
        if !(320..=8192).contains(&publish.web_long_edge_px) {
            return Err((
                "publish.web_long_edge_px",
                "must be between 320 and 8192".into(),
            ));
        }
        for (key, text) in [
            ("publish.credit", &publish.credit),
            ("publish.copyright", &publish.copyright),
            ("publish.region", &publish.region),
        ] {
            if text.chars().count() > 200 || text.chars().any(char::is_control) {
                return Err((key, "at most 200 characters, no control characters".into()));
            }
        }
        if publish.complete_by_hour > 23 {
            return Err((
                "publish.complete_by_hour",
                "must be an hour from 0 to 23".into(),
            ));
        }
        Ok(Config {
            inbox,
            archive,
            data,
            listen,
            http,
            zone,
            settle: Duration::from_secs(ingest.settle_seconds),
            rescan: Duration::from_secs(ingest.rescan_minutes * 60),
            delete_source_after_verify: ingest.delete_source_after_verify,
            incomplete_grace: Duration::from_secs(ingest.incomplete_grace_seconds),
            workers: ingest.workers,
            thumb_workers: ingest.thumb_workers,
            min_free_bytes: ingest.min_free_mb.saturating_mul(1024 * 1024),
            before_minutes: file.matching.before_minutes,
            after_minutes: file.matching.after_minutes,
            session_idle: Duration::from_secs(server.session_idle_minutes * 60),
            session_max: Duration::from_secs(server.session_max_hours * 3600),
            token_valid: Duration::from_secs(server.token_days * 86_400),
            upload_max_bytes: server.upload_max_mb.saturating_mul(1024 * 1024),
            trusted_proxies,
            login_attempts_per_minute: server.login_attempts_per_minute,
            upload_quota_bytes: server.upload_quota_mb.saturating_mul(1024 * 1024),
            upload_max_open: server.upload_max_open,
            publish: crate::reports::PublishSettings {
                web_long_edge: file.publish.web_long_edge_px,
                credit: file.publish.credit.trim().to_owned(),
                copyright: file.publish.copyright.trim().to_owned(),
                region: file.publish.region.trim().to_owned(),
                complete_by_hour: file.publish.complete_by_hour,
            },
            verify_every: match file.verify.every_days {
                0 => None,
                days => Some(Duration::from_secs(days.saturating_mul(86_400))),
            },
            verify_bytes_per_second: file.verify.mb_per_second.saturating_mul(1024 * 1024),
            replicas,
            replica_poll: Duration::from_secs(file.replication.poll_seconds),
            letter,
        })
    }

    /// The search index folder.
    pub fn index_path(&self) -> PathBuf {
        self.data.join("index")
    }

    /// The catalog database file.
    pub fn catalog_path(&self) -> PathBuf {
        self.data.join("catalog.sqlite")
    }
}

/// `[server]`'s connection limits checked.
fn check_http(server: &ServerSection) -> Result<HttpSettings, (&'static str, String)> {
    for (key, value) in [
        (
            "server.header_timeout_seconds",
            server.header_timeout_seconds,
        ),
        ("server.idle_timeout_seconds", server.idle_timeout_seconds),
        ("server.body_timeout_seconds", server.body_timeout_seconds),
    ] {
        if !(1..=3600).contains(&value) {
            return Err((key, "must be between 1 and 3600 seconds".into()));
        }
    }
    if !(1..=1_000_000).contains(&server.max_connections) {
        return Err((
            "server.max_connections",
            "must be between 1 and 1000000".into(),
        ));
    }
    if !(1..=1000).contains(&server.live_per_user) {
        return Err(("server.live_per_user", "must be between 1 and 1000".into()));
    }
    let mut allowed_hosts = Vec::new();
    for host in &server.allowed_hosts {
        let host = host.trim().to_ascii_lowercase();
        let valid = !host.is_empty()
            && host.len() <= 253
            && host.bytes().all(|b| {
                b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b':' | b'[' | b']')
            });
        if !valid {
            return Err((
                "server.allowed_hosts",
                format!("{host:?} is not a host name like panel.example.go.id"),
            ));
        }
        allowed_hosts.push(host);
    }
    Ok(HttpSettings {
        allowed_hosts,
        header_timeout: Duration::from_secs(server.header_timeout_seconds),
        idle_timeout: Duration::from_secs(server.idle_timeout_seconds),
        body_timeout: Duration::from_secs(server.body_timeout_seconds),
        max_connections: server.max_connections,
        max_connections_per_address: server.max_connections_per_address,
        proxies: Vec::new(),
        live_per_user: server.live_per_user,
    })
}

/// `[letter]` checked: known paper and font, a number pattern with `{urut}`,
/// short texts without control characters, a username or nothing as signer.
fn check_letter(
    l: &LetterSection,
    resolve: &impl Fn(&Path) -> PathBuf,
) -> Result<crate::letters::LetterSettings, (&'static str, String)> {
    use crate::letters::{check_pattern, Family, LetterSettings, Paper};
    let paper = match l.paper.to_ascii_uppercase().as_str() {
        "A4" => Paper::A4,
        "F4" => Paper::F4,
        _ => {
            return Err((
                "letter.paper",
                format!("{:?} is not \"A4\" or \"F4\"", l.paper),
            ))
        }
    };
    let font = match l.font.to_ascii_lowercase().as_str() {
        "times" => Family::Times,
        "helvetica" => Family::Helvetica,
        _ => {
            return Err((
                "letter.font",
                format!("{:?} is not \"times\" or \"helvetica\"", l.font),
            ))
        }
    };
    if !(8.0..=16.0).contains(&l.font_size) {
        return Err((
            "letter.font_size",
            "must be between 8 and 16 (points)".into(),
        ));
    }
    check_pattern(&l.number_pattern).map_err(|m| ("letter.number_pattern", m))?;
    if !(1..=8).contains(&l.urut_digits) {
        return Err(("letter.urut_digits", "must be between 1 and 8".into()));
    }
    let bad_text = |s: &str| s.chars().count() > 300 || s.chars().any(char::is_control);
    for (key, text) in [
        ("letter.klasifikasi", &l.klasifikasi),
        ("letter.unit", &l.unit),
        ("letter.government", &l.government),
        ("letter.agency", &l.agency),
        ("letter.title", &l.title),
        ("letter.diktum", &l.diktum),
        ("letter.place", &l.place),
        ("letter.signer_title", &l.signer_title),
    ] {
        if bad_text(text) {
            return Err((key, "at most 300 characters, no control characters".into()));
        }
    }
    for (key, list) in [
        ("letter.address", &l.address),
        ("letter.dasar", &l.dasar),
        ("letter.untuk", &l.untuk),
        ("letter.tembusan", &l.tembusan),
    ] {
        if list.len() > 20 || list.iter().any(|s| bad_text(s)) {
            return Err((
                key,
                "at most 20 entries of at most 300 characters, no control characters".into(),
            ));
        }
    }
    let signer = l.signer.trim();
    if !signer.is_empty() {
        crate::schedule::check_username("letter.signer", signer)
            .map_err(|e| ("letter.signer", e.to_string()))?;
    }
    Ok(LetterSettings {
        paper,
        font,
        font_size: l.font_size as f32,
        number_pattern: l.number_pattern.clone(),
        klasifikasi: l.klasifikasi.trim().to_owned(),
        unit: l.unit.trim().to_owned(),
        urut_digits: l.urut_digits,
        government: l.government.trim().to_owned(),
        agency: l.agency.trim().to_owned(),
        address: l.address.clone(),
        logo: (!l.logo.trim().is_empty()).then(|| resolve(Path::new(l.logo.trim()))),
        title: l.title.trim().to_owned(),
        diktum: l.diktum.trim().to_owned(),
        dasar: l.dasar.clone(),
        untuk: l.untuk.clone(),
        place: l.place.trim().to_owned(),
        signer: (!signer.is_empty()).then(|| signer.to_owned()),
        signer_title: l.signer_title.trim().to_owned(),
        tembusan: l.tembusan.clone(),
    })
}

/// Lays `overrides` over `base`, refusing keys the default does not know, so a
/// typo is an error rather than a silently ignored setting.
fn merge_tables<E>(
    base: &mut toml::Table,
    overrides: toml::Table,
    prefix: &str,
    invalid: &impl Fn(String, String) -> E,
) -> Result<(), E> {
    for (key, value) in overrides {
        let path = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        match (base.get_mut(&key), value) {
            (None, _) => return Err(invalid(path, "unknown key".into())),
            (Some(toml::Value::Table(inner)), toml::Value::Table(value)) => {
                merge_tables(inner, value, &path, invalid)?
            }
            (Some(toml::Value::Table(_)), _) => {
                return Err(invalid(path, "must be a table (a [section])".into()))
            }
            (Some(slot), value) => *slot = value,
        }
    }
    Ok(())
}

/// `+08:00`, `-03:30`, `+0800` or `Z`.
pub fn parse_offset(text: &str) -> Option<jiff::tz::Offset> {
    if text == "Z" {
        return Some(jiff::tz::Offset::UTC);
    }
    let (sign, rest) = match text.as_bytes().first()? {
        b'+' => (1, &text[1..]),
        b'-' => (-1, &text[1..]),
        _ => return None,
    };
    let digits: String = rest.chars().filter(|c| *c != ':').collect();
    if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) || rest.len() > 5 {
        return None;
    }
    let hours: i32 = digits[..2].parse().ok()?;
    let minutes: i32 = digits[2..].parse().ok()?;
    if hours > 14 || minutes > 59 {
        return None;
    }
    jiff::tz::Offset::from_seconds(sign * (hours * 3600 + minutes * 60)).ok()
}

fn describe_span(text: &str, span: Option<std::ops::Range<usize>>) -> String {
    match span {
        Some(span) => {
            let line = text[..span.start.min(text.len())].matches('\n').count() + 1;
            format!(" (line {line})")
        }
        None => String::new(),
    }
}

/// True when one path lies inside the other (lexically, before the folders exist).
fn nested(a: &Path, b: &Path) -> bool {
    let a = lexical(a);
    let b = lexical(b);
    a.starts_with(&b) || b.starts_with(&a)
}

fn lexical(p: &Path) -> PathBuf {
    let absolute = if p.is_absolute() {
        p.to_owned()
    } else {
        std::env::current_dir().unwrap_or_default().join(p)
    };
    let mut out = PathBuf::new();
    for part in absolute.components() {
        match part {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(text, "test", Path::new("/srv/liputan"))
    }

    #[test]
    fn the_documented_file_is_the_default_and_parses() {
        let config = Config::load(None).expect("embedded default");
        assert_eq!(config.settle, Duration::from_secs(5));
        assert_eq!(config.rescan, Duration::from_secs(600));
        assert_eq!(config.zone, jiff::tz::offset(8));
        assert_eq!(config.listen.to_string(), "127.0.0.1:8080");
        assert!(!config.delete_source_after_verify);
        assert_eq!((config.before_minutes, config.after_minutes), (60, 180));
        assert!(
            config.trusted_proxies.is_empty(),
            "X-Forwarded-For off by default"
        );
        assert_eq!(config.login_attempts_per_minute, 10);
        let config = parse("[server]\ntrusted_proxies = [\"127.0.0.1\", \"::1\"]\n").unwrap();
        assert_eq!(config.trusted_proxies.len(), 2);
        assert_eq!(config.http.header_timeout, Duration::from_secs(15));
        assert_eq!(config.http.idle_timeout, Duration::from_secs(60));
        assert_eq!(config.http.body_timeout, Duration::from_secs(30));
        assert_eq!(config.http.max_connections, 512);
        assert_eq!(config.http.max_connections_per_address, 64);
        assert_eq!(config.http.live_per_user, 4);
        assert!(config.http.allowed_hosts.is_empty());
    }

    #[test]
    fn a_file_may_hold_only_what_it_changes_and_paths_resolve_beside_it() {
        let config = parse("[ingest]\nsettle_seconds = 2\n").unwrap();
        assert_eq!(config.settle, Duration::from_secs(2));
        assert_eq!(config.archive, Path::new("/srv/liputan/./archive"));
    }

    #[test]
    fn an_unknown_key_is_named() {
        let err = parse("[ingest]\nsettle_secs = 2\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("ingest.settle_secs"), "{err}");
        let err = parse("[nonsense]\n").unwrap_err().to_string();
        assert!(err.contains("nonsense"), "{err}");
    }

    #[test]
    fn a_bad_value_is_named() {
        for (text, key) in [
            (
                "[ingest]\nsettle_seconds = \"five\"\n",
                "ingest.settle_seconds",
            ),
            ("[ingest]\nsettle_seconds = -1\n", "ingest.settle_seconds"),
            ("[time]\nzone = \"WITA\"\n", "time.zone"),
            ("[server]\nlisten = \"localhost\"\n", "server.listen"),
            (
                "[server]\ntrusted_proxies = [\"proxy.local\"]\n",
                "server.trusted_proxies",
            ),
            ("[ingest]\nrescan_minutes = 0\n", "ingest.rescan_minutes"),
            (
                "[server]\nheader_timeout_seconds = 0\n",
                "server.header_timeout_seconds",
            ),
            ("[server]\nmax_connections = 0\n", "server.max_connections"),
            (
                "[server]\nallowed_hosts = [\"evil/x\"]\n",
                "server.allowed_hosts",
            ),
            ("[paths]\ninbox = []\n", "paths.inbox"),
            (
                "[paths]\ninbox = [\"/a\"]\narchive = \"/a/archive\"\n",
                "paths.archive",
            ),
            ("[ingest]\n", "ingest"),
        ] {
            match parse(text) {
                Err(e) if key == "ingest" => panic!("{text:?} should parse, got {e}"),
                Err(e) => assert!(e.to_string().contains(key), "{text:?}: {e}"),
                Ok(_) if key == "ingest" => {}
                Ok(_) => panic!("{text:?} should be refused"),
            }
        }
    }

    #[test]
    fn a_syntax_error_says_where() {
        let err = parse("[ingest\n").unwrap_err().to_string();
        assert!(err.contains("line 1"), "{err}");
    }
}
