//! Servers that stall, trickle and reset, scanned end to end: the scan must finish, and what
//! it could not read must be a coverage gap naming the timeout, at the scope that stalled —
//! never a silent hole and never an aborted run.

use std::time::Duration;

use orgsweep_bench::{Scenario, run};
use orgsweep_model::CoverageStatus;
use orgsweep_sim::{Faults, Trickle};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_and_trickling_servers_become_gaps_and_the_scan_finishes() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut scenario = Scenario::new(20, tmp.path());
    scenario.latency = Duration::ZERO;
    scenario.write_html = false;
    // A stall in every region (a regional API) and a trickle slower than any attempt may
    // take in every account (a global one), plus connections that reset now and then.
    scenario.faults = Faults {
        connection_reset: 0.02,
        ..Faults::none()
    }
    .stall("ec2", "DescribeSnapshots")
    .trickle(
        "account",
        "GetAlternateContact",
        Trickle {
            chunk_bytes: 1,
            interval: Duration::from_millis(100),
        },
    );
    // Short, so the stalls cost seconds. An attempt's clock starts when it has its
    // rate-limit token, so discovery calls queued behind Organizations' 5/s no longer time
    // out unsent; the operation timeout still counts the queue, and 4 s covers this scan's.
    scenario.timeouts = Some((Duration::from_secs(1), Duration::from_secs(4)));
    // A guard against hanging, not a speed claim: it takes well under a minute.
    let outcome = tokio::time::timeout(Duration::from_secs(600), run(&scenario))
        .await
        .expect("the scan hung on a stalled server")
        .expect("the scan finishes");
    let report = &outcome.report;

    assert_eq!(report.accounts.len(), 20);
    assert!(
        report.accounts.iter().all(|a| a.scanned),
        "a stalled API made a whole account unscanned"
    );
    let failed: Vec<_> = report
        .coverage
        .iter()
        .filter(|c| c.status == CoverageStatus::Failed)
        .collect();
    let gap = |account: &str, region: Option<&str>, api: &str| {
        failed.iter().any(|c| {
            c.account_id == account
                && (region.is_none() || c.region.as_deref() == region)
                && c.error
                    .as_deref()
                    .is_some_and(|e| e.contains(api) && e.contains("timed out"))
        })
    };
    for account in &report.accounts {
        let id = &account.account_id;
        assert!(
            gap(id, None, "account:GetAlternateContact"),
            "no timeout gap for the trickled GetAlternateContact in {id}: {failed:#?}"
        );
        for region in &report.run.regions {
            let enabled = !orgsweep_sim::NOT_OPTED_IN_REGIONS.contains(&region.as_str());
            if enabled {
                assert!(
                    gap(id, Some(region), "ec2:DescribeSnapshots"),
                    "no timeout gap for the stalled DescribeSnapshots in {id} {region}"
                );
            }
        }
    }
    // Only the stalled APIs are missing: every other gap would be a hole the faults did not
    // explain.
    let unexplained: Vec<_> = failed
        .iter()
        .filter(|c| {
            let e = c.error.as_deref().unwrap_or_default();
            !e.contains("ec2:DescribeSnapshots") && !e.contains("account:GetAlternateContact")
        })
        .collect();
    assert!(unexplained.is_empty(), "{unexplained:#?}");
    // Every planted incident is found, or its check is a gap where it was planted.
    for (check, account, resource) in &outcome.missed {
        assert!(
            failed
                .iter()
                .any(|c| &c.account_id == account && c.check_id.as_deref() == Some(check)),
            "{check} {account} {resource} was missed without a gap"
        );
    }
    assert!(
        outcome.result.planted_found > 0,
        "the unaffected checks still found their incidents"
    );
}
