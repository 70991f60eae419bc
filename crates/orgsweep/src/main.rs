//! The `orgsweep` binary: parses the command line, wires the crates together, and turns
//! errors into one line and an exit code. The work happens in the libraries.

mod cli;
mod progress;

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context as _, bail};
use clap::Parser as _;
use orgsweep_aws::{Limits, Session, SessionOptions};
use orgsweep_checks::Settings;
use orgsweep_engine::{AccountFilter, RegionSelection, ScanOptions};
use orgsweep_model::{Report, Severity};
use time::OffsetDateTime;

use crate::cli::{
    BaselineArgs, Cli, Command, DiffArgs, PlanArgs, PlanFormat, RemediateArgs, ReportArgs, ScanArgs,
};
use orgsweep_config::{Baseline, ConfigFile, baseline_from_report};

/// Exit code for "findings at or above --fail-on" (DESIGN.md).
const EXIT_FINDINGS: u8 = 3;
/// The look-back CloudTrail keeps event history for, and so the largest sensible window.
const MAX_WINDOW_DAYS: u32 = 90;

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
            eprintln!("error: {}", format!("{err:#}").replace('\n', " "));
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
        Command::Remediate(args) => remediate(args),
        Command::Checks => {
            print!("{}", checks_table());
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn checks_table() -> String {
    let mut out = format!(
        "{:<36} {:<9} {:<8} {}\n",
        "CHECK", "SEVERITY", "SCOPE", "TITLE"
    );
    for check in orgsweep_checks::CATALOGUE {
        let meta = check.meta();
        let scope = match meta.scope {
            orgsweep_checks::Scope::Account => "account",
            orgsweep_checks::Scope::Region => "region",
        };
        out.push_str(&format!(
            "{:<36} {:<9} {:<8} {}\n",
            meta.id,
            meta.severity.as_str(),
            scope,
            meta.title
        ));
    }
    out
}

/// A region name as AWS spells them (`us-east-1`, `ap-southeast-2`, `us-gov-west-1`):
/// checked before connecting so a typo fails at once.
fn is_region_name(name: &str) -> bool {
    let parts: Vec<&str> = name.split('-').collect();
    parts.len() >= 3
        && parts[0].len() == 2
        && parts[..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
        && parts[parts.len() - 1].bytes().all(|b| b.is_ascii_digit())
        && !parts[parts.len() - 1].is_empty()
}

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
        config.regions.clone().unwrap_or_default()
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
    if !args.expected_regions.is_empty() {
        settings.expected_regions.clone_from(&args.expected_regions);
    }
    settings.expected_regions = region_list(
        "--expected-regions",
        std::mem::take(&mut settings.expected_regions),
    )?;
    if let Some(days) = args.window_days {
        if !(1..=MAX_WINDOW_DAYS).contains(&days) {
            bail!("--window-days: {days} is outside 1..={MAX_WINDOW_DAYS}");
        }
        settings.window_days = days;
    }
    if let Some(role) = &args.role_name {
        settings.scan_role_name.clone_from(role);
    }
    if let Some(path) = &args.baseline {
        let baseline = Baseline::load(path).context("--baseline")?;
        settings
            .known
            .get_or_insert_with(Default::default)
            .merge(baseline.known);
    }
    Ok(ScanOptions {
        filter: AccountFilter {
            accounts: args.accounts.clone(),
            exclude_accounts: args.exclude_accounts.clone(),
            ous: args.ou.clone(),
        },
        regions,
        settings,
        account_concurrency: usize::from(args.concurrency),
        ..ScanOptions::default()
    })
}

fn scan(args: ScanArgs) -> anyhow::Result<ExitCode> {
    let config = match &args.config {
        Some(path) => ConfigFile::load(path)?,
        None => ConfigFile::default(),
    };
    let options = scan_options(&args, &config)?;
    // Read before an hour of scanning, so a damaged file fails now.
    let previous = match &args.previous {
        Some(path) => Some(read_report(path).context("--previous")?),
        None => None,
    };
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| default_out_dir(OffsetDateTime::now_utc()));
    // Refuse before an hour of scanning, not after.
    orgsweep_report::ensure_writable(&out).context("--out")?;

    let interactive = std::io::stderr().is_terminal();
    progress::init_logging(interactive);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let session_options = SessionOptions {
        profile: args.profile.clone(),
        endpoint_url: args.endpoint_url.clone(),
        role_name: options.settings.scan_role_name.clone(),
        window_days: options.settings.window_days,
        cloudtrail_s3: args.cloudtrail_s3.clone(),
        external_id: args.external_id.clone(),
        ..SessionOptions::default()
    };
    let report = runtime.block_on(async {
        let session = Session::connect(session_options, Limits::default()).await?;
        let progress = progress::Reporter::new(interactive);
        let report = orgsweep_engine::scan(&session, &options, &progress).await?;
        progress.finish();
        anyhow::Ok(report)
    })?;
    runtime.shutdown_timeout(Duration::from_secs(1));

    let mut report = report;
    if let Some(previous) = &previous {
        orgsweep_model::diff::attach_previous(&mut report, previous);
    }
    let paths = orgsweep_report::write(&report, &out, &args.format)?;
    print_summary(&report, &paths);
    Ok(exit_for(&report, args.fail_on))
}

fn exit_for(report: &Report, fail_on: Option<Severity>) -> ExitCode {
    match (fail_on, report.max_severity()) {
        (Some(threshold), Some(worst)) if worst >= threshold => ExitCode::from(EXIT_FINDINGS),
        _ => ExitCode::SUCCESS,
    }
}

fn print_summary(report: &Report, paths: &[PathBuf]) {
    let counts: Vec<String> = Severity::ALL
        .iter()
        .map(|s| format!("{} {s}", report.count_by_severity(*s)))
        .collect();
    let scanned = report.accounts.iter().filter(|a| a.scanned).count();
    println!(
        "{} findings ({}); {} of {} accounts scanned; {} coverage gaps; {} API calls in {:.1} s",
        report.findings.len(),
        counts.join(", "),
        scanned,
        report.accounts.len(),
        report.gaps().count(),
        report.stats.api_calls.values().sum::<u64>(),
        report.stats.duration_ms as f64 / 1000.0
    );
    for path in paths {
        println!("wrote {}", path.display());
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
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    orgsweep_model::parse_report(&text).with_context(|| format!("{}", path.display()))
}

fn remediate(args: RemediateArgs) -> anyhow::Result<ExitCode> {
    let report = read_report(&args.report)?;
    let selection = orgsweep_engine::Selection {
        finding_ids: args.finding.clone(),
        check_ids: args.check.clone(),
        accounts: args.accounts.clone(),
    };
    let planned = orgsweep_engine::plan_containment(&report, &selection);
    if planned.is_empty() {
        println!("nothing to contain: no selected finding calls for a containment action");
        return Ok(ExitCode::SUCCESS);
    }
    for p in &planned {
        println!(
            "{} {}: {} (finding {}, {})",
            if args.apply { "will" } else { "would" },
            p.account_id,
            p.action.describe(),
            p.finding_id,
            p.check_id
        );
    }
    if !args.apply {
        println!(
            "dry run: nothing was changed; add --apply to perform these {} action(s)",
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
            println!("nothing was changed");
            return Ok(ExitCode::SUCCESS);
        }
    }
    let audit = args
        .audit_log
        .clone()
        .unwrap_or_else(|| report_dir(&args.report).join("remediation-audit.jsonl"));
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    let records = runtime.block_on(async {
        let session = Session::connect(
            SessionOptions {
                profile: args.profile.clone(),
                endpoint_url: args.endpoint_url.clone(),
                role_name: args.remediation_role.clone(),
                ..SessionOptions::default()
            },
            Limits::default(),
        )
        .await?;
        let who = session.caller_arn().await?;
        anyhow::Ok(
            orgsweep_engine::apply(&session, &report.run.management_account_id, &who, &planned)
                .await,
        )
    })?;
    let mut log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&audit)
        .with_context(|| format!("cannot open the audit log {}", audit.display()))?;
    for record in &records {
        use std::io::Write as _;
        writeln!(log, "{}", serde_json::to_string(record)?)
            .with_context(|| format!("cannot write the audit log {}", audit.display()))?;
        println!(
            "{} {}: {}: {}",
            record.result, record.account_id, record.target, record.detail
        );
    }
    println!("audit log: {}", audit.display());
    let failed = records.iter().filter(|r| r.result == "failed").count();
    if failed > 0 {
        bail!(
            "{failed} of {} action(s) failed; see {}",
            records.len(),
            audit.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn write_plan(args: PlanArgs) -> anyhow::Result<ExitCode> {
    let report = read_report(&args.report)?;
    let out = args.out.unwrap_or_else(|| report_dir(&args.report));
    std::fs::create_dir_all(&out)
        .with_context(|| format!("--out: cannot create {}", out.display()))?;
    for format in args.format {
        let (name, text) = match format {
            PlanFormat::Md => ("plan.md", orgsweep_report::plan_markdown(&report)),
            PlanFormat::Html => ("plan.html", orgsweep_report::plan_html(&report)?),
        };
        let path = out.join(name);
        orgsweep_report::write_file_atomically(&path, text.as_bytes()).context("--out")?;
        println!("wrote {}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}

fn print_diff(args: DiffArgs) -> anyhow::Result<ExitCode> {
    let (old, new) = (read_report(&args.old)?, read_report(&args.new)?);
    let diff = orgsweep_model::diff::diff(&old, &new);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&diff)?);
    } else {
        print!("{}", orgsweep_report::diff_text(&diff));
    }
    Ok(ExitCode::SUCCESS)
}

fn write_baseline(args: BaselineArgs) -> anyhow::Result<ExitCode> {
    let report = read_report(&args.report)?;
    let text = baseline_from_report(&report, &args.report.display().to_string());
    orgsweep_report::write_file_atomically(&args.out, text.as_bytes()).context("--out")?;
    println!("wrote {}", args.out.display());
    Ok(ExitCode::SUCCESS)
}

fn rerender(args: ReportArgs) -> anyhow::Result<ExitCode> {
    let report = read_report(&args.report)?;
    let out = args.out.unwrap_or_else(|| report_dir(&args.report));
    for path in orgsweep_report::write(&report, &out, &args.format)? {
        println!("wrote {}", path.display());
    }
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
