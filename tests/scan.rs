//! End to end: the real `orgsweep` binary against a real moto server, seeded with the demo
//! organization and its planted incidents, with IAM enforcement on so the member account
//! without a usable scan role is a real gap.

use std::path::Path;
use std::process::{Command, Output};
use std::sync::{Mutex, OnceLock};

use orgsweep_demo::emulator::{self, Emulator};
use orgsweep_demo::seed::{self, DemoOrg};
use orgsweep_model::{CoverageStatus, Report, Severity};

struct Fixture {
    /// Kept alive (and stopped on exit) for the whole test binary.
    _emulator: Mutex<Emulator>,
    org: DemoOrg,
}

/// One emulator and one seeded organization for every test in this file: seeding takes a
/// few seconds and the scans only read.
fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let emulator = Emulator::start().expect("moto starts");
        let runtime = tokio::runtime::Runtime::new().expect("tokio runtime");
        let org = runtime
            .block_on(seed::seed_demo(&emulator.endpoint()))
            .expect("demo organization seeds");
        emulator::enforce_auth(&emulator.endpoint()).expect("IAM enforcement turns on");
        Fixture {
            _emulator: Mutex::new(emulator),
            org,
        }
    })
}

/// `orgsweep scan` as the seeded scanner identity, with nothing from the developer's AWS
/// configuration. The demo organization always has an account that cannot be scanned, so
/// gaps do not change the exit code unless a test asks with its own `--fail-on-gaps`.
fn scan(org: &DemoOrg, out: &Path, extra: &[&str]) -> Output {
    scan_with(org, out, extra, &[])
}

fn scan_with(org: &DemoOrg, out: &Path, extra: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_orgsweep"));
    for (key, _) in std::env::vars() {
        if key.starts_with("AWS_") || key == "ORGSWEEP_LOG" {
            command.env_remove(key);
        }
    }
    command.envs(org.scanner_env());
    command.envs(env.iter().copied());
    command
        .args(["scan", "--endpoint-url", &org.endpoint, "--out"])
        .arg(out)
        .args(extra);
    if !extra.contains(&"--fail-on-gaps") {
        command.args(["--fail-on-gaps", "never"]);
    }
    command.output().expect("orgsweep runs")
}

/// Scans, expects exit 0, and returns the report.
fn scan_ok(org: &DemoOrg, out: &Path, extra: &[&str]) -> Report {
    let output = scan(org, out, extra);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    read_report(out)
}

/// Reads a report the binary wrote, after validating it against the committed
/// `report.schema.json`: every report the tests produce keeps the contract.
fn read_report(dir: &Path) -> Report {
    let text = std::fs::read_to_string(dir.join("report.json")).expect("report.json written");
    let value: serde_json::Value = serde_json::from_str(&text).expect("report.json is JSON");
    let errors: Vec<String> = schema()
        .iter_errors(&value)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .take(5)
        .collect();
    assert!(
        errors.is_empty(),
        "report.json breaks report.schema.json: {errors:#?}"
    );
    orgsweep_model::parse_report(&text).expect("report parses")
}

fn schema() -> &'static jsonschema::Validator {
    static SCHEMA: OnceLock<jsonschema::Validator> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../report.schema.json");
        let text = std::fs::read_to_string(path).expect("report.schema.json");
        let schema: serde_json::Value = serde_json::from_str(&text).expect("schema is JSON");
        jsonschema::validator_for(&schema).expect("a valid JSON Schema")
    })
}

/// What moto cannot serve (docs/emulator.md): Lightsail (a part of the compute checks, per
/// region), AWS Health and IAM's last-accessed data (per account). Each is a gap naming
/// the API, and its collector is tested on the SDK's mocks and the simulator instead.
fn is_moto_gap(c: &orgsweep_model::Coverage) -> bool {
    c.status == CoverageStatus::Failed
        && c.error.as_deref().is_some_and(|e| {
            e.contains("lightsail:GetInstances")
                || e.contains("health:")
                || e.contains("iam:GenerateServiceLastAccessedDetails")
        })
}

/// moto does not implement cloudtrail:LookupEvents (docs/emulator.md): that check is a gap in
/// every region, reported as such, and its own tests use the SDK's mocks. Its other gaps are
/// [`is_moto_gap`].
fn is_lookup_gap(c: &orgsweep_model::Coverage) -> bool {
    c.check_id.as_deref() == Some("cloudtrail.suspicious_event")
        && c.status == CoverageStatus::Failed
        && c.error
            .as_deref()
            .is_some_and(|e| e.contains("cloudtrail:LookupEvents"))
}

fn demo_regions(org: &DemoOrg) -> (String, String) {
    (org.scan_regions.join(","), org.expected_regions.join(","))
}

#[test]
fn demo_scan_reports_every_planted_incident_and_the_gap() {
    let Fixture { org, .. } = fixture();
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("report");
    let (regions, expected) = demo_regions(org);
    let output = scan(
        org,
        &out,
        &[
            "--regions",
            &regions,
            "--expected-regions",
            &expected,
            "--fail-on",
            "high",
        ],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(3), "stderr: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");

    let report = read_report(&out);
    let p = &org.planted;
    let has = |check: &str, account: &str, needle: &str| {
        report.findings.iter().any(|f| {
            f.check_id == check && f.account_id == account && f.resource_id.contains(needle)
        })
    };
    assert!(
        has(
            "iam.quarantine_policy_attached",
            &p.quarantined_user.0,
            &format!("user/{}", p.quarantined_user.1)
        ),
        "quarantined user missing: {:#?}",
        report.findings
    );
    let new_key = report.findings.iter().find(|f| {
        f.check_id == "iam.access_key_recently_created"
            && f.account_id == p.new_access_key_user.0
            && f.evidence.get("user").and_then(|u| u.as_str())
                == Some(p.new_access_key_user.1.as_str())
    });
    let new_key = new_key.expect("the fresh access key is reported");
    assert!(
        new_key.resource_id.starts_with("AKIA") || new_key.resource_id.starts_with("ASIA"),
        "{}",
        new_key.resource_id
    );
    assert!(has(
        "iam.console_user_without_mfa",
        &p.console_user_without_mfa.0,
        &format!("user/{}", p.console_user_without_mfa.1)
    ));
    assert!(!has(
        "iam.console_user_without_mfa",
        &p.console_user_with_mfa.0,
        &format!("user/{}", p.console_user_with_mfa.1)
    ));
    let (account, region, instance) = &p.unexpected_region_instance;
    let far = report
        .findings
        .iter()
        .find(|f| f.check_id == "resources.unexpected_region" && &f.resource_id == instance)
        .expect("the instance in an unexpected region is reported");
    assert_eq!(
        (&far.account_id, &far.region, far.severity),
        (account, region, Severity::High)
    );
    let (_, _, web) = &p.expected_region_instance;
    assert!(
        !report
            .findings
            .iter()
            .any(|f| f.check_id == "resources.unexpected_region" && &f.resource_id == web),
        "instance in an expected region reported"
    );

    // The member account without a usable scan role is a gap, not silence.
    let gap = report
        .coverage
        .iter()
        .find(|c| c.account_id == p.unusable_account)
        .expect("the unusable account is in coverage");
    assert_eq!(
        (gap.status, gap.region.as_deref(), gap.check_id.as_deref()),
        (CoverageStatus::Failed, None, None)
    );
    assert!(
        gap.error
            .as_deref()
            .is_some_and(|e| e.contains("cannot assume role")),
        "{gap:?}"
    );
    let sandbox = report
        .accounts
        .iter()
        .find(|a| a.account_id == p.unusable_account)
        .expect("listed");
    assert!(!sandbox.scanned);
    assert_eq!(
        report.accounts.len(),
        org.accounts.len() + 1,
        "management account plus members"
    );
    // A scan role denied one API: exactly the checks needing it are gaps, region by region,
    // while the account's other checks ran.
    let (data, action) = &p.service_denied_account;
    for region in &org.scan_regions {
        let gaps: Vec<&str> = report
            .coverage
            .iter()
            .filter(|c| &c.account_id == data && c.region.as_deref() == Some(region.as_str()))
            .filter(|c| !is_lookup_gap(c) && !is_moto_gap(c))
            .inspect(|c| {
                assert_eq!(c.status, CoverageStatus::Failed, "{c:?}");
                assert!(
                    c.error
                        .as_deref()
                        .is_some_and(|e| e.contains(action.as_str())),
                    "{c:?}"
                );
            })
            .filter_map(|c| c.check_id.as_deref())
            .collect();
        assert_eq!(
            gaps,
            [
                "resources.mining_class_instance",
                "resources.recently_created",
                "resources.unexpected_region"
            ],
            "{data} {region}"
        );
    }
    // Its account-scope checks ran: nothing there failed but what moto cannot serve.
    let failed: Vec<_> = report
        .coverage
        .iter()
        .filter(|c| &c.account_id == data && c.region.is_none())
        .filter(|c| c.status == CoverageStatus::Failed && !is_moto_gap(c))
        .collect();
    assert!(failed.is_empty(), "{failed:#?}");

    // The closed account is listed and skipped, with the reason.
    let closed = report
        .coverage
        .iter()
        .find(|c| c.account_id == p.closed_account)
        .expect("the closed account is in coverage");
    assert_eq!(closed.status, CoverageStatus::Skipped);
    assert!(
        closed
            .error
            .as_deref()
            .is_some_and(|e| e.contains("SUSPENDED")),
        "{closed:?}"
    );
    for account in report
        .accounts
        .iter()
        .filter(|a| ![&p.unusable_account, &p.closed_account, data].contains(&&a.account_id))
    {
        assert!(account.scanned, "{account:?}");
        for region in &org.scan_regions {
            // Every region is accounted for, and its only gap is the one moto causes.
            let entries: Vec<_> = report
                .coverage
                .iter()
                .filter(|c| {
                    c.account_id == account.account_id
                        && c.region.as_deref() == Some(region.as_str())
                })
                .collect();
            assert!(
                !entries.is_empty(),
                "{} {region} missing from coverage",
                account.account_id
            );
            // Events come from the organization trail's files, found without a flag: no
            // LookupEvents gap, every region fully read but for what moto lacks.
            assert!(
                entries
                    .iter()
                    .all(|c| c.status == CoverageStatus::Ok || is_moto_gap(c)),
                "{} {region}: {entries:?}",
                account.account_id
            );
        }
    }

    // Inventory and stats come from the scan itself.
    assert!(
        report
            .inventory
            .iter()
            .any(|i| &i.resource_id == instance && &i.region == region)
    );
    assert!(report.inventory.iter().any(|i| &i.resource_id == web));
    assert!(
        report
            .stats
            .api_calls
            .get("ec2.DescribeInstances")
            .is_some_and(|n| *n >= 6)
    );
    // Each member role is assumed once per scan: the probe's credentials are the ones used.
    let members = org.accounts.iter().filter(|a| a.status == "ACTIVE").count() as u64;
    assert_eq!(report.stats.api_calls.get("sts.AssumeRole"), Some(&members));
    assert!(
        report
            .run
            .events_source
            .as_deref()
            .is_some_and(|s| s.starts_with(&format!("{}/", org.planted.trail_logs))
                && s.contains("organization trail")),
        "{:?}",
        report.run.events_source
    );
    let (dev, names) = &org.planted.trail_log_events;
    let events = findings_of(&report, "cloudtrail.suspicious_event");
    assert!(
        events
            .iter()
            .any(|f| &f.account_id == dev && names.iter().all(|n| f.title.contains(n.as_str()))),
        "the planted CloudTrail incident is found with no extra flag: {events:#?}"
    );
    // orgsweep's own identity is recognised: its findings are info and marked.
    let own: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.scanner_identity)
        .collect();
    assert!(
        !own.is_empty(),
        "the scanner's own new key is not recognised"
    );
    assert!(own.iter().all(|f| f.severity == Severity::Info));
    assert!(
        own.iter()
            .any(
                |f| f.evidence.get("user").and_then(|u| u.as_str()) == Some("orgsweep-scanner")
                    || f.resource_id.ends_with("user/orgsweep-scanner")
            )
    );
    assert!(
        !report
            .findings
            .iter()
            .any(|f| !f.scanner_identity && f.resource_id.ends_with("user/orgsweep-scanner")),
        "an unmarked finding about the scanner"
    );
    assert!(
        report
            .stats
            .api_calls
            .contains_key("iam.GetAccountAuthorizationDetails")
    );

    // The HTML shows the attacker's tag only escaped, and loads nothing from the network.
    let html = std::fs::read_to_string(out.join("report.html")).expect("report.html written");
    assert!(
        !html.contains(&org.planted.xss_payload),
        "raw payload in the HTML"
    );
    assert!(!html.contains("<script>alert("), "raw payload in the HTML");
    assert!(
        html.contains("&#60;script&#62;alert(") || html.contains("&lt;script&gt;alert("),
        "escaped payload missing"
    );
    for remote in ["src=\"http", "href=\"http", "@import", "url("] {
        assert!(!html.contains(remote), "HTML references {remote}");
    }
    // The rest of the hostile corpus, planted on the same instance: carried exactly in
    // report.json (escaping must not corrupt the evidence), inert in the HTML.
    let far_item = report
        .inventory
        .iter()
        .find(|i| &i.resource_id == instance)
        .expect("the far instance is inventoried");
    let long = orgsweep_demo::seed::long_hostile_value();
    for (key, value) in orgsweep_demo::seed::HOSTILE_TAGS
        .iter()
        .copied()
        .chain([("Long", long.as_str())])
    {
        assert_eq!(
            far_item.tags.get(key).map(String::as_str),
            Some(value),
            "tag {key} changed on its way into report.json"
        );
    }
    for raw in [
        "<img src=x",
        "<svg onload",
        "href=\"javascript:",
        "<b>&amp;</b>",
    ] {
        assert!(!html.contains(raw), "raw {raw} in the HTML");
    }
    let gaps_at = html.find("Coverage gaps").expect("gaps section");
    let findings_at = html
        .find(&far.title.replace('\'', "&#39;"))
        .unwrap_or(usize::MAX);
    assert!(
        gaps_at < findings_at,
        "coverage gaps come before the findings"
    );

    // `orgsweep plan` turns the findings into a runbook next to the report, in the
    // guidance's order, with the real identifiers; the report links to its steps.
    let output = orgsweep_cmd(&["plan".as_ref(), out.join("report.json").as_os_str()]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let plan = std::fs::read_to_string(out.join("plan.md")).expect("plan.md");
    let (prod, quarantined) = &p.quarantined_user;
    // The organization's work in one order: the critical quarantine first, whatever account
    // it is in, with the command in a code span and the account it runs in.
    let quarantine = report
        .findings
        .iter()
        .find(|f| f.check_id == "iam.quarantine_policy_attached" && &f.account_id == prod)
        .expect("quarantine finding");
    let step = plan
        .find(&format!("<a id=\"step-{}\"></a>", quarantine.id))
        .expect("the quarantine step");
    let first_step = plan.find("<a id=\"step-").expect("a step");
    assert_eq!(
        step, first_step,
        "the critical containment is not the first step"
    );
    let step_text = &plan[step..];
    let step_text = &step_text[..step_text[1..]
        .find("<a id=")
        .map_or(step_text.len(), |i| i + 1)];
    assert!(step_text.contains(&format!(
        "- [ ] After the review, remove the quarantine: `aws iam detach-user-policy --user-name {quarantined} --policy-arn arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV2`"
    )), "{step_text}");
    assert!(
        step_text.contains(&format!("Run in account `{prod}`")),
        "{step_text}"
    );
    let phases: Vec<usize> = ["### Contain credentials", "### Resources"]
        .iter()
        .map(|h| plan.find(h).unwrap_or_else(|| panic!("plan lacks {h}")))
        .collect();
    assert!(phases[0] < phases[1], "phases out of order: {phases:?}");
    // scan writes the plan next to the report, so the report's links land.
    assert!(std::fs::read_to_string(out.join("plan.md")).is_ok());
    let plan_html = std::fs::read_to_string(out.join("plan.html")).expect("plan.html");
    assert!(!plan_html.contains(&org.planted.xss_payload));
    for raw in ["<img src=x", "<svg onload", "](javascript:"] {
        assert!(!plan_html.contains(raw), "raw {raw} in plan.html");
        assert!(!plan.contains(raw), "raw {raw} in plan.md");
    }
    let first = &report.findings[0];
    assert!(html.contains(&format!("plan.html#step-{}", first.id)));
    assert!(plan_html.contains(&format!("id=\"step-{}\"", first.id)));

    // `orgsweep report` re-renders the HTML from the JSON alone.
    let rerendered = tmp.path().join("again");
    let output = Command::new(env!("CARGO_BIN_EXE_orgsweep"))
        .args(["report"])
        .arg(out.join("report.json"))
        .args(["--format", "html", "--out"])
        .arg(&rerendered)
        .output()
        .expect("orgsweep report runs");
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let again = std::fs::read_to_string(rerendered.join("report.html")).expect("re-rendered");
    assert_eq!(again, html);
}

#[test]
fn finding_ids_are_stable_and_filters_narrow_the_scan() {
    let Fixture { org, .. } = fixture();
    let tmp = tempfile::tempdir().expect("tempdir");
    let (regions, expected) = demo_regions(org);
    let dev = &org.planted.console_user_without_mfa.0;
    let args = [
        "--regions",
        &regions,
        "--expected-regions",
        &expected,
        "--accounts",
        dev,
    ];
    let first = scan(org, &tmp.path().join("1"), &args);
    // Findings exist, but without --fail-on the exit code stays 0.
    assert_eq!(
        first.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    // The second run also exports to Security Hub, quietly. The scanner holds only the
    // read-only scan policy, so the import is refused: exit 1, one line naming Security Hub
    // and the refusal, and the report is written all the same.
    let mut exporting = args.to_vec();
    exporting.extend(["--security-hub", "us-east-1", "--quiet"]);
    let second = scan(org, &tmp.path().join("2"), &exporting);
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert_eq!(second.status.code(), Some(1), "{stderr}");
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "--quiet prints only the error: {stderr}");
    assert!(
        lines[0].starts_with("error: Security Hub us-east-1: ")
            && lines[0].contains("findings were not imported (the report is written)")
            && lines[0].contains("securityhub:BatchImportFindings"),
        "{stderr}"
    );
    assert!(second.stdout.is_empty(), "--quiet prints no paths");
    let (a, b) = (
        read_report(&tmp.path().join("1")),
        read_report(&tmp.path().join("2")),
    );
    assert_eq!(a.accounts.len(), 1);
    assert_eq!(&a.accounts[0].account_id, dev);
    assert!(a.findings.iter().all(|f| &f.account_id == dev));
    assert!(!a.findings.is_empty());
    let ids = |r: &Report| r.findings.iter().map(|f| f.id.clone()).collect::<Vec<_>>();
    assert_eq!(
        ids(&a),
        ids(&b),
        "finding ids or order changed between identical scans"
    );
}

#[test]
fn an_unknown_region_or_account_is_exit_1_with_one_line() {
    let Fixture { org, .. } = fixture();
    let tmp = tempfile::tempdir().expect("tempdir");
    for (args, needle) in [
        (
            ["--regions", "us-east-1,xx-nowhere-9"],
            "unknown region 'xx-nowhere-9'",
        ),
        (
            ["--expected-regions", "xx-nowhere-9"],
            "unknown region 'xx-nowhere-9'",
        ),
        (
            ["--accounts", "999999999999"],
            "account 999999999999 is not in the organization",
        ),
        (["--ou", "ou-none-nothing"], "ou-none-nothing"),
    ] {
        let output = scan(org, &tmp.path().join("x"), &args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{args:?}: {stderr}");
        let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
        assert_eq!(errors.len(), 1, "{args:?}: {stderr}");
        assert!(errors[0].contains(needle), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert!(!tmp.path().join("x").exists(), "{args:?} left a directory");
    }
    // A region in the settings file is named with the file and line, and the list of
    // valid regions is the partition's own.
    let config = tmp.path().join("orgsweep.toml");
    std::fs::write(
        &config,
        "window_days = 7\nregions = [\n  \"us-east-1\",\n  \"cn-north-1\",\n]\n",
    )
    .expect("write");
    let output = scan(
        org,
        &tmp.path().join("x"),
        &["--config", config.to_str().expect("utf-8")],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    let error = stderr
        .lines()
        .find(|l| l.starts_with("error:"))
        .expect("an error line");
    assert!(
        error.contains("orgsweep.toml: line 4: regions: unknown region 'cn-north-1'"),
        "{error}"
    );
    assert!(
        !error.contains("us-gov-") && !error.contains("cn-northwest-1"),
        "{error}"
    );
    assert!(!tmp.path().join("x").exists());
}

#[test]
fn credentials_the_organization_does_not_know_are_exit_1() {
    let Fixture { org, .. } = fixture();
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut impostor = org.clone();
    // moto's default identity: rejected now that IAM enforcement is on.
    impostor.scanner.access_key_id = "AKIAIOSFODNN7EXAMPLE".to_owned();
    let output = scan(&impostor, &tmp.path().join("x"), &[]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 1, "{stderr}");
    // The message names the identity used and what to check.
    assert!(
        errors[0].contains("AKIAIOSFODNN7EXAMPLE")
            && errors[0].contains("check that the key is active"),
        "{stderr}"
    );
    assert!(
        !tmp.path().join("x").exists(),
        "a failed run left a directory"
    );
}

fn orgsweep_cmd(args: &[&std::ffi::OsStr]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_orgsweep"))
        .args(args)
        .output()
        .expect("orgsweep runs")
}

fn findings_of<'r>(report: &'r Report, check: &str) -> Vec<&'r orgsweep_model::Finding> {
    report
        .findings
        .iter()
        .filter(|f| f.check_id == check)
        .collect()
}

#[test]
fn baseline_workflow_reports_only_what_is_new() {
    let Fixture { org, .. } = fixture();
    let tmp = tempfile::tempdir().expect("tempdir");
    let (regions, expected) = demo_regions(org);
    let args = ["--regions", &regions, "--expected-regions", &expected];

    // Without a baseline nothing is known: the unknown-principal check says it did not run.
    let first = tmp.path().join("first");
    assert_eq!(scan(org, &first, &args).status.code(), Some(0));
    let report = read_report(&first);
    assert!(findings_of(&report, "iam.unknown_principal").is_empty());
    let skipped = report
        .coverage
        .iter()
        .filter(|c| c.check_id.as_deref() == Some("iam.unknown_principal"))
        .collect::<Vec<_>>();
    assert!(!skipped.is_empty());
    assert!(skipped.iter().all(|c| {
        c.status == CoverageStatus::Skipped
            && c.error
                .as_deref()
                .is_some_and(|e| e.contains("no baseline"))
    }));
    let (dev, alice) = &org.planted.console_user_without_mfa;
    assert!(
        findings_of(&report, "iam.principal_recently_created")
            .iter()
            .any(|f| &f.account_id == dev && f.resource_id.ends_with(&format!("user/{alice}"))),
        "seeded users are new"
    );

    // Accept everything, then take alice out of the baseline by hand.
    let baseline = tmp.path().join("baseline.toml");
    let output = orgsweep_cmd(&[
        "baseline".as_ref(),
        first.join("report.json").as_os_str(),
        "--out".as_ref(),
        baseline.as_os_str(),
    ]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let accepted = std::fs::read_to_string(&baseline).expect("baseline written");
    assert!(
        accepted.contains(&format!("\"user/{alice}\"")),
        "{accepted}"
    );

    let known = tmp.path().join("known");
    assert_eq!(
        scan(
            org,
            &known,
            &[
                &args[..],
                &["--baseline", baseline.to_str().expect("utf-8 path")]
            ]
            .concat()
        )
        .status
        .code(),
        Some(0)
    );
    let report = read_report(&known);
    assert!(
        findings_of(&report, "iam.unknown_principal").is_empty(),
        "{:#?}",
        report.findings
    );
    assert!(findings_of(&report, "iam.principal_recently_created").is_empty());
    assert!(
        report
            .inventory
            .iter()
            .filter(|i| i.resource_type == "iam_user")
            .all(|i| i.known)
    );

    let edited = tmp.path().join("edited.toml");
    let without_alice: String = accepted
        .lines()
        .filter(|l| !l.contains(&format!("\"user/{alice}\"")))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&edited, without_alice).expect("write");
    let new = tmp.path().join("new");
    assert_eq!(
        scan(
            org,
            &new,
            &[
                &args[..],
                &["--baseline", edited.to_str().expect("utf-8 path")]
            ]
            .concat()
        )
        .status
        .code(),
        Some(0)
    );
    let report = read_report(&new);
    let unknown = findings_of(&report, "iam.unknown_principal");
    assert_eq!(unknown.len(), 1, "{unknown:#?}");
    assert_eq!(&unknown[0].account_id, dev);
    assert!(unknown[0].resource_id.ends_with(&format!("user/{alice}")));
    assert_eq!(
        findings_of(&report, "iam.principal_recently_created").len(),
        1
    );
}

#[test]
fn a_bad_baseline_is_exit_1_naming_the_line() {
    let Fixture { org, .. } = fixture();
    let tmp = tempfile::tempdir().expect("tempdir");
    let baseline = tmp.path().join("baseline.toml");
    std::fs::write(
        &baseline,
        "version = 1\n[principals]\n\"prod\" = [\"user/x\"]\n",
    )
    .expect("write");
    let output = scan(
        org,
        &tmp.path().join("x"),
        &["--baseline", baseline.to_str().expect("utf-8")],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("line 3") && stderr.contains("'prod' is not a 12-digit account id"),
        "{stderr}"
    );
}

#[test]
fn trust_outside_the_organization_is_reported_and_inside_is_not() {
    let Fixture { org, .. } = fixture();
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("trust");
    assert_eq!(
        scan(org, &out, &["--regions", "us-east-1"]).status.code(),
        Some(0)
    );
    let report = read_report(&out);
    let trusts = findings_of(&report, "iam.role_trusts_external_account");
    let (prod, vendor) = &org.planted.external_trust_role;
    let (dev, ci) = &org.planted.in_org_trust_role;
    let external = trusts
        .iter()
        .find(|f| &f.account_id == prod && f.resource_id.ends_with(&format!("role/{vendor}")))
        .expect("the role trusting an outside account is reported");
    assert!(
        serde_json::to_string(&external.evidence)
            .expect("json")
            .contains(orgsweep_demo::seed::EXTERNAL_ACCOUNT)
    );
    assert!(
        !trusts
            .iter()
            .any(|f| &f.account_id == dev && f.resource_id.ends_with(&format!("role/{ci}"))),
        "trust inside the organization reported: {trusts:#?}"
    );

    // An allow-listed partner account is not reported.
    let config = tmp.path().join("orgsweep.toml");
    std::fs::write(
        &config,
        format!(
            "trusted_accounts = [\"{}\"]\n",
            orgsweep_demo::seed::EXTERNAL_ACCOUNT
        ),
    )
    .expect("write");
    let allowed = tmp.path().join("allowed");
    let output = scan(
        org,
        &allowed,
        &[
            "--regions",
            "us-east-1",
            "--config",
            config.to_str().expect("utf-8"),
        ],
    );
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(findings_of(&read_report(&allowed), "iam.role_trusts_external_account").is_empty());
}

#[test]
fn resources_in_every_region_are_inventoried_and_checked() {
    let Fixture { org, .. } = fixture();
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("resources");
    let (regions, expected) = demo_regions(org);
    let report = scan_ok(
        org,
        &out,
        &["--regions", &regions, "--expected-regions", &expected],
    );
    let p = &org.planted;
    let finding = |check: &str, (account, region, id): &(String, String, String)| {
        report.findings.iter().any(|f| {
            f.check_id == check
                && &f.account_id == account
                && &f.region == region
                && &f.resource_id == id
        })
    };
    assert!(
        finding("resources.shared_outside_org", &p.snapshot_shared_outside),
        "{:#?}",
        report.findings
    );
    assert!(!finding(
        "resources.shared_outside_org",
        &p.snapshot_shared_inside
    ));
    assert!(finding(
        "resources.mining_class_instance",
        &p.mining_instance
    ));
    assert!(finding("resources.unexpected_region", &p.mining_instance));
    assert!(finding("resources.recently_created", &p.mining_instance));
    assert!(!finding(
        "resources.mining_class_instance",
        &p.expected_region_instance
    ));
    assert!(!findings_of(&report, "config.recorder_off").is_empty());

    // The inventory spans accounts, regions and kinds, and nothing is known without a baseline.
    let spread: std::collections::BTreeSet<(&str, &str)> = report
        .inventory
        .iter()
        .filter(|i| i.region != orgsweep_model::GLOBAL_REGION)
        .map(|i| (i.account_id.as_str(), i.region.as_str()))
        .collect();
    assert!(spread.len() >= 3, "{spread:?}");
    for kind in ["ec2_instance", "ec2_snapshot", "ec2_volume", "ec2_key_pair"] {
        assert!(
            report.inventory.iter().any(|i| i.resource_type == kind),
            "no {kind}"
        );
    }
    assert!(report.inventory.iter().all(|i| !i.known));
    assert!(findings_of(&report, "resources.unknown_resource").is_empty());
}

/// Allow rules make resources known; mutes keep a true finding but accept it, with its
/// reason, and an expired mute no longer does (the finding says which mute expired).
#[test]
fn an_allow_rule_makes_a_resource_known_and_a_mute_accepts_a_finding() {
    let Fixture { org, .. } = fixture();
    let tmp = tempfile::tempdir().expect("tempdir");
    let config = tmp.path().join("orgsweep.toml");
    let (miner_account, _, miner_id) = &org.planted.mining_instance;
    std::fs::write(
        &config,
        format!(
            "[[allow]]\ntag_key = \"team\"\ntag_value = \"platform\"\n\n\
             [[mute]]\naccount = \"{miner_account}\"\ncheck = \"resources.mining_class_instance\"\n\
             resource = \"{miner_id}\"\nreason = \"render farm <b>approved</b>\"\n\n\
             [[mute]]\ncheck = \"resources.unexpected_region\"\nresource = \"{miner_id}\"\n\
             reason = \"pilot in a new region\"\nexpires = 2020-01-31\n"
        ),
    )
    .expect("write");
    let out = tmp.path().join("allowed");
    let (regions, expected) = demo_regions(org);
    let report = scan_ok(
        org,
        &out,
        &[
            "--regions",
            &regions,
            "--expected-regions",
            &expected,
            "--config",
            config.to_str().expect("utf-8"),
        ],
    );
    let unknown = findings_of(&report, "resources.unknown_resource");
    let (_, _, web) = &org.planted.expected_region_instance;
    let (_, _, miner) = &org.planted.mining_instance;
    assert!(
        !unknown.iter().any(|f| &f.resource_id == web),
        "allowed resource reported"
    );
    assert!(unknown.iter().any(|f| &f.resource_id == miner));
    let web_item = report
        .inventory
        .iter()
        .find(|i| &i.resource_id == web)
        .expect("inventoried");
    assert!(web_item.known);

    let mining = findings_of(&report, "resources.mining_class_instance");
    let mined = mining
        .iter()
        .find(|f| &f.resource_id == miner)
        .expect("still reported");
    assert!(mined.muted, "{mined:?}");
    assert_eq!(
        mined.mute_reason.as_deref(),
        Some("render farm <b>approved</b>")
    );
    let region = findings_of(&report, "resources.unexpected_region");
    let elsewhere = region
        .iter()
        .find(|f| &f.resource_id == miner)
        .expect("reported");
    assert!(!elsewhere.muted, "an expired mute applied");
    assert_eq!(
        elsewhere.evidence["mute_expired"],
        serde_json::json!(["pilot in a new region (expired after 2020-01-31)"])
    );
    let html = std::fs::read_to_string(out.join("report.html")).expect("report.html");
    assert!(html.contains("id=\"muted\""), "the muted section is shown");
    assert!(html.contains("render farm &#60;b&#62;approved&#60;/b&#62;"));
    assert!(!html.contains("render farm <b>"));
}

/// A week in the life of an organization: scan, change resources, scan again with
/// `--previous`, and diff. Its own emulator without IAM enforcement, because the change needs
/// write access the shared fixture's scan roles do not have.
#[test]
fn a_second_scan_shows_what_changed_since_the_first() {
    let emulator = Emulator::start().expect("moto starts");
    let runtime = tokio::runtime::Runtime::new().expect("tokio runtime");
    let org = runtime
        .block_on(seed::seed_demo(&emulator.endpoint()))
        .expect("demo organization seeds");
    let tmp = tempfile::tempdir().expect("tempdir");
    let (regions, expected) = demo_regions(&org);
    let args = ["--regions", &regions, "--expected-regions", &expected];
    let (first, second) = (tmp.path().join("first"), tmp.path().join("second"));
    assert_eq!(scan(&org, &first, &args).status.code(), Some(0));

    let changes = runtime
        .block_on(seed::change_resources(&org))
        .expect("resources change");
    let previous = first.join("report.json");
    let output = scan(
        &org,
        &second,
        &[
            &args[..],
            &["--previous", previous.to_str().expect("utf-8")],
        ]
        .concat(),
    );
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let (old, new) = (read_report(&first), read_report(&second));

    // Every finding says whether it is new; the new instance's findings are, the rest not.
    let (account, region, added) = &changes.added_instance;
    assert!(new.findings.iter().all(|f| f.change.is_some()));
    let about_added: Vec<_> = new
        .findings
        .iter()
        .filter(|f| &f.resource_id == added)
        .collect();
    assert!(!about_added.is_empty(), "the new instance has findings");
    assert!(
        about_added
            .iter()
            .all(|f| f.change == Some(orgsweep_model::Change::New))
    );
    let old_ids: std::collections::BTreeSet<&str> =
        old.findings.iter().map(|f| f.id.as_str()).collect();
    for f in &new.findings {
        let expected_change = if old_ids.contains(f.id.as_str()) {
            orgsweep_model::Change::Unchanged
        } else {
            orgsweep_model::Change::New
        };
        assert_eq!(f.change, Some(expected_change), "{f:?}");
    }
    let previous = new
        .previous
        .as_ref()
        .expect("the report carries what changed");
    assert!(
        previous
            .appeared
            .iter()
            .any(|i| &i.account_id == account && &i.region == region && &i.resource_id == added)
    );
    let (k_account, k_region, _) = &changes.removed_key_pair;
    assert!(
        previous
            .disappeared
            .iter()
            .any(|i| &i.account_id == k_account
                && &i.region == k_region
                && i.resource_type == "ec2_key_pair")
    );
    let html = std::fs::read_to_string(second.join("report.html")).expect("html");
    assert!(html.contains("Changed since"), "no changed-since section");

    // `orgsweep diff` says the same from the two files.
    let output = orgsweep_cmd(&[
        "diff".as_ref(),
        first.join("report.json").as_os_str(),
        second.join("report.json").as_os_str(),
    ]);
    let text = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(text.contains(added.as_str()), "{text}");
    assert!(text.contains("ec2_key_pair"), "{text}");

    // A third scan that does not look at ap-southeast-2 cannot say the instances there are
    // gone: their findings and resources are "not re-checked", never "resolved".
    let third = tmp.path().join("third");
    let output = scan(
        &org,
        &third,
        &[
            "--regions",
            "eu-west-1,us-east-1",
            "--expected-regions",
            &expected,
            "--previous",
            second.join("report.json").to_str().expect("utf-8"),
        ],
    );
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let third_report = read_report(&third);
    let previous = third_report.previous.as_ref().expect("previous");
    let far = &org.planted.mining_instance;
    assert!(
        !previous.resolved_findings.iter().any(|f| f.region == far.1),
        "a finding in a region this scan did not read was called resolved"
    );
    assert!(
        previous
            .not_rechecked_findings
            .iter()
            .any(|f| f.resource_id == far.2)
    );
    assert!(!previous.disappeared.iter().any(|i| i.region == far.1));
    assert!(
        previous
            .not_rechecked_resources
            .iter()
            .any(|i| i.resource_id == far.2)
    );
    let output = orgsweep_cmd(&[
        "diff".as_ref(),
        second.join("report.json").as_os_str(),
        third.join("report.json").as_os_str(),
    ]);
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        text.contains(&"? ".to_string()) && text.contains("not re-checked"),
        "{text}"
    );
    let html = std::fs::read_to_string(third.join("report.html")).expect("html");
    assert!(
        html.contains("Not re-checked findings"),
        "the HTML shows the third state"
    );

    // `orgsweep diff --json … | head -1`: a reader that goes away ends the program quietly.
    let mut child = Command::new(env!("CARGO_BIN_EXE_orgsweep"))
        .args(["diff", "--json"])
        .arg(first.join("report.json"))
        .arg(second.join("report.json"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("orgsweep diff runs");
    drop(child.stdout.take());
    let closed = child.wait_with_output().expect("waits");
    let stderr = String::from_utf8_lossy(&closed.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(closed.status.code(), Some(0), "{stderr}");

    // Credentials of a member account would report that account's own IAM and resources
    // under the management account's id: refused, naming both ids.
    let member = &org.planted.console_user_without_mfa.0;
    let (key, secret, token) = runtime
        .block_on(seed::member_credentials(&org, member))
        .expect("member credentials");
    let output = scan_with(
        &org,
        &tmp.path().join("member"),
        &[],
        &[
            ("AWS_ACCESS_KEY_ID", key.as_str()),
            ("AWS_SECRET_ACCESS_KEY", secret.as_str()),
            ("AWS_SESSION_TOKEN", token.as_str()),
        ],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    let error = stderr
        .lines()
        .find(|l| l.starts_with("error:"))
        .expect("one error line");
    assert!(
        error.contains(member.as_str()) && error.contains(&org.management_account_id),
        "{error}"
    );
    assert!(!tmp.path().join("member").exists());

    // A damaged previous report is refused before scanning.
    let damaged = tmp.path().join("damaged.json");
    std::fs::write(&damaged, "{\"schema_version\": 1, \"tool\"").expect("write");
    let output = scan(
        &org,
        &tmp.path().join("x"),
        &["--previous", damaged.to_str().expect("utf-8")],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("--previous") && stderr.contains("damaged.json"),
        "{stderr}"
    );
    drop(emulator);
}

#[test]
fn trails_contacts_and_root_emails_are_checked() {
    let Fixture { org, .. } = fixture();
    let tmp = tempfile::tempdir().expect("tempdir");
    let config = tmp.path().join("orgsweep.toml");
    std::fs::write(&config, "email_domains = [\"corp.example.net\"]\n").expect("write");
    let out = tmp.path().join("accounts");
    let report = scan_ok(
        org,
        &out,
        &[
            "--regions",
            "us-east-1",
            "--config",
            config.to_str().expect("utf-8"),
        ],
    );
    let prod = &org.planted.quarantined_user.0;
    let dev = &org.planted.console_user_without_mfa.0;
    let of = |check: &str, account: &str| -> Vec<String> {
        report
            .findings
            .iter()
            .filter(|f| f.check_id == check && f.account_id == account)
            .map(|f| f.resource_type.clone())
            .collect()
    };
    // prod logs with an active multi-region trail; dev's trail exists but is stopped.
    assert!(
        of("cloudtrail.no_active_trail", prod).is_empty(),
        "{:#?}",
        report.findings
    );
    assert_eq!(
        of("cloudtrail.no_active_trail", dev),
        ["cloudtrail", "cloudtrail_trail"]
    );
    // prod has a security contact, dev none.
    assert!(of("account.security_contact_missing", prod).is_empty());
    assert_eq!(of("account.security_contact_missing", dev), ["account"]);
    // Every scanned account's root e-mail is @example.com, outside corp.example.net.
    for account in report.accounts.iter().filter(|a| a.scanned) {
        assert_eq!(
            of(
                "account.root_email_outside_org_domains",
                &account.account_id
            ),
            ["account"]
        );
    }

    std::fs::write(&config, "email_domains = [\"example.com\"]\n").expect("write");
    let inside = tmp.path().join("inside");
    let output = scan(
        org,
        &inside,
        &[
            "--regions",
            "us-east-1",
            "--config",
            config.to_str().expect("utf-8"),
        ],
    );
    assert_eq!(output.status.code(), Some(0));
    assert!(
        findings_of(
            &read_report(&inside),
            "account.root_email_outside_org_domains"
        )
        .is_empty()
    );
}

#[test]
fn events_are_read_from_the_organization_trail_in_s3() {
    let Fixture { org, .. } = fixture();
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("s3-events");
    let report = scan_ok(
        org,
        &out,
        &[
            "--regions",
            "us-east-1",
            "--cloudtrail-s3",
            &org.planted.trail_logs,
        ],
    );
    // The log files replace LookupEvents: no gap for the check in any account.
    assert!(
        !report.coverage.iter().any(is_lookup_gap),
        "{:#?}",
        report.gaps().collect::<Vec<_>>()
    );
    let (dev, names) = &org.planted.trail_log_events;
    let found = findings_of(&report, "cloudtrail.suspicious_event");
    assert_eq!(found.len(), 1, "{found:#?}");
    let finding = found[0];
    assert_eq!(&finding.account_id, dev);
    assert!(finding.resource_id.ends_with("user/mallory"));
    assert_eq!(finding.evidence["count"], names.len());
    for name in names {
        assert!(finding.title.contains(name.as_str()), "{}", finding.title);
    }
    assert!(
        !finding.title.contains("DescribeTrails"),
        "read-only events are not suspicious"
    );
    let html = std::fs::read_to_string(out.join("report.html")).expect("html");
    assert!(html.contains("Activity timeline") && html.contains("198.51.100.23"));
}

/// `remediate`, under IAM enforcement, with a read-only scan role and a separate remediation
/// role: a dry run changes nothing; the scan role cannot contain anything; `--apply` through
/// the remediation role deactivates keys and snapshots then stops the GPU instance, a rescan
/// shows it, an account that fails is in the audit log while the others are done, and
/// orgsweep never touches its own identity.
#[test]
fn remediate_contains_reversibly_and_audits_every_action() {
    let emulator = Emulator::start().expect("moto starts");
    let runtime = tokio::runtime::Runtime::new().expect("tokio runtime");
    let org = runtime
        .block_on(seed::seed_demo(&emulator.endpoint()))
        .expect("demo organization seeds");
    let responder = runtime
        .block_on(seed::add_responder(&org))
        .expect("the responder and remediation roles are seeded");
    emulator::enforce_auth(&emulator.endpoint()).expect("IAM enforcement turns on");
    let tmp = tempfile::tempdir().expect("tempdir");
    let (regions, expected) = demo_regions(&org);
    let args = [
        "--regions",
        regions.as_str(),
        "--expected-regions",
        expected.as_str(),
    ];
    let first = tmp.path().join("first");
    let before = scan_ok(&org, &first, &args);
    let (prod, bot) = &org.planted.new_access_key_user;
    let bot_key = |report: &Report| {
        report
            .findings
            .iter()
            .find(|f| {
                f.check_id == "iam.access_key_recently_created"
                    && &f.account_id == prod
                    && f.evidence["user"] == bot.as_str()
            })
            .map(|f| f.evidence["active"].clone())
    };
    assert_eq!(bot_key(&before), Some(serde_json::json!(true)));

    let remediate_as = |who: &seed::ScannerCredentials, extra: &[&str]| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_orgsweep"));
        for (key, _) in std::env::vars() {
            if key.starts_with("AWS_") {
                command.env_remove(key);
            }
        }
        command
            .envs(org.scanner_env())
            .env("AWS_ACCESS_KEY_ID", &who.access_key_id)
            .env("AWS_SECRET_ACCESS_KEY", &who.secret_access_key)
            .args(["remediate"])
            .arg(first.join("report.json"))
            .args(["--endpoint-url", &org.endpoint])
            .args(extra)
            .output()
            .expect("orgsweep remediate runs")
    };
    let remediate = |extra: &[&str]| remediate_as(&responder, extra);
    let selection = [
        "--check",
        "iam.access_key_recently_created,resources.mining_class_instance",
    ];

    // Dry run: says what it would do, changes nothing, and never proposes to touch the
    // identity running orgsweep.
    let dry = remediate(&[]);
    let dry_out = String::from_utf8_lossy(&dry.stdout);
    assert_eq!(
        dry.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&dry.stderr)
    );
    assert!(dry_out.contains("would"), "{dry_out}");
    assert!(!dry_out.contains("orgsweep-scanner"), "{dry_out}");
    let after_dry = scan_ok(&org, &tmp.path().join("dry"), &args);
    assert_eq!(
        bot_key(&after_dry),
        Some(serde_json::json!(true)),
        "a dry run changed a key"
    );

    // --apply acts only on an explicit selection, and typos are errors, not "nothing".
    for (extra, needle) in [
        (
            &["--apply", "--yes"][..],
            "--apply needs an explicit selection",
        ),
        (
            &["--check", "iam.no_such_check"][..],
            "unknown check iam.no_such_check",
        ),
        (&["--finding", "deadbeef"][..], "no finding deadbeef"),
    ] {
        let output = remediate(extra);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{extra:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains(needle), "{extra:?}: {stderr}");
    }

    // The read-only scan role cannot contain anything.
    let audit_path = first.join("remediation-audit.jsonl");
    let denied = remediate_as(
        &org.scanner,
        &[
            &selection[..],
            &[
                "--apply",
                "--yes",
                "--remediation-role",
                "OrganizationAccountAccessRole",
            ],
        ]
        .concat(),
    );
    assert_eq!(
        denied.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&denied.stdout)
    );
    let records = |path: &Path| -> Vec<serde_json::Value> {
        std::fs::read_to_string(path)
            .expect("audit log")
            .lines()
            .map(|l| serde_json::from_str(l).expect("json line"))
            .collect()
    };
    let with_scan_role = records(&audit_path);
    assert!(!with_scan_role.is_empty());
    assert!(
        with_scan_role.iter().all(|r| r["result"] == "failed"),
        "the scan role contained something: {with_scan_role:#?}"
    );
    let after_denied = scan_ok(&org, &tmp.path().join("denied"), &args);
    assert_eq!(bot_key(&after_denied), Some(serde_json::json!(true)));
    std::fs::remove_file(&audit_path).expect("fresh audit log");

    // An audit log that cannot be opened stops everything before the first action.
    let blocked = remediate(
        &[
            &selection[..],
            &[
                "--apply",
                "--yes",
                "--audit-log",
                "/nonexistent-dir/audit.jsonl",
            ],
        ]
        .concat(),
    );
    let stderr = String::from_utf8_lossy(&blocked.stderr);
    assert_eq!(blocked.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("cannot open the audit log"), "{stderr}");
    assert_eq!(
        bot_key(&scan_ok(&org, &tmp.path().join("blocked"), &args)),
        Some(serde_json::json!(true))
    );

    // A finding in an account whose role is gone fails alone.
    let mut report = before.clone();
    let mut foreign = report
        .findings
        .iter()
        .find(|f| f.check_id == "iam.access_key_recently_created" && !f.scanner_identity)
        .expect("a key finding")
        .clone();
    foreign.account_id = org.planted.unusable_account.clone();
    foreign.id = "sandbox-key".to_owned();
    report.findings.push(foreign);
    std::fs::write(
        first.join("report.json"),
        serde_json::to_string(&report).expect("json"),
    )
    .expect("write");

    let applied = remediate(&[&selection[..], &["--apply", "--yes"]].concat());
    let stdout = String::from_utf8_lossy(&applied.stdout);
    let stderr = String::from_utf8_lossy(&applied.stderr);
    assert_eq!(applied.status.code(), Some(1), "{stdout}{stderr}");
    assert!(
        stderr.contains("1 of") && stderr.contains("failed"),
        "{stdout}{stderr}"
    );
    let records = records(&audit_path);
    assert!(records.iter().all(|r| {
        r["who"]
            .as_str()
            .is_some_and(|w| w.contains("orgsweep-responder"))
    }));
    assert!(records.iter().any(
        |r| r["account_id"] == org.planted.unusable_account.as_str() && r["result"] == "failed"
    ));
    assert!(
        records
            .iter()
            .any(|r| r["action"] == "snapshot_and_stop_instance" && r["result"] == "done"),
        "{records:#?}"
    );
    assert!(
        records
            .iter()
            .filter(|r| r["action"] == "deactivate_access_key")
            .any(|r| r["result"] == "done")
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&audit_path)
            .expect("audit log")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "the audit log is readable by others");
    }

    // The rescan shows the containment: the key is inactive, the GPU instance stopped (so
    // no longer a running miner) with a snapshot of its volume kept.
    let after = scan_ok(&org, &tmp.path().join("after"), &args);
    assert_eq!(bot_key(&after), Some(serde_json::json!(false)));
    let (dev, region, miner) = &org.planted.mining_instance;
    let item = after
        .inventory
        .iter()
        .find(|i| &i.resource_id == miner)
        .expect("still there");
    assert_eq!(item.state.as_deref(), Some("stopped"));
    assert!(
        !after
            .findings
            .iter()
            .any(|f| f.check_id == "resources.mining_class_instance" && &f.resource_id == miner)
    );
    let snapshots = |r: &Report| {
        r.inventory
            .iter()
            .filter(|i| {
                &i.account_id == dev && &i.region == region && i.resource_type == "ec2_snapshot"
            })
            .count()
    };
    assert!(
        snapshots(&after) > snapshots(&before),
        "no evidence snapshot"
    );
    drop(emulator);
}

/// Exit codes a scheduler can trust, and an --out that never loses last week's report.
#[test]
fn blind_scans_are_exit_4_and_reports_are_never_overwritten_silently() {
    let Fixture { org, .. } = fixture();
    let tmp = tempfile::tempdir().expect("tempdir");
    let sandbox = &org.planted.unusable_account;
    // Nothing could be seen: not clean.
    let blind = tmp.path().join("blind");
    let output = scan(
        org,
        &blind,
        &[
            "--accounts",
            sandbox,
            "--regions",
            "us-east-1",
            "--fail-on-gaps",
            "account",
        ],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(4), "{stderr}");
    assert!(stderr.contains("0 of 1 accounts scanned"), "{stderr}");
    // The default is `account`; `never` keeps 0; `any` counts a single check's gap.
    let output = scan_with(
        org,
        &tmp.path().join("default"),
        &[
            "--accounts",
            sandbox,
            "--regions",
            "us-east-1",
            "--fail-on-gaps",
            "account",
        ],
        &[],
    );
    assert_eq!(output.status.code(), Some(4));
    let (data, _) = &org.planted.service_denied_account;
    let any = scan(
        org,
        &tmp.path().join("any"),
        &[
            "--accounts",
            data,
            "--regions",
            "us-east-1",
            "--fail-on-gaps",
            "any",
        ],
    );
    assert_eq!(
        any.status.code(),
        Some(4),
        "{}",
        String::from_utf8_lossy(&any.stderr)
    );
    let account = scan(
        org,
        &tmp.path().join("account"),
        &[
            "--accounts",
            data,
            "--regions",
            "us-east-1",
            "--fail-on-gaps",
            "account",
        ],
    );
    assert_eq!(
        account.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&account.stderr)
    );

    // A directory holding a report is refused unless --force.
    let again = scan(
        org,
        &blind,
        &["--accounts", sandbox, "--regions", "us-east-1"],
    );
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert_eq!(again.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("already holds a report") && stderr.contains("--force"),
        "{stderr}"
    );
    let forced = scan(
        org,
        &blind,
        &["--accounts", sandbox, "--regions", "us-east-1", "--force"],
    );
    assert_eq!(
        forced.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&forced.stderr)
    );
}

/// An explicit --profile wins over credentials in the environment; a missing profile is an
/// error naming it.
#[test]
fn an_explicit_profile_wins_over_the_environment() {
    let Fixture { org, .. } = fixture();
    let tmp = tempfile::tempdir().expect("tempdir");
    let credentials = tmp.path().join("credentials");
    std::fs::write(
        &credentials,
        format!(
            "[demo]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
            org.scanner.access_key_id, org.scanner.secret_access_key
        ),
    )
    .expect("write");
    let path = credentials.to_str().expect("utf-8");
    let env = [
        ("AWS_SHARED_CREDENTIALS_FILE", path),
        // Someone else's key in the environment, which the default chain would pick first.
        ("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE"),
        ("AWS_SECRET_ACCESS_KEY", "not-the-scanner"),
    ];
    let dev = &org.planted.console_user_without_mfa.0;
    let out = tmp.path().join("profile");
    let output = scan_with(
        org,
        &out,
        &[
            "--profile",
            "demo",
            "--accounts",
            dev,
            "--regions",
            "us-east-1",
        ],
        &env,
    );
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        read_report(&out)
            .run
            .caller_arn
            .is_some_and(|a| a.ends_with("user/orgsweep-scanner"))
    );

    let output = scan_with(
        org,
        &tmp.path().join("none"),
        &["--profile", "no-such-profile"],
        &env,
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("profile 'no-such-profile'"), "{stderr}");
}

/// The breadth incidents the demo plants, each found by its check in the right account and
/// region: compute rented through Lambda and SageMaker where nobody looks, a database
/// snapshot shared outside the organization, a public bucket, and charges that spike
/// (Cost Explorer's answers queued in moto). What moto cannot serve (AWS Health, Lightsail,
/// IAM's service last accessed data) is a coverage gap naming the API, never silence.
#[test]
fn breadth_incidents_are_found_and_moto_gaps_are_reported() {
    let Fixture { org, .. } = fixture();
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("report");
    let (regions, expected) = demo_regions(org);
    let report = scan_ok(
        org,
        &out,
        &["--regions", &regions, "--expected-regions", &expected],
    );
    let p = &org.planted;
    let finding = |check: &str, account: &str, region: &str, id: &str| {
        report
            .findings
            .iter()
            .find(|f| {
                f.check_id == check
                    && f.account_id == account
                    && f.region == region
                    && f.resource_id == id
            })
            .unwrap_or_else(|| {
                panic!(
                    "{check} {account} {region} {id} missing: {:#?}",
                    findings_of(&report, check)
                )
            })
    };

    let (account, region, notebook) = &p.sagemaker_notebook;
    let mining = finding("resources.mining_class_instance", account, region, notebook);
    assert_eq!(mining.resource_type, "sagemaker_notebook");
    assert!(mining.title.contains("ml.p3.2xlarge"), "{}", mining.title);
    finding("resources.unexpected_region", account, region, notebook);
    let (account, region, function) = &p.lambda_function;
    let far = finding("resources.unexpected_region", account, region, function);
    assert_eq!(far.resource_type, "lambda_function");

    let (account, region, snapshot) = &p.rds_snapshot_shared_outside;
    let shared = finding("resources.shared_outside_org", account, region, snapshot);
    assert_eq!(shared.resource_type, "rds_snapshot");
    assert!(
        shared.detail.contains(seed::EXTERNAL_ACCOUNT),
        "{}",
        shared.detail
    );

    let (account, region, bucket) = &p.public_bucket;
    let public = finding("resources.public_bucket", account, region, bucket);
    assert_eq!(public.severity, Severity::Critical);
    assert_eq!(
        public.evidence.get("policy_public"),
        Some(&serde_json::json!(true))
    );
    // The bucket is a resource of its own region too: inventoried with its tags, and judged
    // by the resource checks there (created inside the window).
    let item = report
        .inventory
        .iter()
        .find(|i| i.resource_type == "s3_bucket" && &i.resource_id == bucket)
        .expect("the bucket is in the inventory");
    assert_eq!((&item.account_id, &item.region), (account, region));
    assert_eq!(item.tags.get("team").map(String::as_str), Some("web"));
    assert!(item.created_at.is_some());
    let recent = finding("resources.recently_created", account, region, bucket);
    assert_eq!(recent.resource_type, "s3_bucket");

    // GuardDuty has no detector anywhere in the demo: off in every scanned region.
    for region in &org.scan_regions {
        finding(
            "guardduty.disabled",
            account,
            region,
            &format!("{account}/{region}"),
        );
    }

    let costs = &p.costs;
    let expected_ce_calls = if costs.current_month_planted { 4 } else { 2 };
    assert_eq!(
        report.stats.api_calls.get("costexplorer.GetCostAndUsage"),
        Some(&expected_ce_calls),
        "Cost Explorer is read once per scan"
    );
    if costs.current_month_planted {
        let (account, service) = &costs.spike;
        let spike = finding("billing.spend_spike", account, "global", service);
        assert!(spike.title.contains("5.0×"), "{}", spike.title);
        // The account's totals travel with it for the report's spend table.
        let spend = report
            .accounts
            .iter()
            .find(|a| &a.account_id == account)
            .and_then(|a| a.spend)
            .expect("the spiking account's charges are in the report");
        assert!(
            spend.current_month_cents > 0 && spend.previous_month_cents > 0,
            "{spend:?}"
        );
        assert!(spend.current_month_days > 0 && spend.previous_month_days >= 28);
        let (account, service) = &costs.new_service;
        finding("billing.new_service_spend", account, "global", service);
        let (account, region) = &costs.unexpected_region;
        finding("billing.unexpected_region_spend", account, region, region);
        // The steady account's charges raise nothing.
        let steady = &p.rds_snapshot_shared_outside.0;
        assert!(
            !report
                .findings
                .iter()
                .any(|f| f.check_id.starts_with("billing.") && &f.account_id == steady),
            "steady spend reported"
        );
    }

    // moto's gaps: each names what it could not read, at the smallest scope.
    let dev = &p.sagemaker_notebook.0;
    let gap = |check: &str, region: Option<&str>| {
        report
            .coverage
            .iter()
            .find(|c| {
                c.account_id == *dev
                    && c.check_id.as_deref() == Some(check)
                    && c.region.as_deref() == region
                    && c.status == CoverageStatus::Failed
            })
            .and_then(|c| c.error.clone())
            .unwrap_or_else(|| panic!("no {check} gap in {dev} {region:?}"))
    };
    assert!(
        gap("health.risk_notification", None).contains("health:"),
        "AWS Health is not in moto"
    );
    assert!(
        gap("iam.dormant_principal_reactivated", None)
            .contains("iam:GenerateServiceLastAccessedDetails")
    );
    for region in &org.scan_regions {
        assert!(
            gap("resources.mining_class_instance", Some(region)).contains("lightsail:GetInstances"),
            "Lightsail is not in moto"
        );
    }
}

/// Cost Explorer's queued answers are consumed one per distinct request: scanning again the
/// same day sends the same requests and gets the same charges, so every scan of the shared
/// fixture sees the planted spike.
#[test]
fn every_scan_of_the_day_sees_the_same_charges() {
    let Fixture { org, .. } = fixture();
    if !org.planted.costs.current_month_planted {
        return;
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let (account, service) = &org.planted.costs.spike;
    let args = ["--accounts", account.as_str(), "--regions", "us-east-1"];
    for run in ["1", "2"] {
        let report = scan_ok(org, &tmp.path().join(run), &args);
        assert!(
            findings_of(&report, "billing.spend_spike")
                .iter()
                .any(|f| &f.resource_id == service),
            "scan {run}"
        );
    }
}
