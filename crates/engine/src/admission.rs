//! How many accounts are scanned at once, adapted while the scan runs.
//!
//! A fixed number cannot be right for every organization and machine: an account spends
//! most of its time waiting for rate-limit tokens (LookupEvents at 2/s, EC2's buckets), so
//! with few accounts in flight the CPU idles, and with too many the runtime falls behind and
//! every call's latency (and memory, which grows with the accounts in flight) goes up for
//! nothing. The controller raises the number while the runtime keeps up and AWS does not
//! throttle, and lowers it when either says the machine or the limits are saturated.
//! `--concurrency` caps it.
//!
//! Two signals say the machine is busy. The process's CPU time (Linux: `/proc/self/stat`)
//! against the cores: growth stops at [`CPU_BUSY`], since more accounts in flight past that
//! point only add memory. And the runtime's lag, how late a timer fires: on a saturated
//! runtime a woken task waits behind every other ready task, so lag grows with the backlog;
//! it needs no platform API (elsewhere it is the only signal) and also sees a runtime starved
//! by something other than CPU.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

/// Accounts in flight when a scan starts (or the cap, when lower).
pub const INITIAL: usize = 32;

/// How often the controller looks.
const PERIOD: Duration = Duration::from_millis(500);

/// Timer lag below which the runtime has room for more work.
const LAG_LOW: Duration = Duration::from_millis(15);

/// Timer lag above which the runtime is behind: fewer accounts.
const LAG_HIGH: Duration = Duration::from_millis(60);

/// The share of the machine's cores above which the controller stops adding accounts.
const CPU_BUSY: f64 = 0.85;

/// A gate with a movable limit.
#[derive(Debug)]
pub struct Admission {
    limit: AtomicUsize,
    running: AtomicUsize,
    waiting: AtomicUsize,
    cap: usize,
    peak: AtomicUsize,
    changed: Notify,
}

/// One admitted account; leaving frees its place.
#[derive(Debug)]
pub struct Ticket<'a>(&'a Admission);

impl Drop for Ticket<'_> {
    fn drop(&mut self) {
        self.0.running.fetch_sub(1, Ordering::AcqRel);
        self.0.changed.notify_one();
    }
}

/// Counts an account waiting for a place, also when its wait is abandoned.
struct Waiting<'a>(&'a AtomicUsize);

impl<'a> Waiting<'a> {
    fn new(count: &'a AtomicUsize) -> Self {
        count.fetch_add(1, Ordering::AcqRel);
        Waiting(count)
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// What the controller observed in one period.
#[derive(Debug, Clone, Copy)]
pub struct Observation {
    /// How late the period's timer fired.
    pub lag: Duration,
    /// Throttling responses since the last period.
    pub throttled: u64,
    /// The share of the machine's cores the process used, when the platform tells.
    pub cpu: Option<f64>,
}

impl Admission {
    /// A gate admitting up to `cap` accounts at once (at least one), starting lower.
    pub fn new(cap: usize) -> Admission {
        let cap = cap.max(1);
        Admission {
            limit: AtomicUsize::new(INITIAL.min(cap)),
            running: AtomicUsize::new(0),
            waiting: AtomicUsize::new(0),
            cap,
            peak: AtomicUsize::new(0),
            changed: Notify::new(),
        }
    }

    /// The current limit.
    pub fn limit(&self) -> usize {
        self.limit.load(Ordering::Acquire)
    }

    /// Waits for a place.
    pub async fn enter(&self) -> Ticket<'_> {
        let _waiting = Waiting::new(&self.waiting);
        loop {
            let changed = self.changed.notified();
            tokio::pin!(changed);
            // Registered before the check, so a place freed in between still wakes us.
            changed.as_mut().enable();
            let running = self.running.load(Ordering::Acquire);
            if running < self.limit()
                && self
                    .running
                    .compare_exchange(running, running + 1, Ordering::AcqRel, Ordering::Acquire)
                    .is_ok()
            {
                return Ticket(self);
            }
            changed.await;
        }
    }

    /// Applies one period's observation: a new limit, returned.
    pub fn adjust(&self, seen: Observation) -> usize {
        let limit = self.limit();
        let next = if seen.throttled > 0 || seen.lag > LAG_HIGH {
            // Multiplicative decrease: whoever is saturated needs relief soon.
            (limit * 3 / 4).max(1)
        } else if seen.lag < LAG_LOW
            && seen.cpu.is_none_or(|cpu| cpu < CPU_BUSY)
            && self.waiting.load(Ordering::Acquire) > 0
            && self.running.load(Ordering::Acquire) >= limit
        {
            // Grow by an eighth (at least 4) while every place is taken and more wait.
            (limit + (limit / 8).max(4)).min(self.cap)
        } else {
            limit
        };
        self.limit.store(next, Ordering::Release);
        if next > limit {
            self.changed.notify_waiters();
        }
        next
    }

    /// Watches the runtime and `throttled` (a running total) and adjusts the limit every
    /// period, forever: run it beside the scan and drop it when the scan ends.
    pub async fn control(&self, throttled: impl Fn() -> u64) {
        let cores = std::thread::available_parallelism().map_or(1, usize::from) as f64;
        let mut last = throttled();
        let mut cpu_before = cpu_seconds();
        loop {
            let before = Instant::now();
            tokio::time::sleep(PERIOD).await;
            let elapsed = before.elapsed();
            let lag = elapsed.saturating_sub(PERIOD);
            let now = throttled();
            let cpu_now = cpu_seconds();
            let cpu = cpu_before
                .zip(cpu_now)
                .map(|(before, now)| (now - before) / elapsed.as_secs_f64() / cores);
            let limit = self.adjust(Observation {
                lag,
                throttled: now.saturating_sub(last),
                cpu,
            });
            last = now;
            cpu_before = cpu_now;
            self.peak.fetch_max(limit, Ordering::AcqRel);
            tracing::debug!(
                limit,
                lag_ms = lag.as_millis() as u64,
                ?cpu,
                "accounts in flight"
            );
        }
    }

    /// The highest limit the controller set.
    pub fn peak(&self) -> usize {
        self.peak.load(Ordering::Acquire).max(self.limit())
    }
}

/// The process's CPU time so far (user + system), on Linux; `None` elsewhere or when
/// `/proc` cannot be read.
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The command name (field 2) may hold spaces: count fields after its closing paren.
    let rest = stat.get(stat.rfind(')')? + 1..)?;
    let mut fields = rest.split_whitespace().skip(11);
    let user: f64 = fields.next()?.parse().ok()?;
    let system: f64 = fields.next()?.parse().ok()?;
    // Clock ticks: USER_HZ is 100 on every Linux architecture.
    Some((user + system) / 100.0)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    const CALM: Observation = Observation {
        lag: Duration::from_millis(1),
        throttled: 0,
        cpu: Some(0.3),
    };

    #[tokio::test]
    async fn grows_while_calm_and_busy_shrinks_when_saturated_and_stays_under_the_cap() {
        let gate = Arc::new(Admission::new(100));
        assert_eq!(gate.limit(), INITIAL);
        // Nobody waiting: no reason to grow.
        assert_eq!(gate.adjust(CALM), INITIAL);
        let mut tickets = Vec::new();
        for _ in 0..INITIAL {
            tickets.push(gate.enter().await);
        }
        let waiter = {
            let gate = gate.clone();
            tokio::spawn(async move {
                let _ticket = gate.enter().await;
            })
        };
        tokio::task::yield_now().await;
        assert_eq!(gate.adjust(CALM), INITIAL + 4);
        // The waiter got one of the new places.
        waiter.await.expect("admitted");
        // A lagging runtime or throttling: down by a quarter.
        let lagging = Observation {
            lag: Duration::from_millis(200),
            ..CALM
        };
        // A busy CPU: no growth, no shrink.
        let busy = Observation {
            cpu: Some(0.95),
            ..CALM
        };
        assert_eq!(gate.adjust(busy), INITIAL + 4);
        assert_eq!(gate.adjust(lagging), (INITIAL + 4) * 3 / 4);
        let throttled = Observation {
            throttled: 3,
            ..CALM
        };
        assert_eq!(gate.adjust(throttled), (INITIAL + 4) * 3 / 4 * 3 / 4);
        drop(tickets);
        // Never above the cap, never below one.
        let small = Admission::new(2);
        assert_eq!(small.limit(), 2);
        for _ in 0..20 {
            small.adjust(lagging);
        }
        assert_eq!(small.limit(), 1);
    }

    #[tokio::test]
    async fn a_lowered_limit_admits_no_one_until_enough_have_left() {
        let gate = Admission::new(4);
        let a = gate.enter().await;
        let b = gate.enter().await;
        let c = gate.enter().await;
        gate.adjust(Observation {
            lag: Duration::from_secs(1),
            ..CALM
        });
        assert_eq!(gate.limit(), 3);
        let mut next = Box::pin(gate.enter());
        assert!(
            futures::poll!(next.as_mut()).is_pending(),
            "admitted over the limit"
        );
        drop(a);
        let _d = next.await;
        drop((b, c));
    }

    #[test]
    fn the_process_cpu_time_is_read_on_linux() {
        if cfg!(target_os = "linux") {
            let spent = cpu_seconds().expect("/proc/self/stat");
            assert!(spent >= 0.0);
        }
    }
}
