//! `orgsweep-bench`: runs one scenario and prints its figures; `cargo xtask bench` builds
//! it in release mode and runs it.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use orgsweep_bench::{Scenario, run};

const USAGE: &str = "usage: orgsweep-bench [--accounts N] [--latency-ms MS] [--concurrency N] \
[--seed N] [--out DIR] [--shard I/N] [--no-html] [--browser] [--json]

--shard    scan only shard I of N (1-based), as one of N machines does: the whole discovery
           and organization-wide reads, then that shard's accounts
--browser  also time Chromium's DOMContentLoaded on the report.html written (median of 3;
           Chromium is installed on first use)";

fn parse(args: &[String]) -> Result<(Scenario, bool), String> {
    let mut scenario = Scenario::new(100, &PathBuf::from("target/bench"));
    let mut json = false;
    let mut out = None;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .ok_or_else(|| format!("{name} needs a value\n{USAGE}"))
        };
        let number = |name: &str, v: &str| {
            v.parse::<u64>()
                .map_err(|_| format!("{name}: '{v}' is not a number"))
        };
        match arg.as_str() {
            "--accounts" => {
                scenario.accounts = number("--accounts", value("--accounts")?)? as usize;
            }
            "--latency-ms" => {
                scenario.latency =
                    Duration::from_millis(number("--latency-ms", value("--latency-ms")?)?);
            }
            "--concurrency" => {
                scenario.concurrency =
                    number("--concurrency", value("--concurrency")?)?.max(1) as usize;
            }
            "--seed" => scenario.seed = number("--seed", value("--seed")?)?,
            "--out" => out = Some(PathBuf::from(value("--out")?)),
            "--shard" => {
                let v = value("--shard")?;
                let parsed = v.split_once('/').and_then(|(i, n)| {
                    let (i, n) = (i.parse::<u32>().ok()?, n.parse::<u32>().ok()?);
                    (1..=n).contains(&i).then_some((i, n))
                });
                scenario.shard = Some(
                    parsed.ok_or_else(|| format!("--shard: '{v}' is not I/N with 1 <= I <= N"))?,
                );
            }
            "--no-html" => scenario.write_html = false,
            "--browser" => scenario.browser = true,
            "--json" => json = true,
            "-h" | "--help" => return Err(USAGE.to_owned()),
            other => return Err(format!("unknown argument '{other}'\n{USAGE}")),
        }
    }
    scenario.out =
        out.unwrap_or_else(|| PathBuf::from(format!("target/bench/{}", scenario.accounts)));
    Ok((scenario, json))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (scenario, json) = match parse(&args) {
        Ok(parsed) => parsed,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::FAILURE;
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("error: cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    eprintln!(
        "orgsweep-bench: {} accounts, latency {:?}, concurrency {}",
        scenario.accounts, scenario.latency, scenario.concurrency
    );
    let outcome = match runtime.block_on(run(&scenario)) {
        Ok(outcome) => outcome,
        Err(err) => {
            eprintln!("error: {err:#}");
            return ExitCode::FAILURE;
        }
    };
    let r = &outcome.result;
    eprintln!(
        "accounts {} × regions {}; {} API calls, {} throttled, {} retries",
        r.accounts, r.regions, r.api_calls, r.throttled, r.retries
    );
    eprintln!(
        "wall {:.1} s, CPU {:.1} s, peak RSS {:.0} MB; bounds: rate limits {:.1} s, CPU {:.1} s; ratio {:.2}",
        r.wall_s, r.cpu_s, r.peak_rss_mb, r.rate_limit_bound_s, r.cpu_bound_s, r.ratio
    );
    eprintln!(
        "planted incidents found: {} of {}; coverage gaps {}; report.html {:.2} MB",
        r.planted_found, r.planted_total, outcome.gaps, r.html_mb
    );
    if let Some(ms) = outcome.dom_content_loaded_ms {
        eprintln!("Chromium DOMContentLoaded of report.html: {ms:.0} ms (median of 3)");
    }
    eprintln!(
        "CPU per API call: {:.0} µs",
        r.cpu_s * 1e6 / r.api_calls.max(1) as f64
    );
    eprintln!(
        "discovery: {} Organizations calls in {:.1} s",
        outcome.discovery_calls, outcome.discovery_s
    );
    eprintln!(
        "of the peak RSS, the in-process simulator's answer cache holds {:.0} MB",
        outcome.sim_cache_mb
    );
    for (key, seconds) in &outcome.busiest {
        eprintln!("  busiest key: {key}: at least {seconds:.1} s");
    }
    for (check, account, resource) in outcome.missed.iter().take(10) {
        eprintln!("  MISSED {check} {account} {resource}");
    }
    if json {
        match serde_json::to_string(&outcome.result) {
            Ok(line) => println!("{line}"),
            Err(err) => {
                eprintln!("error: {err}");
                return ExitCode::FAILURE;
            }
        }
    }
    if outcome.missed.is_empty() && outcome.gaps == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
