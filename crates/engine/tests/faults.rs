//! AWS throttles and fails; the scan must not. The demo organization in moto is scanned in
//! process twice: once directly, once through a transport that answers like AWS under load
//! (each protocol's own throttling error from a bucket of 1 request per second, burst 2, per
//! access key × region × service; 5 % HTTP 500; 2 % connection resets). The second scan is
//! slower and must report exactly the same findings and coverage, and count what it met.

use std::sync::atomic::{AtomicBool, Ordering};

use aws_credential_types::Credentials;
use orgsweep_aws::{Limits, Session, SessionOptions, Store, https_client};
use orgsweep_demo::emulator::{self, Emulator};
use orgsweep_demo::seed::{self, DemoOrg};
use orgsweep_engine::{Journal, NoProgress, RegionSelection, ScanOptions, ScanOutcome, Settings};
use orgsweep_model::Report;
use orgsweep_sim::{FaultConfig, FaultyTransport};

async fn scan(org: &DemoOrg, transport: Option<FaultyTransport>) -> Report {
    let session = Session::connect(
        SessionOptions {
            credentials: Some(Credentials::new(
                org.scanner.access_key_id.clone(),
                org.scanner.secret_access_key.clone(),
                None,
                None,
                "faults-test",
            )),
            endpoint_url: Some(org.endpoint.clone()),
            http_client: transport.map(FaultyTransport::shared),
            ..SessionOptions::default()
        },
        Limits::default(),
    )
    .await
    .expect("connects through the faults");
    // One region keeps the slow, throttled scan inside a few minutes; the account, IAM,
    // billing and events sources are all still met under faults.
    let options = ScanOptions {
        regions: RegionSelection::List(vec!["us-east-1".to_owned()]),
        settings: Settings {
            expected_regions: org.expected_regions.clone(),
            ..Settings::default()
        },
        ..ScanOptions::default()
    };
    let tmp = tempfile::tempdir().expect("tempdir");
    let store = Store::local(tmp.path());
    let outcome = orgsweep_engine::scan(
        &session,
        &options,
        &NoProgress,
        Journal {
            out: &store,
            resume: false,
        },
        &AtomicBool::new(false),
    )
    .await
    .expect("the scan finishes");
    let ScanOutcome::Complete { report, .. } = outcome else {
        panic!("interrupted");
    };
    *report
}

fn ids(report: &Report) -> Vec<(String, String)> {
    let mut ids: Vec<(String, String)> = report
        .findings
        .iter()
        .map(|f| (f.id.clone(), f.title.clone()))
        .collect();
    ids.sort();
    ids
}

fn coverage(report: &Report) -> Vec<String> {
    report
        .coverage
        .iter()
        .map(|c| {
            format!(
                "{} {:?} {:?} {:?}",
                c.account_id, c.region, c.check_id, c.status
            )
        })
        .collect()
}

#[test]
fn throttling_errors_and_resets_change_nothing_but_the_time() {
    let emulator = Emulator::start().expect("moto starts");
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let org = runtime
        .block_on(seed::seed_demo(&emulator.endpoint()))
        .expect("the demo organization seeds");
    emulator::enforce_auth(&emulator.endpoint()).expect("enforcement");

    let clean = runtime.block_on(scan(&org, None));
    let transport = FaultyTransport::new(
        https_client(),
        FaultConfig {
            per_second: 1.0,
            burst: 2.0,
            server_errors: 0.05,
            resets: 0.02,
            seed: 17,
        },
    );
    let stats = transport.stats();
    let hostile = runtime.block_on(scan(&org, Some(transport)));
    eprintln!(
        "clean scan {} ms, under faults {} ms",
        clean.stats.duration_ms, hostile.stats.duration_ms
    );

    assert_eq!(
        coverage(&hostile),
        coverage(&clean),
        "coverage differs under load"
    );
    assert_eq!(ids(&hostile), ids(&clean), "findings differ under load");
    let (throttled, errors, resets) = (
        stats.throttled.load(Ordering::Relaxed),
        stats.server_errors.load(Ordering::Relaxed),
        stats.resets.load(Ordering::Relaxed),
    );
    assert!(
        throttled > 0 && errors > 0 && resets > 0,
        "{throttled} {errors} {resets}"
    );
    // The report counts what the scan met. (Answers to the AssumeRole calls the SDK's
    // credentials provider makes pass no client interceptor, so they are retried but not
    // counted: the report's count can only be lower.)
    assert!(
        hostile.stats.throttled > 0 && hostile.stats.throttled <= throttled,
        "{} of {throttled}",
        hostile.stats.throttled
    );
    assert!(hostile.stats.retries >= hostile.stats.throttled);
    // The clean scan meets no throttling. (It may still retry: moto on a loaded 2-core
    // machine sometimes drops a connection, which is exactly what retries are for.)
    assert_eq!(clean.stats.throttled, 0);
    drop(emulator);
}
