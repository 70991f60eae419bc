//! A scan that outlives its credentials: the simulated AWS issues member credentials that
//! live 15 minutes (AssumeRole's shortest) and every call takes 15 simulated seconds, so one
//! account's scan lasts longer than its first credentials and the whole scan longer than
//! role chaining's one-hour cap. On tokio's paused clock, shared by the simulator and the
//! SDK (signing, credential expiry), those hours pass in seconds and the machine's load
//! cannot change the outcome.

use std::time::Duration;

use orgsweep_bench::{Scenario, TokioTime, run};

#[tokio::test(start_paused = true)]
async fn every_account_is_scanned_when_the_scan_outlives_its_credentials() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut scenario = Scenario::new(8, tmp.path());
    scenario.credential_lifetime = Duration::from_secs(15 * 60);
    scenario.latency = Duration::from_secs(15);
    scenario.concurrency = 2;
    scenario.write_html = false;
    // Attempts of 15 simulated seconds must not time out: these are not stalls.
    scenario.timeouts = Some((Duration::from_secs(300), Duration::from_secs(3600)));
    scenario.clock = Some(TokioTime::shared());
    let started = tokio::time::Instant::now();
    let outcome = run(&scenario).await.expect("the scan finishes");
    let simulated = started.elapsed();

    assert_eq!(
        outcome.expired_credentials, 0,
        "a request went out with expired credentials"
    );
    assert_eq!(outcome.gaps, 0, "{:?}", outcome.report.coverage);
    assert!(outcome.report.accounts.iter().all(|a| a.scanned));
    assert!(outcome.missed.is_empty(), "missed: {:?}", outcome.missed);
    // Seven members, each assumed once up front and renewed at least once during its scan.
    let assumed = outcome.calls.get("sts.AssumeRole").copied().unwrap_or(0);
    assert!(assumed >= 14, "AssumeRole was called {assumed} times");
    // About two hours (7,488 s when written): past role chaining's one-hour cap.
    assert!(
        simulated > Duration::from_secs(3600),
        "the scan lasted only {simulated:?} of simulated time"
    );
}
