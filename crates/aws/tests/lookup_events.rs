//! cloudtrail:LookupEvents through the real collector, limiter and counters. moto does not
//! implement LookupEvents (docs/emulator.md), so its answers come from the SDK's own mocks
//! (`aws-smithy-mocks`) and, for the timing test, a mock transport.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

use aws_sdk_cloudtrail::operation::lookup_events::LookupEventsOutput;
use aws_sdk_cloudtrail::types::Event;
use aws_smithy_mocks::{MockResponseInterceptor, RuleMode, create_mock_http_client, mock};
use aws_smithy_runtime_api::client::interceptors::SharedInterceptor;
use aws_smithy_types::body::SdkBody;
use orgsweep_aws::{Limits, Session, SessionOptions};

const ACCOUNT: &str = "111111111111";

/// A `CloudTrailEvent` string as LookupEvents returns it, `hours_ago` hours back.
fn record(
    id: &str,
    name: &str,
    identity: serde_json::Value,
    region: &str,
    extra: serde_json::Value,
) -> String {
    let time = time::OffsetDateTime::now_utc() - time::Duration::hours(2);
    let mut record = serde_json::json!({
        "eventVersion": "1.09",
        "userIdentity": identity,
        "eventTime": time.format(&time::format_description::well_known::Rfc3339).expect("time"),
        "eventSource": "iam.amazonaws.com",
        "eventName": name,
        "awsRegion": region,
        "sourceIPAddress": "203.0.113.7",
        "userAgent": "aws-cli/2.15.0",
        "requestParameters": null,
        "responseElements": null,
        "eventID": id,
        "readOnly": false,
        "eventType": "AwsApiCall",
        "recipientAccountId": ACCOUNT,
    });
    if let (Some(target), Some(fields)) = (record.as_object_mut(), extra.as_object()) {
        target.extend(fields.clone());
    }
    record.to_string()
}

fn user(name: &str) -> serde_json::Value {
    serde_json::json!({"type": "IAMUser", "arn": format!("arn:aws:iam::{ACCOUNT}:user/{name}"),
                       "accountId": ACCOUNT, "accessKeyId": "AKIAEXAMPLEKEY000001", "userName": name})
}

fn event(json: String) -> Event {
    Event::builder().cloud_trail_event(json).build()
}

async fn session(options: SessionOptions) -> Session {
    Session::connect(common::offline(ACCOUNT, options), Limits::default())
        .await
        .expect("session")
}

/// A session whose every call is answered by `aws-smithy-mocks` rules.
async fn mocked(interceptor: MockResponseInterceptor) -> Session {
    session(SessionOptions {
        http_client: Some(create_mock_http_client()),
        interceptors: vec![SharedInterceptor::new(interceptor)],
        ..SessionOptions::default()
    })
    .await
}

#[tokio::test]
async fn pages_throttling_and_realistic_events() {
    let root_login = record(
        "e-1",
        "ConsoleLogin",
        serde_json::json!({"type": "Root", "arn": format!("arn:aws:iam::{ACCOUNT}:root"), "accountId": ACCOUNT}),
        "us-east-1",
        serde_json::json!({"eventSource": "signin.amazonaws.com", "additionalEventData": {"MFAUsed": "No"},
                           "responseElements": {"ConsoleLogin": "Success"}}),
    );
    let stop_logging = record(
        "e-2",
        "StopLogging",
        user("mallory"),
        "us-east-1",
        serde_json::json!({"eventSource": "cloudtrail.amazonaws.com", "requestParameters": {"name": "org-trail"}}),
    );
    let create_key = record(
        "e-3",
        "CreateAccessKey",
        user("mallory"),
        "us-east-1",
        serde_json::json!({"requestParameters": {"userName": "admin"}}),
    );
    let run_far = record(
        "e-4",
        "RunInstances",
        user("mallory"),
        "ap-southeast-2",
        serde_json::json!({"eventSource": "ec2.amazonaws.com", "requestParameters": {"instanceType": "p3.16xlarge"}}),
    );

    let rule = mock!(aws_sdk_cloudtrail::Client::lookup_events)
        .sequence()
        .output(move || {
            LookupEventsOutput::builder()
                .events(event(root_login.clone()))
                .events(event(stop_logging.clone()))
                .next_token("page-2")
                .build()
        })
        .http_status(
            400,
            Some(r#"{"__type":"ThrottlingException","message":"Rate exceeded"}"#.to_owned()),
        )
        .output(move || {
            LookupEventsOutput::builder()
                .events(event(create_key.clone()))
                .events(event(run_far.clone()))
                .events(Event::builder().event_id("no-json").build())
                .build()
        })
        .build();
    let interceptor = MockResponseInterceptor::new()
        .rule_mode(RuleMode::MatchAny)
        .with_rule(&rule);
    let session = mocked(interceptor).await;
    let events = session
        .own(ACCOUNT)
        .trail_events("us-east-1", 7)
        .await
        .expect("events after a throttled page")
        .events;
    let names: Vec<&str> = events.iter().map(|e| e.event_name.as_str()).collect();
    assert_eq!(names.len(), 4, "{names:?}");
    for name in [
        "ConsoleLogin",
        "StopLogging",
        "CreateAccessKey",
        "RunInstances",
    ] {
        assert!(names.contains(&name), "{names:?}");
    }
    let login = events
        .iter()
        .find(|e| e.event_name == "ConsoleLogin")
        .expect("login");
    assert_eq!(
        (login.principal_type.as_deref(), login.mfa_used),
        (Some("Root"), Some(false))
    );
    let key = events
        .iter()
        .find(|e| e.event_name == "CreateAccessKey")
        .expect("key");
    assert_eq!(key.resources, ["admin"]);
    assert_eq!(key.access_key_id.as_deref(), Some("AKIAEXAMPLEKEY000001"));
    assert_eq!(rule.num_calls(), 3);

    let stats = session.counters().snapshot();
    assert_eq!(stats.throttled, 1, "{stats:?}");
    assert_eq!(stats.retries, 1, "{stats:?}");
    assert_eq!(
        stats.api_calls.get("cloudtrail.LookupEvents"),
        Some(&2),
        "{stats:?}"
    );
}

#[tokio::test]
async fn an_empty_window_is_an_empty_list() {
    let rule = mock!(aws_sdk_cloudtrail::Client::lookup_events)
        .then_output(|| LookupEventsOutput::builder().build());
    let interceptor = MockResponseInterceptor::new().with_rule(&rule);
    let session = mocked(interceptor).await;
    let events = session
        .own(ACCOUNT)
        .trail_events("eu-west-1", 7)
        .await
        .expect("events");
    assert!(events.events.is_empty());
    assert_eq!(events.unparsed, 0);
}

/// AWS allows 2 LookupEvents calls per second per account and region. Every request the
/// transport sees is time-stamped; no one-second window may hold more than two of one
/// account-region, while another account's calls are not held back by the first one's.
/// On tokio's paused clock, so the machine's load cannot make it flake.
#[tokio::test(start_paused = true)]
async fn lookup_events_never_exceed_two_per_second_per_account_region() {
    const PAGES: usize = 6;
    let seen: Arc<Mutex<Vec<(String, Instant)>>> = Arc::default();
    let log = seen.clone();
    let transport = aws_smithy_http_client::test_util::infallible_client_fn(move |request| {
        let auth = request
            .headers()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let body = std::str::from_utf8(request.body().bytes().unwrap_or_default())
            .unwrap_or_default()
            .to_owned();
        let page: usize = body
            .split("\"NextToken\":\"p")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        if let Ok(mut log) = log.lock() {
            log.push((auth, Instant::now()));
        }
        let next = if page + 1 < PAGES {
            format!(",\"NextToken\":\"p{}\"", page + 1)
        } else {
            String::new()
        };
        http::Response::builder()
            .status(200)
            .header("content-type", "application/x-amz-json-1.1")
            .body(SdkBody::from(format!("{{\"Events\":[]{next}}}")))
            .expect("response")
    });
    let session = session(SessionOptions {
        http_client: Some(transport),
        ..SessionOptions::default()
    })
    .await;
    let started = Instant::now();
    let (a, b) = tokio::join!(
        async { session.own(ACCOUNT).trail_events("us-east-1", 7).await },
        async { session.own(ACCOUNT).trail_events("eu-west-1", 7).await },
    );
    a.expect("us-east-1");
    b.expect("eu-west-1");
    let seen = seen.lock().expect("log").clone();
    assert_eq!(seen.len(), 2 * PAGES);
    // The signature's scope names the region: group the requests by it.
    for region in ["us-east-1", "eu-west-1"] {
        let times: Vec<Instant> = seen
            .iter()
            .filter(|(auth, _)| auth.contains(region))
            .map(|(_, t)| *t)
            .collect();
        assert_eq!(times.len(), PAGES, "{region}");
        for (i, t) in times.iter().enumerate() {
            let in_window = times[i..]
                .iter()
                .filter(|u| u.duration_since(*t) < Duration::from_secs(1))
                .count();
            assert!(
                in_window <= 2,
                "{region}: {in_window} calls within one second"
            );
        }
    }
    // Two regions ran side by side: 2.5 seconds of limiter time for six pages each, not
    // five.
    assert!(
        started.elapsed() < Duration::from_millis(3000),
        "{:?}",
        started.elapsed()
    );
}

/// The two event sources give the same events for the same records: LookupEvents'
/// `CloudTrailEvent` strings and a delivered log file's `Records`.
#[tokio::test]
async fn both_sources_yield_the_same_events() {
    use std::io::Write as _;

    let records = [
        record(
            "s-1",
            "CreateUser",
            user("mallory"),
            "us-east-1",
            serde_json::json!({"requestParameters": {"userName": "backdoor"}}),
        ),
        record(
            "s-2",
            "PutBucketPolicy",
            user("mallory"),
            "us-east-1",
            serde_json::json!({"eventSource": "s3.amazonaws.com", "requestParameters": {"bucketName": "data"}}),
        ),
    ];
    let for_mock = records.clone();
    let rule = mock!(aws_sdk_cloudtrail::Client::lookup_events).then_output(move || {
        for_mock
            .iter()
            .fold(LookupEventsOutput::builder(), |b, r| {
                b.events(event(r.clone()))
            })
            .build()
    });
    let session = mocked(MockResponseInterceptor::new().with_rule(&rule)).await;
    let looked_up = session
        .own(ACCOUNT)
        .trail_events("us-east-1", 7)
        .await
        .expect("lookup");

    let parsed: Vec<serde_json::Value> = records
        .iter()
        .map(|r| serde_json::from_str(r).expect("json"))
        .collect();
    let file = serde_json::json!({ "Records": parsed }).to_string();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(file.as_bytes()).expect("gzip");
    let delivered = orgsweep_aws::parse_log_file(&gz.finish().expect("gzip")).expect("log file");

    assert_eq!(looked_up.events.len(), 2);
    let mut delivered = delivered.events;
    delivered.sort_by(|a, b| (a.event_time, &a.event_id).cmp(&(b.event_time, &b.event_id)));
    assert_eq!(looked_up.events, delivered);
}

/// A record that does not parse is counted (and its problem kept for coverage), never
/// silently dropped; the records around it still count.
#[tokio::test]
async fn unparsable_records_are_counted_not_dropped() {
    let good = record(
        "e-ok",
        "CreateUser",
        user("mallory"),
        "us-east-1",
        serde_json::json!({}),
    );
    let rule = mock!(aws_sdk_cloudtrail::Client::lookup_events).then_output(move || {
        LookupEventsOutput::builder()
            .events(event(good.clone()))
            .events(event("{not json".to_owned()))
            .events(event(
                serde_json::json!({"eventName": "NoTime", "eventID": "x"}).to_string(),
            ))
            .events(Event::builder().build())
            .build()
    });
    let session = mocked(MockResponseInterceptor::new().with_rule(&rule)).await;
    let read = session
        .own(ACCOUNT)
        .trail_events("us-east-1", 7)
        .await
        .expect("lookup");
    assert_eq!(read.events.len(), 1);
    assert_eq!(read.unparsed, 3);
    assert!(
        read.first_problem
            .as_deref()
            .is_some_and(|p| p.contains("not JSON")),
        "{:?}",
        read.first_problem
    );
}
