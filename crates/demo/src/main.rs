//! `orgsweep-demo`: runs the demo end to end (`run`), or starts the emulator for manual use
//! (`emulator [--seed]`). `cargo xtask demo` and `cargo xtask emulator` call it.

use std::io::Read;
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
    println!("endpoint: {}", emulator.endpoint());
    if let Some(org) = org {
        println!("# scan as the demo organization's scanner:");
        for (key, value) in org.scanner_env() {
            println!("export {key}={value}");
        }
        println!(
            "# orgsweep scan --endpoint-url {} --regions {} --expected-regions {}",
            emulator.endpoint(),
            org.scan_regions.join(","),
            org.expected_regions.join(",")
        );
        println!("{}", serde_json::to_string_pretty(&org)?);
    }
    println!("# running until Ctrl-C or end of input");
    let mut sink = Vec::new();
    let _ = std::io::stdin().read_to_end(&mut sink);
    drop(emulator);
    Ok(ExitCode::SUCCESS)
}
