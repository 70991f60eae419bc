//! End to end: `orgsweep scan --targets` (an MSP's customers in one run) with the real
//! binary against a real moto server holding two organizations with their own management
//! accounts, a standalone account, and a target whose credentials do not exist.

use std::path::Path;
use std::process::{Command, Output};

use orgsweep_demo::emulator::Emulator;
use orgsweep_demo::targets::{self, TargetsWorld};
use orgsweep_model::{CoverageStatus, Report, TargetKind};

const CONSOLE_WITHOUT_MFA: &str = "iam.console_user_without_mfa";

fn targets_file(world: &TargetsWorld) -> String {
    format!(
        r#"# The scan's own credentials manage the first organization.
[[organization]]
name = "acme"
customer = "ACME <Corp>"

[[organization]]
name = "globex"
customer = "Globex"
role_arn = "arn:aws:iam::{second}:role/OrgSweepManagement"
external_id = "globex-7f3c"

[[account]]
name = "solo"
customer = "Solo Ltd"
role_arn = "arn:aws:iam::{standalone}:role/OrgSweepScan"
external_id = "solo-1d2e"

[[organization]]
name = "initech"
customer = "Initech"
profile = "initech-missing"
"#,
        second = world.second.management_account_id,
        standalone = world.standalone_account_id,
    )
}

fn orgsweep(world: &TargetsWorld, args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_orgsweep"));
    for (key, _) in std::env::vars() {
        if key.starts_with("AWS_") || key == "ORGSWEEP_LOG" {
            command.env_remove(key);
        }
    }
    command
        .envs([
            ("AWS_ACCESS_KEY_ID", "testing"),
            ("AWS_SECRET_ACCESS_KEY", "testing"),
            ("AWS_REGION", "us-east-1"),
            ("AWS_EC2_METADATA_DISABLED", "true"),
            ("AWS_CONFIG_FILE", "/dev/null"),
            ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null"),
        ])
        .args(args)
        .args(["--endpoint-url", &world.endpoint]);
    command.output().expect("orgsweep runs")
}

fn scan(world: &TargetsWorld, file: &Path, out: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "scan",
        "--targets",
        file.to_str().expect("utf-8 path"),
        "--regions",
        "us-east-1",
        "--fail-on-gaps",
        "never",
        "--out",
        out.to_str().expect("utf-8 path"),
    ];
    args.extend_from_slice(extra);
    orgsweep(world, &args)
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn customers_of_an_msp_are_scanned_in_one_run_and_one_unreachable_target_is_a_gap() {
    let emulator = Emulator::start().expect("moto starts");
    let runtime = tokio::runtime::Runtime::new().expect("tokio runtime");
    let world = runtime
        .block_on(targets::seed_targets(&emulator.endpoint()))
        .expect("two organizations and a standalone account seed");
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("targets.toml");
    std::fs::write(&file, targets_file(&world)).expect("targets file");
    let out = dir.path().join("report");

    let output = scan(&world, &file, &out, &[]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = std::fs::read_to_string(out.join("report.json")).expect("report.json");
    let report: Report = orgsweep_model::parse_report(&text).expect("report parses");
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../report.schema.json"),
        )
        .expect("schema"),
    )
    .expect("schema is JSON");
    let value: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    let validator = jsonschema::validator_for(&schema).expect("valid schema");
    let errors: Vec<String> = validator
        .iter_errors(&value)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");

    // Every target in the file's order, with what it was.
    let names: Vec<&str> = report.run.targets.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["acme", "globex", "solo", "initech"]);
    let target = |name: &str| {
        report
            .run
            .targets
            .iter()
            .find(|t| t.name == name)
            .expect("target in the report")
    };
    let acme = target("acme");
    assert_eq!(acme.kind, TargetKind::Organization);
    assert_eq!(
        acme.organization_id.as_deref(),
        Some(world.first.id.as_str())
    );
    assert_eq!(acme.accounts, 2, "management and member");
    assert!(acme.error.is_none(), "{:?}", acme.error);
    let globex = target("globex");
    assert_eq!(
        globex.organization_id.as_deref(),
        Some(world.second.id.as_str())
    );
    assert_eq!(
        globex.account_id.as_deref(),
        Some(world.second.management_account_id.as_str())
    );
    assert!(
        globex
            .caller_arn
            .as_deref()
            .is_some_and(|a| a.contains("assumed-role/OrgSweepManagement")),
        "{:?}",
        globex.caller_arn
    );
    assert_eq!(globex.accounts, 2);
    let solo = target("solo");
    assert_eq!(solo.kind, TargetKind::Account);
    assert_eq!(solo.accounts, 1);
    assert_eq!(
        solo.account_id.as_deref(),
        Some(world.standalone_account_id.as_str())
    );
    let initech = target("initech");
    let why = initech.error.as_deref().unwrap_or_default();
    assert!(why.contains("initech-missing"), "{why}");

    // Every account carries its customer; the organizations do not mix.
    let customer_of = |id: &str| {
        report
            .accounts
            .iter()
            .find(|a| a.account_id == id)
            .and_then(|a| a.customer.as_deref())
    };
    assert_eq!(
        customer_of(&world.first.member_account_id),
        Some("ACME <Corp>")
    );
    assert_eq!(customer_of(&world.second.member_account_id), Some("Globex"));
    assert_eq!(customer_of(&world.standalone_account_id), Some("Solo Ltd"));
    assert_eq!(report.accounts.len(), 5);
    assert!(
        report.accounts.iter().all(|a| a.scanned),
        "{:?}",
        report.accounts
    );

    // Each customer's planted intruder, in its own account.
    for (account, user) in [
        (&world.first.member_account_id, &world.first.intruder),
        (&world.second.member_account_id, &world.second.intruder),
        (&world.standalone_account_id, &world.standalone_intruder),
    ] {
        assert!(
            report
                .findings
                .iter()
                .any(|f| f.check_id == CONSOLE_WITHOUT_MFA
                    && &f.account_id == account
                    && f.resource_id.ends_with(&format!("user/{user}"))),
            "{user} in {account}: {:#?}",
            report
                .findings
                .iter()
                .filter(|f| f.check_id == CONSOLE_WITHOUT_MFA)
                .collect::<Vec<_>>()
        );
    }

    // The unreachable target is a gap of the report, not an aborted run.
    let gap = report
        .coverage
        .iter()
        .find(|c| {
            c.status == CoverageStatus::Failed
                && c.error
                    .as_deref()
                    .is_some_and(|e| e.contains("initech (Initech)"))
        })
        .expect("the unreachable target is a coverage gap");
    assert!(
        gap.error
            .as_deref()
            .is_some_and(|e| e.contains("initech-missing"))
    );
    assert!(
        !out.join("targets")
            .join("acme")
            .join(".orgsweep-spool")
            .exists(),
        "the journals are removed once the report is written"
    );

    // The HTML groups by customer and escapes the hostile customer name.
    let html = std::fs::read_to_string(out.join("report.html")).expect("report.html");
    assert!(html.contains("ACME &lt;Corp&gt;") || html.contains("ACME &#60;Corp&#62;"));
    assert!(!html.contains("ACME <Corp>"));

    // A retried job finds the report already written.
    let again = scan(&world, &file, &out, &["--resume=auto"]);
    assert_eq!(again.status.code(), Some(0), "{}", stderr(&again));
    assert!(
        stderr(&again).contains("already holds"),
        "{}",
        stderr(&again)
    );

    // Flags that name one organization's accounts do not combine with --targets.
    let refused = scan(
        &world,
        &file,
        &dir.path().join("x"),
        &["--accounts", "123456789012"],
    );
    assert_eq!(refused.status.code(), Some(1), "{}", stderr(&refused));
    assert!(
        stderr(&refused).contains("--targets"),
        "{}",
        stderr(&refused)
    );

    // A mistake in the file is one line naming it, before any connection.
    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        "[[account]]\nname = \"solo\"\nrole_arn = \"arn:aws:iam::1:role/R\"\n",
    )
    .expect("write");
    let refused = scan(&world, &bad, &dir.path().join("y"), &[]);
    assert_eq!(refused.status.code(), Some(1), "{}", stderr(&refused));
    let message = stderr(&refused);
    assert!(
        message.contains("bad.toml: line 1") && message.contains("not a role ARN"),
        "{message}"
    );
    assert_eq!(message.trim().lines().count(), 1, "{message}");
}
