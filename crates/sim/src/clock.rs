//! Time: an accelerated clock shared by the SDK and the simulator, and AWS's timestamp text.

use std::time::{Instant, SystemTime, UNIX_EPOCH};

use aws_smithy_async::time::TimeSource;
use aws_smithy_types::DateTime;
use aws_smithy_types::date_time::Format;

/// Wall-clock time that runs `factor` times faster than real time, so a test can let
/// hour-long credentials expire in seconds while the SDK (given the same clock through its
/// `time_source`) refreshes them on the same schedule the simulator enforces.
#[derive(Debug, Clone)]
pub struct AcceleratedClock {
    start: SystemTime,
    started: Instant,
    factor: f64,
}

impl AcceleratedClock {
    /// Starts at the current system time.
    pub fn new(factor: f64) -> Self {
        Self::starting_at(SystemTime::now(), factor)
    }

    pub fn starting_at(start: SystemTime, factor: f64) -> Self {
        AcceleratedClock {
            start,
            started: Instant::now(),
            factor: if factor.is_finite() && factor > 0.0 {
                factor
            } else {
                1.0
            },
        }
    }
}

impl TimeSource for AcceleratedClock {
    fn now(&self) -> SystemTime {
        self.start + self.started.elapsed().mul_f64(self.factor)
    }
}

pub(crate) fn unix_secs(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_secs()).unwrap_or(i64::MAX),
    }
}

pub(crate) const DAY: i64 = 86_400;

pub(crate) fn days(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(0) * DAY
}

/// `2024-05-01T10:00:00Z`, as the XML protocols and CloudTrail records write times.
pub(crate) fn iso(secs: i64) -> String {
    DateTime::from_secs(secs)
        .fmt(Format::DateTime)
        .unwrap_or_else(|_| "1970-01-01T00:00:00Z".to_owned())
}

/// `2024-05-01T10:00:00+00:00`, the credential report's format.
pub(crate) fn report_time(secs: i64) -> String {
    let mut s = iso(secs);
    if s.ends_with('Z') {
        s.pop();
        s.push_str("+00:00");
    }
    s
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn formats_and_accelerates() {
        assert_eq!(iso(0), "1970-01-01T00:00:00Z");
        assert_eq!(report_time(86_400), "1970-01-02T00:00:00+00:00");
        let clock = AcceleratedClock::starting_at(UNIX_EPOCH, 1000.0);
        std::thread::sleep(Duration::from_millis(20));
        assert!(unix_secs(clock.now()) >= 20);
    }
}
