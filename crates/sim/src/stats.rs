//! What the simulator saw: requests and throttles per operation, calls per limiter key.

use std::collections::BTreeMap;

/// Counters of one (service, operation).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OpStats {
    pub requests: u64,
    /// Answered with the protocol's throttling error.
    pub throttled: u64,
    /// Answered `ExpiredToken` (or the protocol's equivalent).
    pub expired: u64,
    /// Injected faults: internal errors, resets, stalls.
    pub faults: u64,
    /// Any other error answer (not found, access denied, unknown operation, …).
    pub errors: u64,
}

/// One token bucket: whose, how big, and how much it was used.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyStats {
    pub service: String,
    /// The operation, or the shared bucket's name (`non-mutating` for EC2 Describe*).
    pub bucket: String,
    pub account_id: String,
    /// The region, or `global` for account- and organization-wide buckets.
    pub region: String,
    pub per_second: f64,
    pub burst: f64,
    pub calls: u64,
    pub throttled: u64,
}

impl KeyStats {
    /// The shortest time the key's calls could have taken without throttling: how long a
    /// scan must take at least because of this key.
    pub fn min_seconds(&self) -> f64 {
        let paced = (self.calls as f64 - self.burst).max(0.0);
        if self.per_second > 0.0 {
            paced / self.per_second
        } else {
            0.0
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct SimStats {
    /// Keyed by (service, operation).
    pub operations: BTreeMap<(String, String), OpStats>,
    /// Every bucket used, busiest (by [`KeyStats::min_seconds`]) first.
    pub keys: Vec<KeyStats>,
}

impl SimStats {
    pub fn total(&self) -> OpStats {
        self.operations
            .values()
            .fold(OpStats::default(), |mut t, s| {
                t.requests += s.requests;
                t.throttled += s.throttled;
                t.expired += s.expired;
                t.faults += s.faults;
                t.errors += s.errors;
                t
            })
    }

    pub fn operation(&self, service: &str, operation: &str) -> OpStats {
        self.operations
            .get(&(service.to_owned(), operation.to_owned()))
            .copied()
            .unwrap_or_default()
    }

    /// The key that bounds the scan's duration from below.
    pub fn busiest_key(&self) -> Option<&KeyStats> {
        self.keys.first()
    }
}
