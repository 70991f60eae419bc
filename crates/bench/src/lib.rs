//! The scale benchmark: one whole scan of a generated organization, answered by the
//! in-process simulator (`orgsweep-sim`) through the real transport seam, so the real SDK
//! clients, signing, retries, limiters, collectors, checks, spool and report writers all
//! run. It measures what the scan cost (wall and CPU time, peak memory, API calls, throttling)
//! against two lower bounds — the busiest rate-limit key and the CPU — and checks its own
//! answer: every planted incident must be found, so speed cannot be bought by skipping work.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant, SystemTime};

use anyhow::Context as _;
use aws_credential_types::Credentials;
use aws_smithy_async::time::{SharedTimeSource, TimeSource};
use aws_smithy_runtime_api::client::http::SharedHttpClient;
use orgsweep_aws::{Caller, EventsChoice, Limits, Session, SessionOptions, Store};
use orgsweep_engine::{Journal, Progress, RegionSelection, ScanOptions, ScanOutcome};
use orgsweep_model::{CoverageStatus, Report, shard_of};
use orgsweep_sim::{Faults, OrgSpec, SimConfig, SimulatedAws};
use serde::Serialize;

/// Wall-clock time that follows tokio's clock: on a paused runtime it advances only when
/// every task waits, so simulated latencies and rate-limit waits add up to hours without
/// taking them, and the machine's load cannot change what a test sees.
#[derive(Debug)]
pub struct TokioTime {
    start_system: SystemTime,
    start: tokio::time::Instant,
}

impl TokioTime {
    /// Starts at the system's time now; call it inside the runtime whose clock it follows.
    pub fn shared() -> SharedTimeSource {
        SharedTimeSource::new(TokioTime {
            start_system: SystemTime::now(),
            start: tokio::time::Instant::now(),
        })
    }
}

impl TimeSource for TokioTime {
    fn now(&self) -> SystemTime {
        self.start_system + self.start.elapsed()
    }
}

/// What to run.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub accounts: usize,
    pub seed: u64,
    /// Per-call latency of the simulated AWS.
    pub latency: Duration,
    /// Accounts in flight.
    pub concurrency: usize,
    /// Where the spool and the report go.
    pub out: PathBuf,
    /// Also write report.html and findings.csv (their size is part of the result).
    pub write_html: bool,
    /// Lifetime of the simulated `AssumeRole` credentials.
    pub credential_lifetime: Duration,
    /// Servers that stall, trickle or fail (none by default): robustness tests.
    pub faults: Faults,
    /// The SDK's per-attempt and per-operation timeouts, when not the shipped defaults
    /// (tests of stalled servers would otherwise wait minutes).
    pub timeouts: Option<(Duration, Duration)>,
    /// After the run, open the report.html it wrote in Chromium and time DOMContentLoaded:
    /// a report that takes the scan minutes and the responder a frozen tab is no better for
    /// being fast to write. Off by default, since it needs Chromium (installed on first use).
    pub browser: bool,
    /// The clock of the simulated AWS and of the SDK (signing, credential expiry), when not
    /// the system's: [`TokioTime`] on a paused runtime lets a test scan for simulated hours
    /// in seconds, so credentials expire and are renewed mid-scan.
    pub clock: Option<SharedTimeSource>,
    /// `Some((index, count))`: scan only shard `index` (1-based) of `count`, as one machine
    /// of a sharded run does (discovery and the organization-wide reads included), and
    /// expect only the incidents planted in that shard's accounts.
    pub shard: Option<(u32, u32)>,
}

impl Scenario {
    pub fn new(accounts: usize, out: &Path) -> Scenario {
        Scenario {
            accounts,
            seed: 7,
            latency: Duration::from_millis(40),
            concurrency: orgsweep_engine::DEFAULT_ACCOUNT_CONCURRENCY,
            out: out.to_owned(),
            write_html: true,
            credential_lifetime: Duration::from_secs(3600),
            faults: Faults::none(),
            timeouts: None,
            browser: false,
            clock: None,
            shard: None,
        }
    }
}

/// The figures of one run; `--json` prints exactly these keys.
#[derive(Debug, Clone, Serialize)]
pub struct BenchResult {
    pub accounts: usize,
    pub regions: usize,
    pub api_calls: u64,
    pub throttled: u64,
    pub retries: u64,
    pub wall_s: f64,
    pub cpu_s: f64,
    pub peak_rss_mb: f64,
    pub rate_limit_bound_s: f64,
    pub cpu_bound_s: f64,
    pub ratio: f64,
    pub planted_total: usize,
    pub planted_found: usize,
    pub html_mb: f64,
}

/// Everything a run learned, for tests and the printed summary.
#[derive(Debug)]
pub struct Outcome {
    pub result: BenchResult,
    pub report: Report,
    /// Planted incidents that were not found: (check id, account, resource).
    pub missed: Vec<(String, String, String)>,
    /// API calls per operation (`service.Operation`).
    pub calls: BTreeMap<String, u64>,
    /// Coverage gaps of the run (none are expected: the simulated organization is readable).
    pub gaps: usize,
    /// The busiest rate-limit keys: (description, minimum seconds).
    pub busiest: Vec<(String, f64)>,
    /// Discovery (the walk of the organization, before any account is scanned): its
    /// Organizations calls and its seconds.
    pub discovery_calls: u64,
    pub discovery_s: f64,
    /// The simulator's cache of rendered answers at the end, in MB: it lives in the same
    /// process, so it is part of `peak_rss_mb` without being orgsweep's.
    pub sim_cache_mb: f64,
    /// Requests the simulator refused because their credentials had expired: a scan that
    /// outlives its credentials must renew them, so this stays zero.
    pub expired_credentials: u64,
    /// Chromium's DOMContentLoaded of report.html in milliseconds, the median of three loads,
    /// when the scenario asked for it and the HTML was written. Not in [`BenchResult`]: its
    /// keys are a contract with whoever reads `--json`.
    pub dom_content_loaded_ms: Option<f64>,
}

/// Notes when discovery ended: the engine reports the selected accounts right after it.
struct DiscoveryClock {
    started: Instant,
    ended: std::sync::OnceLock<Instant>,
}

impl Progress for DiscoveryClock {
    fn accounts_selected(&self, _total: usize, _resumed: usize) {
        let _ = self.ended.set(Instant::now());
    }
    fn account_done(&self, _account_id: &str, _gaps: usize) {}
}

/// The expected regions of the generated organization (its planted miners run elsewhere).
pub const EXPECTED_REGIONS: [&str; 2] = ["eu-west-1", "us-east-1"];

/// CPU seconds (user + system) and peak resident memory of this process, from Linux's
/// /proc: `getrusage` would need libc, and this is all the benchmark needs.
pub fn process_usage() -> (f64, f64) {
    let ticks = 100.0; // USER_HZ on Linux
    let cpu = std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|stat| {
            // Fields after the command name, which is in parentheses and may hold spaces.
            let rest = stat.rsplit_once(')')?.1;
            let fields: Vec<&str> = rest.split_whitespace().collect();
            let user: f64 = fields.get(11)?.parse().ok()?;
            let system: f64 = fields.get(12)?.parse().ok()?;
            Some((user + system) / ticks)
        })
        .unwrap_or(0.0);
    let peak_mb = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
            let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
            Some(kb / 1024.0)
        })
        .unwrap_or(0.0);
    (cpu, peak_mb)
}

fn cores() -> f64 {
    std::thread::available_parallelism().map_or(1.0, |n| n.get() as f64)
}

/// The session's defaults with the scenario's timeouts, if it sets any.
fn timeouts(timeouts: Option<(Duration, Duration)>) -> SessionOptions {
    let mut options = SessionOptions::default();
    if let Some((attempt, operation)) = timeouts {
        options.attempt_timeout = attempt;
        options.operation_timeout = operation;
    }
    options
}

/// Runs the scenario on the current tokio runtime.
pub async fn run(scenario: &Scenario) -> anyhow::Result<Outcome> {
    let sim = SimulatedAws::with_config(
        OrgSpec::new(scenario.accounts, scenario.seed),
        SimConfig {
            latency: scenario.latency,
            credential_lifetime: scenario.credential_lifetime,
            faults: scenario.faults.clone(),
            time_source: scenario
                .clock
                .clone()
                .unwrap_or_else(|| SimConfig::default().time_source),
            ..SimConfig::default()
        },
    );
    let management = sim.management_account_id().to_owned();
    let session = Session::connect(
        SessionOptions {
            credentials: Some(Credentials::new(
                "AKIABENCHMANAGEMENT1",
                "bench-secret",
                None,
                None,
                "bench",
            )),
            http_client: Some(SharedHttpClient::new(sim.clone())),
            events: EventsChoice::Lookup,
            caller: Caller::from_arn(&format!("arn:aws:iam::{management}:user/orgsweep"), None),
            time_source: scenario.clock.clone(),
            ..timeouts(scenario.timeouts)
        },
        Limits::default(),
    )
    .await?;
    let options = ScanOptions {
        regions: RegionSelection::All,
        settings: orgsweep_checks_settings(),
        account_concurrency: scenario.concurrency,
        shard: scenario.shard,
        ..ScanOptions::default()
    };

    std::fs::create_dir_all(&scenario.out)
        .with_context(|| format!("cannot create {}", scenario.out.display()))?;
    let store = Store::local(&scenario.out);
    let stop = AtomicBool::new(false);
    let (cpu_before, _) = process_usage();
    let started = Instant::now();
    let clock = DiscoveryClock {
        started,
        ended: std::sync::OnceLock::new(),
    };
    let outcome = orgsweep_engine::scan(
        &session,
        &options,
        &clock,
        Journal {
            out: &store,
            resume: false,
        },
        &stop,
    )
    .await?;
    let ScanOutcome::Complete { report, spool } = outcome else {
        anyhow::bail!("the scan was interrupted");
    };
    let report = *report;
    let mut formats = vec![orgsweep_report::Format::Json];
    if scenario.write_html {
        formats.extend([orgsweep_report::Format::Html, orgsweep_report::Format::Csv]);
    }
    orgsweep_report::write(&report, &scenario.out, &formats)?;
    spool.remove().await?;
    let wall = started.elapsed().as_secs_f64();
    let (cpu_after, peak_rss_mb) = process_usage();
    let cpu_s = cpu_after - cpu_before;

    let stats = sim.stats();
    // Discovery runs before any account: its busiest key adds to the accounts' busiest.
    let (discovery, scanning): (Vec<_>, Vec<_>) = stats
        .keys
        .iter()
        .partition(|k| k.service == "organizations");
    let slowest = |keys: &[&orgsweep_sim::KeyStats]| {
        keys.iter().map(|k| k.min_seconds()).fold(0.0_f64, f64::max)
    };
    let rate_limit_bound_s = slowest(&discovery) + slowest(&scanning);
    let busiest = stats
        .keys
        .iter()
        .take(5)
        .map(|k| {
            (
                format!(
                    "{} {} {} {} ({} calls at {}/s)",
                    k.service, k.bucket, k.account_id, k.region, k.calls, k.per_second
                ),
                k.min_seconds(),
            )
        })
        .collect();
    let cpu_bound_s = cpu_s / cores();

    let planted: Vec<_> = sim
        .planted()
        .into_iter()
        .filter(|p| {
            scenario
                .shard
                .is_none_or(|(index, count)| shard_of(&p.account_id, count) == index)
        })
        .collect();
    let missed: Vec<(String, String, String)> = planted
        .iter()
        .filter(|p| {
            !report.findings.iter().any(|f| {
                f.check_id == p.check_id
                    && f.account_id == p.account_id
                    && f.resource_id == p.resource_id
            })
        })
        .map(|p| {
            (
                p.check_id.to_owned(),
                p.account_id.clone(),
                p.resource_id.clone(),
            )
        })
        .collect();
    let html_mb = std::fs::metadata(scenario.out.join("report.html"))
        .map(|m| m.len() as f64 / 1_048_576.0)
        .unwrap_or(0.0);
    let api_calls: u64 = report.stats.api_calls.values().sum();
    let gaps = report
        .coverage
        .iter()
        .filter(|c| c.status == CoverageStatus::Failed)
        .count();
    let result = BenchResult {
        accounts: report.accounts.len(),
        regions: report.run.regions.len(),
        api_calls,
        throttled: report.stats.throttled,
        retries: report.stats.retries,
        wall_s: wall,
        cpu_s,
        peak_rss_mb,
        rate_limit_bound_s,
        cpu_bound_s,
        ratio: wall / rate_limit_bound_s.max(cpu_bound_s).max(f64::EPSILON),
        planted_total: planted.len(),
        planted_found: planted.len() - missed.len(),
        html_mb,
    };
    // After every other figure is taken: the browser's work is not the scan's.
    let dom_content_loaded_ms = if scenario.browser && scenario.write_html {
        Some(
            browser_dom_content_loaded_ms(&scenario.out.join("report.html"))
                .await
                .context("Chromium on report.html")?,
        )
    } else {
        None
    };
    let discovery_calls = report
        .stats
        .api_calls
        .iter()
        .filter(|(op, _)| op.starts_with("organizations."))
        .map(|(_, n)| n)
        .sum();
    Ok(Outcome {
        result,
        calls: report.stats.api_calls.clone(),
        report,
        missed,
        gaps,
        busiest,
        discovery_calls,
        sim_cache_mb: sim.cached_bytes() as f64 / 1_048_576.0,
        expired_credentials: stats.total().expired,
        dom_content_loaded_ms,
        discovery_s: clock
            .ended
            .get()
            .map_or(0.0, |t| (*t - clock.started).as_secs_f64()),
    })
}

/// The median of three loads: the first pays for a cold browser and page cache, and one slow
/// load (another process taking the CPU) should not decide the figure either way.
async fn browser_dom_content_loaded_ms(html: &Path) -> anyhow::Result<f64> {
    // A file:// URL needs an absolute path, and `--out` is usually relative.
    let html =
        std::fs::canonicalize(html).with_context(|| format!("cannot find {}", html.display()))?;
    let browser = orgsweep_browser::Browser::start(1366, 768, &[]).await?;
    let mut loads = Vec::with_capacity(3);
    for _ in 0..3 {
        loads.push(browser.dom_content_loaded(&html).await?.as_secs_f64() * 1000.0);
    }
    browser.close().await?;
    loads.sort_by(f64::total_cmp);
    Ok(loads[1])
}

/// The settings the benchmark scans with: the generated organization's expected regions.
fn orgsweep_checks_settings() -> orgsweep_engine::Settings {
    orgsweep_engine::Settings {
        expected_regions: EXPECTED_REGIONS.iter().map(|r| (*r).to_owned()).collect(),
        ..orgsweep_engine::Settings::default()
    }
}
