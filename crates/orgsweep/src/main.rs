//! The `orgsweep` binary: parses the command line, wires the crates together, and turns
//! errors into one line and an exit code. The work happens in the libraries.

mod cli;
mod progress;
mod storage;
mod targets;

/// Prints to stdout; a closed pipe (`orgsweep diff … | head -1`) ends the program quietly
/// instead of panicking like `println!`.
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::write_stdout(&format!($($arg)*))
    };
}

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context as _, bail};
use clap::Parser as _;
use orgsweep_aws::{Limits, Location, Session, SessionOptions, Store};
use orgsweep_checks::Settings;
use orgsweep_engine::{AccountFilter, RegionSelection, ScanOptions};
use orgsweep_model::{Report, Severity};
use time::OffsetDateTime;

use crate::cli::{
    BaselineArgs, Cli, Command, DiffArgs, EventsFlag, FailOnGaps, PlanArgs, PlanFormat,
    RemediateArgs, ReportArgs, ResumeMode, ScanArgs,
};
use orgsweep_config::{Baseline, ConfigFile, baseline_from_report};

/// Exit code for "findings at or above --fail-on".
const EXIT_FINDINGS: u8 = 3;
/// Exit code for "an account in scope (or, with --fail-on-gaps any, any scope) could not
/// be scanned" when no finding triggered [`EXIT_FINDINGS`].
const EXIT_GAPS: u8 = 4;
/// Exit code of a scan interrupted by a signal (128 + SIGINT, as shells report it).
const EXIT_INTERRUPTED: u8 = 130;

/// Writes `text` and a newline to stdout, ending the program quietly when the reader has
/// gone away (a closed pipe is the reader's choice, not an error).
pub(crate) fn write_stdout(text: &str) {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    let written = writeln!(out, "{text}").and_then(|()| out.flush());
    if let Err(err) = written {
        if err.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("error: cannot write to standard output: {err}");
        std::process::exit(1);
    }
}

/// Joins an error's chain on one line, leaving out causes a parent already quotes.
fn one_line(err: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in err.chain() {
        let part = cause.to_string();
        if text.contains(&part) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&part);
    }
    text.replace('\n', " ")
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) if !err.use_stderr() => {
            // --help and --version.
            let _ = err.print();
            return ExitCode::SUCCESS;
        }
        Err(err) => {
            // clap's message spans several lines (usage, tips); the first names the problem.
            let rendered = err.render().to_string();
            let first = rendered
                .lines()
                .next()
                .unwrap_or("error: invalid arguments");
            eprintln!("{first} (see orgsweep --help)");
            return ExitCode::FAILURE;
        }
    };
    match run(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {}", one_line(&err));
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Scan(args) => scan(*args),
        Command::Report(args) => rerender(args),
        Command::Baseline(args) => write_baseline(args),
        Command::Diff(args) => print_diff(args),
        Command::Plan(args) => write_plan(args),
        Command::Merge(args) => merge(args),
        Command::Remediate(args) => remediate(args),
        Command::Checks => {
            say!("{}", checks_table().trim_end());
            Ok(ExitCode::SUCCESS)
        }
        Command::Completions { shell } => {
            let mut command = <Cli as clap::CommandFactory>::command();
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut command, "orgsweep", &mut script);
            say!("{}", String::from_utf8_lossy(&script).trim_end());
            Ok(ExitCode::SUCCESS)
        }
        Command::Man => {
            let mut page = Vec::new();
            clap_mangen::Man::new(<Cli as clap::CommandFactory>::command())
                .render(&mut page)
                .context("cannot render the manual page")?;
            say!("{}", String::from_utf8_lossy(&page).trim_end());
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn checks_table() -> String {
    let width = orgsweep_checks::CATALOGUE
        .iter()
        .map(|c| c.meta().id.len())
        .max()
        .unwrap_or(5)
        .max("CHECK".len());
    let mut out = format!(
        "{:<width$}  {:<8}  {:<7}  {}\n",
        "CHECK", "SEVERITY", "SCOPE", "TITLE"
    );
    for check in orgsweep_checks::CATALOGUE {
        let meta = check.meta();
        let scope = match meta.scope {
            orgsweep_checks::Scope::Account => "account",
            orgsweep_checks::Scope::Region => "region",
        };
        out.push_str(&format!(
            "{:<width$}  {:<8}  {:<7}  {}\n",
            meta.id,
            meta.severity.as_str(),
            scope,
            meta.title
        ));
    }
    out
}

use orgsweep_config::is_region_name;

fn region_list(flag: &str, names: Vec<String>) -> anyhow::Result<Vec<String>> {
    let mut names: Vec<String> = names
        .into_iter()
        .map(|r| r.trim().to_owned())
        .filter(|r| !r.is_empty())
        .collect();
    if let Some(bad) = names.iter().find(|r| !is_region_name(r)) {
        bail!("{flag}: '{bad}' is not a region name (expected names like us-east-1)");
    }
    names.sort();
    names.dedup();
    Ok(names)
}

fn default_out_dir(now: OffsetDateTime) -> PathBuf {
    let stamp = format!(
        "{:04}-{:02}-{:02}T{:02}-{:02}-{:02}Z",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second()
    );
    Path::new("reports").join(stamp)
}

/// The scan's settings: flags win over the config file, which wins over defaults.
fn scan_options(args: &ScanArgs, config: &ConfigFile) -> anyhow::Result<ScanOptions> {
    let regions = if !args.regions.is_empty() {
        args.regions.clone()
    } else {
        config.regions().unwrap_or_default()
    };
    let regions = if regions.is_empty() || regions.iter().any(|r| r == "all") {
        if regions.len() > 1 {
            bail!("--regions: 'all' cannot be combined with region names");
        }
        RegionSelection::All
    } else {
        RegionSelection::List(region_list("--regions", regions)?)
    };

    let mut settings = Settings::default();
    config.apply(&mut settings)?;
    for mute in settings
        .mutes
        .iter()
        .filter(|m| m.is_expired(OffsetDateTime::now_utc()))
    {
        tracing::warn!(
            reason = %mute.reason,
            expires = ?mute.expires,
            "a [[mute]] of the settings file has expired; its findings count again"
        );
    }
    if !args.expected_regions.is_empty() {
        settings.expected_regions.clone_from(&args.expected_regions);
    }
    settings.expected_regions = region_list(
        "--expected-regions",
        std::mem::take(&mut settings.expected_regions),
    )?;
    if let Some(days) = args.window_days {
        // clap checked the range.
        settings.window_days = u32::try_from(days).unwrap_or(settings.window_days);
    }
    if !args.email_domains.is_empty() {
        settings.email_domains = args
            .email_domains
            .iter()
            .map(|d| d.trim().trim_start_matches('@').to_ascii_lowercase())
            .filter(|d| !d.is_empty())
            .collect();
    }
    if let Some(role) = &args.role_name {
        settings.scan_role_name.clone_from(role);
    }
    let mut baseline_digest = "none".to_owned();
    if let Some(path) = &args.baseline {
        let baseline = Baseline::load(path).context("--baseline")?;
        baseline_digest = baseline.digest.clone();
        settings
            .known
            .get_or_insert_with(Default::default)
            .merge(baseline.known);
    }
    let shard = match args.shard {
        None => None,
        Some(flag) => Some((shard_index(flag)?, flag.count)),
    };
    let filter = AccountFilter {
        accounts: args.accounts.clone(),
        exclude_accounts: args.exclude_accounts.clone(),
        ous: args.ou.clone(),
    };
    let list = |v: &[String]| {
        let mut v = v.to_vec();
        v.sort();
        if v.is_empty() {
            "all".to_owned()
        } else {
            v.join(",")
        }
    };
    let scope = orgsweep_engine::spool::Scope::from([
        ("accounts".to_owned(), list(&filter.accounts)),
        (
            "exclude_accounts".to_owned(),
            list(&filter.exclude_accounts),
        ),
        ("ou".to_owned(), list(&filter.ous)),
        (
            "regions".to_owned(),
            match &regions {
                RegionSelection::All => "all".to_owned(),
                RegionSelection::List(l) => l.join(","),
            },
        ),
        (
            "expected_regions".to_owned(),
            settings.expected_regions.join(","),
        ),
        ("window_days".to_owned(), settings.window_days.to_string()),
        (
            "rotation_days".to_owned(),
            settings.rotation_days.to_string(),
        ),
        ("unused_days".to_owned(), settings.unused_days.to_string()),
        ("role_name".to_owned(), settings.scan_role_name.clone()),
        ("email_domains".to_owned(), settings.email_domains.join(",")),
        (
            "trusted_accounts".to_owned(),
            settings
                .trusted_accounts
                .iter()
                .cloned()
                .collect::<Vec<_>>()
                .join(","),
        ),
        ("settings_file".to_owned(), config.digest()),
        ("baseline".to_owned(), baseline_digest),
        (
            "shard".to_owned(),
            shard.map_or_else(|| "none".to_owned(), |(i, n)| format!("{i}/{n}")),
        ),
    ]);
    Ok(ScanOptions {
        filter,
        regions,
        settings,
        account_concurrency: usize::from(args.concurrency),
        shard,
        discovery: orgsweep_aws::DiscoveryOptions {
            account_tags: args.account_tags,
        },
        scope,
        ..ScanOptions::default()
    })
}

/// The 1-based shard index of `--shard`, reading the job engine's 0-based index for `auto`.
fn shard_index(flag: cli::ShardFlag) -> anyhow::Result<u32> {
    if let Some(index) = flag.index {
        return Ok(index);
    }
    for var in ["JOB_COMPLETION_INDEX", "AWS_BATCH_JOB_ARRAY_INDEX"] {
        if let Ok(value) = std::env::var(var) {
            let index: u32 = value
                .trim()
                .parse()
                .with_context(|| format!("--shard auto: {var}='{value}' is not a number"))?;
            if index >= flag.count {
                bail!(
                    "--shard auto/{}: {var}={index} is outside 0..{}",
                    flag.count,
                    flag.count
                );
            }
            return Ok(index + 1);
        }
    }
    bail!("--shard auto: neither JOB_COMPLETION_INDEX nor AWS_BATCH_JOB_ARRAY_INDEX is set")
}

/// What a scan does with --out, from what is there and --resume.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Start {
    Fresh,
    Resume,
    /// `--resume=auto` and the report is already written: a retried job that had finished.
    Finished,
}

/// Refuses an --out that would overwrite a report (one a later --previous may point at),
/// and a --resume without an interrupted scan to continue; then checks files can be
/// written there, creating nothing.
async fn check_out(args: &ScanArgs, out: &Store, scope_digest: &str) -> anyhow::Result<Start> {
    let shown = out.location().to_string();
    let spool = orgsweep_engine::Spool::exists(out).await?;
    match args.resume {
        Some(ResumeMode::Always) if !spool => {
            bail!("--resume: {shown} holds no interrupted scan to continue")
        }
        Some(_) if spool => return Ok(Start::Resume),
        Some(ResumeMode::Auto) => {
            if let Some(bytes) = out.get("report.json").await? {
                // Only this scan's own report means "already done": one of other flags or
                // settings left at a fixed location is not.
                let same = orgsweep_model::parse_report(&String::from_utf8_lossy(&bytes))
                    .is_ok_and(|r| r.run.scope_digest.as_deref() == Some(scope_digest));
                if !same {
                    bail!(
                        "--resume=auto: {shown} holds the report of another scan (other flags or settings); choose another --out"
                    );
                }
                return Ok(Start::Finished);
            }
        }
        _ => {}
    }
    let mut existing = Vec::new();
    for name in ["report.json", "report.html"] {
        if out.exists(name).await? {
            existing.push(name);
        }
    }
    if !existing.is_empty() && !args.force {
        bail!(
            "--out: {shown} already holds a report ({}); pass --force to replace it, or choose another directory",
            existing.join(", ")
        );
    }
    if spool && !args.force {
        bail!(
            "--out: {shown} holds an interrupted scan; pass --resume to continue it or --force to start over"
        );
    }
    out.check_writable().await.context("--out")?;
    Ok(Start::Fresh)
}

/// Why a scan wrote no report this time.
enum NoReport {
    /// Stopped by a signal: `done` of `total` accounts are journaled.
    Interrupted { done: usize, total: usize },
    /// `--resume=auto` found the report already written.
    AlreadyWritten,
}

/// Rewrites an unknown-region error so it names where the region came from: the settings
/// file's line, when that is where it was written.
fn locate_region_error(
    err: orgsweep_engine::EngineError,
    args: &ScanArgs,
    config: &ConfigFile,
) -> anyhow::Error {
    if let orgsweep_engine::EngineError::UnknownRegion {
        what,
        region,
        known,
    } = &err
    {
        let (from_flag, key) = match *what {
            "--regions" => (!args.regions.is_empty(), "regions"),
            _ => (!args.expected_regions.is_empty(), "expected_regions"),
        };
        if !from_flag
            && let Some(located) = config.region_error(
                key,
                region,
                format!("unknown region '{region}' (regions of this partition: {known})"),
            )
        {
            return located.into();
        }
    }
    err.into()
}

fn scan(args: ScanArgs) -> anyhow::Result<ExitCode> {
    // A quiet run draws no bar and logs errors only, as a non-interactive one would.
    let interactive = std::io::stderr().is_terminal() && !args.quiet;
    progress::init_logging(progress::Verbosity::from(interactive, args.quiet))?;
    let config = match &args.config {
        Some(path) => ConfigFile::load(path)?,
        None => ConfigFile::default(),
    };
    let mut options = scan_options(&args, &config)?;
    let targets = match &args.targets {
        Some(path) => {
            let targets = orgsweep_config::load_targets(path).context("--targets")?;
            options
                .scope
                .insert("targets".to_owned(), targets.digest.clone());
            Some(targets)
        }
        None => None,
    };
    if let Some(region) = &args.security_hub {
        region_list("--security-hub", vec![region.clone()])?;
    }
    let now = OffsetDateTime::now_utc();
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| default_out_dir(now).display().to_string());
    let out: orgsweep_aws::Location = Location::expand(&out, now, options.shard)
        .parse()
        .map_err(|e: String| anyhow::anyhow!("--out: {e}"))?;
    // A shard writes its part below the run's location, where `merge` finds every part.
    let out = match options.shard {
        Some((index, count)) => out.join(&format!("shard-{index}-of-{count}")),
        None => out,
    };
    let access = storage::Access {
        profile: args.profile.clone(),
        endpoint_url: args.endpoint_url.clone(),
        sse_kms_key: args.sse_kms_key.clone(),
    };

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    // Local files are checked before connecting: a typo fails without credentials.
    let previous_is_s3 = args
        .previous
        .as_deref()
        .is_some_and(|p| p.starts_with("s3://"));
    let mut previous = None;
    if let Some(path) = args.previous.as_deref().filter(|_| !previous_is_s3) {
        previous = Some(
            runtime
                .block_on(storage::read_report(path, &access, None))
                .context("--previous")?,
        );
    }
    let scope_digest = orgsweep_engine::scope_digest(&options.scope);
    let mut start = None;
    if let Location::Local(dir) = &out {
        start = Some(runtime.block_on(check_out(&args, &Store::local(dir), &scope_digest))?);
    }

    let session_options = SessionOptions {
        profile: args.profile.clone(),
        endpoint_url: args.endpoint_url.clone(),
        role_name: options.settings.scan_role_name.clone(),
        window_days: options.settings.window_days,
        events: match (&args.cloudtrail_s3, args.events) {
            (Some(location), _) => orgsweep_aws::EventsChoice::S3(location.clone()),
            (None, EventsFlag::Lookup) => orgsweep_aws::EventsChoice::Lookup,
            (None, EventsFlag::Auto) => orgsweep_aws::EventsChoice::Auto,
        },
        external_id: args.external_id.clone(),
        ..SessionOptions::default()
    };
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let result = runtime.block_on(async {
        // The scan's own identity: the organization's, or with --targets only what an S3
        // output or the Security Hub export needs (each target connects with its own
        // credentials).
        let home = if targets.is_none()
            || !matches!(out, Location::Local(_))
            || args.security_hub.is_some()
        {
            Some(Session::connect(session_options.clone(), Limits::default()).await?)
        } else {
            None
        };
        let store = Store::open(out.clone(), home.as_ref(), args.sse_kms_key.clone()).await?;
        let start = match start {
            Some(start) => start,
            None => check_out(&args, &store, &scope_digest).await?,
        };
        if start == Start::Finished {
            return anyhow::Ok(Err(NoReport::AlreadyWritten));
        }
        if let Some(path) = args.previous.as_deref().filter(|_| previous_is_s3) {
            previous = Some(
                storage::read_report(path, &access, home.as_ref())
                    .await
                    .context("--previous")?,
            );
        }
        watch_signals(stop.clone());
        let progress = progress::Reporter::new(interactive);
        let resume = start == Start::Resume;
        let (report, spools) = if let Some(targets) = &targets {
            // The run's own spool records its scope (the targets file's digest among it), so
            // --resume continues only the same targets; each target journals below it.
            let top = if resume {
                orgsweep_engine::Spool::resume(&store, &options.scope).await?
            } else {
                orgsweep_engine::Spool::create(
                    &store,
                    options.scope.clone(),
                    OffsetDateTime::now_utc(),
                )
                .await?
            };
            let outcome = targets::scan_targets(
                &targets.entries,
                &session_options,
                &options,
                &store,
                resume,
                &progress,
                &stop,
            )
            .await?;
            progress.finish();
            match outcome {
                targets::TargetsOutcome::Complete { report, mut spools } => {
                    spools.push(top);
                    (*report, spools)
                }
                targets::TargetsOutcome::Interrupted { done, total } => {
                    return anyhow::Ok(Err(NoReport::Interrupted { done, total }));
                }
            }
        } else {
            let Some(session) = home.as_ref() else {
                bail!("no AWS session for the organization");
            };
            let journal = orgsweep_engine::Journal {
                out: &store,
                resume,
            };
            let outcome = orgsweep_engine::scan(session, &options, &progress, journal, &stop)
                .await
                .map_err(|e| locate_region_error(e, &args, &config))?;
            progress.finish();
            match outcome {
                orgsweep_engine::ScanOutcome::Complete { report, spool } => (*report, vec![spool]),
                orgsweep_engine::ScanOutcome::Interrupted { done, total } => {
                    return anyhow::Ok(Err(NoReport::Interrupted { done, total }));
                }
            }
        };
        let mut report = report;
        if let Some(previous) = &previous {
            orgsweep_model::diff::attach_previous(&mut report, previous);
        }
        let written = storage::write_report(&store, &report, &args.format).await?;
        // The report is written: the journals have served their purpose.
        for spool in spools {
            if let Err(err) = spool.remove().await
                && !args.quiet
            {
                eprintln!("warning: {err}");
            }
        }
        let hub = match (&args.security_hub, &home) {
            (Some(region), Some(session)) => {
                Some(export_to_security_hub(session, region, &report).await)
            }
            _ => None,
        };
        anyhow::Ok(Ok((report, written, hub)))
    })?;
    runtime.shutdown_timeout(Duration::from_secs(1));
    match result {
        Ok((report, written, hub)) => {
            if !args.quiet {
                print_summary(&report, &written);
            }
            if let Some(hub) = hub {
                hub_outcome(&hub, args.quiet)?;
            }
            Ok(exit_for(&report, args.fail_on, args.fail_on_gaps))
        }
        Err(NoReport::Interrupted { done, total }) => {
            eprintln!(
                "interrupted: {done} of {total} accounts are complete in {out}; run the same command with --resume to continue"
            );
            Ok(ExitCode::from(EXIT_INTERRUPTED))
        }
        Err(NoReport::AlreadyWritten) => {
            if !args.quiet {
                eprintln!("{out} already holds this scan's report; nothing to do (--resume=auto)");
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// The report's findings (and, with --previous, the ones resolved since) to Security Hub.
async fn export_to_security_hub(
    session: &Session,
    region: &str,
    report: &Report,
) -> orgsweep_aws::HubExport {
    let active = orgsweep_report::asff_findings(report);
    let archived: Vec<serde_json::Value> = report
        .previous
        .iter()
        .flat_map(|p| &p.resolved_findings)
        .map(|f| orgsweep_report::asff_archived(report, f))
        .collect();
    session
        .export_to_security_hub(region, &active, &archived)
        .await
}

/// Says what the export did; a finding that did not arrive is an error (exit 1), after the
/// report was written: a pipeline that feeds Security Hub must notice.
fn hub_outcome(hub: &orgsweep_aws::HubExport, quiet: bool) -> anyhow::Result<()> {
    if !quiet {
        eprintln!(
            "Security Hub {}: {} findings imported, {} archived, in {} batches",
            hub.region, hub.imported, hub.archived, hub.batches
        );
    }
    if let Some((id, why)) = hub.failed.first() {
        bail!(
            "Security Hub {}: {} findings were not imported (the report is written); first: {id}: {why}",
            hub.region,
            hub.failed.len()
        );
    }
    Ok(())
}

/// First SIGINT/SIGTERM: stop starting accounts, finish and journal the ones in flight, and
/// leave a resumable directory. Second: exit at once.
fn watch_signals(stop: std::sync::Arc<std::sync::atomic::AtomicBool>) {
    tokio::spawn(async move {
        let mut signals = 0;
        loop {
            #[cfg(unix)]
            {
                use tokio::signal::unix::{SignalKind, signal};
                let (Ok(mut int), Ok(mut term)) = (
                    signal(SignalKind::interrupt()),
                    signal(SignalKind::terminate()),
                ) else {
                    return;
                };
                tokio::select! {
                    _ = int.recv() => {}
                    _ = term.recv() => {}
                }
            }
            #[cfg(not(unix))]
            if tokio::signal::ctrl_c().await.is_err() {
                return;
            }
            signals += 1;
            if signals > 1 {
                eprintln!("interrupted again: exiting now");
                std::process::exit(i32::from(EXIT_INTERRUPTED));
            }
            stop.store(true, std::sync::atomic::Ordering::Relaxed);
            eprintln!(
                "interrupt: finishing the accounts in flight (interrupt again to exit at once)"
            );
        }
    });
}

fn exit_for(report: &Report, fail_on: Option<Severity>, gaps: FailOnGaps) -> ExitCode {
    let counted = report
        .findings
        .iter()
        .filter(|f| !f.muted && !f.scanner_identity)
        .map(|f| f.severity)
        .max();
    if let (Some(threshold), Some(worst)) = (fail_on, counted)
        && worst >= threshold
    {
        return ExitCode::from(EXIT_FINDINGS);
    }
    let failed = |c: &&orgsweep_model::Coverage| c.status == orgsweep_model::CoverageStatus::Failed;
    let blind = match gaps {
        FailOnGaps::Never => false,
        FailOnGaps::Account => report
            .coverage
            .iter()
            .filter(failed)
            .any(|c| c.region.is_none() && c.check_id.is_none()),
        FailOnGaps::Any => report.coverage.iter().any(|c| failed(&c)),
    };
    if blind {
        ExitCode::from(EXIT_GAPS)
    } else {
        ExitCode::SUCCESS
    }
}

fn print_summary(report: &Report, paths: &[String]) {
    let counts: Vec<String> = Severity::ALL
        .iter()
        .map(|s| format!("{} {s}", report.count_by_severity(*s)))
        .collect();
    let scanned = report.accounts.iter().filter(|a| a.scanned).count();
    let resumed = if report.stats.resumed_accounts > 0 {
        format!(
            " ({} from the interrupted run)",
            report.stats.resumed_accounts
        )
    } else {
        String::new()
    };
    // The summary goes to stderr with the logs: stdout stays for the paths, one per line.
    eprintln!(
        "{} findings ({}); {} of {} accounts scanned{resumed}; {} coverage gaps; {} API calls in {:.1} s",
        report.findings.len(),
        counts.join(", "),
        scanned,
        report.accounts.len(),
        report.gaps().count(),
        report.stats.api_calls.values().sum::<u64>(),
        report.stats.duration_ms as f64 / 1000.0
    );
    for path in paths {
        say!("wrote {path}");
    }
}

/// The directory a report lives in: where its plan, re-renders and audit log go by default.
fn report_dir(report: &Path) -> PathBuf {
    report
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

fn read_report(path: &Path) -> anyhow::Result<Report> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
    orgsweep_model::parse_report(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

fn remediate(args: RemediateArgs) -> anyhow::Result<ExitCode> {
    let report = read_report(&args.report)?;
    let selection = orgsweep_engine::Selection {
        finding_ids: args.finding.clone(),
        check_ids: args.check.clone(),
        accounts: args.accounts.clone(),
    };
    selection
        .validate(&report)
        .map_err(|e| anyhow::anyhow!(e))?;
    if args.apply && !selection.is_explicit() {
        bail!(
            "--apply needs an explicit selection: --finding ID,…, --check ID,… and/or --accounts ID,… (a dry run without --apply lists every candidate)"
        );
    }
    let planned = orgsweep_engine::plan_containment(&report, &selection);
    if planned.is_empty() {
        say!("nothing to contain: no selected finding calls for a containment action");
        return Ok(ExitCode::SUCCESS);
    }
    for p in &planned {
        say!(
            "{} {}: {} (finding {}, {})",
            if args.apply { "will" } else { "would" },
            p.account_id,
            p.action.describe(),
            p.finding_id,
            p.check_id
        );
    }
    if !args.apply {
        say!(
            "dry run: nothing was changed; add --apply (with --finding, --check or --accounts) to perform these {} action(s)",
            planned.len()
        );
        return Ok(ExitCode::SUCCESS);
    }
    if !args.yes {
        if !std::io::stdin().is_terminal() {
            bail!(
                "refusing to apply without confirmation: add --yes when not running interactively"
            );
        }
        eprint!("apply {} containment action(s)? [y/N] ", planned.len());
        let mut answer = String::new();
        std::io::stdin()
            .read_line(&mut answer)
            .context("cannot read the confirmation")?;
        if !matches!(answer.trim(), "y" | "Y" | "yes") {
            say!("nothing was changed");
            return Ok(ExitCode::SUCCESS);
        }
    }
    let audit_path = args
        .audit_log
        .clone()
        .unwrap_or_else(|| report_dir(&args.report).join("remediation-audit.jsonl"));
    // Opened before anything changes: an action that cannot be logged is not taken.
    let mut audit = open_audit_log(&audit_path)?;
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    let records = runtime.block_on(async {
        let session = Session::connect(
            SessionOptions {
                profile: args.profile.clone(),
                endpoint_url: args.endpoint_url.clone(),
                role_name: args.remediation_role.clone(),
                external_id: args.external_id.clone(),
                ..SessionOptions::default()
            },
            Limits::default(),
        )
        .await?;
        let mut log = |record: &orgsweep_engine::AuditRecord| -> std::io::Result<()> {
            use std::io::Write as _;
            let line = serde_json::to_string(record).map_err(std::io::Error::other)?;
            writeln!(audit, "{line}")?;
            audit.flush()?;
            audit.sync_data()
        };
        orgsweep_engine::apply(&session, &args.remediation_role, &planned, &mut log)
            .await
            .map_err(|e| {
                anyhow::anyhow!(
                    "cannot write the audit log {}: {e}; stopped before the next action",
                    audit_path.display()
                )
            })
    })?;
    for record in &records {
        say!(
            "{} {}: {}: {}",
            record.result,
            record.account_id,
            record.target,
            record.detail
        );
    }
    say!("audit log: {}", audit_path.display());
    let failed = records.iter().filter(|r| r.result == "failed").count();
    if failed > 0 {
        bail!(
            "{failed} of {} action(s) failed; see {}",
            records.len(),
            audit_path.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// The audit log, opened for appending and readable only by its owner.
fn open_audit_log(path: &Path) -> anyhow::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    options
        .open(path)
        .map_err(|e| anyhow::anyhow!("cannot open the audit log {}: {e}", path.display()))
}

fn access(args: &cli::AccessArgs) -> storage::Access {
    storage::Access {
        profile: args.profile.clone(),
        endpoint_url: args.endpoint_url.clone(),
        sse_kms_key: args.sse_kms_key.clone(),
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Runtime::new().context("cannot start the async runtime")
}

fn write_plan(args: PlanArgs) -> anyhow::Result<ExitCode> {
    let access = access(&args.access);
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| storage::report_dir(&args.report));
    let written = runtime()?.block_on(async {
        let session = access.session_for(&[&args.report, &out]).await?;
        let report = storage::read_report(&args.report, &access, session.as_ref()).await?;
        let store = access.store(&out, session.as_ref()).await?;
        let mut written = Vec::new();
        for format in &args.format {
            let (name, text) = match format {
                PlanFormat::Md => ("plan.md", orgsweep_report::plan_markdown(&report)),
                PlanFormat::Html => ("plan.html", orgsweep_report::plan_html(&report)?),
            };
            written.push(store.put(name, text.into_bytes()).await.context("--out")?);
        }
        anyhow::Ok(written)
    })?;
    for path in written {
        say!("wrote {path}");
    }
    Ok(ExitCode::SUCCESS)
}

fn print_diff(args: DiffArgs) -> anyhow::Result<ExitCode> {
    let access = access(&args.access);
    let (old, new) = runtime()?.block_on(async {
        let session = access.session_for(&[&args.old, &args.new]).await?;
        let old = storage::read_report(&args.old, &access, session.as_ref()).await?;
        let new = storage::read_report(&args.new, &access, session.as_ref()).await?;
        anyhow::Ok((old, new))
    })?;
    let diff = orgsweep_model::diff::diff(&old, &new);
    if args.json {
        say!("{}", serde_json::to_string_pretty(&diff)?);
    } else {
        say!("{}", orgsweep_report::diff_text(&diff).trim_end());
    }
    Ok(ExitCode::SUCCESS)
}

fn rerender(args: ReportArgs) -> anyhow::Result<ExitCode> {
    let access = access(&args.access);
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| storage::report_dir(&args.report));
    let written = runtime()?.block_on(async {
        let session = access.session_for(&[&args.report, &out]).await?;
        let report = storage::read_report(&args.report, &access, session.as_ref()).await?;
        let store = access.store(&out, session.as_ref()).await?;
        storage::write_report(&store, &report, &args.format).await
    })?;
    for path in written {
        say!("wrote {path}");
    }
    Ok(ExitCode::SUCCESS)
}

/// `merge`: the parts of a sharded scan into one report.
fn merge(args: cli::MergeArgs) -> anyhow::Result<ExitCode> {
    let access = access(&args.access);
    let now = OffsetDateTime::now_utc();
    let parts: Vec<String> = args
        .parts
        .iter()
        .map(|p| Location::expand(p, now, None))
        .collect();
    let out = Location::expand(&args.out, now, None);
    let (report, written) = runtime()?.block_on(async {
        let mut locations: Vec<&str> = parts.iter().map(String::as_str).collect();
        locations.push(&out);
        if let Some(previous) = &args.previous {
            locations.push(previous);
        }
        let session = access.session_for(&locations).await?;
        let mut reports = Vec::new();
        for part in &parts {
            let store = access.store(part, session.as_ref()).await?;
            if store.exists("report.json").await? {
                let report = storage::read_report(part, &access, session.as_ref()).await?;
                reports.push((store.location().to_string(), report));
                continue;
            }
            // A location holding the parts: every shard-I-of-N below it.
            let shards: Vec<String> = store
                .list()
                .await?
                .into_iter()
                .filter(|name| name.starts_with("shard-") && name.ends_with('/'))
                .collect();
            if shards.is_empty() {
                bail!(
                    "{}: no report.json and no shard-I-of-N parts",
                    store.location()
                );
            }
            for shard in shards {
                let location = store
                    .sub(shard.trim_end_matches('/'))
                    .location()
                    .to_string();
                if !store
                    .sub(shard.trim_end_matches('/'))
                    .exists("report.json")
                    .await?
                {
                    // An unfinished part: its accounts become the missing shard's gaps.
                    eprintln!("warning: {location} holds no report.json (an unfinished shard)");
                    continue;
                }
                let report = storage::read_report(&location, &access, session.as_ref()).await?;
                reports.push((location, report));
            }
        }
        let mut merged = orgsweep_model::merge::merge(reports)?;
        if let Some(previous) = &args.previous {
            let previous = storage::read_report(previous, &access, session.as_ref())
                .await
                .context("--previous")?;
            orgsweep_model::diff::attach_previous(&mut merged, &previous);
        }
        let store = access.store(&out, session.as_ref()).await?;
        let written = storage::write_report(&store, &merged, &args.format).await?;
        anyhow::Ok((merged, written))
    })?;
    print_summary(&report, &written);
    Ok(exit_for(&report, args.fail_on, args.fail_on_gaps))
}

fn write_baseline(args: BaselineArgs) -> anyhow::Result<ExitCode> {
    let report = read_report(&args.report)?;
    let text = baseline_from_report(&report, &args.report.display().to_string());
    orgsweep_report::write_file_atomically(&args.out, text.as_bytes()).context("--out")?;
    say!("wrote {}", args.out.display());
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_names_are_checked_for_shape() {
        for good in [
            "us-east-1",
            "ap-southeast-2",
            "us-gov-west-1",
            "eu-central-2",
        ] {
            assert!(is_region_name(good), "{good}");
        }
        for bad in [
            "us-east",
            "useast1",
            "US-EAST-1",
            "us-east-1a",
            "-east-1",
            "us--1",
            "",
        ] {
            assert!(!is_region_name(bad), "{bad}");
        }
    }

    #[test]
    fn the_catalogue_table_lists_every_check() {
        let table = checks_table();
        for check in orgsweep_checks::CATALOGUE {
            assert!(table.contains(check.meta().id));
        }
    }
}
