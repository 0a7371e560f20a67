//! Logging to systemd's journal over its native protocol, by hand: one
//! datagram per event to the unix socket `/run/systemd/journal/socket`, each
//! field written as `KEY=value\n`, or, when the value holds a newline, as
//! `KEY\n` + the value's length (64-bit little endian) + the value + `\n`
//! (`systemd.journal-fields(7)`, "Native Journal Protocol").
//!
//! Each event carries `MESSAGE` (the message, followed by the event's fields
//! as `name=value`, so plain `journalctl` shows what stderr would),
//! `PRIORITY` (error 3, warn 4, info 6, debug and trace 7),
//! `SYSLOG_IDENTIFIER=liputan`, `CODE_FILE`, `CODE_LINE`, `TARGET` (the
//! tracing target), and every field of the event and of its enclosing spans
//! as a journal field of its own, its name upper-cased ([`field_name`]): so
//! `journalctl -u liputan PATH=/srv/liputan/inbox/...` finds the events about
//! one file.
//!
//! An event too large for one datagram goes the way `sd_journal_send(3)`
//! sends it: written to a sealed memfd whose descriptor is passed with
//! `SCM_RIGHTS`. An event that cannot be sent at all (journald restarting,
//! say) is written to stderr instead, with a `<N>` priority prefix that
//! journald's stream reader understands.
//!
//! [`stderr_is_journal`] says whether to use this at all: per systemd's
//! documentation, only when `JOURNAL_STREAM` names stderr's own device and
//! inode, i.e. stderr really is connected to the journal.

use std::borrow::Cow;
use std::fmt::{self, Write as _};
use std::io::{self, Write as _};
use std::os::fd::{AsRawFd as _, FromRawFd as _, OwnedFd};
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::Layer;

/// journald's native socket.
pub const DEFAULT_SOCKET: &str = "/run/systemd/journal/socket";

/// Overrides [`DEFAULT_SOCKET`]: a test hook (the integration tests point it
/// at a socket of their own), and for systems whose journal socket lives
/// elsewhere. Empty means unset.
pub const SOCKET_ENV: &str = "LIPUTAN_JOURNAL_SOCKET";

/// The value of `SYSLOG_IDENTIFIER`.
pub const IDENTIFIER: &str = "liputan";

/// The fields this layer writes itself; event fields that would land on one
/// of these names get the `F_` prefix instead.
const OWN_FIELDS: &[&str] = &[
    "MESSAGE",
    "PRIORITY",
    "SYSLOG_IDENTIFIER",
    "CODE_FILE",
    "CODE_LINE",
    "TARGET",
];

/// Longest field name journald accepts.
const MAX_NAME: usize = 64;

/// What `sd_journal_send` asks for; the kernel caps it at `wmem_max`.
const SNDBUF: libc::c_int = 8 * 1024 * 1024;

/// Whether stderr is the journal: `JOURNAL_STREAM` is set (`device:inode`,
/// as systemd puts it) and equals stderr's device and inode (`fstat(2)`).
/// A service whose stderr was redirected elsewhere inherits the variable but
/// not the stream, hence the comparison.
pub fn stderr_is_journal() -> bool {
    let Some(stream) = std::env::var_os("JOURNAL_STREAM") else {
        return false;
    };
    let Some((dev, ino)) = stream.to_str().and_then(parse_journal_stream) else {
        return false;
    };
    // SAFETY: fstat writes into the zeroed struct we own; fd 2 may be closed,
    // which fstat reports as an error.
    let mut stat: libc::stat = unsafe { std::mem::zeroed() };
    if unsafe { libc::fstat(libc::STDERR_FILENO, &mut stat) } != 0 {
        return false;
    }
    stat.st_dev as u64 == dev && stat.st_ino as u64 == ino
}

/// `device:inode`, both decimal, as in `JOURNAL_STREAM`.
pub fn parse_journal_stream(value: &str) -> Option<(u64, u64)> {
    let (dev, ino) = value.trim().split_once(':')?;
    Some((dev.parse().ok()?, ino.parse().ok()?))
}

/// The journal socket: `LIPUTAN_JOURNAL_SOCKET` if set and not empty, else
/// [`DEFAULT_SOCKET`].
pub fn socket_path() -> PathBuf {
    std::env::var_os(SOCKET_ENV)
        .filter(|s| !s.is_empty())
        .map_or_else(|| PathBuf::from(DEFAULT_SOCKET), PathBuf::from)
}

/// `PRIORITY` for a tracing level (syslog numbering).
pub fn priority(level: &Level) -> u8 {
    match *level {
        Level::ERROR => 3,
        Level::WARN => 4,
        Level::INFO => 6,
        Level::DEBUG | Level::TRACE => 7,
    }
}

/// A tracing field name as a journal field name: ASCII letters upper-cased,
/// digits and `_` kept, anything else (`.`, `-`, `#`, non-ASCII) becomes `_`;
/// a name that then starts with `_` (reserved for journald's trusted fields)
/// or a digit, is empty, or is one of the fields this layer writes itself,
/// gets the prefix `F_`; at most 64 characters.
pub fn field_name(name: &str) -> Cow<'_, str> {
    let plain = name.len() <= MAX_NAME
        && name
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
        && name.bytes().next().is_some_and(|b| b.is_ascii_uppercase())
        && !OWN_FIELDS.contains(&name);
    if plain {
        return Cow::Borrowed(name);
    }
    let mut out: String = name
        .chars()
        .map(|c| match c {
            'A'..='Z' | '0'..='9' | '_' => c,
            'a'..='z' => c.to_ascii_uppercase(),
            _ => '_',
        })
        .collect();
    let first_ok = out.bytes().next().is_some_and(|b| b.is_ascii_uppercase());
    if !first_ok || OWN_FIELDS.contains(&out.as_str()) {
        out.insert_str(0, "F_");
    }
    out.truncate(MAX_NAME);
    Cow::Owned(out)
}

/// Appends one field in the native protocol's form: `NAME=value\n`, or for a
/// value with a newline in it `NAME\n<u64 LE length><value>\n`. `name` must
/// already be a valid journal field name ([`field_name`]).
pub fn put_field(buf: &mut Vec<u8>, name: &str, value: &[u8]) {
    buf.extend_from_slice(name.as_bytes());
    if value.contains(&b'\n') {
        buf.push(b'\n');
        buf.extend_from_slice(&(value.len() as u64).to_le_bytes());
    } else {
        buf.push(b'=');
    }
    buf.extend_from_slice(value);
    buf.push(b'\n');
}

/// A `tracing_subscriber` layer that sends every event to the journal.
pub struct JournalLayer {
    socket: UnixDatagram,
    path: PathBuf,
    /// Set while sends fail, so the failure is announced once per outage.
    failing: std::sync::Mutex<bool>,
}

impl JournalLayer {
    /// The layer for [`socket_path`]. Errors: the socket cannot be reached.
    pub fn from_env() -> io::Result<JournalLayer> {
        JournalLayer::connect(socket_path())
    }

    /// The layer for the journal socket at `path`. Errors: nothing listens
    /// there (checked with a `connect`, which sends nothing).
    pub fn connect(path: impl Into<PathBuf>) -> io::Result<JournalLayer> {
        let path = path.into();
        UnixDatagram::unbound()?.connect(&path)?;
        // Sends name the path each time rather than using a connected socket:
        // a restarted journald binds a new socket at the same path.
        let socket = UnixDatagram::unbound()?;
        // SAFETY: setsockopt reads an int we own; failure only leaves the
        // default buffer (larger events then go through a memfd).
        unsafe {
            libc::setsockopt(
                socket.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_SNDBUF,
                (&SNDBUF as *const libc::c_int).cast(),
                size_of::<libc::c_int>() as libc::socklen_t,
            );
        }
        Ok(JournalLayer {
            socket,
            path,
            failing: std::sync::Mutex::new(false),
        })
    }

    /// The socket events go to.
    pub fn socket_path(&self) -> &Path {
        &self.path
    }

    /// Sends one serialized entry: a datagram, or a sealed memfd when it is
    /// too large for one.
    fn send(&self, entry: &[u8]) -> io::Result<()> {
        match self.socket.send_to(entry, &self.path) {
            Ok(_) => Ok(()),
            Err(e) if matches!(e.raw_os_error(), Some(libc::EMSGSIZE | libc::ENOBUFS)) => {
                self.send_memfd(entry)
            }
            Err(e) => Err(e),
        }
    }

    /// What `sd_journal_sendv` does with an entry too large for a datagram:
    /// write it to a memfd, seal it, and pass the descriptor in an otherwise
    /// empty datagram.
    fn send_memfd(&self, entry: &[u8]) -> io::Result<()> {
        // SAFETY: a valid C string and flags; the result is checked.
        let fd = unsafe {
            libc::memfd_create(
                c"liputan-journal".as_ptr(),
                libc::MFD_ALLOW_SEALING | libc::MFD_CLOEXEC,
            )
        };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: memfd_create returned a new descriptor that nothing else owns.
        let mut file = std::fs::File::from(unsafe { OwnedFd::from_raw_fd(fd) });
        file.write_all(entry)?;
        let seals =
            libc::F_SEAL_SHRINK | libc::F_SEAL_GROW | libc::F_SEAL_WRITE | libc::F_SEAL_SEAL;
        // SAFETY: fcntl on a descriptor we own.
        if unsafe { libc::fcntl(file.as_raw_fd(), libc::F_ADD_SEALS, seals) } != 0 {
            return Err(io::Error::last_os_error());
        }
        let socket = UnixDatagram::unbound()?;
        socket.connect(&self.path)?;
        send_fd(&socket, file.as_raw_fd())
    }

    /// Writes an event that could not be sent to stderr, saying once per
    /// outage why.
    fn to_stderr(
        &self,
        failing: &mut bool,
        error: &io::Error,
        level: &Level,
        target: &str,
        message: &str,
    ) {
        let mut stderr = io::stderr().lock();
        if !std::mem::replace(failing, true) {
            let _ = writeln!(
                stderr,
                "<4>liputan: cannot send to the journal at {}: {error}; writing log events to stderr until it works again",
                self.path.display()
            );
        }
        let _ = writeln!(
            stderr,
            "<{}>{} {target}: {}",
            priority(level),
            level,
            message.replace('\n', " ")
        );
    }
}

/// One empty datagram on the connected `socket` carrying `fd` (`SCM_RIGHTS`).
fn send_fd(socket: &UnixDatagram, fd: libc::c_int) -> io::Result<()> {
    // Room for one cmsghdr and one int, suitably aligned.
    let mut control = [0u64; 4];
    // SAFETY: the msghdr is zeroed, then points at `control`, which outlives
    // the sendmsg call and is large enough for CMSG_SPACE(sizeof(int))
    // (checked); the CMSG_* macros stay inside it.
    unsafe {
        let space = libc::CMSG_SPACE(size_of::<libc::c_int>() as u32) as usize;
        assert!(space <= size_of_val(&control));
        let mut msg: libc::msghdr = std::mem::zeroed();
        msg.msg_control = control.as_mut_ptr().cast();
        msg.msg_controllen = space as _;
        let cmsg = libc::CMSG_FIRSTHDR(&msg);
        (*cmsg).cmsg_level = libc::SOL_SOCKET;
        (*cmsg).cmsg_type = libc::SCM_RIGHTS;
        (*cmsg).cmsg_len = libc::CMSG_LEN(size_of::<libc::c_int>() as u32) as _;
        std::ptr::write_unaligned(libc::CMSG_DATA(cmsg).cast::<libc::c_int>(), fd);
        if libc::sendmsg(socket.as_raw_fd(), &msg, libc::MSG_NOSIGNAL) < 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

/// The fields recorded on a span, kept in its extensions.
struct SpanFields(Vec<(&'static str, String)>);

impl<S> Layer<S> for JournalLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let mut fields = Fields::default();
        attrs.record(&mut fields);
        span.extensions_mut()
            .insert(SpanFields(fields.into_pairs()));
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let mut fields = Fields::default();
        values.record(&mut fields);
        let mut extensions = span.extensions_mut();
        match extensions.get_mut::<SpanFields>() {
            Some(SpanFields(pairs)) => pairs.extend(fields.into_pairs()),
            None => extensions.insert(SpanFields(fields.into_pairs())),
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let mut fields = Fields::default();
        event.record(&mut fields);
        let mut spans = Vec::new();
        if let Some(scope) = ctx.event_scope(event) {
            for span in scope.from_root() {
                if let Some(SpanFields(pairs)) = span.extensions().get::<SpanFields>() {
                    spans.extend(pairs.iter().cloned());
                }
            }
        }
        let meta = event.metadata();
        let message = fields.message_line();
        let entry = serialize(
            meta.level(),
            meta.target(),
            meta.file(),
            meta.line(),
            &message,
            spans
                .iter()
                .chain(fields.pairs.iter())
                .map(|(n, v)| (*n, v.as_str())),
        );
        // The send and the outage flag change together: a send that worked
        // on one thread must not clear an outage another thread saw after it
        // (the note would be printed twice for one outage).
        let mut failing = self.failing.lock().unwrap_or_else(|e| e.into_inner());
        match self.send(&entry) {
            Ok(()) => *failing = false,
            Err(e) => self.to_stderr(&mut failing, &e, meta.level(), meta.target(), &message),
        }
    }
}

/// One journal entry in the native protocol.
pub fn serialize<'a>(
    level: &Level,
    target: &str,
    file: Option<&str>,
    line: Option<u32>,
    message: &str,
    fields: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Vec<u8> {
    let mut buf = Vec::with_capacity(256 + message.len());
    put_field(&mut buf, "MESSAGE", message.as_bytes());
    put_field(&mut buf, "PRIORITY", priority(level).to_string().as_bytes());
    put_field(&mut buf, "SYSLOG_IDENTIFIER", IDENTIFIER.as_bytes());
    if let Some(file) = file {
        put_field(&mut buf, "CODE_FILE", file.as_bytes());
    }
    if let Some(line) = line {
        put_field(&mut buf, "CODE_LINE", line.to_string().as_bytes());
    }
    put_field(&mut buf, "TARGET", target.as_bytes());
    for (name, value) in fields {
        put_field(&mut buf, &field_name(name), value.as_bytes());
    }
    buf
}

/// An event's or span's fields: the message apart, the rest as
/// `(name, value)`, remembering which were recorded as strings (shown quoted
/// in `MESSAGE`, as the stderr formatter does).
#[derive(Default)]
struct Fields {
    message: Option<String>,
    pairs: Vec<(&'static str, String)>,
    quoted: Vec<bool>,
}

impl Fields {
    fn push(&mut self, field: &Field, value: String, quoted: bool) {
        if field.name() == "message" {
            self.message = Some(value);
        } else {
            self.pairs.push((field.name(), value));
            self.quoted.push(quoted);
        }
    }

    /// The message followed by ` name=value` for each other field.
    fn message_line(&self) -> String {
        let mut line = self.message.clone().unwrap_or_default();
        for ((name, value), quoted) in self.pairs.iter().zip(&self.quoted) {
            if !line.is_empty() {
                line.push(' ');
            }
            if *quoted {
                let _ = write!(line, "{name}={value:?}");
            } else {
                let _ = write!(line, "{name}={value}");
            }
        }
        line
    }

    fn into_pairs(self) -> Vec<(&'static str, String)> {
        let mut pairs = self.pairs;
        if let Some(message) = self.message {
            pairs.insert(0, ("message", message));
        }
        pairs
    }
}

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.push(field, format!("{value:?}"), false);
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        let quoted = field.name() != "message";
        self.push(field, value.to_owned(), quoted);
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.push(field, value.to_string(), false);
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.push(field, value.to_string(), false);
    }

    fn record_i128(&mut self, field: &Field, value: i128) {
        self.push(field, value.to_string(), false);
    }

    fn record_u128(&mut self, field: &Field, value: u128) {
        self.push(field, value.to_string(), false);
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        self.push(field, value.to_string(), false);
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.push(field, value.to_string(), false);
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.push(field, value.to_string(), false);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;
    use std::os::unix::fs::FileExt as _;
    use tracing_subscriber::layer::SubscriberExt as _;

    /// Parses native-protocol entries (both forms) into name -> values.
    fn parse(mut data: &[u8]) -> BTreeMap<String, Vec<Vec<u8>>> {
        let mut out: BTreeMap<String, Vec<Vec<u8>>> = BTreeMap::new();
        while !data.is_empty() {
            let nl = data.iter().position(|&b| b == b'\n').expect("newline");
            let line = &data[..nl];
            if let Some(eq) = line.iter().position(|&b| b == b'=') {
                let name = String::from_utf8(line[..eq].to_vec()).unwrap();
                out.entry(name).or_default().push(line[eq + 1..].to_vec());
                data = &data[nl + 1..];
            } else {
                let name = String::from_utf8(line.to_vec()).unwrap();
                let rest = &data[nl + 1..];
                let len = u64::from_le_bytes(rest[..8].try_into().unwrap()) as usize;
                let value = rest[8..8 + len].to_vec();
                assert_eq!(rest[8 + len], b'\n', "binary field ends with a newline");
                out.entry(name).or_default().push(value);
                data = &rest[8 + len + 1..];
            }
        }
        out
    }

    fn one(entry: &BTreeMap<String, Vec<Vec<u8>>>, name: &str) -> String {
        let values = entry
            .get(name)
            .unwrap_or_else(|| panic!("no {name} in {entry:?}"));
        assert_eq!(values.len(), 1, "{name}: {values:?}");
        String::from_utf8(values[0].clone()).unwrap()
    }

    #[test]
    fn field_names_follow_the_journal_rules() {
        assert_eq!(field_name("path"), "PATH");
        assert_eq!(field_name("moved_to"), "MOVED_TO");
        assert_eq!(field_name("ALREADY_OK"), "ALREADY_OK");
        assert!(matches!(field_name("ASSET"), Cow::Borrowed(_)));
        assert_eq!(field_name("user.id"), "USER_ID");
        assert_eq!(field_name("r#type"), "R_TYPE");
        assert_eq!(field_name("kamera-seri"), "KAMERA_SERI");
        assert_eq!(field_name("ukuran_µs"), "UKURAN__S");
        // Reserved for journald's trusted fields, or not a valid start.
        assert_eq!(field_name("_pid"), "F__PID");
        assert_eq!(field_name("2fa"), "F_2FA");
        assert_eq!(field_name(""), "F_");
        assert_eq!(field_name("é"), "F__");
        // Would clash with what this layer writes itself.
        assert_eq!(field_name("target"), "F_TARGET");
        assert_eq!(field_name("PRIORITY"), "F_PRIORITY");
        assert_eq!(field_name("message_id"), "MESSAGE_ID");
        let long = "a".repeat(100);
        assert_eq!(field_name(&long), "A".repeat(64));
        assert_eq!(field_name(&format!("_{long}")).len(), 64);
        for name in ["path", "_x", "9", "a.b", "target", &long] {
            let n = field_name(name);
            assert!(n.len() <= 64 && !n.is_empty(), "{n}");
            assert!(n
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_'));
            assert!(n.as_bytes()[0].is_ascii_uppercase(), "{n}");
        }
    }

    #[test]
    fn priorities_are_syslog_levels() {
        assert_eq!(priority(&Level::ERROR), 3);
        assert_eq!(priority(&Level::WARN), 4);
        assert_eq!(priority(&Level::INFO), 6);
        assert_eq!(priority(&Level::DEBUG), 7);
        assert_eq!(priority(&Level::TRACE), 7);
    }

    #[test]
    fn plain_fields_are_key_equals_value() {
        let mut buf = Vec::new();
        put_field(&mut buf, "PATH", b"/srv/liputan/inbox/a b.jpg");
        put_field(&mut buf, "EMPTY", b"");
        assert_eq!(buf, b"PATH=/srv/liputan/inbox/a b.jpg\nEMPTY=\n");
    }

    #[test]
    fn values_with_newlines_are_length_prefixed() {
        let mut buf = Vec::new();
        put_field(&mut buf, "MESSAGE", b"two\nlines");
        let mut expected = b"MESSAGE\n".to_vec();
        expected.extend_from_slice(&9u64.to_le_bytes());
        expected.extend_from_slice(b"two\nlines\n");
        assert_eq!(buf, expected);
        // An `=` in a binary value is not a separator.
        put_field(&mut buf, "X", b"a=b\n");
        let parsed = parse(&buf);
        assert_eq!(parsed["MESSAGE"], vec![b"two\nlines".to_vec()]);
        assert_eq!(parsed["X"], vec![b"a=b\n".to_vec()]);
    }

    #[test]
    fn an_entry_has_the_standard_fields_then_the_event_fields() {
        let entry = serialize(
            &Level::WARN,
            "liputan::search::index",
            Some("src/search/index.rs"),
            Some(85),
            "search index unusable",
            [
                ("index", "/d/index"),
                ("reason", "no\nmeta"),
                ("target", "t"),
            ],
        );
        let parsed = parse(&entry);
        assert_eq!(one(&parsed, "MESSAGE"), "search index unusable");
        assert_eq!(one(&parsed, "PRIORITY"), "4");
        assert_eq!(one(&parsed, "SYSLOG_IDENTIFIER"), "liputan");
        assert_eq!(one(&parsed, "CODE_FILE"), "src/search/index.rs");
        assert_eq!(one(&parsed, "CODE_LINE"), "85");
        assert_eq!(one(&parsed, "TARGET"), "liputan::search::index");
        assert_eq!(one(&parsed, "INDEX"), "/d/index");
        assert_eq!(one(&parsed, "REASON"), "no\nmeta");
        assert_eq!(one(&parsed, "F_TARGET"), "t");
        assert!(entry.starts_with(b"MESSAGE=search index unusable\nPRIORITY=4\n"));
    }

    #[test]
    fn parses_journal_stream() {
        assert_eq!(parse_journal_stream("8:12345"), Some((8, 12345)));
        assert_eq!(parse_journal_stream("8:12345\n"), Some((8, 12345)));
        assert_eq!(parse_journal_stream("8"), None);
        assert_eq!(parse_journal_stream("x:1"), None);
        assert_eq!(parse_journal_stream(""), None);
    }

    fn receiver() -> (tempfile::TempDir, PathBuf, UnixDatagram) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.socket");
        let socket = UnixDatagram::bind(&path).unwrap();
        socket
            .set_read_timeout(Some(std::time::Duration::from_secs(5)))
            .unwrap();
        (dir, path, socket)
    }

    #[test]
    fn events_and_span_fields_reach_the_socket() {
        let (_dir, path, socket) = receiver();
        let layer = JournalLayer::connect(&path).unwrap();
        let subscriber = tracing_subscriber::registry().with(layer);
        tracing::subscriber::with_default(subscriber, || {
            let span = tracing::info_span!("ingest", asset = "01HX", user.name = "budi");
            let _guard = span.enter();
            span.record("asset", "01HY");
            tracing::warn!(path = %"/srv/liputan/inbox/a.jpg", count = 3, ok = true, "rejected: {}", "too small");
        });
        let mut buf = vec![0; 65536];
        let n = socket.recv(&mut buf).unwrap();
        let entry = parse(&buf[..n]);
        assert_eq!(
            one(&entry, "MESSAGE"),
            "rejected: too small path=/srv/liputan/inbox/a.jpg count=3 ok=true"
        );
        assert_eq!(one(&entry, "PRIORITY"), "4");
        assert_eq!(one(&entry, "SYSLOG_IDENTIFIER"), "liputan");
        assert_eq!(one(&entry, "TARGET"), module_path!());
        assert_eq!(one(&entry, "CODE_FILE"), file!());
        assert!(one(&entry, "CODE_LINE").parse::<u32>().is_ok());
        assert_eq!(one(&entry, "PATH"), "/srv/liputan/inbox/a.jpg");
        assert_eq!(one(&entry, "COUNT"), "3");
        assert_eq!(one(&entry, "OK"), "true");
        assert_eq!(one(&entry, "USER_NAME"), "budi");
        // Both values of a re-recorded span field; either matches a query.
        assert_eq!(
            entry["ASSET"],
            vec![b"01HX".to_vec(), b"01HY".to_vec()],
            "{entry:?}"
        );
    }

    #[test]
    fn entries_too_large_for_a_datagram_go_through_a_sealed_memfd() {
        let (_dir, path, socket) = receiver();
        let layer = JournalLayer::connect(&path).unwrap();
        // A small send buffer makes a 256 KiB entry too large for a datagram
        // whatever the machine's limits.
        let small: libc::c_int = 4096;
        unsafe {
            libc::setsockopt(
                layer.socket.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_SNDBUF,
                (&small as *const libc::c_int).cast(),
                size_of::<libc::c_int>() as libc::socklen_t,
            );
        }
        let big = "x".repeat(256 * 1024);
        let entry = serialize(&Level::INFO, "t", None, None, &big, []);
        layer.send(&entry).unwrap();

        // Receive the empty datagram and the descriptor it carries.
        let mut data = [0u8; 16];
        let mut control = [0u64; 8];
        let mut iov = libc::iovec {
            iov_base: data.as_mut_ptr().cast(),
            iov_len: data.len(),
        };
        let fd = unsafe {
            let mut msg: libc::msghdr = std::mem::zeroed();
            msg.msg_iov = &mut iov;
            msg.msg_iovlen = 1;
            msg.msg_control = control.as_mut_ptr().cast();
            msg.msg_controllen = size_of_val(&control) as _;
            let n = libc::recvmsg(socket.as_raw_fd(), &mut msg, 0);
            assert_eq!(n, 0, "an empty datagram: {}", io::Error::last_os_error());
            let cmsg = libc::CMSG_FIRSTHDR(&msg);
            assert!(!cmsg.is_null(), "a control message");
            assert_eq!((*cmsg).cmsg_level, libc::SOL_SOCKET);
            assert_eq!((*cmsg).cmsg_type, libc::SCM_RIGHTS);
            std::ptr::read_unaligned(libc::CMSG_DATA(cmsg).cast::<libc::c_int>())
        };
        let file = std::fs::File::from(unsafe { OwnedFd::from_raw_fd(fd) });
        let seals = unsafe { libc::fcntl(file.as_raw_fd(), libc::F_GET_SEALS) };
        let want = libc::F_SEAL_SHRINK | libc::F_SEAL_GROW | libc::F_SEAL_WRITE | libc::F_SEAL_SEAL;
        assert_eq!(seals & want, want, "sealed: {seals:#x}");
        let len = file.metadata().unwrap().len() as usize;
        let mut content = vec![0; len];
        file.read_exact_at(&mut content, 0).unwrap();
        assert_eq!(content, entry);
        assert_eq!(one(&parse(&content), "MESSAGE"), big);
        // Nothing else was sent.
        socket.set_nonblocking(true).unwrap();
        assert!(socket.recv(&mut [0; 16]).is_err());
    }

    #[test]
    fn an_unreachable_socket_is_an_error_at_start() {
        let dir = tempfile::tempdir().unwrap();
        assert!(JournalLayer::connect(dir.path().join("nothing")).is_err());
        // A path that exists but where nobody listens.
        let path = dir.path().join("gone.socket");
        drop(UnixDatagram::bind(&path).unwrap());
        assert!(JournalLayer::connect(&path).is_err());
    }
}
