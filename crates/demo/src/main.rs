//! `orgsweep-demo`: runs the demo end to end (`run`), or starts the emulator for manual use
//! (`emulator [--seed]`). `cargo xtask demo` and `cargo xtask emulator` call it.

use std::path::PathBuf;
use std::process::{Command, ExitCode};
use std::time::Instant;

use anyhow::{Context, anyhow, bail};
use orgsweep_demo::emulator::{self, Emulator};
use orgsweep_demo::seed::{self, DemoOrg};
use orgsweep_demo::workspace_root;

const USAGE: &str = "usage: orgsweep-demo run [--out DIR] | orgsweep-demo emulator [--seed]";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("run") => run(&args[1..]),
        Some("emulator") => serve(&args[1..]),
        Some("-h" | "--help") => {
            println!("{USAGE}");
            Ok(ExitCode::SUCCESS)
        }
        _ => Err(anyhow!("{USAGE}")),
    };
    result.unwrap_or_else(|err| {
        eprintln!("error: {}", format!("{err:#}").replace('\n', " "));
        ExitCode::FAILURE
    })
}

/// Starts moto and seeds the demo organization under IAM enforcement.
fn start_seeded() -> anyhow::Result<(Emulator, DemoOrg)> {
    let emulator = Emulator::start()?;
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    let started = Instant::now();
    let org = runtime.block_on(seed::seed_demo(&emulator.endpoint()))?;
    emulator::enforce_auth(&emulator.endpoint())?;
    eprintln!(
        "orgsweep-demo: seeded the demo organization at {} in {:.1} s",
        emulator.endpoint(),
        started.elapsed().as_secs_f64()
    );
    Ok((emulator, org))
}

fn run(args: &[String]) -> anyhow::Result<ExitCode> {
    let out = match args {
        [] => None,
        [flag, dir] if flag == "--out" => Some(PathBuf::from(dir)),
        _ => bail!("{USAGE}"),
    };
    // The orgsweep binary is built next to this one (cargo xtask demo builds both).
    let exe = std::env::current_exe().context("cannot locate orgsweep-demo")?;
    let orgsweep = exe.with_file_name(format!("orgsweep{}", std::env::consts::EXE_SUFFIX));
    if !orgsweep.exists() {
        bail!(
            "{} is missing: build it with cargo build --workspace --bins (cargo xtask demo does)",
            orgsweep.display()
        );
    }
    let (emulator, org) = start_seeded()?;

    let mut scan = Command::new(&orgsweep);
    scan.current_dir(workspace_root())
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("AWS_ENDPOINT_URL")
        .envs(org.scanner_env())
        .args(["scan", "--endpoint-url", &emulator.endpoint()])
        .args(["--regions", &org.scan_regions.join(",")])
        .args(["--expected-regions", &org.expected_regions.join(",")])
        .args(["--format", "json,html", "--fail-on", "high"]);
    if let Some(out) = &out {
        scan.arg("--out").arg(out);
    }
    let started = Instant::now();
    let status = scan
        .status()
        .with_context(|| format!("cannot run {}", orgsweep.display()))?;
    eprintln!(
        "orgsweep-demo: the scan took {:.2} s of wall time",
        started.elapsed().as_secs_f64()
    );
    drop(emulator);
    match status.code() {
        // 3: findings at or above --fail-on, which the demo organization is built to have.
        Some(0 | 3) => Ok(ExitCode::SUCCESS),
        Some(code) => Ok(ExitCode::from(u8::try_from(code).unwrap_or(1))),
        None => bail!("orgsweep was killed ({status})"),
    }
}

/// `emulator [--seed]`: runs until SIGINT or SIGTERM, whatever stdin is (a CI job or a
/// background shell has none). The shell exports go to stdout, so they can be captured or
/// evaluated; the organization's details (ids, planted incidents) go to a JSON file named on
/// stderr.
fn serve(args: &[String]) -> anyhow::Result<ExitCode> {
    let seed = match args {
        [] => false,
        [flag] if flag == "--seed" => true,
        _ => bail!("{USAGE}"),
    };
    let (emulator, org) = if seed {
        let (emulator, org) = start_seeded()?;
        (emulator, Some(org))
    } else {
        (Emulator::start()?, None)
    };
    println!("export AWS_ENDPOINT_URL={}", emulator.endpoint());
    if let Some(org) = &org {
        for (key, value) in org.scanner_env() {
            println!("export {key}={value}");
        }
        let path = workspace_root().join(".venv").join("demo-org.json");
        std::fs::write(&path, serde_json::to_string_pretty(org)?)
            .with_context(|| format!("cannot write {}", path.display()))?;
        eprintln!(
            "orgsweep-demo: the demo organization is described in {}",
            path.display()
        );
        eprintln!(
            "orgsweep-demo: scan it with: orgsweep scan --regions {} --expected-regions {}",
            org.scan_regions.join(","),
            org.expected_regions.join(",")
        );
    }
    use std::io::Write as _;
    let _ = std::io::stdout().flush();
    eprintln!(
        "orgsweep-demo: emulator running at {}; stop it with Ctrl-C or SIGTERM",
        emulator.endpoint()
    );
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(async {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let (Ok(mut int), Ok(mut term)) = (
                signal(SignalKind::interrupt()),
                signal(SignalKind::terminate()),
            ) else {
                return;
            };
            tokio::select! {
                _ = int.recv() => {}
                _ = term.recv() => {}
            }
        }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
    });
    drop(emulator);
    Ok(ExitCode::SUCCESS)
}
