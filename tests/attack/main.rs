//! Attack campaigns of the security review (issue #12): floods of logins and
//! sockets, a hundred live lists, parallel package builds, planted links,
//! hostile text. They load the daemon and the machine on purpose, so they are
//! a test binary of their own: cargo runs test binaries one after another, and
//! the other integration tests' timing never shares the machine with them.

#[allow(dead_code)]
#[path = "../it/cdp.rs"]
mod cdp;
#[allow(dead_code)]
#[path = "../it/harness.rs"]
mod harness;

mod fields;
mod login;
mod net;
mod upload;
