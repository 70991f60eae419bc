//! The command line's contract for bad input: exit 1 and one line naming the problem, never a
//! panic or a hang. These need no emulator; the ones that do are in `scan.rs`.

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// The real binary with a clean AWS environment: nothing from the developer's own
/// configuration, and no instance-metadata probe off the machine.
fn orgsweep() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_orgsweep"));
    for (key, _) in std::env::vars() {
        if key.starts_with("AWS_") || key == "ORGSWEEP_LOG" {
            command.env_remove(key);
        }
    }
    command
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("AWS_REGION", "us-east-1");
    command
}

fn with_keys(mut command: Command) -> Command {
    command
        .env("AWS_ACCESS_KEY_ID", "AKIAEXAMPLEEXAMPLE00")
        .env("AWS_SECRET_ACCESS_KEY", "not-a-real-secret");
    command
}

fn run(mut command: Command) -> Output {
    command.output().expect("the orgsweep binary runs")
}

/// Asserts exit 1 and a single `error:` line on stderr that contains `needle`.
fn assert_one_line_error(output: &Output, needle: &str) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "stderr: {stderr}");
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "expected one line, got: {stderr}");
    assert!(lines[0].starts_with("error:"), "{stderr}");
    assert!(
        lines[0].contains(needle),
        "expected '{needle}' in: {stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

fn out_dir(tmp: &Path) -> String {
    tmp.join("out").display().to_string()
}

#[test]
fn unreachable_endpoint_fails_fast_with_one_line() {
    let tmp = tempfile::tempdir().expect("tempdir");
    // Port 1 on loopback: nothing listens there, the connection is refused at once.
    let mut command = with_keys(orgsweep());
    command.args([
        "scan",
        "--endpoint-url",
        "http://127.0.0.1:1",
        "--out",
        &out_dir(tmp.path()),
    ]);
    let started = Instant::now();
    let output = run(command);
    // A guard against hanging on retries, not a speed claim.
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "took {:?}",
        started.elapsed()
    );
    assert_one_line_error(&output, "cannot reach the AWS endpoint http://127.0.0.1:1");
}

#[test]
fn missing_credentials_is_a_clear_error() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut command = orgsweep();
    command.args([
        "scan",
        "--endpoint-url",
        "http://127.0.0.1:1",
        "--out",
        &out_dir(tmp.path()),
    ]);
    let output = run(command);
    assert_one_line_error(&output, "no usable AWS credentials");
    assert!(String::from_utf8_lossy(&output.stderr).contains("AWS_PROFILE"));
}

#[test]
fn unwritable_out_is_refused_before_scanning() {
    let tmp = tempfile::tempdir().expect("tempdir");
    // A directory under a regular file cannot be created, even by root.
    let file = tmp.path().join("a-file");
    std::fs::write(&file, "x").expect("write");
    let out = file.join("reports");
    let mut command = with_keys(orgsweep());
    command
        .args(["scan", "--endpoint-url", "http://127.0.0.1:1", "--out"])
        .arg(&out);
    let output = run(command);
    assert_one_line_error(&output, &out.display().to_string());
    assert!(String::from_utf8_lossy(&output.stderr).contains("--out"));
}

#[test]
fn malformed_region_names_are_refused_before_connecting() {
    let tmp = tempfile::tempdir().expect("tempdir");
    for (flag, value, needle) in [
        ("--regions", "us-east-1,mars", "'mars' is not a region name"),
        (
            "--expected-regions",
            "US-EAST-1",
            "'US-EAST-1' is not a region name",
        ),
        ("--regions", "all,us-east-1", "'all' cannot be combined"),
    ] {
        let mut command = with_keys(orgsweep());
        command.args(["scan", flag, value, "--out", &out_dir(tmp.path())]);
        assert_one_line_error(&run(command), needle);
    }
}

#[test]
fn bad_flags_and_values_are_usage_errors_with_exit_1() {
    for (args, needle) in [
        (vec!["scan", "--no-such-flag"], "--no-such-flag"),
        (vec!["scan", "--fail-on", "urgent"], "urgent"),
        (vec!["scan", "--format", "pdf"], "pdf"),
        (vec!["scan", "--window-days", "365"], "365"),
        (
            vec!["report", "/nonexistent/report.json"],
            "/nonexistent/report.json",
        ),
    ] {
        let mut command = with_keys(orgsweep());
        command.args(&args);
        let output = run(command);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{args:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
    }
}

#[test]
fn a_bad_config_file_names_the_line() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let config = tmp.path().join("orgsweep.toml");
    std::fs::write(
        &config,
        "window_days = 7\nexpected_region = [\"us-east-1\"]\n",
    )
    .expect("write");
    let mut command = with_keys(orgsweep());
    command
        .args(["scan", "--out", &out_dir(tmp.path()), "--config"])
        .arg(&config);
    assert_one_line_error(&run(command), "line 2");
}

#[test]
fn help_and_checks_exit_zero() {
    let mut help = orgsweep();
    help.args(["scan", "--help"]);
    let output = run(help);
    assert_eq!(output.status.code(), Some(0));
    let text = String::from_utf8_lossy(&output.stdout);
    for flag in [
        "--endpoint-url",
        "--role-name",
        "--regions",
        "--expected-regions",
        "--fail-on",
        "--out",
    ] {
        assert!(text.contains(flag), "help lacks {flag}");
    }

    let mut checks = orgsweep();
    checks.arg("checks");
    let output = run(checks);
    assert_eq!(output.status.code(), Some(0));
    let text = String::from_utf8_lossy(&output.stdout);
    for id in [
        "iam.quarantine_policy_attached",
        "iam.access_key_recently_created",
        "iam.console_user_without_mfa",
        "resources.unexpected_region",
    ] {
        assert!(text.contains(id), "checks lacks {id}");
    }
}

#[test]
fn the_readme_documents_every_check() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md"))
        .expect("README.md");
    let mut checks = orgsweep();
    checks.arg("checks");
    let output = run(checks);
    let listed = String::from_utf8_lossy(&output.stdout);
    for id in listed
        .lines()
        .skip(1)
        .filter_map(|l| l.split_whitespace().next())
    {
        assert!(
            readme.contains(&format!("`{id}`")),
            "README lacks check {id}"
        );
    }
}

#[test]
fn a_negative_window_is_a_range_error() {
    let mut command = with_keys(orgsweep());
    command.args(["scan", "--window-days", "-3"]);
    let output = run(command);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("-3") && stderr.contains("1..=90"),
        "{stderr}"
    );
    assert!(!stderr.contains("unexpected argument"), "{stderr}");
}

/// Causes appear once: "No such file or directory" is not repeated by every layer.
#[test]
fn errors_name_their_cause_once() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let missing = tmp.path().join("missing.json");
    let mut command = orgsweep();
    command.arg("diff").arg(&missing).arg(&missing);
    let output = run(command);
    assert_one_line_error(&output, "missing.json");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        stderr.matches("No such file").count() + stderr.matches("no such file").count(),
        1,
        "{stderr}"
    );

    let truncated = tmp.path().join("truncated.json");
    std::fs::write(&truncated, "{\"schema_version\": 2, \"tool\"").expect("write");
    let mut command = orgsweep();
    command.arg("plan").arg(&truncated);
    let output = run(command);
    assert_one_line_error(&output, "truncated.json");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.matches("EOF while parsing").count(), 1, "{stderr}");

    let not_a_report = tmp.path().join("other.json");
    std::fs::write(&not_a_report, "{\"findings\": []}").expect("write");
    let mut command = orgsweep();
    command.arg("plan").arg(&not_a_report);
    assert_one_line_error(&run(command), "not an orgsweep report");
}

/// The credentials error leads with what to do, not with the chain's internals.
#[test]
fn the_no_credentials_error_leads_with_the_useful_part() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut command = orgsweep();
    command.args(["scan", "--out", &out_dir(tmp.path())]);
    let output = run(command);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.starts_with("error: no usable AWS credentials: none found; set AWS_PROFILE"),
        "{stderr}"
    );
    assert!(
        !tmp.path().join("out").exists(),
        "a failed run left a directory"
    );
}

/// A host that does not resolve is named.
#[test]
fn a_dns_failure_names_the_host() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut command = with_keys(orgsweep());
    command.args([
        "scan",
        "--endpoint-url",
        "http://no-such-host.invalid:4566",
        "--out",
        &out_dir(tmp.path()),
    ]);
    assert_one_line_error(&run(command), "no-such-host.invalid");
}

#[test]
fn the_catalogue_is_aligned() {
    let output = run({
        let mut c = orgsweep();
        c.arg("checks");
        c
    });
    let stdout = String::from_utf8_lossy(&output.stdout);
    let severity_columns: std::collections::BTreeSet<usize> = stdout
        .lines()
        .map(|l| {
            let id_end = l.find(' ').expect("a space after the id");
            id_end + l[id_end..].len() - l[id_end..].trim_start().len()
        })
        .collect();
    assert_eq!(severity_columns.len(), 1, "columns differ:\n{stdout}");
}

#[test]
fn completions_and_the_manual_page_are_printed() {
    for (shell, needle) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef orgsweep"),
        ("fish", "complete -c orgsweep"),
    ] {
        let mut command = orgsweep();
        command.args(["completions", shell]);
        let output = run(command);
        assert_eq!(output.status.code(), Some(0), "{shell}");
        let script = String::from_utf8_lossy(&output.stdout);
        assert!(script.contains(needle), "{shell}: {script}");
        for word in ["scan", "merge", "--fail-on-gaps"] {
            assert!(script.contains(word), "{shell} completion lacks {word}");
        }
    }
    let mut command = orgsweep();
    command.args(["completions", "tcsh"]);
    let output = run(command);
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("tcsh"));

    let mut command = orgsweep();
    command.arg("man");
    let output = run(command);
    assert_eq!(output.status.code(), Some(0));
    let page = String::from_utf8_lossy(&output.stdout);
    assert!(
        page.starts_with(".ie") || page.contains(".TH orgsweep"),
        "{page}"
    );
    assert!(
        page.contains("Exit codes"),
        "the manual carries the exit codes"
    );
}

/// An expired mute is logged (a `warn` line) before connecting: the log format and
/// `--quiet` are visible without an emulator.
#[test]
fn logs_are_json_on_request_and_quiet_prints_only_the_error() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let config = tmp.path().join("orgsweep.toml");
    std::fs::write(
        &config,
        "[[mute]]\ncheck = \"resources.public_bucket\"\nreason = \"old website\"\nexpires = 2020-01-01\n",
    )
    .expect("write");
    let scan = |extra: &[&str], format: Option<&str>| {
        let mut command = with_keys(orgsweep());
        command.args([
            "scan",
            "--endpoint-url",
            "http://127.0.0.1:1",
            "--config",
            config.to_str().expect("utf-8"),
            "--out",
            &out_dir(tmp.path()),
        ]);
        command.args(extra);
        if let Some(format) = format {
            command.env("ORGSWEEP_LOG_FORMAT", format);
        }
        run(command)
    };

    let output = scan(&[], Some("json"));
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    let (logs, error): (Vec<&str>, Vec<&str>) = stderr.lines().partition(|l| l.starts_with('{'));
    let warning = logs
        .iter()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("a JSON log line"))
        .find(|v| v["level"] == "WARN")
        .unwrap_or_else(|| panic!("no JSON warning in: {stderr}"));
    assert_eq!(warning["reason"], "old website", "{warning}");
    assert!(
        warning["message"]
            .as_str()
            .is_some_and(|m| m.contains("expired"))
    );
    assert!(warning["timestamp"].is_string());
    assert_eq!(error.len(), 1, "{stderr}");
    assert!(error[0].starts_with("error: cannot reach"), "{stderr}");

    let output = scan(&["--quiet"], None);
    assert_one_line_error(&output, "cannot reach the AWS endpoint");

    let output = scan(&[], Some("xml"));
    assert_one_line_error(&output, "ORGSWEEP_LOG_FORMAT: 'xml' is not text or json");
}
