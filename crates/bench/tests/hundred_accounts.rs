//! The benchmark's own correctness at a size the test suite can afford: a 100-account
//! simulated organization, scanned through the real SDK and engine, must yield every planted
//! incident with no coverage gap. The timed runs (`cargo xtask bench`) check the same at
//! 1,000 and 10,000 accounts; this keeps the check itself from rotting between them.

use std::time::Duration;

use orgsweep_bench::{Scenario, run};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_accounts_yield_every_planted_incident_and_no_gap() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut scenario = Scenario::new(100, tmp.path());
    // No simulated network latency: the point is what is found, not how fast.
    scenario.latency = Duration::ZERO;
    let outcome = run(&scenario).await.expect("the scan runs");
    let r = &outcome.result;
    assert_eq!(r.accounts, 100);
    assert!(r.planted_total >= 12, "{r:?}");
    assert_eq!(
        r.planted_found, r.planted_total,
        "missed: {:?}",
        outcome.missed
    );
    assert_eq!(
        outcome.gaps,
        0,
        "{:?}",
        outcome
            .report
            .gaps()
            .filter(|c| c.status == orgsweep_model::CoverageStatus::Failed)
            .collect::<Vec<_>>()
    );
    assert!(r.html_mb > 0.0, "the HTML report is written");
}
