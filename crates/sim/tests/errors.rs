//! Throttling, expiry, unknown operations and injected faults, each in the protocol's real
//! shape, as the SDK sees them.

mod common;

use std::time::{Duration, Instant};

use aws_config::BehaviorVersion;
use aws_config::sts::AssumeRoleProvider;
use aws_config::timeout::TimeoutConfig;
use aws_sdk_ec2::error::ProvideErrorMetadata;
use aws_smithy_async::time::SharedTimeSource;
use aws_smithy_runtime_api::client::http::SharedHttpClient;
use aws_smithy_runtime_api::client::result::SdkError;
use common::{HOME, assume, caller, config};
use orgsweep_sim::{AcceleratedClock, Faults, Limits, OrgSpec, SimConfig, SimulatedAws, Trickle};

/// The codes the SDK's retry classifier treats as throttling.
const THROTTLING: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "TooManyRequestsException",
    "RequestLimitExceeded",
];

fn sim_with(config: SimConfig) -> SimulatedAws {
    SimulatedAws::with_config(
        OrgSpec::new(20, 3),
        SimConfig {
            latency: Duration::ZERO,
            ..config
        },
    )
}

fn status<E>(err: &SdkError<E, aws_smithy_runtime_api::client::orchestrator::HttpResponse>) -> u16 {
    err.raw_response().map_or(0, |r| r.status().as_u16())
}

/// Calls `op` until it fails; returns (code, HTTP status).
macro_rules! until_throttled {
    ($call:expr) => {{
        let mut answer = None;
        for _ in 0..200 {
            if let Err(e) = $call.await {
                answer = Some((e.code().unwrap_or_default().to_owned(), status(&e)));
                break;
            }
        }
        let answer = answer.expect("throttled within 200 calls");
        assert!(THROTTLING.contains(&answer.0.as_str()), "{answer:?}");
        answer
    }};
}

#[tokio::test]
async fn over_limit_calls_get_each_protocols_throttling_error() {
    let sim = sim_with(SimConfig {
        limits: Limits::aws_defaults().scaled(0.05),
        ..SimConfig::default()
    });
    let member = sim.accounts()[5].id.clone();
    let cfg = config(&sim, assume(&sim, &member).await, "eu-west-1").await;
    let mgmt = config(&sim, caller(), HOME).await;

    let ec2 = aws_sdk_ec2::Client::new(&cfg);
    let (code, http) = until_throttled!(ec2.describe_vpcs().max_results(1000).send());
    assert_eq!((code.as_str(), http), ("RequestLimitExceeded", 503));

    let iam = aws_sdk_iam::Client::new(&cfg);
    let (code, http) = until_throttled!(iam.get_account_summary().send());
    assert_eq!((code.as_str(), http), ("Throttling", 400));

    let trail = aws_sdk_cloudtrail::Client::new(&cfg);
    let (code, http) = until_throttled!(trail.lookup_events().send());
    assert_eq!((code.as_str(), http), ("ThrottlingException", 400));

    let orgs = aws_sdk_organizations::Client::new(&mgmt);
    let (code, http) = until_throttled!(orgs.list_accounts().send());
    assert_eq!((code.as_str(), http), ("TooManyRequestsException", 400));

    let account = aws_sdk_account::Client::new(&cfg);
    let (code, http) = until_throttled!(account.list_regions().send());
    assert_eq!((code.as_str(), http), ("TooManyRequestsException", 429));

    let sts = aws_sdk_sts::Client::new(&mgmt);
    let (code, _) = until_throttled!(sts.get_caller_identity().send());
    assert_eq!(code, "Throttling");

    let stats = sim.stats();
    let lookups = stats.operation("cloudtrail", "LookupEvents");
    assert_eq!(lookups.throttled, 1);
    assert_eq!(lookups.requests, 2, "burst 1 at a twentieth of 2/s");
    // EC2 Describe* share one bucket per account-region: 5 tokens at a twentieth of 100.
    let ec2_key = stats
        .keys
        .iter()
        .find(|k| k.service == "ec2" && k.region == "eu-west-1")
        .expect("ec2 key");
    assert_eq!(ec2_key.bucket, "non-mutating");
    assert_eq!((ec2_key.calls, ec2_key.throttled), (6, 1));
    assert_eq!(ec2_key.account_id, member);
    let orgs_key = stats
        .keys
        .iter()
        .find(|k| k.service == "organizations")
        .expect("organizations key");
    assert_eq!(orgs_key.account_id, sim.management_account_id());
    assert!(stats.busiest_key().is_some());
    assert!(stats.total().throttled >= 6);
}

#[tokio::test]
async fn the_standard_retry_rides_out_a_throttle() {
    let sim = sim_with(SimConfig {
        limits: Limits::aws_defaults(),
        ..SimConfig::default()
    });
    let member = sim.accounts()[5].id.clone();
    let creds = assume(&sim, &member).await;
    let cfg = aws_config::defaults(BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-2"))
        .credentials_provider(creds)
        .http_client(SharedHttpClient::new(sim.clone()))
        .load()
        .await;
    let trail = aws_sdk_cloudtrail::Client::new(&cfg);
    for _ in 0..4 {
        trail
            .lookup_events()
            .send()
            .await
            .expect("retried into a token");
    }
    let s = sim.stats().operation("cloudtrail", "LookupEvents");
    assert!(s.throttled >= 1, "{s:?}");
    assert_eq!(s.requests - s.throttled, 4);
}

#[tokio::test]
async fn expired_credentials_get_expired_token() {
    // One real second is an hour: 15-minute credentials expire in a quarter second.
    let sim = sim_with(SimConfig {
        limits: Limits::unlimited(),
        credential_lifetime: Duration::from_secs(900),
        time_source: SharedTimeSource::new(AcceleratedClock::new(3600.0)),
        ..SimConfig::default()
    });
    let member = sim.accounts()[3].id.clone();
    let creds = assume(&sim, &member).await;
    let cfg = config(&sim, creds, HOME).await;
    aws_sdk_sts::Client::new(&cfg)
        .get_caller_identity()
        .send()
        .await
        .expect("fresh credentials work");
    tokio::time::sleep(Duration::from_millis(400)).await;

    let e = aws_sdk_sts::Client::new(&cfg)
        .get_caller_identity()
        .send()
        .await
        .expect_err("expired");
    assert_eq!((e.code(), status(&e)), (Some("ExpiredToken"), 403));
    let e = aws_sdk_iam::Client::new(&cfg)
        .get_account_summary()
        .send()
        .await
        .expect_err("expired");
    assert_eq!(e.code(), Some("ExpiredToken"));
    let e = aws_sdk_ec2::Client::new(&cfg)
        .describe_regions()
        .send()
        .await
        .expect_err("expired");
    assert_eq!(e.code(), Some("RequestExpired"));
    let e = aws_sdk_organizations::Client::new(&cfg)
        .describe_organization()
        .send()
        .await
        .expect_err("expired");
    assert_eq!(e.code(), Some("ExpiredTokenException"));
    let e = aws_sdk_cloudtrail::Client::new(&cfg)
        .describe_trails()
        .send()
        .await
        .expect_err("expired");
    assert_eq!(e.code(), Some("ExpiredTokenException"));
    let e = aws_sdk_account::Client::new(&cfg)
        .list_regions()
        .send()
        .await
        .expect_err("expired");
    assert_eq!(e.code(), Some("ExpiredTokenException"));
    assert_eq!(sim.stats().total().expired, 6);
}

/// With the simulator's clock also driving the SDK, the SDK's assume-role provider renews
/// credentials before they expire, and nothing is refused.
#[tokio::test]
async fn a_shared_accelerated_clock_keeps_refreshed_credentials_valid() {
    let clock = SharedTimeSource::new(AcceleratedClock::new(3600.0));
    let sim = sim_with(SimConfig {
        limits: Limits::unlimited(),
        credential_lifetime: Duration::from_secs(900),
        time_source: clock.clone(),
        ..SimConfig::default()
    });
    let base = aws_config::defaults(BehaviorVersion::latest())
        .region(aws_config::Region::new(HOME))
        .credentials_provider(caller())
        .http_client(SharedHttpClient::new(sim.clone()))
        .time_source(clock.clone())
        .load()
        .await;
    let member = sim.accounts()[4].id.clone();
    let provider = AssumeRoleProvider::builder(format!(
        "arn:aws:iam::{member}:role/OrganizationAccountAccessRole"
    ))
    .session_name("orgsweep")
    .configure(&base)
    .build()
    .await;
    let cfg = base
        .to_builder()
        .credentials_provider(
            aws_credential_types::provider::SharedCredentialsProvider::new(provider),
        )
        .build();
    let sts = aws_sdk_sts::Client::new(&cfg);
    let start = Instant::now();
    while start.elapsed() < Duration::from_millis(800) {
        let me = sts
            .get_caller_identity()
            .send()
            .await
            .expect("always valid");
        assert_eq!(me.account(), Some(member.as_str()));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let stats = sim.stats();
    assert_eq!(stats.total().expired, 0);
    // 0.8 s is 48 simulated minutes: 15-minute credentials were renewed at least twice.
    assert!(
        stats.operation("sts", "AssumeRole").requests >= 3,
        "{stats:?}"
    );
}

#[tokio::test]
async fn unknown_operations_are_loud() {
    let sim = sim_with(SimConfig {
        limits: Limits::unlimited(),
        ..SimConfig::default()
    });
    let cfg = config(&sim, caller(), HOME).await;
    let e = aws_sdk_iam::Client::new(&cfg)
        .list_users()
        .send()
        .await
        .expect_err("unknown");
    assert_eq!((e.code(), status(&e)), (Some("InvalidAction"), 400));
    let e = aws_sdk_ec2::Client::new(&cfg)
        .describe_subnets()
        .send()
        .await
        .expect_err("unknown");
    assert_eq!((e.code(), status(&e)), (Some("InvalidAction"), 400));
    let e = aws_sdk_organizations::Client::new(&cfg)
        .list_policies()
        .filter(aws_sdk_organizations::types::PolicyType::ServiceControlPolicy)
        .send()
        .await
        .expect_err("unknown");
    assert_eq!(e.code(), Some("UnknownOperationException"));
    let e = aws_sdk_account::Client::new(&cfg)
        .get_contact_information()
        .send()
        .await
        .expect_err("unknown");
    assert_eq!(e.code(), Some("UnknownOperationException"));
    assert!(e.message().is_some_and(|m| m.contains("no responder")));
    let stats = sim.stats();
    assert_eq!(stats.operation("iam", "ListUsers").errors, 1);
    assert_eq!(stats.operation("ec2", "DescribeSubnets").requests, 1);
}

#[tokio::test]
async fn injected_faults() {
    let sim = sim_with(SimConfig {
        limits: Limits::unlimited(),
        faults: Faults {
            internal_error: 1.0,
            ..Faults::none()
        },
        ..SimConfig::default()
    });
    let cfg = config(&sim, caller(), HOME).await;
    let ec2 = aws_sdk_ec2::Client::new(&cfg);
    let e = ec2.describe_regions().send().await.expect_err("500");
    assert_eq!((e.code(), status(&e)), (Some("InternalError"), 500));
    let e = aws_sdk_organizations::Client::new(&cfg)
        .describe_organization()
        .send()
        .await
        .expect_err("500");
    assert_eq!((e.code(), status(&e)), (Some("InternalFailure"), 500));

    sim.set_faults(Faults {
        connection_reset: 1.0,
        ..Faults::none()
    });
    let e = ec2.describe_regions().send().await.expect_err("reset");
    assert!(
        matches!(&e, SdkError::DispatchFailure(d) if d.is_io()),
        "{e:?}"
    );

    sim.set_faults(Faults::none().stall("ec2", "DescribeRegions"));
    let timeouts = aws_config::defaults(BehaviorVersion::latest())
        .region(aws_config::Region::new(HOME))
        .credentials_provider(caller())
        .http_client(SharedHttpClient::new(sim.clone()))
        .timeout_config(
            TimeoutConfig::builder()
                .operation_attempt_timeout(Duration::from_millis(200))
                .build(),
        )
        .retry_config(aws_config::retry::RetryConfig::standard().with_max_attempts(1))
        .load()
        .await;
    let started = Instant::now();
    let e = aws_sdk_ec2::Client::new(&timeouts)
        .describe_regions()
        .send()
        .await
        .expect_err("stalled");
    assert!(matches!(e, SdkError::TimeoutError(_)), "{e:?}");
    assert!(started.elapsed() >= Duration::from_millis(200));

    sim.set_faults(Faults::none().trickle(
        "ec2",
        "DescribeRegions",
        Trickle {
            chunk_bytes: 256,
            interval: Duration::from_millis(10),
        },
    ));
    let started = Instant::now();
    let out = ec2
        .describe_regions()
        .send()
        .await
        .expect("slow but complete");
    assert_eq!(out.regions().len(), 17);
    assert!(
        started.elapsed() >= Duration::from_millis(50),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(sim.stats().operation("ec2", "DescribeRegions").faults, 3);
}
