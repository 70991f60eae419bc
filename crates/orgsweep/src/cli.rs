//! The command line. Every flag's help says what it is for; defaults suit a weekly scan of
//! a whole organization.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use orgsweep_aws::TrailLogLocation;
use orgsweep_model::Severity;
use orgsweep_report::Format;

#[derive(Debug, Parser)]
#[command(
    name = "orgsweep",
    version,
    about = "Sweeps a whole AWS Organization for signs of unauthorized activity.",
    long_about = "Sweeps a whole AWS Organization for signs of unauthorized activity: assumes a \
role into every member account, scans every region under rate limits, runs the checks of \
`orgsweep checks`, and writes one JSON and HTML report with what to do next.\n\n\
Credentials come from the standard AWS chain (environment, profile, SSO, instance role) and \
must belong to the organization's management account.\n\n\
Exit codes: 0 clean, 1 usage or fatal error, 3 findings at or above --fail-on."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan the organization and write the report.
    Scan(Box<ScanArgs>),
    /// Re-render a report from its JSON (for example as HTML).
    Report(ReportArgs),
    /// Write the remediation runbook for a report: every finding's steps, grouped by
    /// account in the guidance's order, with checkboxes.
    Plan(PlanArgs),
    /// Reversible containment for a report's findings: dry run by default; --apply
    /// deactivates keys, denies users, revokes role sessions, snapshots then stops
    /// instances. Nothing is deleted. Every action goes to an audit log next to the report.
    Remediate(RemediateArgs),
    /// Show what changed between two reports: new and resolved findings, resources that
    /// appeared and disappeared.
    Diff(DiffArgs),
    /// Write a baseline that accepts everything in a report as known, ready to edit; pass it
    /// to `scan --baseline` to report only what is new.
    Baseline(BaselineArgs),
    /// List the checks: id, severity, scope and title.
    Checks,
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// AWS profile of the management account (default: the standard credential chain).
    #[arg(long, value_name = "P")]
    pub profile: Option<String>,

    /// Send every AWS call, STS included, to this endpoint (an emulator such as moto).
    /// AWS_ENDPOINT_URL works too.
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,

    /// Role to assume in each member account [default: OrganizationAccountAccessRole, or
    /// role_name of the config file].
    #[arg(long, value_name = "NAME")]
    pub role_name: Option<String>,

    /// External id the member roles require, if any.
    #[arg(long, value_name = "ID")]
    pub external_id: Option<String>,

    /// Scan only these account ids.
    #[arg(long, value_name = "ID,…", value_delimiter = ',')]
    pub accounts: Vec<String>,

    /// Do not scan these account ids.
    #[arg(long, value_name = "ID,…", value_delimiter = ',')]
    pub exclude_accounts: Vec<String>,

    /// Scan only accounts under these OUs (ou-… or the root r-…), descendants included.
    #[arg(long, value_name = "OU_ID,…", value_delimiter = ',')]
    pub ou: Vec<String>,

    /// Regions to scan: `all` (every region enabled in each account) or a list.
    #[arg(long, value_name = "all|R,…", value_delimiter = ',')]
    pub regions: Vec<String>,

    /// Regions the organization normally operates in; resources elsewhere are findings.
    /// Overrides `expected_regions` of the config file.
    #[arg(long, value_name = "R,…", value_delimiter = ',')]
    pub expected_regions: Vec<String>,

    /// Known principals (written by `orgsweep baseline`, then edited); without one, the
    /// unknown-principal check does not run.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,

    /// An earlier report.json of the same organization: findings are marked new or
    /// unchanged, and the report shows what appeared, disappeared and was resolved since.
    #[arg(long, value_name = "REPORT.json")]
    pub previous: Option<PathBuf>,

    /// Read management events from a trail's log files (the organization trail's bucket)
    /// instead of cloudtrail:LookupEvents: s3://bucket[/prefix], the prefix before AWSLogs/.
    #[arg(long, value_name = "s3://B/P")]
    pub cloudtrail_s3: Option<TrailLogLocation>,

    /// Settings file (TOML): expected_regions, regions, window_days, role_name,
    /// rotation_days, unused_days, trusted_accounts, [known_principals].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Look-back window in days for "recently created / used" checks (1–90).
    #[arg(long, value_name = "DAYS")]
    pub window_days: Option<u32>,

    /// Directory to write the report into [default: reports/<UTC timestamp>].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,

    /// Report formats to write.
    #[arg(
        long,
        value_name = "F,…",
        value_delimiter = ',',
        default_value = "json,html"
    )]
    pub format: Vec<Format>,

    /// Exit with code 3 when a finding of this severity or higher exists
    /// (critical, high, medium, low, info).
    #[arg(long, value_name = "SEVERITY")]
    pub fail_on: Option<Severity>,

    /// Accounts scanned at once.
    #[arg(long, value_name = "N", default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub concurrency: u16,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The report.json of an earlier scan.
    pub report: PathBuf,

    /// Formats to write.
    #[arg(
        long,
        value_name = "F,…",
        value_delimiter = ',',
        default_value = "html"
    )]
    pub format: Vec<Format>,

    /// Directory to write into [default: the report's own directory].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct BaselineArgs {
    /// The report.json of a scan whose state you accept.
    pub report: PathBuf,

    /// Where to write the baseline (TOML).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The older report.json.
    pub old: PathBuf,
    /// The newer report.json.
    pub new: PathBuf,
    /// Print the comparison as JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    /// The report.json to plan from.
    pub report: PathBuf,
    /// Formats: md, html.
    #[arg(
        long,
        value_name = "F,…",
        value_delimiter = ',',
        default_value = "md,html"
    )]
    pub format: Vec<PlanFormat>,
    /// Directory to write plan.md / plan.html into [default: the report's own directory,
    /// so the report's links to plan steps work].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PlanFormat {
    Md,
    Html,
}

#[derive(Debug, Args)]
pub struct RemediateArgs {
    /// The report.json whose findings to contain.
    pub report: PathBuf,
    /// Perform the actions (without it, only print them).
    #[arg(long)]
    pub apply: bool,
    /// Do not ask for confirmation.
    #[arg(long)]
    pub yes: bool,
    /// Only these finding ids.
    #[arg(long, value_name = "ID,…", value_delimiter = ',')]
    pub finding: Vec<String>,
    /// Only findings of these checks.
    #[arg(long, value_name = "CHECK,…", value_delimiter = ',')]
    pub check: Vec<String>,
    /// Only findings in these accounts.
    #[arg(long, value_name = "ID,…", value_delimiter = ',')]
    pub accounts: Vec<String>,
    /// Role to assume in member accounts for containment (the scan role is read-only).
    #[arg(
        long,
        value_name = "NAME",
        default_value = "OrganizationAccountAccessRole"
    )]
    pub remediation_role: String,
    /// AWS profile of the management account.
    #[arg(long, value_name = "P")]
    pub profile: Option<String>,
    /// Send every AWS call to this endpoint (an emulator).
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,
    /// Where to append the audit log [default: remediation-audit.jsonl next to the report].
    #[arg(long, value_name = "FILE")]
    pub audit_log: Option<PathBuf>,
}
