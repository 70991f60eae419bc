//! The simulator's own cost per request must be negligible next to the SDK's: measured on
//! 100 000 pre-signed requests straight into the connector (no latency, no limits).

mod common;

use std::time::{Duration, Instant};

use aws_smithy_runtime_api::client::http::HttpConnector;
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_types::body::SdkBody;
use common::assume;
use orgsweep_sim::{Limits, OrgSpec, SimConfig, SimulatedAws};

fn request(
    key: &str,
    token: Option<&str>,
    region: &str,
    service: &str,
    target: Option<&str>,
    path: &str,
    body: &str,
) -> HttpRequest {
    let mut r = HttpRequest::new(SdkBody::from(body.to_owned()));
    r.set_uri(format!("https://{service}.{region}.amazonaws.com{path}"))
        .expect("uri");
    r.set_method("POST").expect("method");
    let h = r.headers_mut();
    h.insert(
        "authorization",
        format!(
            "AWS4-HMAC-SHA256 Credential={key}/20250101/{region}/{service}/aws4_request, SignedHeaders=host;x-amz-date, Signature=00"
        ),
    );
    if let Some(t) = token {
        h.insert("x-amz-security-token", t.to_owned());
    }
    if let Some(t) = target {
        h.insert("x-amz-target", t.to_owned());
        h.insert("content-type", "application/x-amz-json-1.1");
    } else if service != "account" {
        h.insert("content-type", "application/x-www-form-urlencoded");
    }
    r
}

#[tokio::test]
async fn answers_100k_prerendered_requests_cheaply() {
    let sim = SimulatedAws::with_config(
        OrgSpec::new(600, 42),
        SimConfig {
            latency: Duration::ZERO,
            limits: Limits::unlimited(),
            ..SimConfig::default()
        },
    );
    // The busiest account-region, and a quiet region of the same account.
    let (account, busy) = sim
        .accounts()
        .iter()
        .flat_map(|a| sim.regions().iter().map(move |r| (a.id.clone(), r.clone())))
        .max_by_key(|(a, r)| sim.inventory(a, r).map_or(0, |i| i.instances))
        .expect("busy");
    let quiet = sim
        .regions()
        .iter()
        .find(|r| sim.inventory(&account, r).is_some_and(|i| i.instances == 0))
        .expect("quiet")
        .clone();
    let creds = assume(&sim, &account).await;
    let key = creds.access_key_id().to_owned();
    let token = creds.session_token().map(str::to_owned);
    let token = token.as_deref();
    let mgmt_key = "AKIACALLER0000000001";

    let kinds: Vec<(&str, HttpRequest)> = vec![
        (
            "ec2 DescribeInstances, empty (shared body)",
            request(
                &key,
                token,
                &quiet,
                "ec2",
                None,
                "/",
                "Action=DescribeInstances&Version=2016-11-15&MaxResults=1000",
            ),
        ),
        (
            "ec2 DescribeInstances, hundreds of instances",
            request(
                &key,
                token,
                &busy,
                "ec2",
                None,
                "/",
                "Action=DescribeInstances&Version=2016-11-15&MaxResults=1000",
            ),
        ),
        (
            "cloudtrail LookupEvents, 50 records",
            request(
                &key,
                token,
                &busy,
                "cloudtrail",
                Some("com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents"),
                "/",
                r#"{"LookupAttributes":[{"AttributeKey":"ReadOnly","AttributeValue":"false"}],"MaxResults":50}"#,
            ),
        ),
        (
            "iam GetAccountAuthorizationDetails",
            request(
                &key,
                token,
                "us-east-1",
                "iam",
                None,
                "/",
                "Action=GetAccountAuthorizationDetails&Version=2010-05-08&Filter.member.1=User&Filter.member.2=Role",
            ),
        ),
        (
            "organizations ListAccounts page",
            request(
                mgmt_key,
                None,
                "us-east-1",
                "organizations",
                Some("AWSOrganizationsV20161128.ListAccounts"),
                "/",
                "{}",
            ),
        ),
    ];
    // Timing belongs to `cargo xtask bench`; here the claim is structural: after the first
    // answer, every request is served from the cache (the cache does not grow), and the
    // figures are printed for a person.
    const PER_KIND: usize = 2_000;
    let mut total = Duration::ZERO;
    for (name, template) in &kinds {
        // Warm the cache, and build every request before the clock starts.
        let first = sim
            .call(template.try_clone().expect("clone"))
            .await
            .expect("answer");
        assert_eq!(first.status().as_u16(), 200, "{name}: {:?}", first.body());
        let size = first.body().bytes().map_or(0, <[u8]>::len);
        let requests: Vec<HttpRequest> = (0..PER_KIND)
            .map(|_| template.try_clone().expect("clone"))
            .collect();
        let cached = sim.cached_bytes();
        let started = Instant::now();
        for r in requests {
            let response = sim.call(r).await.expect("answer");
            assert_eq!(response.status().as_u16(), 200);
        }
        let took = started.elapsed();
        total += took;
        assert_eq!(
            sim.cached_bytes(),
            cached,
            "{name}: answers were rendered again"
        );
        println!(
            "{name}: {:.2} µs/request ({size} bytes)",
            took.as_secs_f64() * 1e6 / PER_KIND as f64
        );
    }
    println!(
        "{} requests in {:.3} s: {:.2} µs/request; cache {} KiB",
        PER_KIND * kinds.len(),
        total.as_secs_f64(),
        total.as_secs_f64() * 1e6 / (PER_KIND * kinds.len()) as f64,
        sim.cached_bytes() / 1024
    );
    assert_eq!(
        sim.stats().total().requests as usize,
        PER_KIND * kinds.len() + kinds.len() + 1
    );

    // The same calls through the SDK (signing, orchestration, parsing), for scale.
    let ec2 = |region: String| {
        let creds = creds.clone();
        let sim = sim.clone();
        async move { aws_sdk_ec2::Client::new(&common::config(&sim, creds, &region).await) }
    };
    for (name, region, calls) in [
        ("empty", quiet.clone(), 2000u32),
        ("hundreds of instances", busy.clone(), 50),
    ] {
        let client = ec2(region).await;
        let started = Instant::now();
        for _ in 0..calls {
            client
                .describe_instances()
                .max_results(1000)
                .send()
                .await
                .expect("sdk call");
        }
        println!(
            "SDK DescribeInstances, {name}, end to end: {:.1} µs/call",
            started.elapsed().as_secs_f64() * 1e6 / f64::from(calls)
        );
    }
}
