//! The process-wide password-hash pool: every argon2id computation of the
//! process (logins, password changes, setup, accounts made by an admin or
//! the command line) runs on a few dedicated threads, each reusing one
//! preallocated argon2 memory buffer. Without it each request allocated its
//! own 19 MiB inside tokio's 512 blocking threads, and 50 concurrent bogus
//! logins took the daemon to gigabytes (issue #12).
//!
//! Requests from the network use `try_*`: when the short queue is full they
//! are refused at once (`PoolBusy`, a 503) instead of waiting in memory.
//! Authenticated or local callers (`hash_password`, `verify_password`) wait
//! for a slot: their memory is still bounded, only their latency is not.
//! Two queues (`Lane`): anonymous logins cannot crowd out those the daemon
//! already knows, which workers serve first.

use std::collections::VecDeque;
use std::sync::{Condvar, Mutex, OnceLock};

use argon2::password_hash::phc::{Output, ParamsString, Salt};
use argon2::{Algorithm, Argon2, Block, Params, PasswordHash, Version};

use crate::error::{Error, Result};

/// Hashes waiting for a worker beyond those being computed. Short on
/// purpose: a login queued behind many others would time out in the browser
/// anyway, and a 503 at once tells it to come back.
const QUEUE: usize = 8;

/// A stored hash asking for more memory than this is refused rather than
/// computed: a corrupt or hostile row must not make a worker allocate
/// gigabytes.
const MAX_MEMORY_KIB: u32 = 256 * 1024;

/// The queue is full: come back in a moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the password hash pool is busy")]
pub struct PoolBusy;

/// Which queue a hash waits in. Workers take `Known` jobs first, so a flood
/// of anonymous logins (which fills `Open`) does not stop people the daemon
/// already knows: a browser with its owner's device cookie, a logged-in
/// person changing their password, the setup link, an admin making accounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lane {
    Open,
    Known,
}

type Job = Box<dyn FnOnce(&mut Hasher) + Send>;

#[derive(Default)]
struct Queues {
    open: VecDeque<Job>,
    known: VecDeque<Job>,
}

pub struct HashPool {
    queues: Mutex<Queues>,
    /// Rung when a job is queued (workers wait on it).
    queued: Condvar,
    /// Rung when a job leaves the `Known` queue (`run_blocking` waits on it).
    taken: Condvar,
    capacity: usize,
    workers: usize,
}

/// The pool, started on first use.
pub fn hash_pool() -> Result<&'static HashPool> {
    static POOL: OnceLock<std::result::Result<&'static HashPool, String>> = OnceLock::new();
    POOL.get_or_init(|| HashPool::start(default_workers(), QUEUE))
        .as_ref()
        .copied()
        .map_err(|e| Error::Invalid(format!("password: no hashing thread: {e}")))
}

/// About one per core, leaving one core to the rest of the daemon (HTTP,
/// ingest) so a login flood cannot starve `/healthz`.
fn default_workers() -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    cores.saturating_sub(1).clamp(1, 4)
}

impl HashPool {
    /// Starts `workers` threads; each queue holds `capacity` waiting jobs.
    /// The pool lives as long as the process (its threads borrow it).
    fn start(workers: usize, capacity: usize) -> std::result::Result<&'static HashPool, String> {
        let pool: &'static HashPool = Box::leak(Box::new(HashPool {
            queues: Mutex::new(Queues::default()),
            queued: Condvar::new(),
            taken: Condvar::new(),
            capacity,
            workers,
        }));
        for i in 0..workers {
            let spawned = std::thread::Builder::new()
                .name(format!("password-hash-{i}"))
                // argon2 works on the heap; its stack need is small.
                .stack_size(256 * 1024)
                .spawn(move || pool.work());
            if let Err(e) = spawned {
                if i == 0 {
                    return Err(e.to_string());
                }
                tracing::warn!("password hash pool: thread {i} not started: {e}");
            }
        }
        Ok(pool)
    }

    /// How many hashes run at once (at most).
    pub fn workers(&self) -> usize {
        self.workers
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Queues> {
        self.queues.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Hashes `password` with a fresh salt unless the lane's queue is full.
    pub async fn try_hash(
        &self,
        lane: Lane,
        password: String,
    ) -> std::result::Result<Result<String>, PoolBusy> {
        self.try_run(lane, move |h| h.hash(&password)).await
    }

    /// Checks `password` against `stored` (`None`: an unknown user, checked
    /// against a dummy hash so the answer takes as long) unless the lane's
    /// queue is full.
    pub async fn try_verify(
        &self,
        lane: Lane,
        stored: Option<String>,
        password: String,
    ) -> std::result::Result<bool, PoolBusy> {
        self.try_run(lane, move |h| h.verify(stored.as_deref(), &password))
            .await
    }

    async fn try_run<T: Send + 'static>(
        &self,
        lane: Lane,
        job: impl FnOnce(&mut Hasher) -> T + Send + 'static,
    ) -> std::result::Result<T, PoolBusy> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move |h| {
            let _ = tx.send(job(h));
        });
        {
            let mut queues = self.lock();
            let queue = match lane {
                Lane::Open => &mut queues.open,
                Lane::Known => &mut queues.known,
            };
            if queue.len() >= self.capacity {
                return Err(PoolBusy);
            }
            queue.push_back(job);
        }
        self.queued.notify_one();
        // An error means the job was dropped unrun (it panicked).
        rx.await.map_err(|_| PoolBusy)
    }

    /// Runs a job in the `Known` lane, waiting for room and for the result;
    /// for callers on a blocking thread (never on the async runtime).
    pub fn run_blocking<T: Send + 'static>(
        &self,
        job: impl FnOnce(&mut Hasher) -> T + Send + 'static,
    ) -> Result<T> {
        let (tx, rx) = std::sync::mpsc::channel();
        let job: Job = Box::new(move |h| {
            let _ = tx.send(job(h));
        });
        {
            let mut queues = self.lock();
            while queues.known.len() >= self.capacity {
                queues = self.taken.wait(queues).unwrap_or_else(|e| e.into_inner());
            }
            queues.known.push_back(job);
        }
        self.queued.notify_one();
        rx.recv()
            .map_err(|_| Error::Invalid("password: the hash failed".into()))
    }

    fn work(&self) {
        let mut hasher = Hasher::default();
        loop {
            let job = {
                let mut queues = self.lock();
                loop {
                    if let Some(job) = queues.known.pop_front() {
                        self.taken.notify_one();
                        break job;
                    }
                    if let Some(job) = queues.open.pop_front() {
                        break job;
                    }
                    queues = self.queued.wait(queues).unwrap_or_else(|e| e.into_inner());
                }
            };
            // A panic inside argon2 must not take the worker with it: the
            // job's reply channel is dropped (its caller sees an error) and
            // the memory is allocated afresh.
            let ran = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job(&mut hasher)));
            if ran.is_err() {
                hasher = Hasher::default();
            }
        }
    }
}

/// One worker's argon2 memory, allocated on its first hash and reused.
#[derive(Default)]
pub struct Hasher {
    blocks: Vec<Block>,
}

impl Hasher {
    fn memory(&mut self, params: &Params) -> Option<&mut [Block]> {
        if params.m_cost() > MAX_MEMORY_KIB {
            return None;
        }
        let needed = params.block_count();
        if self.blocks.len() < needed {
            self.blocks.resize(needed, Block::new());
        }
        self.blocks.get_mut(..needed)
    }

    /// Argon2id with liputan's parameters, as a PHC string.
    pub fn hash(&mut self, password: &str) -> Result<String> {
        let params = super::params();
        let salt = super::random_bytes::<16>()?;
        let mut out = [0u8; 32];
        let invalid = |e: &dyn std::fmt::Display| Error::Invalid(format!("password: {e}"));
        let memory = self
            .memory(&params)
            .ok_or_else(|| invalid(&"too much memory"))?;
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
            .hash_password_into_with_memory(password.as_bytes(), &salt, &mut out, memory)
            .map_err(|e| invalid(&e))?;
        let phc = PasswordHash {
            algorithm: Algorithm::Argon2id.ident(),
            version: Some(Version::V0x13.into()),
            params: ParamsString::try_from(&params).map_err(|e| invalid(&e))?,
            salt: Some(Salt::new(&salt).map_err(|e| invalid(&e))?),
            hash: Some(Output::new(&out).map_err(|e| invalid(&e))?),
        };
        Ok(phc.to_string())
    }

    /// Whether `password` matches the PHC string `stored`; `None` costs the
    /// same work against a dummy hash made once per process.
    pub fn verify(&mut self, stored: Option<&str>, password: &str) -> bool {
        static DUMMY: OnceLock<String> = OnceLock::new();
        let (stored, real) = match stored {
            Some(s) => (s, true),
            None => {
                if DUMMY.get().is_none() {
                    let made = self.hash("dummy password for timing").unwrap_or_default();
                    let _ = DUMMY.set(made);
                }
                (DUMMY.get().map_or("", String::as_str), false)
            }
        };
        self.matches(stored, password) && real
    }

    fn matches(&mut self, stored: &str, password: &str) -> bool {
        let Ok(phc) = PasswordHash::new(stored) else {
            return false;
        };
        let (Some(salt), Some(expected)) = (phc.salt, phc.hash) else {
            return false;
        };
        let Ok(algorithm) = Algorithm::try_from(phc.algorithm.as_str()) else {
            return false;
        };
        let version = match phc.version.map(Version::try_from).transpose() {
            Ok(v) => v.unwrap_or_default(),
            Err(_) => return false,
        };
        let Ok(params) = Params::try_from(&phc) else {
            return false;
        };
        let mut out = vec![0u8; expected.len()];
        let Some(memory) = self.memory(&params) else {
            return false;
        };
        let computed = Argon2::new(algorithm, version, params).hash_password_into_with_memory(
            password.as_bytes(),
            salt.as_ref(),
            &mut out,
            memory,
        );
        // `Output`'s equality is constant-time.
        computed.is_ok() && Output::new(&out).is_ok_and(|out| out == expected)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_lane_is_refused_at_once_and_known_jobs_go_first() {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .build()
            .unwrap();
        let pool = HashPool::start(1, 1).unwrap();
        // Hold the only worker with a job that waits for the gate.
        let (gate_tx, gate_rx) = std::sync::mpsc::channel::<()>();
        let (started_tx, started_rx) = std::sync::mpsc::channel::<()>();
        let held = std::thread::spawn(move || {
            pool.run_blocking(move |_| {
                let _ = started_tx.send(());
                let _ = gate_rx.recv();
            })
        });
        started_rx.recv().unwrap();
        // One open job and one known job wait (the open one queued first).
        let order = std::sync::Arc::new(Mutex::new(Vec::new()));
        let push = |lane: Lane, name: &'static str| {
            let order = order.clone();
            rt.spawn(pool.try_run(lane, move |_| order.lock().unwrap().push(name)))
        };
        let open = push(Lane::Open, "open");
        while pool.lock().open.is_empty() {
            std::thread::yield_now();
        }
        let known = push(Lane::Known, "known");
        while pool.lock().known.is_empty() {
            std::thread::yield_now();
        }
        // The open lane is full: refused without waiting.
        let refused = rt.block_on(pool.try_verify(Lane::Open, None, "x".into()));
        assert_eq!(refused, Err(PoolBusy));
        gate_tx.send(()).unwrap();
        held.join().unwrap().unwrap();
        rt.block_on(async {
            open.await.unwrap().unwrap();
            known.await.unwrap().unwrap();
        });
        assert_eq!(*order.lock().unwrap(), ["known", "open"]);
        let found = rt.block_on(pool.try_verify(Lane::Open, None, "x".into()));
        assert_eq!(found, Ok(false), "an unknown user never matches");
    }

    #[test]
    fn the_workers_hashes_are_standard_phc_strings() {
        let mut hasher = Hasher::default();
        let hash = hasher.hash("rahasia-kominfo").unwrap();
        // The argon2 crate's own verifier agrees with ours, both ways.
        use argon2::PasswordVerifier;
        let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, super::super::params());
        assert!(
            PasswordVerifier::<str>::verify_password(&argon, b"rahasia-kominfo", &hash).is_ok()
        );
        let theirs = argon2::PasswordHasher::hash_password_with_salt(
            &argon,
            b"rahasia-kominfo",
            b"garam-garam-garam",
        )
        .unwrap()
        .to_string();
        assert!(hasher.verify(Some(&theirs), "rahasia-kominfo"));
        assert!(!hasher.verify(Some(&theirs), "rahasia-kominfO"));
        assert!(!hasher.verify(
            Some("$argon2id$v=19$m=9999999,t=2,p=1$c2FsdHNhbHQ$AAAA"),
            "x"
        ));
    }
}
