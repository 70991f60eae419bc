//! Property tests for the answers of the organization-wide reads: Cost Explorer's
//! GetCostAndUsage pages and AWS Health's organizational view. moto implements neither well
//! enough (docs/emulator.md), so the answers come from `aws-smithy-mocks` rules, in two kinds:
//! typed pages generated with hostile keys, amounts, ARNs and texts (what the collector
//! reads is checked against a model of it), and raw bodies (generated JSON or CBOR shaped
//! like a page or not, truncated or not, or any bytes) through the SDK's own deserializers.
//!
//! Properties: no panic, no hang (every case runs under a deadline), an error names the
//! operation, and what is read is exactly what the pages say: every finite amount summed per
//! account, month and service or region; every risk or abuse event given to each of its
//! affected accounts once, with AWS's text for that account or why it is missing.

mod common;
mod generate;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use aws_sdk_costexplorer::operation::get_cost_and_usage::GetCostAndUsageOutput;
use aws_sdk_costexplorer::types::{DateInterval, Group, MetricValue, ResultByTime};
use aws_sdk_health::operation::describe_affected_accounts_for_organization::DescribeAffectedAccountsForOrganizationOutput;
use aws_sdk_health::operation::describe_event_details_for_organization::DescribeEventDetailsForOrganizationOutput;
use aws_sdk_health::operation::describe_events_for_organization::DescribeEventsForOrganizationOutput;
use aws_sdk_health::operation::describe_health_service_status_for_organization::DescribeHealthServiceStatusForOrganizationOutput;
use aws_sdk_health::types::{
    Event, EventDescription, EventStatusCode, OrganizationEvent, OrganizationEventDetails,
    OrganizationEventDetailsErrorItem,
};
use aws_smithy_mocks::{MockResponseInterceptor, Rule, RuleMode, create_mock_http_client, mock};
use aws_smithy_runtime_api::client::interceptors::SharedInterceptor;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::DateTime;
use aws_smithy_types::body::SdkBody;
use orgsweep_aws::{Limits, Session, SessionOptions};
use orgsweep_model::facts::{Facts, HealthEvent, Source};
use proptest::prelude::*;
use proptest::sample::select;
use serde_json::{Value, json};
use time::OffsetDateTime;

use generate::{config, hostile, json_value, within};

/// The caller: the management account, which reads for the whole organization.
const CALLER: &str = "111111111111";

/// Account ids as the pages name them; the last two are not ids at all.
const ACCOUNTS: &[&str] = &[
    CALLER,
    "222222222222",
    "333333333333",
    "<script>alert(1)</script>",
    "",
];

/// An account no page names.
const UNNAMED: &str = "999999999999";

/// What one case read: per account, its facts and the error in words.
struct Read {
    accounts: Vec<(String, Facts, Result<(), String>)>,
    calls: BTreeMap<String, u64>,
}

/// Collects `source` for every account in [`ACCOUNTS`] and [`UNNAMED`] through a session
/// whose calls `rules` answer, on its own runtime and under the deadline of `within`.
fn read(what: &'static str, rules: Vec<Rule>, source: Source) -> Read {
    within(what, move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(async move {
            let mut interceptor = MockResponseInterceptor::new().rule_mode(RuleMode::MatchAny);
            for rule in &rules {
                interceptor = interceptor.with_rule(rule);
            }
            let options = common::offline(
                CALLER,
                SessionOptions {
                    http_client: Some(create_mock_http_client()),
                    interceptors: vec![SharedInterceptor::new(interceptor)],
                    ..SessionOptions::default()
                },
            );
            // The limiters are not under test here: no case should wait for a token.
            let limits = Limits::new(|_| (1_000_000, 1_000_000));
            let session = Session::connect(options, limits).await.expect("session");
            let mut accounts = Vec::new();
            for account in ACCOUNTS.iter().copied().chain([UNNAMED]) {
                let mut facts = Facts::default();
                let result = session
                    .own(account)
                    .collect(source, "global", &mut facts)
                    .await
                    .map_err(|e| e.to_string());
                accounts.push((account.to_owned(), facts, result));
            }
            Read {
                accounts,
                calls: session.counters().snapshot().api_calls,
            }
        })
    })
}

/// A response of `status` with `body`, labelled as `content_type` (and, for CBOR, the
/// Smithy RPC v2 header the SDK expects).
fn raw(status: u16, content_type: &'static str, body: Vec<u8>) -> HttpResponse {
    let mut response = HttpResponse::new(
        StatusCode::try_from(status).expect("status"),
        SdkBody::from(body),
    );
    response.headers_mut().insert("content-type", content_type);
    if content_type == "application/cbor" {
        response
            .headers_mut()
            .insert("smithy-protocol", "rpc-v2-cbor");
    }
    response
}

/// A body cut at `cut` per mille of its length (1000: whole), as a dropped connection would.
fn truncated(mut body: Vec<u8>, cut: u16) -> Vec<u8> {
    let keep = body.len() * usize::from(cut.min(1000)) / 1000;
    body.truncate(keep);
    body
}

// ---------------------------------------------------------------------------------------
// Cost Explorer
// ---------------------------------------------------------------------------------------

/// What the collector reads: per account, per month (previous, current), per grouping
/// (SERVICE, REGION), the sum per key.
type Spend = BTreeMap<String, [[BTreeMap<String, f64>; 2]; 2]>;

/// One group of a page: its keys (normally the account and the service or region) and its
/// UnblendedCost amount, if it has one.
#[derive(Debug, Clone)]
struct CostGroup {
    keys: Vec<String>,
    metric: Option<(&'static str, Option<String>)>,
}

/// Amounts as text: decimals (credits are negative), padded numbers, and what is not a
/// finite number.
fn amount() -> BoxedStrategy<String> {
    prop_oneof![
        4 => (-100_000i64..10_000_000).prop_map(|c| {
            let sign = if c < 0 { "-" } else { "" };
            format!("{sign}{}.{:02}", c.abs() / 100, c.abs() % 100)
        }),
        1 => (0u32..1000).prop_map(|n| format!(" {n}\n")),
        1 => select(&["NaN", "inf", "-inf", "1e400", "", "0x10", "1,5", "€3", "12 USD", "1e-400"][..])
            .prop_map(str::to_owned),
        1 => "[0-9]{1,3}e[0-9]{1,3}",
        1 => hostile(),
    ]
    .boxed()
}

fn cost_group() -> impl Strategy<Value = CostGroup> {
    let keys = prop_oneof![
        8 => (
            select(ACCOUNTS),
            prop_oneof![
                select(&["Amazon Elastic Compute Cloud - Compute", "Tax", "us-east-1", "global", "NoRegion"][..])
                    .prop_map(str::to_owned),
                hostile(),
            ],
        )
            .prop_map(|(account, key)| vec![account.to_owned(), key]),
        1 => prop::collection::vec(hostile(), 0..4),
    ];
    let metric = prop_oneof![
        8 => amount().prop_map(|a| Some(("UnblendedCost", Some(a)))),
        1 => amount().prop_map(|a| Some(("BlendedCost", Some(a)))),
        1 => Just(Some(("UnblendedCost", None))),
        1 => Just(None),
    ];
    (keys, metric).prop_map(|(keys, metric)| CostGroup { keys, metric })
}

/// The pages of each of the four requests (previous month by SERVICE, by REGION, current
/// month by SERVICE, by REGION), and whether the last page ends with an empty token rather
/// than none.
fn cost_pages() -> impl Strategy<Value = ([Vec<Vec<CostGroup>>; 4], bool)> {
    let pages = || prop::collection::vec(prop::collection::vec(cost_group(), 0..6), 1..4);
    ((pages(), pages(), pages(), pages()), any::<bool>())
        .prop_map(|((a, b, c, d), empty_token)| ([a, b, c, d], empty_token))
}

fn cost_page(groups: &[CostGroup], next: Option<String>) -> GetCostAndUsageOutput {
    let groups = groups
        .iter()
        .map(|g| {
            let mut group = Group::builder().set_keys(Some(g.keys.clone()));
            if let Some((name, amount)) = &g.metric {
                group = group.metrics(
                    *name,
                    MetricValue::builder()
                        .set_amount(amount.clone())
                        .unit("USD")
                        .build(),
                );
            }
            group.build()
        })
        .collect();
    GetCostAndUsageOutput::builder()
        .results_by_time(
            ResultByTime::builder()
                .time_period(
                    DateInterval::builder()
                        .start("2026-01-01")
                        .end("2026-02-01")
                        .build()
                        .expect("dates"),
                )
                .set_groups(Some(groups))
                .build(),
        )
        .set_next_page_token(next)
        .build()
}

/// The first day of this month, which only the current month's requests start on.
fn this_month() -> String {
    let today = OffsetDateTime::now_utc().date();
    format!("{:04}-{:02}-01", today.year(), u8::from(today.month()))
}

/// The current month is read only once it has a whole day.
fn current_month_is_read() -> bool {
    OffsetDateTime::now_utc().date().day() > 1
}

/// The model: every finite amount of a two-key group, summed in page order.
fn expected_spend(pages: &[Vec<Vec<CostGroup>>; 4]) -> Spend {
    let mut spend = Spend::new();
    for (request, request_pages) in pages.iter().enumerate() {
        let current = request >= 2;
        if current && !current_month_is_read() {
            continue;
        }
        for group in request_pages.iter().flatten() {
            let [account, key] = group.keys.as_slice() else {
                continue;
            };
            let Some(("UnblendedCost", Some(text))) = &group.metric else {
                continue;
            };
            let Some(amount) = text.trim().parse::<f64>().ok().filter(|a| a.is_finite()) else {
                continue;
            };
            let months = spend.entry(account.clone()).or_default();
            *months[usize::from(current)][request % 2]
                .entry(key.clone())
                .or_insert(0.0) += amount;
        }
    }
    spend
}

/// Answers each request with its page, found by month, grouping and page token.
fn cost_rule(pages: [Vec<Vec<CostGroup>>; 4], empty_token: bool) -> Rule {
    let pages = Arc::new(pages);
    let current_start = this_month();
    mock!(aws_sdk_costexplorer::Client::get_cost_and_usage).then_compute_output(move |r| {
        let by_region = r.group_by().get(1).and_then(|g| g.key()) == Some("REGION");
        let current = r.time_period().map(DateInterval::start) == Some(current_start.as_str());
        let request = usize::from(current) * 2 + usize::from(by_region);
        let index = r
            .next_page_token()
            .and_then(|t| t.split(':').next())
            .and_then(|i| i.parse::<usize>().ok())
            .unwrap_or(0);
        let request_pages = &pages[request];
        let next = if index + 1 < request_pages.len() {
            // Tokens are opaque to the client: make them as odd as AWS may.
            Some(format!("{}:{}", index + 1, "=/+\u{202E}"))
        } else if empty_token {
            Some(String::new())
        } else {
            None
        };
        cost_page(&request_pages[index.min(request_pages.len() - 1)], next)
    })
}

proptest! {
    #![proptest_config(config(300))]

    /// Every account gets exactly its own finite amounts, summed over pages; an account
    /// no page names gets the periods without charges; one request per page, once per scan.
    #[test]
    fn charges_are_summed_per_account_month_and_key((pages, empty_token) in cost_pages()) {
        let expected = expected_spend(&pages);
        let requests: usize = pages
            .iter()
            .enumerate()
            .filter(|(i, _)| *i < 2 || current_month_is_read())
            .map(|(_, p)| p.len())
            .sum();
        let read = read(
            "reading generated Cost Explorer pages",
            vec![cost_rule(pages, empty_token)],
            Source::CostAndUsage,
        );
        let periods = |facts: &Facts| {
            let spend = facts.account_spend.as_ref().expect("spend");
            [
                (spend.previous_month.start.clone(), spend.previous_month.days),
                (spend.current_month.start.clone(), spend.current_month.days),
            ]
        };
        let (_, unnamed, _) = read.accounts.last().expect("unnamed account");
        for (account, facts, result) in &read.accounts {
            prop_assert!(result.is_ok(), "{account}: {result:?}");
            let spend = facts.account_spend.as_ref().expect("spend");
            let months = expected.get(account).cloned().unwrap_or_default();
            for (month, got) in [&spend.previous_month, &spend.current_month].into_iter().enumerate() {
                prop_assert_eq!(&got.services, &months[month][0], "{} month {} services", account, month);
                prop_assert_eq!(&got.regions, &months[month][1], "{} month {} regions", account, month);
            }
            prop_assert_eq!(periods(facts), periods(unnamed));
        }
        prop_assert_eq!(
            read.calls.get("costexplorer.GetCostAndUsage").copied(),
            Some(requests as u64)
        );
    }
}

/// A GetCostAndUsage page as JSON, with generated values where AWS puts strings.
fn cost_json() -> BoxedStrategy<Value> {
    let loose = || prop_oneof![hostile().prop_map(Value::String), json_value(2)];
    let group = (prop::collection::vec(loose(), 0..3), loose(), loose()).prop_map(
        |(keys, amount, unit)| json!({"Keys": keys, "Metrics": {"UnblendedCost": {"Amount": amount, "Unit": unit}}}),
    );
    (
        prop::collection::vec(group, 0..4),
        loose(),
        prop_oneof![Just(Value::Null), loose()],
    )
        .prop_map(|(groups, start, token)| {
            json!({
                "GroupDefinitions": [{"Type": "DIMENSION", "Key": "LINKED_ACCOUNT"}],
                "ResultsByTime": [{"TimePeriod": {"Start": start, "End": "2026-02-01"},
                                   "Total": {}, "Groups": groups, "Estimated": false}],
                "NextPageToken": token,
            })
        })
        .boxed()
}

/// A body: page-shaped JSON, any JSON, or any bytes; whole or cut.
fn body(shaped: BoxedStrategy<Vec<u8>>) -> impl Strategy<Value = Vec<u8>> {
    (
        prop_oneof![
            4 => shaped,
            2 => json_value(4).prop_map(|v| v.to_string().into_bytes()),
            1 => prop::collection::vec(any::<u8>(), 0..300),
        ],
        prop_oneof![3 => Just(1000u16), 1 => 0u16..1000],
    )
        .prop_map(|(body, cut)| truncated(body, cut))
}

proptest! {
    #![proptest_config(config(500))]

    /// Whatever Cost Explorer's endpoint answers, the read ends, and a failure names the
    /// operation; what is read holds only finite amounts.
    #[test]
    fn any_cost_explorer_body_is_read_or_named(
        status in select(&[200u16, 400][..]),
        body in body(cost_json().prop_map(|v| v.to_string().into_bytes()).boxed()),
    ) {
        let rule = mock!(aws_sdk_costexplorer::Client::get_cost_and_usage)
            .then_http_response(move || raw(status, "application/x-amz-json-1.1", body.clone()));
        let read = read("reading a generated Cost Explorer body", vec![rule], Source::CostAndUsage);
        for (account, facts, result) in &read.accounts {
            match result {
                Err(err) => prop_assert!(err.contains("ce:GetCostAndUsage"), "{account}: {err}"),
                Ok(()) => {
                    let spend = facts.account_spend.as_ref().expect("spend");
                    for month in [&spend.previous_month, &spend.current_month] {
                        prop_assert!(month.services.values().chain(month.regions.values()).all(|a| a.is_finite()));
                    }
                }
            }
        }
    }
}

/// A well-formed JSON page reaches the collector through the raw path, so the property
/// above tests parsing, not only refusals.
#[test]
fn a_raw_cost_explorer_page_is_read() {
    let page = json!({"ResultsByTime": [{"TimePeriod": {"Start": "2026-01-01", "End": "2026-02-01"},
        "Groups": [{"Keys": ["222222222222", "Tax"], "Metrics": {"UnblendedCost": {"Amount": "2.5", "Unit": "USD"}}}]}]});
    let rule =
        mock!(aws_sdk_costexplorer::Client::get_cost_and_usage).then_http_response(move || {
            raw(
                200,
                "application/x-amz-json-1.1",
                page.to_string().into_bytes(),
            )
        });
    let read = read(
        "reading a Cost Explorer page",
        vec![rule],
        Source::CostAndUsage,
    );
    let (_, facts, result) = &read.accounts[1];
    result.as_ref().expect("read");
    let spend = facts.account_spend.as_ref().expect("spend");
    assert_eq!(spend.previous_month.services.get("Tax"), Some(&2.5));
}

#[test]
fn a_page_token_returned_twice_ends_the_read_with_an_error() {
    let rule = mock!(aws_sdk_costexplorer::Client::get_cost_and_usage).then_output(|| {
        GetCostAndUsageOutput::builder()
            .next_page_token("again")
            .build()
    });
    let read = read(
        "reading a looping Cost Explorer",
        vec![rule],
        Source::CostAndUsage,
    );
    for (account, _, result) in &read.accounts {
        let err = result.as_ref().expect_err("a loop is an error");
        assert!(
            err.contains("ce:GetCostAndUsage") && err.contains("page token"),
            "{account}: {err}"
        );
    }
    assert_eq!(read.calls.get("costexplorer.GetCostAndUsage"), Some(&2));
}

// ---------------------------------------------------------------------------------------
// AWS Health
// ---------------------------------------------------------------------------------------

/// What AWS Health says of one (event, account) pair when asked for its text.
#[derive(Debug, Clone)]
enum Detail {
    Text(String),
    Failed(String, String),
    Missing,
}

#[derive(Debug, Clone)]
struct HealthGen {
    /// `None`: an event without an ARN (skipped whole). Unique when present.
    arn: Option<String>,
    code: Option<String>,
    service: Option<String>,
    region: Option<String>,
    start: Option<i64>,
    status: Option<String>,
    /// Affected accounts in page order (repeats allowed) with what AWS says of each.
    affected: Vec<(String, Detail)>,
    /// How many of them the first page of DescribeAffectedAccountsForOrganization holds.
    first_page: usize,
}

fn detail() -> impl Strategy<Value = Detail> {
    prop_oneof![
        4 => hostile().prop_map(Detail::Text),
        1 => (hostile(), hostile()).prop_map(|(n, m)| Detail::Failed(n, m)),
        1 => Just(Detail::Missing),
    ]
}

fn health_event() -> impl Strategy<Value = HealthGen> {
    let code = prop_oneof![
        select(
            &[
                "AWS_RISK_CREDENTIALS_EXPOSED",
                "AWS_RISK_IAM_QUARANTINE",
                "AWS_ABUSE_DOS_REPORT",
                "AWS_ABUSE_PII_CONTENT_REMOVAL_REPORT",
                "AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED",
                "aws_risk_lowercase",
                "AWS_RISK",
            ][..]
        )
        .prop_map(str::to_owned),
        hostile().prop_map(|h| format!("AWS_RISK_{h}")),
        hostile(),
    ];
    (
        prop::option::weighted(0.95, hostile()),
        prop::option::weighted(0.95, code),
        prop::option::of(hostile()),
        prop::option::of(prop_oneof![
            select(&["us-east-1", "global", ""][..]).prop_map(str::to_owned),
            hostile()
        ]),
        prop::option::of(0i64..4_000_000_000),
        prop::option::of(prop_oneof![
            select(&["open", "closed", "upcoming"][..]).prop_map(str::to_owned),
            hostile()
        ]),
        prop::collection::vec((select(ACCOUNTS).prop_map(str::to_owned), detail()), 0..6),
        0usize..6,
    )
        .prop_map(
            |(arn, code, service, region, start, status, affected, first_page)| HealthGen {
                arn,
                code,
                service,
                region,
                start,
                status,
                first_page: first_page.min(affected.len()),
                affected,
            },
        )
}

/// Events with unique ARNs, and how many go on each page of DescribeEventsForOrganization.
fn health_events() -> impl Strategy<Value = (Vec<HealthGen>, usize)> {
    (prop::collection::vec(health_event(), 0..8), 1usize..5).prop_map(|(mut events, per_page)| {
        for (i, e) in events.iter_mut().enumerate() {
            if let Some(arn) = &mut e.arn {
                *arn = format!("arn:aws:health:{i}::event/{arn}");
            }
        }
        (events, per_page)
    })
}

fn kept(e: &HealthGen) -> bool {
    e.arn.is_some()
        && e.code
            .as_deref()
            .is_some_and(|c| c.starts_with("AWS_RISK_") || c.starts_with("AWS_ABUSE_"))
}

/// The model: per account, each kept event once (its first mention), with AWS's text for
/// that account, sorted by ARN.
fn expected_health(events: &[HealthGen]) -> BTreeMap<String, Vec<HealthEvent>> {
    let mut by_account: BTreeMap<String, Vec<HealthEvent>> = BTreeMap::new();
    for e in events.iter().filter(|e| kept(e)) {
        let arn = e.arn.clone().unwrap_or_default();
        for (account, detail) in &e.affected {
            let list = by_account.entry(account.clone()).or_default();
            if list.iter().any(|h| h.arn == arn) {
                continue;
            }
            list.push(HealthEvent {
                arn: arn.clone(),
                event_type_code: e.code.clone().unwrap_or_default(),
                service: e.service.clone().unwrap_or_default(),
                region: e
                    .region
                    .clone()
                    .filter(|r| !r.is_empty())
                    .unwrap_or_else(|| "global".to_owned()),
                start_time: e
                    .start
                    .map(|s| OffsetDateTime::from_unix_timestamp(s).expect("time")),
                status: e.status.clone().unwrap_or_default(),
                description: match detail {
                    Detail::Text(text) => text.clone(),
                    Detail::Failed(name, message) => {
                        format!("(AWS Health did not return the event's text: {name}: {message})")
                    }
                    Detail::Missing => String::new(),
                },
            });
        }
    }
    for list in by_account.values_mut() {
        list.sort_by(|a, b| a.arn.cmp(&b.arn));
    }
    by_account
}

fn enabled() -> Rule {
    mock!(aws_sdk_health::Client::describe_health_service_status_for_organization).then_output(
        || {
            DescribeHealthServiceStatusForOrganizationOutput::builder()
                .health_service_access_status_for_organization("ENABLED")
                .build()
        },
    )
}

/// The rules that answer the organizational view from `events`; the last counts the most
/// (event, account) pairs asked for in one DescribeEventDetailsForOrganization.
fn health_rules(events: Vec<HealthGen>, per_page: usize, widest: Arc<AtomicUsize>) -> Vec<Rule> {
    let events = Arc::new(events);
    let listed = events.clone();
    let list = mock!(aws_sdk_health::Client::describe_events_for_organization).then_compute_output(
        move |r| {
            let page = r
                .next_token()
                .and_then(|t| t.parse::<usize>().ok())
                .unwrap_or(0);
            let chunks: Vec<&[HealthGen]> = listed.chunks(per_page).collect();
            let mut out = DescribeEventsForOrganizationOutput::builder();
            for e in chunks.get(page).copied().unwrap_or_default() {
                out = out.events(
                    OrganizationEvent::builder()
                        .set_arn(e.arn.clone())
                        .set_event_type_code(e.code.clone())
                        .set_service(e.service.clone())
                        .set_region(e.region.clone())
                        .set_start_time(e.start.map(DateTime::from_secs))
                        .set_status_code(e.status.as_deref().map(EventStatusCode::from))
                        .build(),
                );
            }
            if page + 1 < chunks.len() {
                out = out.next_token((page + 1).to_string());
            }
            out.build()
        },
    );
    let affected_events = events.clone();
    let affected = mock!(aws_sdk_health::Client::describe_affected_accounts_for_organization)
        .then_compute_output(move |r| {
            let Some(e) = affected_events
                .iter()
                .find(|e| e.arn.as_deref() == r.event_arn())
            else {
                return DescribeAffectedAccountsForOrganizationOutput::builder().build();
            };
            let accounts: Vec<String> = e.affected.iter().map(|(a, _)| a.clone()).collect();
            let (first, second) = accounts.split_at(e.first_page);
            let mut out = DescribeAffectedAccountsForOrganizationOutput::builder();
            if r.next_token().is_some() {
                out = out.set_affected_accounts(Some(second.to_vec()));
            } else {
                out = out.set_affected_accounts(Some(first.to_vec()));
                if !second.is_empty() {
                    out = out.next_token("second");
                }
            }
            out.build()
        });
    let details = mock!(aws_sdk_health::Client::describe_event_details_for_organization)
        .then_compute_output(move |r| {
            let filters = r.organization_event_detail_filters();
            widest.fetch_max(filters.len(), Ordering::SeqCst);
            let mut out = DescribeEventDetailsForOrganizationOutput::builder();
            for f in filters {
                let account = f.aws_account_id().unwrap_or_default();
                let Some(detail) = events
                    .iter()
                    .find(|e| e.arn.as_deref() == Some(f.event_arn()))
                    .and_then(|e| e.affected.iter().find(|(a, _)| a == account))
                    .map(|(_, d)| d)
                else {
                    continue;
                };
                match detail {
                    Detail::Text(text) => {
                        out = out.successful_set(
                            OrganizationEventDetails::builder()
                                .aws_account_id(account)
                                .event(Event::builder().arn(f.event_arn()).build())
                                .event_description(
                                    EventDescription::builder().latest_description(text).build(),
                                )
                                .build(),
                        );
                    }
                    Detail::Failed(name, message) => {
                        out = out.failed_set(
                            OrganizationEventDetailsErrorItem::builder()
                                .aws_account_id(account)
                                .event_arn(f.event_arn())
                                .error_name(name)
                                .error_message(message)
                                .build(),
                        );
                    }
                    Detail::Missing => {}
                }
            }
            out.build()
        });
    vec![enabled(), list, affected, details]
}

proptest! {
    #![proptest_config(config(300))]

    /// Each affected account gets each of its risk and abuse events once, with its own text
    /// (or why it is missing); other codes and events without an ARN are left out; texts
    /// are asked for at most 10 pairs at a time.
    #[test]
    fn risk_and_abuse_events_reach_each_affected_account_once((events, per_page) in health_events()) {
        let expected = expected_health(&events);
        let affected_calls: usize = events
            .iter()
            .filter(|e| kept(e))
            .map(|e| if e.first_page < e.affected.len() { 2 } else { 1 })
            .sum();
        let widest = Arc::new(AtomicUsize::new(0));
        let read = read(
            "reading generated Health events",
            health_rules(events, per_page, widest.clone()),
            Source::HealthEvents,
        );
        for (account, facts, result) in &read.accounts {
            prop_assert!(result.is_ok(), "{account}: {result:?}");
            let got = facts.health_events.clone().expect("events");
            prop_assert_eq!(&got, &expected.get(account).cloned().unwrap_or_default(), "{}", account);
        }
        prop_assert!(widest.load(Ordering::SeqCst) <= 10);
        prop_assert_eq!(
            read.calls.get("health.DescribeAffectedAccountsForOrganization").copied().unwrap_or(0),
            affected_calls as u64
        );
    }
}

/// A CBOR data item, enough of RFC 8949 for what Smithy RPC v2 CBOR sends.
#[derive(Debug, Clone)]
enum Cbor {
    Int(i64),
    Float(f64),
    Text(String),
    Bytes(Vec<u8>),
    Array(Vec<Cbor>),
    Map(Vec<(String, Cbor)>),
    Bool(bool),
    Null,
    /// Tag 1: epoch-based date/time, how timestamps travel.
    Time(Box<Cbor>),
}

impl Cbor {
    fn head(out: &mut Vec<u8>, major: u8, n: u64) {
        let major = major << 5;
        match n {
            0..=23 => out.push(major | n as u8),
            24..=0xff => out.extend([major | 24, n as u8]),
            0x100..=0xffff => {
                out.push(major | 25);
                out.extend((n as u16).to_be_bytes());
            }
            0x1_0000..=0xffff_ffff => {
                out.push(major | 26);
                out.extend((n as u32).to_be_bytes());
            }
            _ => {
                out.push(major | 27);
                out.extend(n.to_be_bytes());
            }
        }
    }

    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            Cbor::Int(n) if *n >= 0 => Self::head(out, 0, n.unsigned_abs()),
            Cbor::Int(n) => Self::head(out, 1, n.unsigned_abs() - 1),
            Cbor::Float(f) => {
                out.push(0xfb);
                out.extend(f.to_be_bytes());
            }
            Cbor::Text(s) => {
                Self::head(out, 3, s.len() as u64);
                out.extend(s.as_bytes());
            }
            Cbor::Bytes(b) => {
                Self::head(out, 2, b.len() as u64);
                out.extend(b);
            }
            Cbor::Array(items) => {
                Self::head(out, 4, items.len() as u64);
                for item in items {
                    item.encode(out);
                }
            }
            Cbor::Map(pairs) => {
                Self::head(out, 5, pairs.len() as u64);
                for (key, value) in pairs {
                    Cbor::Text(key.clone()).encode(out);
                    value.encode(out);
                }
            }
            Cbor::Bool(b) => out.push(if *b { 0xf5 } else { 0xf4 }),
            Cbor::Null => out.push(0xf6),
            Cbor::Time(inner) => {
                Self::head(out, 6, 1);
                inner.encode(out);
            }
        }
    }

    fn bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode(&mut out);
        out
    }
}

/// Any CBOR item, with hostile strings.
fn cbor_value(depth: u32) -> BoxedStrategy<Cbor> {
    let leaf = prop_oneof![
        any::<i64>().prop_map(Cbor::Int),
        any::<f64>().prop_map(Cbor::Float),
        hostile().prop_map(Cbor::Text),
        prop::collection::vec(any::<u8>(), 0..16).prop_map(Cbor::Bytes),
        any::<bool>().prop_map(Cbor::Bool),
        Just(Cbor::Null),
        any::<f64>().prop_map(|f| Cbor::Time(Box::new(Cbor::Float(f)))),
    ];
    leaf.prop_recursive(depth, 32, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Cbor::Array),
            prop::collection::vec((hostile(), inner), 0..5).prop_map(Cbor::Map),
        ]
    })
    .boxed()
}

/// A DescribeEventsForOrganization page in CBOR, with generated values where AWS puts
/// strings and times.
fn health_cbor() -> BoxedStrategy<Cbor> {
    let text = || prop_oneof![3 => hostile().prop_map(Cbor::Text), 1 => cbor_value(1)];
    let event = (
        text(),
        prop_oneof![
            select(&["AWS_RISK_CREDENTIALS_EXPOSED", "AWS_ABUSE_DOS_REPORT"][..])
                .prop_map(|c| Cbor::Text(c.to_owned())),
            text()
        ],
        text(),
        prop_oneof![
            any::<i64>().prop_map(|s| Cbor::Time(Box::new(Cbor::Int(s)))),
            any::<f64>().prop_map(|f| Cbor::Time(Box::new(Cbor::Float(f)))),
            text()
        ],
        text(),
    )
        .prop_map(|(arn, code, region, start, status)| {
            Cbor::Map(vec![
                ("arn".to_owned(), arn),
                ("eventTypeCode".to_owned(), code),
                ("region".to_owned(), region),
                ("startTime".to_owned(), start),
                ("statusCode".to_owned(), status),
            ])
        });
    (prop::collection::vec(event, 0..4), prop::option::of(text()))
        .prop_map(|(events, token)| {
            let mut page = vec![("events".to_owned(), Cbor::Array(events))];
            if let Some(token) = token {
                page.push(("nextToken".to_owned(), token));
            }
            Cbor::Map(page)
        })
        .boxed()
}

proptest! {
    #![proptest_config(config(500))]

    /// Whatever Health's endpoint answers to the status or the event list, the read ends,
    /// and a failure names the operation; every event read is a risk or abuse event.
    #[test]
    fn any_health_body_is_read_or_named(
        status in select(&[200u16, 400][..]),
        body in body(prop_oneof![health_cbor(), cbor_value(4)].prop_map(|c| c.bytes()).boxed()),
        answers_the_status in any::<bool>(),
    ) {
        let answer = move || raw(status, "application/cbor", body.clone());
        let rules = if answers_the_status {
            vec![mock!(aws_sdk_health::Client::describe_health_service_status_for_organization)
                .then_http_response(answer)]
        } else {
            let rest = health_rules(Vec::new(), 1, Arc::new(AtomicUsize::new(0)));
            let list = mock!(aws_sdk_health::Client::describe_events_for_organization)
                .then_http_response(answer);
            // The raw event list is the first rule of its operation, so it answers.
            vec![rest[0].clone(), list, rest[2].clone(), rest[3].clone()]
        };
        let read = read("reading a generated Health body", rules, Source::HealthEvents);
        for (account, facts, result) in &read.accounts {
            match result {
                Err(err) => prop_assert!(err.contains("health:"), "{account}: {err}"),
                Ok(()) => {
                    for e in facts.health_events.as_deref().unwrap_or_default() {
                        prop_assert!(e.event_type_code.starts_with("AWS_RISK_") || e.event_type_code.starts_with("AWS_ABUSE_"));
                    }
                }
            }
        }
    }
}

/// A well-formed CBOR page reaches the collector through the raw path, so the property
/// above tests parsing, not only refusals.
#[test]
fn a_raw_health_page_is_read() {
    let page = Cbor::Map(vec![(
        "events".to_owned(),
        Cbor::Array(vec![Cbor::Map(vec![
            (
                "arn".to_owned(),
                Cbor::Text("arn:aws:health:global::event/RISK/x".to_owned()),
            ),
            (
                "eventTypeCode".to_owned(),
                Cbor::Text("AWS_RISK_CREDENTIALS_EXPOSED".to_owned()),
            ),
            (
                "startTime".to_owned(),
                Cbor::Time(Box::new(Cbor::Int(1_780_000_000))),
            ),
        ])]),
    )])
    .bytes();
    let event = HealthGen {
        arn: Some("arn:aws:health:global::event/RISK/x".to_owned()),
        code: Some("AWS_RISK_CREDENTIALS_EXPOSED".to_owned()),
        service: None,
        region: None,
        start: Some(1_780_000_000),
        status: None,
        affected: vec![(
            "222222222222".to_owned(),
            Detail::Text("exposed".to_owned()),
        )],
        first_page: 1,
    };
    let rest = health_rules(vec![event], 1, Arc::new(AtomicUsize::new(0)));
    let list = mock!(aws_sdk_health::Client::describe_events_for_organization)
        .then_http_response(move || raw(200, "application/cbor", page.clone()));
    let read = read(
        "reading a Health page",
        vec![rest[0].clone(), list, rest[2].clone(), rest[3].clone()],
        Source::HealthEvents,
    );
    let (_, facts, result) = &read.accounts[1];
    result.as_ref().expect("read");
    let events = facts.health_events.as_ref().expect("events");
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0].description, "exposed");
    assert_eq!(
        events[0].start_time,
        OffsetDateTime::from_unix_timestamp(1_780_000_000).ok()
    );
}
