//! Integration tests: the real `liputan` binary and library on real files, a real
//! SQLite catalog and real folders, each test in its own temp folder.

mod crash;
mod disk_full;
mod daemon;
mod harness;
mod ingest;
