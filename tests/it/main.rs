//! Integration tests: the real `liputan` binary and library on real files, a real
//! SQLite catalog and real folders, each test in its own temp folder.

mod browse;
mod care;
mod cdp;
mod collage;
mod corrupt;
mod crash;
mod daemon;
mod disk_full;
mod e2e;
mod harness;
mod health;
mod hostile;
mod ingest;
mod letters;
mod matching;
mod notify;
mod panel;
mod private_files;
mod rejections;
mod reports;
mod restart;
mod soak;
mod tokens;
mod upload;
