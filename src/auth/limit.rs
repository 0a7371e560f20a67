//! In-memory attempt limits, checked before any password is hashed: so many
//! attempts per key (a client address, an account, a device cookie) within
//! a sliding window. An attempt takes a slot when it starts, not when it
//! fails, so concurrent attempts cannot all slip past the check; one that
//! succeeds gives its slot back, so only failures (and attempts still
//! running) count.
//!
//! Memory is bounded: past `MAX_KEYS` keys, expired ones are dropped, and
//! if all are live new keys are refused like a full limit (a flood from
//! more addresses than that is an attack, not an office).

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

const MAX_KEYS: usize = 50_000;

pub struct Limiter {
    limit: usize,
    window: Duration,
    slots: Mutex<HashMap<String, VecDeque<Instant>>>,
}

/// A slot taken by `Limiter::take`; `Limiter::give_back` returns it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot(Instant);

impl Limiter {
    pub fn new(limit: u32, window: Duration) -> Limiter {
        Limiter {
            limit: limit.max(1) as usize,
            window,
            slots: Mutex::new(HashMap::new()),
        }
    }

    pub fn window(&self) -> Duration {
        self.window
    }

    /// Takes a slot for `key`, or says how long until one frees.
    pub fn take(&self, key: &str) -> Result<Slot, Duration> {
        self.take_at(key, Instant::now())
    }

    fn take_at(&self, key: &str, now: Instant) -> Result<Slot, Duration> {
        let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        if !slots.contains_key(key) && slots.len() >= MAX_KEYS {
            let window = self.window;
            slots.retain(|_, times| {
                times.retain(|t| now.duration_since(*t) < window);
                !times.is_empty()
            });
            if slots.len() >= MAX_KEYS {
                return Err(self.window);
            }
        }
        let times = slots.entry(key.to_owned()).or_default();
        while times
            .front()
            .is_some_and(|t| now.duration_since(*t) >= self.window)
        {
            times.pop_front();
        }
        if times.len() >= self.limit {
            let oldest = times.front().copied().unwrap_or(now);
            return Err((oldest + self.window).saturating_duration_since(now));
        }
        times.push_back(now);
        Ok(Slot(now))
    }

    /// Returns a slot (the attempt succeeded, or never ran).
    pub fn give_back(&self, key: &str, slot: Slot) {
        let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(times) = slots.get_mut(key) {
            if let Some(i) = times.iter().position(|t| *t == slot.0) {
                times.remove(i);
            }
            if times.is_empty() {
                slots.remove(key);
            }
        }
    }

    /// Forgets every attempt of `key` (a successful login).
    pub fn clear(&self, key: &str) {
        self.slots
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_taken_given_back_and_freed_by_time() {
        let limiter = Limiter::new(2, Duration::from_secs(60));
        let t0 = Instant::now();
        let a = limiter.take_at("x", t0).unwrap();
        limiter.take_at("x", t0).unwrap();
        let wait = limiter
            .take_at("x", t0 + Duration::from_secs(10))
            .unwrap_err();
        assert_eq!(wait, Duration::from_secs(50));
        assert!(limiter.take_at("y", t0).is_ok(), "keys are separate");
        limiter.give_back("x", a);
        assert!(limiter.take_at("x", t0 + Duration::from_secs(10)).is_ok());
        assert!(limiter.take_at("x", t0 + Duration::from_secs(61)).is_ok());
    }
}
