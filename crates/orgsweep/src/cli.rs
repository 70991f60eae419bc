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
Credentials come from the standard AWS chain (environment, profile, SSO, instance role), or \
from --profile, which wins over the environment. They must belong to the organization's \
management account or to a delegated administrator account.\n\n\
Logs go to stderr: ORGSWEEP_LOG sets the filter (e.g. debug), ORGSWEEP_LOG_FORMAT=json makes \
them one JSON object per line for schedulers; scan --quiet prints only errors.\n\n\
Exit codes (scan):\n  \
0  every account in scope was scanned and no finding reached --fail-on\n  \
1  usage or fatal error (nothing was scanned, or the scan could not finish)\n  \
3  a finding at or above --fail-on (muted findings and orgsweep's own identity do not count)\n  \
4  an account in scope could not be scanned (see --fail-on-gaps) and nothing triggered 3\n  \
130 interrupted (Ctrl-C, SIGTERM): the completed accounts are kept; rerun with --resume"
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
    /// Build one report from the parts of a sharded scan (directories or s3:// prefixes,
    /// or one location holding shard-I-of-N parts). A missing shard is a coverage gap for
    /// its accounts; a duplicated shard or parts of different runs are refused.
    Merge(MergeArgs),
    /// List the checks: id, severity, scope and title.
    Checks,
    /// Print a completion script for a shell, e.g.
    /// `orgsweep completions bash > /etc/bash_completion.d/orgsweep`.
    Completions {
        #[arg(value_name = "SHELL")]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff), e.g. `orgsweep man > orgsweep.1; man ./orgsweep.1`.
    Man,
}

/// How commands that read or write s3:// locations reach AWS.
#[derive(Debug, Args, Clone, Default)]
pub struct AccessArgs {
    /// AWS profile for s3:// locations (default: the standard credential chain).
    #[arg(long, value_name = "P")]
    pub profile: Option<String>,
    /// Send S3 calls to this endpoint (an emulator). AWS_ENDPOINT_URL works too.
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,
    /// Encrypt S3 output with this KMS key (SSE-KMS) instead of S3-managed keys (SSE-S3).
    #[arg(long, value_name = "KEY")]
    pub sse_kms_key: Option<String>,
}

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// The parts: directories or s3:// prefixes of shards (`shard-I-of-N`), or a location
    /// holding them. `{date}` and `{week}` are replaced as in `scan --out`.
    #[arg(required = true, value_name = "PART")]
    pub parts: Vec<String>,
    /// Where to write the merged report (a directory or s3://bucket/prefix/).
    #[arg(long, value_name = "DIR|s3://B/P/")]
    pub out: String,
    /// Formats to write (as `scan --format`).
    #[arg(
        long,
        value_name = "F,…",
        value_delimiter = ',',
        default_value = "json,html"
    )]
    pub format: Vec<Format>,
    /// An earlier report to compare with (as `scan --previous`).
    #[arg(long, value_name = "REPORT.json")]
    pub previous: Option<String>,
    /// Exit with code 3 when a finding of this severity or higher exists.
    #[arg(long, value_name = "SEVERITY")]
    pub fail_on: Option<Severity>,
    /// What makes the exit code 4 (as `scan --fail-on-gaps`).
    #[arg(long, value_name = "WHEN", default_value = "account")]
    pub fail_on_gaps: FailOnGaps,
    #[command(flatten)]
    pub access: AccessArgs,
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
    /// role_name of the settings file].
    #[arg(long, value_name = "NAME")]
    pub role_name: Option<String>,

    /// External id the member roles require, if any.
    #[arg(long, value_name = "ID")]
    pub external_id: Option<String>,

    /// Scan several organizations and standalone accounts in one run (an MSP's customers):
    /// a TOML file of [[organization]] and [[account]] entries, each with its own profile,
    /// role ARN and external id and a customer label (see the README). One report groups
    /// them by customer; a target that cannot be reached is a coverage gap.
    #[arg(
        long,
        value_name = "FILE",
        conflicts_with_all = ["accounts", "exclude_accounts", "ou", "shard", "external_id"]
    )]
    pub targets: Option<std::path::PathBuf>,

    /// Scan only these account ids.
    #[arg(long, value_name = "ID,…", value_delimiter = ',')]
    pub accounts: Vec<String>,

    /// Do not scan these account ids.
    #[arg(long, value_name = "ID,…", value_delimiter = ',')]
    pub exclude_accounts: Vec<String>,

    /// Scan only accounts under these OUs (ou-… or the root r-…), descendants included.
    #[arg(long, value_name = "OU_ID,…", value_delimiter = ',')]
    pub ou: Vec<String>,

    /// Regions to scan: `all` (every region enabled in each account) or a list
    /// [default: all, or regions of the settings file].
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

    /// An earlier report of the same organization (a report.json, its directory, or an
    /// s3:// location): findings are marked new, changed or unchanged, and the report shows
    /// what appeared, disappeared, was resolved, or could not be re-checked since.
    #[arg(long, value_name = "REPORT.json")]
    pub previous: Option<String>,

    /// Read management events from these trail log files (s3://bucket[/prefix], the prefix
    /// before AWSLogs/) instead of finding the organization trail's bucket automatically.
    #[arg(long, value_name = "s3://B/P", conflicts_with = "events")]
    pub cloudtrail_s3: Option<TrailLogLocation>,

    /// Where management events come from: `auto` reads the organization trail's log files
    /// when the management account has an organization trail whose bucket the caller can
    /// read (one source for every account), and cloudtrail:LookupEvents otherwise;
    /// `lookup` always uses LookupEvents.
    #[arg(long, value_name = "auto|lookup", default_value = "auto")]
    pub events: EventsFlag,

    /// Settings file (TOML). Keys: regions, expected_regions, window_days (default 7),
    /// role_name, rotation_days (90), unused_days (90), trusted_accounts, email_domains,
    /// [known_principals], [[allow]] rules. Flags win over the file.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Look-back window in days for "recently created / used" checks and events (1–90)
    /// [default: 7, or window_days of the settings file].
    #[arg(long, value_name = "DAYS", allow_negative_numbers = true,
          value_parser = clap::value_parser!(i64).range(1..=90))]
    pub window_days: Option<i64>,

    /// The e-mail domains root addresses must belong to (example.com,…) [default:
    /// email_domains of the settings file; without either, the check is skipped].
    #[arg(long, value_name = "DOMAIN,…", value_delimiter = ',')]
    pub email_domains: Vec<String>,

    /// Where to write the report: a directory, or s3://bucket/prefix/ [default:
    /// reports/<UTC timestamp>]. `{date}`, `{week}` (ISO week) and `{shard}` are replaced, so
    /// scheduled jobs agree on one place per run. A location that already holds a report is
    /// refused unless --force (or --resume). With --shard the part goes to
    /// <out>/shard-I-of-N/.
    #[arg(long, value_name = "DIR|s3://B/P/")]
    pub out: Option<String>,

    /// Encrypt S3 output with this KMS key (SSE-KMS) instead of S3-managed keys (SSE-S3).
    #[arg(long, value_name = "KEY")]
    pub sse_kms_key: Option<String>,

    /// Replace a report already in --out.
    #[arg(long, conflicts_with = "resume")]
    pub force: bool,

    /// Continue an interrupted scan in --out (required): accounts already complete are not
    /// scanned again. The flags must be the same as the interrupted run's. `--resume=auto`,
    /// for job engines that retry a failed job with the same arguments: continue an
    /// interrupted scan, start one when --out holds nothing, and exit 0 at once when --out
    /// already holds the finished report.
    #[arg(
        long,
        requires = "out",
        value_enum,
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "always",
        value_name = "auto"
    )]
    pub resume: Option<ResumeMode>,

    /// Scan only shard I of N (1-based): the accounts whose id hashes to I. `auto/N` takes
    /// I from JOB_COMPLETION_INDEX (Kubernetes Indexed Jobs) or AWS_BATCH_JOB_ARRAY_INDEX
    /// (AWS Batch array jobs), 0-based, plus one. Merge the parts with `orgsweep merge`.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<ShardFlag>,

    /// Read every account's tags (one organizations:ListTagsForResource per account).
    #[arg(long)]
    pub account_tags: bool,

    /// Report formats to write: json, html (with the remediation plan, plan.html and
    /// plan.md, that it links to), csv, ocsf, asff.
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

    /// What makes the exit code 4: `account` (an account in scope could not be scanned at
    /// all), `any` (any coverage gap, down to one check in one region), `never`.
    #[arg(long, value_name = "WHEN", default_value = "account")]
    pub fail_on_gaps: FailOnGaps,

    /// After writing the report, import its findings into AWS Security Hub in this region
    /// (the caller's account, as a custom integration; needs securityhub:BatchImportFindings
    /// there). Muted findings go as SUPPRESSED; with --previous, the findings resolved since
    /// are archived. A finding that is not imported makes the exit code 1.
    #[arg(long, value_name = "REGION")]
    pub security_hub: Option<String>,

    /// Print only errors: no progress, no log lines, no summary. For schedulers that mail
    /// whatever a job prints; the exit code and the report say the rest.
    #[arg(long, short = 'q')]
    pub quiet: bool,

    /// The most accounts scanned at once. Below it the number adapts while the scan runs:
    /// it grows while the machine keeps up and AWS does not throttle, and shrinks when
    /// either is saturated (the limits per account, region and service set the pace).
    #[arg(long, value_name = "N", default_value_t = orgsweep_engine::DEFAULT_ACCOUNT_CONCURRENCY as u16,
          value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub concurrency: u16,
}

/// What `--resume` continues.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ResumeMode {
    /// Continue the interrupted scan in --out; refused when there is none.
    Always,
    /// Continue an interrupted scan, start one in an empty --out, and do nothing when --out
    /// holds the finished report: what a retried job needs.
    Auto,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum EventsFlag {
    Auto,
    Lookup,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FailOnGaps {
    Never,
    Account,
    Any,
}

/// `--shard I/N` or `auto/N`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShardFlag {
    /// `None` for `auto`.
    pub index: Option<u32>,
    pub count: u32,
}

impl std::str::FromStr for ShardFlag {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (index, count) = s
            .split_once('/')
            .ok_or_else(|| format!("'{s}' is not I/N (e.g. 2/8) or auto/N"))?;
        let count: u32 = count
            .parse()
            .ok()
            .filter(|n| (1..=10_000).contains(n))
            .ok_or_else(|| format!("'{s}': N must be a number from 1 to 10000"))?;
        let index = match index {
            "auto" => None,
            i => Some(
                i.parse::<u32>()
                    .ok()
                    .filter(|i| (1..=count).contains(i))
                    .ok_or_else(|| format!("'{s}': I must be a number from 1 to {count}"))?,
            ),
        };
        Ok(ShardFlag { index, count })
    }
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The report.json of an earlier scan (or its directory, or an s3:// location).
    pub report: String,

    /// Formats to write.
    #[arg(
        long,
        value_name = "F,…",
        value_delimiter = ',',
        default_value = "html"
    )]
    pub format: Vec<Format>,

    /// Directory or s3:// prefix to write into [default: the report's own].
    #[arg(long, value_name = "DIR|s3://B/P/")]
    pub out: Option<String>,

    #[command(flatten)]
    pub access: AccessArgs,
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
    /// The older report.json (or its directory, or an s3:// location).
    pub old: String,
    /// The newer report.json.
    pub new: String,
    /// Print the comparison as JSON instead of text.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub access: AccessArgs,
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    /// The report.json to plan from (or its directory, or an s3:// location).
    pub report: String,
    /// Formats: md, html.
    #[arg(
        long,
        value_name = "F,…",
        value_delimiter = ',',
        default_value = "md,html"
    )]
    pub format: Vec<PlanFormat>,
    /// Directory or s3:// prefix to write plan.md / plan.html into [default: the report's
    /// own, so the report's links to plan steps work].
    #[arg(long, value_name = "DIR|s3://B/P/")]
    pub out: Option<String>,
    #[command(flatten)]
    pub access: AccessArgs,
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
    /// Perform the actions (without it, only print them). Needs an explicit selection:
    /// --finding, --check and/or --accounts.
    #[arg(long)]
    pub apply: bool,
    /// Do not ask for confirmation.
    #[arg(long)]
    pub yes: bool,
    /// Only these finding ids (this also selects principals the baseline knows, which are
    /// otherwise never contained).
    #[arg(long, value_name = "ID,…", value_delimiter = ',')]
    pub finding: Vec<String>,
    /// Only findings of these checks.
    #[arg(long, value_name = "CHECK,…", value_delimiter = ',')]
    pub check: Vec<String>,
    /// Only findings in these accounts.
    #[arg(long, value_name = "ID,…", value_delimiter = ',')]
    pub accounts: Vec<String>,
    /// Role to assume in member accounts for containment: a dedicated role with
    /// crates/aws/iam/orgsweep-remediation-policy.json (the scan role is read-only and
    /// cannot contain anything).
    #[arg(long, value_name = "NAME", default_value = "orgsweep-remediation")]
    pub remediation_role: String,
    /// External id the remediation roles require, if any.
    #[arg(long, value_name = "ID")]
    pub external_id: Option<String>,
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
