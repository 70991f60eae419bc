//! Fault injection for robustness tests. Everything is off by default.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

/// A slow body: `chunk_bytes` at a time, one chunk every `interval`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Trickle {
    pub chunk_bytes: usize,
    pub interval: Duration,
}

#[derive(Debug, Clone, Default)]
pub struct Faults {
    /// Fraction (0..=1) of requests answered HTTP 500 with the protocol's internal error.
    pub internal_error: f64,
    /// Fraction (0..=1) of requests that fail as a reset connection.
    pub connection_reset: f64,
    /// (service, operation) pairs that never answer: the SDK's attempt timeout must fire.
    pub stall: HashSet<(String, String)>,
    /// (service, operation) pairs whose answer arrives a few bytes at a time.
    pub trickle: HashMap<(String, String), Trickle>,
}

impl Faults {
    pub fn none() -> Self {
        Faults::default()
    }

    pub fn stall(mut self, service: &str, operation: &str) -> Self {
        self.stall
            .insert((service.to_owned(), operation.to_owned()));
        self
    }

    pub fn trickle(mut self, service: &str, operation: &str, trickle: Trickle) -> Self {
        self.trickle
            .insert((service.to_owned(), operation.to_owned()), trickle);
        self
    }

    pub(crate) fn is_off(&self) -> bool {
        self.internal_error <= 0.0
            && self.connection_reset <= 0.0
            && self.stall.is_empty()
            && self.trickle.is_empty()
    }

    pub(crate) fn stalls(&self, service: &str, operation: &str) -> bool {
        !self.stall.is_empty()
            && self
                .stall
                .iter()
                .any(|(s, o)| s == service && o == operation)
    }

    pub(crate) fn trickles(&self, service: &str, operation: &str) -> Option<Trickle> {
        if self.trickle.is_empty() {
            return None;
        }
        self.trickle
            .iter()
            .find(|((s, o), _)| s == service && o == operation)
            .map(|(_, t)| *t)
    }
}
