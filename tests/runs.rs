//! Runs that survive and spread, end to end on moto: a scan killed with SIGKILL resumes to the
//! report an uninterrupted run gives (with fewer API calls); Ctrl-C leaves a resumable
//! directory; three shards merged equal one unsharded run; reports go to and come from S3,
//! and so do shards, their merge and its re-renders, encrypted at rest.

use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use orgsweep_demo::emulator::{self, Emulator};
use orgsweep_demo::seed::{self, DemoOrg};
use orgsweep_model::{Change, Report};

/// The bucket reports go to in the S3 tests, and the prefix the scanner may write under.
const REPORT_BUCKET: &str = "orgsweep-reports";
const REPORT_PREFIX: &str = "weekly/";

struct Fixture {
    _emulator: Mutex<Emulator>,
    org: DemoOrg,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let emulator = Emulator::start().expect("moto starts");
        let runtime = tokio::runtime::Runtime::new().expect("tokio runtime");
        let org = runtime
            .block_on(seed::seed_demo(&emulator.endpoint()))
            .expect("demo organization seeds");
        runtime
            .block_on(orgsweep_demo::buckets::report_bucket(
                &org,
                REPORT_BUCKET,
                REPORT_PREFIX,
            ))
            .expect("report bucket");
        emulator::enforce_auth(&emulator.endpoint()).expect("IAM enforcement turns on");
        Fixture {
            _emulator: Mutex::new(emulator),
            org,
        }
    })
}

fn orgsweep(org: &DemoOrg) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_orgsweep"));
    for (key, _) in std::env::vars() {
        if key.starts_with("AWS_") || key == "ORGSWEEP_LOG" {
            command.env_remove(key);
        }
    }
    command.envs(org.scanner_env());
    command
}

/// The scan arguments every run here shares: the same scope, so runs are comparable.
fn scan_args<'a>(org: &'a DemoOrg, out: &'a str) -> Vec<String> {
    [
        "scan",
        "--endpoint-url",
        &org.endpoint,
        "--out",
        out,
        "--regions",
        &org.scan_regions.join(","),
        "--expected-regions",
        &org.expected_regions.join(","),
        "--fail-on-gaps",
        "never",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect()
}

fn run(mut command: Command) -> Output {
    command.output().expect("orgsweep runs")
}

fn ok(output: &Output) {
    assert_eq!(
        output.status.code(),
        Some(0),
        "stdout: {}\nstderr: {}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

fn read(dir: &Path) -> Report {
    let text = std::fs::read_to_string(dir.join("report.json")).expect("report.json");
    orgsweep_model::parse_report(&text).expect("parses")
}

/// What two runs of the same scope must agree on (times, stats and event-dependent
/// details aside).
fn essence(report: &Report) -> (Vec<String>, Vec<String>, Vec<String>) {
    let mut findings: Vec<String> = report.findings.iter().map(|f| f.id.clone()).collect();
    findings.sort();
    let accounts = report
        .accounts
        .iter()
        .map(|a| format!("{} {}", a.account_id, a.scanned))
        .collect();
    let coverage = report
        .coverage
        .iter()
        .map(|c| {
            format!(
                "{} {:?} {:?} {:?}",
                c.account_id, c.region, c.check_id, c.status
            )
        })
        .collect();
    (findings, accounts, coverage)
}

fn total_calls(report: &Report) -> u64 {
    report.stats.api_calls.values().sum()
}

/// The clean run every other run is compared with (once per test binary).
fn reference() -> &'static Report {
    static REFERENCE: OnceLock<Report> = OnceLock::new();
    REFERENCE.get_or_init(|| {
        let org = &fixture().org;
        let dir = tempfile::tempdir().expect("tempdir").keep();
        let out = dir.join("clean");
        let mut command = orgsweep(org);
        command.args(scan_args(org, out.to_str().expect("utf-8")));
        ok(&run(command));
        read(&out)
    })
}

/// Waits until the scan in `out` has journaled at least `n` accounts (or the child ended).
fn wait_for_spooled(child: &mut Child, out: &Path, n: usize) -> usize {
    let accounts = out.join(".orgsweep-spool").join("accounts");
    let started = Instant::now();
    loop {
        let done = std::fs::read_dir(&accounts)
            .map(|d| {
                d.filter_map(Result::ok)
                    .filter(|e| {
                        let name = e.file_name();
                        let name = name.to_string_lossy();
                        name.ends_with(".json") && !name.starts_with('.')
                    })
                    .count()
            })
            .unwrap_or(0);
        if done >= n || started.elapsed() > Duration::from_secs(120) {
            return done;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("the scan ended before it was interrupted: {status}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_killed_scan_resumes_to_the_same_report_with_fewer_calls() {
    let org = &fixture().org;
    let clean = reference();
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("killed");
    let out_text = out.to_str().expect("utf-8").to_owned();

    // A job engine's first attempt: `--resume=auto` into a location that holds nothing starts.
    let mut command = orgsweep(org);
    command
        .args(scan_args(org, &out_text))
        .arg("--resume=auto")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut child = command.spawn().expect("spawns");
    let spooled = wait_for_spooled(&mut child, &out, 2);
    child.kill().expect("SIGKILL");
    let _ = child.wait();
    assert!(spooled >= 2, "nothing was journaled before the kill");
    assert!(
        !out.join("report.json").exists(),
        "the scan finished before the kill"
    );

    // Resuming with other flags is refused, naming the difference.
    let mut other = orgsweep(org);
    other
        .args(scan_args(org, &out_text))
        .args(["--resume", "--window-days", "30"]);
    let refused = run(other);
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("window_days = 7") && stderr.contains("asks for 30"),
        "{stderr}"
    );
    // So is a plain rerun into the interrupted directory.
    let mut plain = orgsweep(org);
    plain.args(scan_args(org, &out_text));
    let refused = run(plain);
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--resume"));

    let mut resume = orgsweep(org);
    resume.args(scan_args(org, &out_text)).arg("--resume");
    let output = run(resume);
    ok(&output);
    let resumed = read(&out);
    assert_eq!(
        essence(&resumed),
        essence(clean),
        "the resumed report differs"
    );
    assert!(resumed.stats.resumed_accounts >= 2, "{:?}", resumed.stats);
    assert!(
        total_calls(&resumed) < total_calls(clean),
        "the resumed run made {} calls, a full one {}",
        total_calls(&resumed),
        total_calls(clean)
    );
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("from the interrupted run"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        !out.join(".orgsweep-spool").exists(),
        "the journal outlived the report"
    );
}

#[test]
fn an_interrupt_finishes_what_is_in_flight_and_leaves_a_resumable_directory() {
    let org = &fixture().org;
    let clean = reference();
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("interrupted");
    let out_text = out.to_str().expect("utf-8").to_owned();
    let mut command = orgsweep(org);
    command
        .args(scan_args(org, &out_text))
        .args(["--concurrency", "1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().expect("spawns");
    wait_for_spooled(&mut child, &out, 1);
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
    let output = child.wait_with_output().expect("waits");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("--resume"), "{stderr}");
    assert!(!out.join("report.json").exists());

    // The job engine retries with the same arguments: the retry continues the journal...
    let retry = || {
        let mut retry = orgsweep(org);
        retry
            .args(scan_args(org, &out_text))
            .args(["--resume=auto", "--concurrency", "1"]);
        run(retry)
    };
    ok(&retry());
    let written = std::fs::read(out.join("report.json")).expect("report");
    assert_eq!(essence(&read(&out)), essence(clean));
    // ... and a retry of an attempt that had written its report does nothing, successfully.
    let again = retry();
    ok(&again);
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("nothing to do"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    assert_eq!(
        std::fs::read(out.join("report.json")).expect("report"),
        written,
        "the finished report was rewritten"
    );
    // A report of other flags is not this scan's: refused, not taken as done.
    let mut other = orgsweep(org);
    other
        .args(scan_args(org, &out_text))
        .args(["--resume=auto", "--window-days", "30"]);
    let refused = run(other);
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("the report of another scan"), "{stderr}");
}

#[test]
fn three_shards_merged_equal_one_unsharded_run() {
    let org = &fixture().org;
    let clean = reference();
    let tmp = tempfile::tempdir().expect("tempdir");
    let base = tmp.path().join("run");
    let base_text = base.to_str().expect("utf-8").to_owned();
    for index in 1..=3 {
        let mut command = orgsweep(org);
        command
            .args(scan_args(org, &base_text))
            .args(["--shard", &format!("{index}/3")]);
        ok(&run(command));
        let part = read(&base.join(format!("shard-{index}-of-3")));
        let shard = part.run.shard.as_ref().expect("marked as a shard");
        assert_eq!((shard.index, shard.count), (index, 3));
    }
    // The Kubernetes way: the index comes from the job engine, 0-based.
    let mut auto = orgsweep(org);
    let auto_base = tmp.path().join("auto");
    auto.args(scan_args(org, auto_base.to_str().expect("utf-8")))
        .args(["--shard", "auto/3"])
        .env("JOB_COMPLETION_INDEX", "1");
    ok(&run(auto));
    assert!(auto_base.join("shard-2-of-3").join("report.json").exists());

    let merged = tmp.path().join("merged");
    let mut merge = orgsweep(org);
    merge
        .args(["merge", &base_text, "--out"])
        .arg(&merged)
        .args(["--fail-on-gaps", "never"]);
    ok(&run(merge));
    let report = read(&merged);
    assert_eq!(
        essence(&report),
        essence(clean),
        "the merged report differs"
    );
    assert!(report.run.shard.is_none());

    // The merged report is a report like any other: --previous, diff and baseline read it.
    let previous = tmp.path().join("previous.json");
    std::fs::write(&previous, serde_json::to_vec(clean).expect("JSON")).expect("write");
    let compared = tmp.path().join("compared");
    let mut merge = orgsweep(org);
    merge
        .args(["merge", &base_text, "--out"])
        .arg(&compared)
        .arg("--previous")
        .arg(&previous)
        .args(["--fail-on-gaps", "never"]);
    ok(&run(merge));
    let compared = read(&compared);
    let since = compared
        .previous
        .as_ref()
        .expect("compared with the clean run");
    assert!(
        since.resolved_findings.is_empty(),
        "{:?}",
        since.resolved_findings
    );
    assert!(
        compared
            .findings
            .iter()
            .all(|f| f.change.is_some() && f.change != Some(Change::New)),
        "the merged report has findings the unsharded run did not"
    );
    let mut diff = orgsweep(org);
    diff.arg("diff")
        .arg(&previous)
        .arg(merged.join("report.json"))
        .arg("--json");
    let output = run(diff);
    ok(&output);
    let changes: serde_json::Value = serde_json::from_slice(&output.stdout).expect("diff JSON");
    for key in ["new_findings", "resolved_findings"] {
        assert_eq!(
            changes[key].as_array().map(Vec::len),
            Some(0),
            "{key}: {changes}"
        );
    }
    let baseline = tmp.path().join("baseline.toml");
    let mut accept = orgsweep(org);
    accept
        .arg("baseline")
        .arg(merged.join("report.json"))
        .arg("--out")
        .arg(&baseline);
    ok(&run(accept));
    assert!(
        std::fs::metadata(&baseline).is_ok_and(|m| m.len() > 0),
        "no baseline written from the merged report"
    );

    // A missing shard is a gap for its accounts, never silently fewer accounts.
    std::fs::remove_dir_all(base.join("shard-2-of-3")).expect("remove a shard");
    let partial = tmp.path().join("partial");
    let mut merge = orgsweep(org);
    merge
        .args(["merge", &base_text, "--out"])
        .arg(&partial)
        .args(["--fail-on-gaps", "account"]);
    let output = run(merge);
    assert_eq!(
        output.status.code(),
        Some(4),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report = read(&partial);
    assert_eq!(report.accounts.len(), clean.accounts.len());
    assert!(report.coverage.iter().any(|c| {
        c.error
            .as_deref()
            .is_some_and(|e| e.contains("shard 2 of 3 is missing"))
    }));
}

#[test]
fn reports_go_to_s3_and_come_back() {
    let org = &fixture().org;
    let clean = reference();
    let location = format!("s3://{REPORT_BUCKET}/{REPORT_PREFIX}{{week}}/");
    let mut command = orgsweep(org);
    command
        .args(scan_args(org, &location))
        .args(["--format", "json,html,csv"]);
    let output = run(command);
    ok(&output);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let written: Vec<&str> = stdout
        .lines()
        .filter_map(|l| l.strip_prefix("wrote "))
        .collect();
    assert!(
        written.iter().any(
            |w| w.starts_with(&format!("s3://{REPORT_BUCKET}/{REPORT_PREFIX}"))
                && w.ends_with("/report.json")
        ),
        "{stdout}"
    );
    let report_json = written
        .iter()
        .find(|w| w.ends_with("/report.json"))
        .expect("report.json written")
        .to_string();
    assert!(
        !report_json.contains("{week}"),
        "the placeholder was not replaced"
    );

    // Read back: re-render, plan and diff straight from S3, and --previous from S3.
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut rerender = orgsweep(org);
    rerender
        .args([
            "report",
            &report_json,
            "--format",
            "html",
            "--endpoint-url",
            &org.endpoint,
            "--out",
        ])
        .arg(tmp.path());
    ok(&run(rerender));
    assert!(tmp.path().join("report.html").exists());
    let mut diff = orgsweep(org);
    diff.args([
        "diff",
        &report_json,
        &report_json,
        "--endpoint-url",
        &org.endpoint,
    ]);
    ok(&run(diff));
    let second = tmp.path().join("second");
    let mut command = orgsweep(org);
    command
        .args(scan_args(org, second.to_str().expect("utf-8")))
        .args(["--previous", &report_json]);
    ok(&run(command));
    let report = read(&second);
    assert_eq!(essence(&report).0, essence(clean).0);
    assert!(report.previous.is_some());

    // An existing report in S3 is not overwritten silently either.
    let mut again = orgsweep(org);
    again.args(scan_args(org, &location));
    let refused = run(again);
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("already holds a report"));

    // Outside the prefix the writer may use, the scan stops before scanning.
    let mut denied = orgsweep(org);
    denied.args(scan_args(org, &format!("s3://{REPORT_BUCKET}/elsewhere/")));
    let output = run(denied);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("--out"), "{stderr}");
}

/// HeadObject, GetObject and ListObjectsV2 on the report bucket as the scanner, through
/// boto3 in moto's virtualenv (the orgsweep package has no AWS SDK among its
/// dev-dependencies). `head KEY…` prints `{key: {…} or null}`, `get KEY` the object's body,
/// `list PREFIX` the keys under it.
const S3_PROBE: &str = r#"
import json, sys
import boto3
from botocore.config import Config
from botocore.exceptions import ClientError
endpoint, bucket, mode, args = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                  config=Config(s3={"addressing_style": "path"}))
if mode == "head":
    heads = {}
    for key in args:
        try:
            head = s3.head_object(Bucket=bucket, Key=key)
        except ClientError as e:
            if e.response["Error"]["Code"] in ("404", "NoSuchKey", "NotFound"):
                heads[key] = None
                continue
            raise
        heads[key] = {"ServerSideEncryption": head.get("ServerSideEncryption"),
                      "SSEKMSKeyId": head.get("SSEKMSKeyId"),
                      "ContentLength": head["ContentLength"]}
    print(json.dumps(heads))
elif mode == "get":
    sys.stdout.buffer.write(s3.get_object(Bucket=bucket, Key=args[0])["Body"].read())
elif mode == "list":
    keys = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=args[0]):
        keys.extend(o["Key"] for o in page.get("Contents", []))
    print(json.dumps(sorted(keys)))
"#;

/// Runs [`S3_PROBE`] on [`REPORT_BUCKET`] with the scanner's credentials; its stdout.
fn s3_probe(org: &DemoOrg, mode: &str, args: &[&str]) -> Vec<u8> {
    let python = emulator::ensure_installed().expect("moto's virtualenv");
    // The environment `orgsweep` gets: the scanner's credentials and nothing of the host's.
    let scanner = orgsweep(org);
    let mut probe = Command::new(python);
    for (key, value) in scanner.get_envs() {
        match value {
            Some(value) => probe.env(key, value),
            None => probe.env_remove(key),
        };
    }
    probe
        .args(["-c", S3_PROBE, &org.endpoint, REPORT_BUCKET, mode])
        .args(args);
    let output = run(probe);
    ok(&output);
    output.stdout
}

/// HeadObject of every key (`None` for a missing one): key → its `ServerSideEncryption`,
/// `SSEKMSKeyId` and `ContentLength`.
fn s3_heads(org: &DemoOrg, keys: &[String]) -> serde_json::Map<String, serde_json::Value> {
    let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
    let stdout = s3_probe(org, "head", &keys);
    serde_json::from_slice(&stdout).expect("the probe prints JSON")
}

#[test]
fn shards_merge_and_rerender_through_s3() {
    let org = &fixture().org;
    let clean = reference();
    // A place of this test's own under the prefix the writer may use.
    let prefix = format!("{REPORT_PREFIX}shards-merge-{}/", std::process::id());
    let base = format!("s3://{REPORT_BUCKET}/{prefix}");

    // Two shards, each into <base>/shard-I-of-2/.
    for index in 1..=2 {
        let mut command = orgsweep(org);
        command.args(scan_args(org, &base)).args([
            "--shard",
            &format!("{index}/2"),
            "--format",
            "json",
        ]);
        let output = run(command);
        ok(&output);
        assert!(
            String::from_utf8_lossy(&output.stdout)
                .contains(&format!("wrote {base}shard-{index}-of-2/report.json")),
            "{}",
            String::from_utf8_lossy(&output.stdout)
        );
    }

    // One job merges the parts it finds under the location, into S3 again.
    let merged = format!("{base}merged/");
    let mut merge = orgsweep(org);
    merge.args([
        "merge",
        &base,
        "--out",
        &merged,
        "--endpoint-url",
        &org.endpoint,
        "--fail-on-gaps",
        "never",
    ]);
    let output = run(merge);
    ok(&output);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains(&format!("wrote {merged}report.json")),
        "{stdout}"
    );
    let merged_json = format!("{merged}report.json");

    // Read back through S3: the same report as one unsharded run.
    let bytes = s3_probe(org, "get", &[&format!("{prefix}merged/report.json")]);
    let report = orgsweep_model::parse_report(&String::from_utf8(bytes).expect("utf-8"))
        .expect("the merged report parses");
    assert_eq!(
        essence(&report),
        essence(clean),
        "the merged report differs"
    );
    assert!(report.run.shard.is_none());

    // Re-render and plan straight from the merged report in S3, into S3.
    let rerendered = format!("{base}rerendered/");
    let mut rerender = orgsweep(org);
    rerender.args([
        "report",
        &merged_json,
        "--out",
        &rerendered,
        "--format",
        "html",
        "--endpoint-url",
        &org.endpoint,
    ]);
    ok(&run(rerender));
    let mut plan = orgsweep(org);
    plan.args([
        "plan",
        &merged_json,
        "--out",
        &rerendered,
        "--endpoint-url",
        &org.endpoint,
    ]);
    let output = run(plan);
    ok(&output);
    let stdout = String::from_utf8_lossy(&output.stdout);
    for name in ["plan.md", "plan.html"] {
        assert!(
            stdout.contains(&format!("wrote {rerendered}{name}")),
            "{stdout}"
        );
    }

    // Every object is there (`html` brings the plan it links to), non-empty and encrypted
    // with S3-managed keys (SSE-S3).
    let keys: Vec<String> = [
        "shard-1-of-2/report.json",
        "shard-2-of-2/report.json",
        "merged/report.json",
        "merged/report.html",
        "merged/plan.html",
        "merged/plan.md",
        "rerendered/report.html",
        "rerendered/plan.md",
        "rerendered/plan.html",
    ]
    .iter()
    .map(|name| format!("{prefix}{name}"))
    .collect();
    let heads = s3_heads(org, &keys);
    for key in &keys {
        let head = &heads[key];
        assert!(!head.is_null(), "{key} is not in S3");
        assert_eq!(head["ServerSideEncryption"], "AES256", "{key}: {head}");
        assert!(head["SSEKMSKeyId"].is_null(), "{key}: {head}");
        assert!(head["ContentLength"].as_u64() > Some(0), "{key}: {head}");
    }
    // Nothing else is left behind: no journal, no write probe.
    let listed: Vec<String> =
        serde_json::from_slice(&s3_probe(org, "list", &[&prefix])).expect("the probe prints JSON");
    let mut expected = keys.clone();
    expected.sort();
    assert_eq!(listed, expected, "unexpected objects under {prefix}");

    // With --sse-kms-key the objects name the key. The writer may not call kms:CreateKey
    // under moto's IAM enforcement, and moto's S3 records the key without asking KMS (nor
    // checks kms:GenerateDataKey), so this shows that the key reaches every PutObject.
    let key_arn = format!(
        "arn:aws:kms:us-east-1:{}:key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
        org.management_account_id
    );
    let kms_out = format!("{base}merged-kms/");
    let mut merge = orgsweep(org);
    merge.args([
        "merge",
        &base,
        "--out",
        &kms_out,
        "--endpoint-url",
        &org.endpoint,
        "--fail-on-gaps",
        "never",
        "--sse-kms-key",
        &key_arn,
    ]);
    ok(&run(merge));
    let keys: Vec<String> = ["report.json", "report.html"]
        .iter()
        .map(|name| format!("{prefix}merged-kms/{name}"))
        .collect();
    let heads = s3_heads(org, &keys);
    for key in &keys {
        let head = &heads[key];
        assert!(!head.is_null(), "{key} is not in S3");
        assert_eq!(head["ServerSideEncryption"], "aws:kms", "{key}: {head}");
        assert_eq!(head["SSEKMSKeyId"], key_arn.as_str(), "{key}: {head}");
    }
}
