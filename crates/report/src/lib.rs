//! Renders a [`Report`] for people and machines: JSON, the source of truth that `diff`,
//! `baseline` and `--previous` read back, and a self-contained HTML page derived from the
//! same value.
//!
//! Files are written atomically because reports are consumed by scheduled jobs: a reader
//! must never see half a report, and a failed run must not clobber last week's good one.

mod asff;
mod csv;
mod customers;
mod html;
mod ocsf;
mod plan;
mod text;

use std::collections::HashSet;
use std::fmt;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use orgsweep_model::Report;

pub use self::csv::to_csv;
pub use asff::{asff_archived, asff_findings, to_asff};
pub use html::to_html;
pub use ocsf::{OCSF_VERSION, ocsf_findings, to_ocsf};
pub use plan::{plan_html, plan_markdown, plan_phase, step_anchor};
pub use text::diff_text;

/// An output format of `scan --format` and `report --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    Json,
    Html,
    Csv,
    Ocsf,
    Asff,
}

impl Format {
    pub const ALL: [Format; 5] = [
        Format::Json,
        Format::Html,
        Format::Csv,
        Format::Ocsf,
        Format::Asff,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Html => "html",
            Format::Csv => "csv",
            Format::Ocsf => "ocsf",
            Format::Asff => "asff",
        }
    }

    /// Fixed names, so a scheduled job and the next week's `--previous` always find the
    /// report in the same place.
    pub fn file_name(self) -> &'static str {
        match self {
            Format::Json => "report.json",
            Format::Html => "report.html",
            Format::Csv => "findings.csv",
            Format::Ocsf => "findings.ocsf.json",
            Format::Asff => "findings.asff.json",
        }
    }

    fn render(self, report: &Report) -> Result<String, RenderError> {
        match self {
            Format::Json => to_json(report),
            Format::Html => to_html(report),
            Format::Csv => to_csv(report),
            Format::Ocsf => to_ocsf(report),
            Format::Asff => to_asff(report),
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown report format '{0}' (expected one of: json, html, csv, ocsf, asff)")]
pub struct ParseFormatError(String);

impl FromStr for Format {
    type Err = ParseFormatError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Format::ALL
            .into_iter()
            .find(|format| format.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| ParseFormatError(s.to_string()))
    }
}

/// Why a report could not be rendered or written.
///
/// The underlying error is part of each message instead of being exposed as `source()`:
/// the one line a user sees then names both the path and the OS reason, and a printer that
/// walks the chain does not repeat the reason.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("cannot serialize the report as JSON: {0}")]
    Json(serde_json::Error),
    #[error("cannot render the HTML report: {0}")]
    Html(askama::Error),
    #[error("cannot format the time {0} as RFC 3339 UTC")]
    Time(String),
    #[error("cannot {action} {}: {error}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        error: io::Error,
    },
}

impl RenderError {
    fn io(action: &'static str, path: &Path, error: io::Error) -> Self {
        RenderError::Io {
            action,
            path: path.to_path_buf(),
            error,
        }
    }
}

/// Pretty-printed so that two weekly reports diff line by line; the trailing newline keeps
/// text tools and `git diff` quiet. The caller sorts the report first: rendering does not
/// reorder anything, so JSON and HTML show the same order.
pub fn to_json(report: &Report) -> Result<String, RenderError> {
    let mut text = serde_json::to_string_pretty(report).map_err(RenderError::Json)?;
    text.push('\n');
    Ok(text)
}

/// Writes each format into `dir`, creating it if missing, and returns the written paths in
/// the order asked for. The HTML report links each finding to its step in the remediation
/// plan, so `html` also writes `plan.html` and `plan.md` next to it.
///
/// Every format is rendered before any file is renamed into place, so a rendering error
/// leaves the previous reports in place; each goes to its own temporary file in `dir` as
/// soon as it is rendered (the JSON streams straight into it), so memory holds one rendered
/// format at a time — at 10,000 accounts the formats together are over a gigabyte. Readers
/// see either the old or the new file, never a partial one. The files keep the temporary
/// file's owner-only permissions on purpose: a report maps the organization's weaknesses.
pub fn write(report: &Report, dir: &Path, formats: &[Format]) -> Result<Vec<PathBuf>, RenderError> {
    create_dir(dir)?;
    let mut staged = Vec::new();
    for file in files(formats) {
        let path = dir.join(file.name());
        let fail = |e: io::Error| RenderError::io("write", &path, e);
        let temp = temp_file_in(dir).map_err(fail)?;
        let mut out = io::BufWriter::new(temp);
        file.write_into(report, &mut out, &path)?;
        let temp = out.into_inner().map_err(|e| fail(e.into_error()))?;
        // Flush to disk before the rename, or a crash could leave a renamed but empty report.
        temp.as_file().sync_all().map_err(fail)?;
        staged.push((temp, path));
    }
    staged
        .into_iter()
        .map(|(temp, path)| {
            temp.persist(&path)
                .map_err(|e| RenderError::io("write", &path, e.error))?;
            Ok(path)
        })
        .collect()
}

/// One file of a report: a format, or the plan the HTML links to.
#[derive(Debug, Clone, Copy)]
enum File {
    Report(Format),
    PlanHtml,
    PlanMarkdown,
}

impl File {
    fn name(self) -> &'static str {
        match self {
            File::Report(format) => format.file_name(),
            File::PlanHtml => "plan.html",
            File::PlanMarkdown => "plan.md",
        }
    }

    fn text(self, report: &Report) -> Result<String, RenderError> {
        match self {
            File::Report(format) => format.render(report),
            File::PlanHtml => plan_html(report),
            File::PlanMarkdown => Ok(plan_markdown(report)),
        }
    }

    /// Writes the file into `out` (bound for `path`): the JSON streams, so the largest
    /// format never exists whole in memory; the others are rendered first.
    fn write_into(
        self,
        report: &Report,
        out: &mut impl Write,
        path: &Path,
    ) -> Result<(), RenderError> {
        let fail = |e: io::Error| RenderError::io("write", path, e);
        if let File::Report(Format::Json) = self {
            serde_json::to_writer_pretty(&mut *out, report).map_err(|e| {
                if e.is_io() {
                    fail(e.into())
                } else {
                    RenderError::Json(e)
                }
            })?;
            return out.write_all(b"\n").map_err(fail);
        }
        out.write_all(self.text(report)?.as_bytes()).map_err(fail)
    }
}

/// The files `formats` make, in the order asked for, each once; `html` brings the plan it
/// links to (`plan.html`, `plan.md`).
fn files(formats: &[Format]) -> Vec<File> {
    let mut seen = HashSet::new();
    let mut files = Vec::new();
    for format in formats
        .iter()
        .copied()
        .filter(|format| seen.insert(*format))
    {
        files.push(File::Report(format));
        if format == Format::Html {
            files.extend([File::PlanHtml, File::PlanMarkdown]);
        }
    }
    files
}

/// Every file of `formats` as (file name, text), rendered one at a time as the iterator is
/// advanced, in the order asked for; `html` brings the plan it links to (`plan.html`,
/// `plan.md`). Nothing is written: the caller puts the files wherever the report goes (an
/// S3 prefix); taking them one by one keeps one rendered format in memory at a time.
pub fn render(
    report: &Report,
    formats: &[Format],
) -> impl Iterator<Item = Result<(&'static str, String), RenderError>> {
    files(formats)
        .into_iter()
        .map(move |file| Ok((file.name(), file.text(report)?)))
}

/// A scan can run for an hour across hundreds of accounts; finding out only at the end that
/// `--out` points somewhere unwritable would throw all of that away. This checks, without
/// creating anything that stays, that `dir` is a writable directory or could be created:
/// its nearest existing ancestor must be a directory where a file can be created.
pub fn check_writable(dir: &Path) -> Result<(), RenderError> {
    let mut existing = dir;
    while !existing.exists() {
        match existing.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => existing = parent,
            _ => {
                existing = Path::new(".");
                break;
            }
        }
    }
    if !existing.is_dir() {
        return Err(RenderError::io(
            "create directory",
            dir,
            io::Error::new(
                io::ErrorKind::NotADirectory,
                format!("{} is not a directory", existing.display()),
            ),
        ));
    }
    let probe =
        temp_file_in(existing).map_err(|e| RenderError::io("create a file in", existing, e))?;
    let probe_path = probe.path().to_path_buf();
    probe
        .close()
        .map_err(|e| RenderError::io("remove", &probe_path, e))
}

/// Creates `dir` and checks a file can be written in it.
pub fn ensure_writable(dir: &Path) -> Result<(), RenderError> {
    create_dir(dir)?;
    check_writable(dir)
}

fn create_dir(dir: &Path) -> Result<(), RenderError> {
    std::fs::create_dir_all(dir).map_err(|e| RenderError::io("create directory", dir, e))
}

/// A dot-prefixed name keeps an interrupted write out of `report.*` globs; the temporary
/// file deletes itself when dropped on any error path.
fn temp_file_in(dir: &Path) -> io::Result<tempfile::NamedTempFile> {
    tempfile::Builder::new()
        .prefix(".orgsweep-")
        .suffix(".tmp")
        .tempfile_in(dir)
}

/// Writes `bytes` to `path` through a temporary file in the same directory and a rename,
/// so readers see the old content or the new, never a partial file. Other outputs of
/// orgsweep (baselines, runbooks) use it too.
pub fn write_file_atomically(path: &Path, bytes: &[u8]) -> Result<(), RenderError> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    write_atomically(dir, path, bytes)
}

fn write_atomically(dir: &Path, path: &Path, bytes: &[u8]) -> Result<(), RenderError> {
    let fail = |e: io::Error| RenderError::io("write", path, e);
    let mut file = temp_file_in(dir).map_err(fail)?;
    file.write_all(bytes).map_err(fail)?;
    // Flush to disk before the rename, or a crash could leave a renamed but empty report.
    file.as_file().sync_all().map_err(fail)?;
    file.persist(path).map_err(|e| fail(e.error))?;
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use std::collections::BTreeMap;

    use orgsweep_model::{
        Account, Change, Coverage, CoverageStatus, Finding, InventoryItem, Run, Severity, Stats,
        Tool,
    };
    use time::macros::datetime;

    use super::*;

    /// A small but complete report: two accounts, one gap, findings of several severities.
    pub(crate) fn sample_report() -> Report {
        let mut evidence = serde_json::Map::new();
        evidence.insert("policy".into(), "AWSCompromisedKeyQuarantineV2".into());
        let finding = |severity, account: &str, check: &str, region: &str, id: &str| Finding {
            id: format!("id-{check}-{id}"),
            check_id: check.into(),
            severity,
            account_id: account.into(),
            region: region.into(),
            resource_type: "iam_user".into(),
            resource_id: id.into(),
            title: format!("title of {check} on {id}"),
            detail: format!("detail of {check}"),
            evidence: evidence.clone(),
            remediation: vec!["first step".into(), "second step".into()],
            change: Some(Change::New),
            ..Finding::default()
        };
        let mut report = Report {
            schema_version: orgsweep_model::SCHEMA_VERSION,
            tool: Tool {
                name: "orgsweep".into(),
                version: "0.1.0".into(),
            },
            run: Run {
                started_at: datetime!(2026-03-02 10:00:00 +01:00),
                finished_at: datetime!(2026-03-02 09:12:34 UTC),
                management_account_id: "111111111111".into(),
                window_days: 7,
                regions: vec!["eu-west-1".into(), "us-east-1".into()],
                expected_regions: vec!["eu-west-1".into()],
                ..Run::default()
            },
            accounts: vec![
                Account {
                    account_id: "111111111111".into(),
                    name: "management".into(),
                    email: "root@example.com".into(),
                    status: "ACTIVE".into(),
                    ou_path: "Root".into(),
                    ou_ids: vec![],
                    tags: BTreeMap::new(),
                    scanned: true,
                    contacts: BTreeMap::from([(
                        "SECURITY".into(),
                        orgsweep_model::facts::Contact {
                            name: "<b>Sec</b>".into(),
                            title: "Security".into(),
                            email: "sec@example.com".into(),
                            phone: "+1".into(),
                        },
                    )]),
                    ..Account::default()
                },
                Account {
                    account_id: "222222222222".into(),
                    name: "workloads".into(),
                    email: "wl@example.com".into(),
                    status: "ACTIVE".into(),
                    ou_path: "Root/Workloads".into(),
                    ou_ids: vec![],
                    tags: BTreeMap::new(),
                    scanned: false,
                    contacts: BTreeMap::new(),
                    ..Account::default()
                },
            ],
            coverage: vec![
                Coverage {
                    account_id: "111111111111".into(),
                    region: Some("eu-west-1".into()),
                    check_id: None,
                    status: CoverageStatus::Ok,
                    error: None,
                },
                Coverage {
                    account_id: "222222222222".into(),
                    region: None,
                    check_id: None,
                    status: CoverageStatus::Failed,
                    error: Some("AccessDenied: cannot assume OrganizationAccountAccessRole".into()),
                },
            ],
            findings: vec![
                finding(
                    Severity::Low,
                    "111111111111",
                    "iam.access_key_unused",
                    "global",
                    "bob",
                ),
                finding(
                    Severity::Critical,
                    "111111111111",
                    "iam.quarantine_policy_attached",
                    "global",
                    "alice",
                ),
                finding(
                    Severity::High,
                    "222222222222",
                    "resources.unexpected_region",
                    "ap-south-1",
                    "i-0123",
                ),
            ],
            inventory: vec![InventoryItem {
                account_id: "111111111111".into(),
                region: "eu-west-1".into(),
                resource_type: "ec2_instance".into(),
                resource_id: "i-0abc".into(),
                created_at: Some(datetime!(2026-03-01 08:00:00 UTC)),
                state: Some("running".into()),
                tags: BTreeMap::from([("Name".into(), "web".into())]),
                known: false,
            }],
            stats: Stats {
                duration_ms: 754_321,
                api_calls: BTreeMap::from([
                    ("iam.GetAccountAuthorizationDetails".into(), 2),
                    ("ec2.DescribeInstances".into(), 40),
                ]),
                throttled: 3,
                retries: 5,
                ..Stats::default()
            },
            previous: None,
        };
        report.sort();
        report
    }

    #[test]
    fn format_parses_known_names_case_insensitively() {
        assert_eq!("json".parse::<Format>(), Ok(Format::Json));
        assert_eq!(" HTML ".parse::<Format>(), Ok(Format::Html));
        for format in Format::ALL {
            assert_eq!(format.to_string().parse::<Format>(), Ok(format));
        }
        assert_eq!(Format::Json.file_name(), "report.json");
        assert_eq!(Format::Html.file_name(), "report.html");
    }

    #[test]
    fn format_parse_error_names_the_bad_value_and_the_accepted_ones() {
        let err = "xml".parse::<Format>().unwrap_err().to_string();
        assert!(err.contains("'xml'"), "{err}");
        assert!(err.contains("json") && err.contains("html"), "{err}");
        assert!("".parse::<Format>().is_err());
    }

    #[test]
    fn json_is_pretty_round_trips_and_ends_with_a_newline() {
        let report = sample_report();
        let text = to_json(&report).unwrap();
        assert!(text.ends_with("}\n"), "{text}");
        assert!(text.contains("\n  \"schema_version\": "), "{text}");
        assert_eq!(orgsweep_model::parse_report(&text).unwrap(), report);
    }

    fn dir_entries(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn write_creates_the_directory_and_leaves_no_temp_files() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("out").join("week-10");
        let report = sample_report();

        let paths = write(&report, &dir, &[Format::Json, Format::Html, Format::Json]).unwrap();
        assert_eq!(
            paths,
            vec![
                dir.join("report.json"),
                dir.join("report.html"),
                dir.join("plan.html"),
                dir.join("plan.md")
            ]
        );
        assert_eq!(
            dir_entries(&dir),
            vec!["plan.html", "plan.md", "report.html", "report.json"]
        );
        let json = std::fs::read_to_string(dir.join("report.json")).unwrap();
        assert_eq!(json, to_json(&report).unwrap());
        let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
        assert_eq!(html, to_html(&report).unwrap());
    }

    #[test]
    fn write_replaces_an_existing_report() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(tmp.path().join("report.json"), "last week").unwrap();
        let report = sample_report();
        write(&report, tmp.path(), &[Format::Json]).unwrap();
        let json = std::fs::read_to_string(tmp.path().join("report.json")).unwrap();
        assert_eq!(json, to_json(&report).unwrap());
        assert_eq!(dir_entries(tmp.path()), vec!["report.json"]);
    }

    #[test]
    fn a_format_that_fails_to_render_leaves_every_previous_file_in_place() {
        let tmp = tempfile::tempdir().unwrap();
        for name in ["report.json", "report.html"] {
            std::fs::write(tmp.path().join(name), "last week").unwrap();
        }
        let mut report = sample_report();
        // Valid in JSON (the offset is kept), but not a UTC time the HTML can show.
        report.run.finished_at = time::macros::datetime!(9999-12-31 23:30:00 -01:00);
        let err = write(&report, tmp.path(), &[Format::Json, Format::Html]).unwrap_err();
        assert!(matches!(err, RenderError::Time(_)), "{err:?}");
        for name in ["report.json", "report.html"] {
            let text = std::fs::read_to_string(tmp.path().join(name)).unwrap();
            assert_eq!(text, "last week", "{name} was replaced");
        }
        assert_eq!(dir_entries(tmp.path()), vec!["report.html", "report.json"]);
    }

    #[test]
    fn write_error_names_the_path() {
        let file = tempfile::NamedTempFile::new().unwrap();
        let dir = file.path().join("sub");
        let err = write(&sample_report(), &dir, &[Format::Json]).unwrap_err();
        let message = err.to_string();
        assert!(message.contains(&dir.display().to_string()), "{message}");
        assert!(matches!(err, RenderError::Io { .. }), "{err:?}");
    }

    #[test]
    fn ensure_writable_creates_the_directory_and_leaves_it_empty() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("a").join("b");
        ensure_writable(&dir).unwrap();
        assert!(dir.is_dir());
        assert!(dir_entries(&dir).is_empty());
    }

    #[test]
    fn check_writable_creates_nothing() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("a").join("b");
        check_writable(&dir).unwrap();
        assert!(!tmp.path().join("a").exists());
        assert!(dir_entries(tmp.path()).is_empty());
        let file = tempfile::NamedTempFile::new().unwrap();
        let err = check_writable(&file.path().join("sub")).unwrap_err();
        assert!(err.to_string().contains("is not a directory"), "{err}");
    }

    #[test]
    fn ensure_writable_fails_under_a_regular_file_and_names_the_path() {
        // A path below a regular file cannot be created even by root, unlike a read-only
        // directory, so this test means the same thing in a container running as root.
        let file = tempfile::NamedTempFile::new().unwrap();
        let dir = file.path().join("sub");
        let err = ensure_writable(&dir).unwrap_err();
        let message = err.to_string();
        assert!(
            message.starts_with(&format!("cannot create directory {}: ", dir.display())),
            "{message}"
        );
    }
}
