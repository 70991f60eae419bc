//! Developer chores, run as `cargo xtask <task>` (rust-analyzer style): no shell scripts
//! scattered around, and std only so it builds in seconds.
//!
//! Every task works on a fresh machine: the emulator (moto) is installed into a
//! project-local virtualenv by the `orgsweep-demo` crate on first use.

use std::env;
use std::path::PathBuf;
use std::process::{Command, ExitCode};

const USAGE: &str = "\
usage: cargo xtask <task>

tasks:
  demo              start moto, seed the demo organization with planted incidents, scan it,
                    and write the report under reports/<UTC timestamp>/
  test              everything CI runs: cargo fmt --check, clippy -D warnings, all tests
                    (the end-to-end tests start their own moto)
  emulator [--seed] start moto on a free loopback port and print its endpoint; with --seed,
                    also seed the demo organization and print the scanner's credentials
  bench [ARGS]      the scale benchmark, built in release mode: a whole scan of a simulated
                    organization (--accounts 100|1000|10000, --latency-ms 40, --json,
                    --browser for Chromium's load time of the report, …;
                    see `cargo xtask bench --help`)
  schema            regenerate report.schema.json from the model types
  sync-policies     copy crates/aws/iam/*.json into the CloudFormation role templates";

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("demo") => demo(&args[1..]),
        Some("test") => test(),
        Some("emulator") => emulator(&args[1..]),
        Some("schema") => schema(),
        Some("bench") => bench(&args[1..]),
        Some("sync-policies") => sync_policies(),
        Some("-h" | "--help" | "help") => {
            println!("{USAGE}");
            Ok(())
        }
        Some(other) => Err(format!("unknown task '{other}'\n{USAGE}")),
        None => Err(USAGE.to_owned()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}

fn workspace_root() -> PathBuf {
    // xtask/ sits directly under the workspace root. `cargo run` says where at run time; the
    // path compiled in can be another checkout's when checkouts share a target directory
    // (cargo copies the last-built xtask binary to the same place for all of them).
    let manifest_dir = env::var_os("CARGO_MANIFEST_DIR")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")), PathBuf::from);
    manifest_dir
        .parent()
        .map_or_else(|| PathBuf::from("."), PathBuf::from)
}

fn cargo() -> Command {
    let mut command = Command::new(env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()));
    command.current_dir(workspace_root());
    command
}

fn run(mut command: Command) -> Result<(), String> {
    let shown = format!("{command:?}");
    eprintln!("xtask: running {shown}");
    let status = command
        .status()
        .map_err(|e| format!("cannot run {shown}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{shown} failed ({status})"))
    }
}

fn demo(args: &[String]) -> Result<(), String> {
    // The demo runner calls the orgsweep binary next to it, so build both first.
    let mut build = cargo();
    build.args([
        "build",
        "--quiet",
        "--bin",
        "orgsweep",
        "--bin",
        "orgsweep-demo",
    ]);
    run(build)?;
    let mut demo = cargo();
    demo.args(["run", "--quiet", "--bin", "orgsweep-demo", "--", "run"])
        .args(args);
    run(demo)
}

fn emulator(args: &[String]) -> Result<(), String> {
    let mut emulator = cargo();
    emulator
        .args(["run", "--quiet", "--bin", "orgsweep-demo", "--", "emulator"])
        .args(args);
    run(emulator)
}

fn test() -> Result<(), String> {
    let mut fmt = cargo();
    fmt.args(["fmt", "--all", "--", "--check"]);
    run(fmt)?;
    let mut clippy = cargo();
    clippy.args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]);
    run(clippy)?;
    let mut tests = cargo();
    // Every failing test binary is reported, not only the first: CI runs are long.
    tests.args(["test", "--workspace", "--no-fail-fast"]);
    run(tests)
}

fn schema() -> Result<(), String> {
    let mut test = cargo();
    test.env("ORGSWEEP_BLESS", "1").args([
        "test",
        "--quiet",
        "-p",
        "orgsweep-model",
        "--test",
        "schema",
    ]);
    run(test)
}

/// The role templates embed the policy files as JSON blocks (JSON is valid YAML); this
/// replaces each block with the file's current text, indented under `PolicyDocument:`.
fn sync_policies() -> Result<(), String> {
    let root = workspace_root();
    for (template, policy) in [
        (
            "deploy/cloudformation/scan-role.yaml",
            "crates/aws/iam/orgsweep-scan-policy.json",
        ),
        (
            "deploy/cloudformation/remediation-role.yaml",
            "crates/aws/iam/orgsweep-remediation-policy.json",
        ),
    ] {
        let read = |path: &str| {
            std::fs::read_to_string(root.join(path)).map_err(|e| format!("cannot read {path}: {e}"))
        };
        let text = read(template)?;
        let policy = read(policy)?;
        let lines: Vec<&str> = text.lines().collect();
        let start = lines
            .iter()
            .position(|l| l.trim() == "PolicyDocument:")
            .ok_or_else(|| format!("{template}: no PolicyDocument"))?;
        let indent = lines[start].len() - lines[start].trim_start().len() + 2;
        let end = lines[start + 1..]
            .iter()
            .position(|l| !l.trim().is_empty() && l.len() - l.trim_start().len() < indent)
            .map_or(lines.len(), |i| start + 1 + i);
        let mut out: Vec<String> = lines[..=start].iter().map(|l| (*l).to_owned()).collect();
        out.extend(policy.lines().map(|l| format!("{}{l}", " ".repeat(indent))));
        out.extend(lines[end..].iter().map(|l| (*l).to_owned()));
        std::fs::write(root.join(template), out.join("\n") + "\n")
            .map_err(|e| format!("cannot write {template}: {e}"))?;
        eprintln!("xtask: {template} carries its policy file");
    }
    Ok(())
}

fn bench(args: &[String]) -> Result<(), String> {
    let mut bench = cargo();
    bench
        .args(["run", "--quiet", "--release", "-p", "orgsweep-bench", "--"])
        .args(args);
    run(bench)
}
