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
                    also seed the demo organization and print the scanner's credentials";

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("demo") => demo(&args[1..]),
        Some("test") => test(),
        Some("emulator") => emulator(&args[1..]),
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
    // xtask/ sits directly under the workspace root.
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
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
    tests.args(["test", "--workspace"]);
    run(tests)
}
