//! The breadth collectors through `AccountSession::collect`, the real limiters and counters:
//! AWS Health, GuardDuty findings, IAM's service last accessed data and Lightsail instances
//! on AWS-documented answers (`aws-smithy-mocks`), because moto 5.2.5 implements none of
//! them; Cost Explorer both ways; the other services' kinds and S3 against moto.
//!
//! moto 5.2.5 as found while writing this: Cost Explorer's GetCostAndUsage answers from a
//! queue (`/moto-api/static/ce/cost-and-usage-results`); Lambda ListFunctions, ECS, EKS,
//! SageMaker's List*/Describe* used here, RDS instances, snapshots and snapshot attributes,
//! S3 policy status and public access blocks (bucket and account) and GuardDuty
//! ListDetectors/GetDetector are implemented. ListBuckets gives no `BucketRegion` (the
//! collector asks GetBucketLocation). Not implemented: AWS Health, Lightsail, GuardDuty
//! ListFindings/GetFindings, IAM Generate/GetServiceLastAccessedDetails.

use std::collections::BTreeMap;

use aws_credential_types::Credentials;
use aws_smithy_mocks::{MockResponseInterceptor, RuleMode, create_mock_http_client, mock};
use aws_smithy_runtime_api::client::interceptors::SharedInterceptor;
use orgsweep_aws::{AwsError, Caller, Limits, Session, SessionOptions};
use orgsweep_model::facts::{
    AccessKey, AttachedPolicies, Facts, IamAuthorizationDetails, IamRole, IamUser, ResourceKind,
    Source,
};
use time::OffsetDateTime;

/// The caller's (management) account, and two members.
const MANAGEMENT: &str = "111111111111";
const MEMBER: &str = "222222222222";
const QUIET: &str = "333333333333";

async fn session(options: SessionOptions, account: &str) -> Session {
    let options = SessionOptions {
        credentials: Some(Credentials::new(
            "testing", "testing", None, None, "breadth",
        )),
        caller: Caller::from_arn(&format!("arn:aws:iam::{account}:user/tester"), None),
        ..options
    };
    Session::connect(options, Limits::default())
        .await
        .expect("session")
}

/// A session whose every call is answered by `aws-smithy-mocks` rules.
async fn mocked(interceptor: MockResponseInterceptor) -> Session {
    mocked_with(interceptor, Vec::new()).await
}

/// [`mocked`], with `watchers`: interceptors that look at the requests made.
async fn mocked_with(
    interceptor: MockResponseInterceptor,
    watchers: Vec<SharedInterceptor>,
) -> Session {
    let mut interceptors = vec![SharedInterceptor::new(interceptor)];
    interceptors.extend(watchers);
    session(
        SessionOptions {
            http_client: Some(create_mock_http_client()),
            interceptors,
            ..SessionOptions::default()
        },
        MANAGEMENT,
    )
    .await
}

async fn collect(
    session: &Session,
    account: &str,
    source: Source,
    region: &str,
) -> (Facts, Result<(), AwsError>) {
    let mut facts = Facts::default();
    let result = session
        .own(account)
        .collect(source, region, &mut facts)
        .await;
    (facts, result)
}

fn calls(session: &Session, key: &str) -> u64 {
    session
        .counters()
        .snapshot()
        .api_calls
        .get(key)
        .copied()
        .unwrap_or(0)
}

mod health {
    use aws_sdk_health::operation::describe_affected_accounts_for_organization::DescribeAffectedAccountsForOrganizationOutput;
    use aws_sdk_health::operation::describe_event_details_for_organization::DescribeEventDetailsForOrganizationOutput;
    use aws_sdk_health::operation::describe_events_for_organization::DescribeEventsForOrganizationOutput;
    use aws_sdk_health::operation::describe_health_service_status_for_organization::DescribeHealthServiceStatusForOrganizationOutput;
    use aws_sdk_health::types::{
        Event, EventDescription, EventStatusCode, EventTypeCategory, OrganizationEvent,
        OrganizationEventDetails, OrganizationEventDetailsErrorItem,
    };
    use aws_smithy_types::DateTime;

    use super::*;

    const EXPOSED: &str = "arn:aws:health:global::event/RISK/AWS_RISK_CREDENTIALS_EXPOSED/AWS_RISK_CREDENTIALS_EXPOSED_abc";
    const DOS: &str =
        "arn:aws:health:eu-west-1::event/ABUSE/AWS_ABUSE_DOS_REPORT/AWS_ABUSE_DOS_REPORT_def";
    const RETIREMENT: &str =
        "arn:aws:health:us-east-1::event/EC2/AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED/x";
    const TEXT: &str = "We have become aware that the AWS Access Key AKIAIOSFODNN7EXAMPLE, \
                        belonging to IAM User legacy-ci, along with the corresponding Secret \
                        Key is publicly available online at https://github.com/…";

    fn status(value: &'static str) -> aws_smithy_mocks::Rule {
        mock!(aws_sdk_health::Client::describe_health_service_status_for_organization).then_output(
            move || {
                DescribeHealthServiceStatusForOrganizationOutput::builder()
                    .health_service_access_status_for_organization(value)
                    .build()
            },
        )
    }

    fn event(
        arn: &str,
        code: &str,
        service: &str,
        region: &str,
        status: EventStatusCode,
    ) -> OrganizationEvent {
        OrganizationEvent::builder()
            .arn(arn)
            .event_type_code(code)
            .service(service)
            .region(region)
            .event_type_category(EventTypeCategory::Issue)
            .start_time(DateTime::from_secs(1_780_000_000))
            .status_code(status)
            .build()
    }

    /// Every call of the organizational view, on the shapes the Health API reference
    /// documents: two pages of events of which two are risk or abuse warnings, their
    /// affected accounts, and the per-account texts (one of which AWS failed to give).
    #[tokio::test]
    async fn risk_and_abuse_events_are_read_once_and_given_to_each_affected_account() {
        let events = mock!(aws_sdk_health::Client::describe_events_for_organization)
            .sequence()
            .output(|| {
                DescribeEventsForOrganizationOutput::builder()
                    .events(event(
                        EXPOSED,
                        "AWS_RISK_CREDENTIALS_EXPOSED",
                        "RISK",
                        "global",
                        EventStatusCode::Open,
                    ))
                    .events(event(
                        RETIREMENT,
                        "AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED",
                        "EC2",
                        "us-east-1",
                        EventStatusCode::Upcoming,
                    ))
                    .next_token("page-2")
                    .build()
            })
            .output(|| {
                DescribeEventsForOrganizationOutput::builder()
                    .events(event(
                        DOS,
                        "AWS_ABUSE_DOS_REPORT",
                        "ABUSE",
                        "eu-west-1",
                        EventStatusCode::Closed,
                    ))
                    .build()
            })
            .build();
        let exposed_accounts =
            mock!(aws_sdk_health::Client::describe_affected_accounts_for_organization)
                .match_requests(|r| r.event_arn() == Some(EXPOSED))
                .then_output(|| {
                    DescribeAffectedAccountsForOrganizationOutput::builder()
                        .affected_accounts(MANAGEMENT)
                        .affected_accounts(MEMBER)
                        .build()
                });
        let dos_accounts =
            mock!(aws_sdk_health::Client::describe_affected_accounts_for_organization)
                .match_requests(|r| r.event_arn() == Some(DOS))
                .then_output(|| {
                    DescribeAffectedAccountsForOrganizationOutput::builder()
                        .affected_accounts(MEMBER)
                        .build()
                });
        let details = mock!(aws_sdk_health::Client::describe_event_details_for_organization)
            .match_requests(|r| r.organization_event_detail_filters().len() == 3)
            .then_output(|| {
                let detail = |account: &str, text: &str| {
                    OrganizationEventDetails::builder()
                        .aws_account_id(account)
                        .event(Event::builder().arn(EXPOSED).build())
                        .event_description(
                            EventDescription::builder().latest_description(text).build(),
                        )
                        .build()
                };
                DescribeEventDetailsForOrganizationOutput::builder()
                    .successful_set(detail(MANAGEMENT, TEXT))
                    .successful_set(detail(MEMBER, "Another key of yours is exposed."))
                    .failed_set(
                        OrganizationEventDetailsErrorItem::builder()
                            .aws_account_id(MEMBER)
                            .event_arn(DOS)
                            .error_name("UnsupportedLocale")
                            .error_message("no text")
                            .build(),
                    )
                    .build()
            });
        let on = status("ENABLED");
        let interceptor = MockResponseInterceptor::new()
            .rule_mode(RuleMode::MatchAny)
            .with_rule(&on)
            .with_rule(&events)
            .with_rule(&exposed_accounts)
            .with_rule(&dos_accounts)
            .with_rule(&details);
        let session = mocked(interceptor).await;

        let (facts, result) = collect(&session, MANAGEMENT, Source::HealthEvents, "global").await;
        result.expect("management account");
        let own = facts.health_events.expect("collected");
        assert_eq!(own.len(), 1, "{own:?}");
        assert_eq!(own[0].event_type_code, "AWS_RISK_CREDENTIALS_EXPOSED");
        assert_eq!(
            (own[0].region.as_str(), own[0].status.as_str()),
            ("global", "open")
        );
        assert_eq!(own[0].description, TEXT);
        assert_eq!(own[0].service, "RISK");
        assert!(own[0].start_time.is_some());

        let (facts, result) = collect(&session, MEMBER, Source::HealthEvents, "global").await;
        result.expect("member account");
        let member = facts.health_events.expect("collected");
        let codes: Vec<&str> = member.iter().map(|e| e.event_type_code.as_str()).collect();
        assert_eq!(
            codes,
            ["AWS_ABUSE_DOS_REPORT", "AWS_RISK_CREDENTIALS_EXPOSED"]
        );
        assert!(
            member[0].description.contains("UnsupportedLocale"),
            "{:?}",
            member[0]
        );
        assert_eq!(
            (member[0].region.as_str(), member[0].status.as_str()),
            ("eu-west-1", "closed")
        );

        let (facts, result) = collect(&session, QUIET, Source::HealthEvents, "global").await;
        result.expect("quiet account");
        assert_eq!(facts.health_events, Some(Vec::new()));

        // Once per scan, whatever the number of accounts.
        assert_eq!(on.num_calls(), 1);
        assert_eq!(events.num_calls(), 2);
        assert_eq!(exposed_accounts.num_calls() + dos_accounts.num_calls(), 2);
        assert_eq!(details.num_calls(), 1);
        assert_eq!(calls(&session, "health.DescribeEventsForOrganization"), 2);
    }

    #[tokio::test]
    async fn without_a_support_plan_every_account_fails_with_what_is_missing() {
        let refused = mock!(aws_sdk_health::Client::describe_health_service_status_for_organization)
            .sequence()
            // The Health SDK speaks CBOR (rpcv2Cbor): the refusal is given as the error the
            // SDK parses out of AWS's answer, not as a JSON body.
            .error(|| {
                aws_sdk_health::operation::describe_health_service_status_for_organization::DescribeHealthServiceStatusForOrganizationError::generic(
                    aws_sdk_health::error::ErrorMetadata::builder()
                        .code("SubscriptionRequiredException")
                        .message("The AWS Premium Support Subscription is required to use this service.")
                        .build(),
                )
            })
            .build();
        let interceptor = MockResponseInterceptor::new().with_rule(&refused);
        let session = mocked(interceptor).await;
        for account in [MANAGEMENT, MEMBER] {
            let (facts, result) = collect(&session, account, Source::HealthEvents, "global").await;
            let err = result.expect_err("no support plan").to_string();
            assert!(err.contains("SubscriptionRequiredException"), "{err}");
            assert!(
                err.contains("needs a Business, Enterprise On-Ramp or Enterprise support plan"),
                "{err}"
            );
            assert!(
                err.contains(MANAGEMENT),
                "names the account that needs it: {err}"
            );
            assert_eq!(facts.health_events, None);
        }
        assert_eq!(
            refused.num_calls(),
            1,
            "the failure is remembered for the scan"
        );
    }

    #[tokio::test]
    async fn an_organizational_view_that_is_off_is_an_error_not_an_empty_list() {
        let off = status("DISABLED");
        let interceptor = MockResponseInterceptor::new().with_rule(&off);
        let session = mocked(interceptor).await;
        let (_, result) = collect(&session, MEMBER, Source::HealthEvents, "global").await;
        let err = result.expect_err("view off").to_string();
        assert!(err.contains("organizational view is not enabled"), "{err}");
        assert!(
            err.contains("enable-health-service-access-for-organization"),
            "{err}"
        );
    }
}

mod guardduty {
    use aws_sdk_guardduty::operation::get_detector::GetDetectorOutput;
    use aws_sdk_guardduty::operation::get_findings::GetFindingsOutput;
    use aws_sdk_guardduty::operation::list_detectors::ListDetectorsOutput;
    use aws_sdk_guardduty::operation::list_findings::ListFindingsOutput;
    use aws_sdk_guardduty::types::{
        AccessKeyDetails, DetectorStatus, Finding, InstanceDetails, OrderBy, Resource,
    };

    use super::*;

    const DETECTOR: &str = "12abc34d567e8fa901bc2d34e56789f0";

    fn finding(id: &str) -> Finding {
        let n: usize = id.trim_start_matches("f-").parse().unwrap_or(0);
        let resource = if n.is_multiple_of(2) {
            Resource::builder()
                .resource_type("AccessKey")
                .access_key_details(
                    AccessKeyDetails::builder()
                        .access_key_id("AKIAIOSFODNN7EXAMPLE")
                        .user_name("legacy-ci")
                        .build(),
                )
                .build()
        } else {
            Resource::builder()
                .resource_type("Instance")
                .instance_details(InstanceDetails::builder().instance_id("i-0abc").build())
                .build()
        };
        Finding::builder()
            .id(id)
            .r#type("CryptoCurrency:EC2/BitcoinTool.B!DNS")
            .severity(if n.is_multiple_of(2) { 8.0 } else { 9.5 })
            .title(format!("Finding {n}"))
            .resource(resource)
            .updated_at("2026-11-20T10:15:30.123Z")
            .account_id(MANAGEMENT)
            .region("eu-west-1")
            .build()
    }

    fn ids(range: std::ops::Range<usize>) -> Vec<String> {
        range.map(|n| format!("f-{n}")).collect()
    }

    /// GetFindings answering exactly the ids asked, at most 50 per call.
    fn get_findings() -> aws_smithy_mocks::Rule {
        mock!(aws_sdk_guardduty::Client::get_findings)
            .match_requests(|r| r.detector_id() == Some(DETECTOR) && r.finding_ids().len() <= 50)
            .then_compute_output(|r| {
                let mut out = GetFindingsOutput::builder();
                for id in r.finding_ids() {
                    out = out.findings(finding(id));
                }
                out.build()
            })
    }

    fn detector(status: DetectorStatus) -> [aws_smithy_mocks::Rule; 2] {
        [
            mock!(aws_sdk_guardduty::Client::list_detectors).then_output(|| {
                ListDetectorsOutput::builder()
                    .detector_ids(DETECTOR)
                    .build()
            }),
            mock!(aws_sdk_guardduty::Client::get_detector)
                .match_requests(|r| r.detector_id() == Some(DETECTOR))
                .then_output(move || GetDetectorOutput::builder().status(status.clone()).build()),
        ]
    }

    /// ListFindings must ask for severity 7 and up, not archived, most severe first.
    fn list_page(
        token: Option<&'static str>,
        range: std::ops::Range<usize>,
        next: Option<&'static str>,
    ) -> aws_smithy_mocks::Rule {
        mock!(aws_sdk_guardduty::Client::list_findings)
            .match_requests(move |r| {
                let criteria = r.finding_criteria().and_then(|c| c.criterion());
                let severity = criteria
                    .and_then(|c| c.get("severity"))
                    .and_then(|c| c.greater_than_or_equal());
                let archived = criteria
                    .and_then(|c| c.get("service.archived"))
                    .map(|c| c.equals().to_vec());
                let sorted = r.sort_criteria().is_some_and(|s| {
                    s.attribute_name() == Some("severity") && s.order_by() == Some(&OrderBy::Desc)
                });
                r.next_token() == token
                    && severity == Some(7)
                    && archived == Some(vec!["false".to_owned()])
                    && sorted
            })
            .then_output(move || {
                ListFindingsOutput::builder()
                    .set_finding_ids(Some(ids(range.clone())))
                    .set_next_token(next.map(str::to_owned))
                    .build()
            })
    }

    #[tokio::test]
    async fn high_findings_are_listed_in_pages_and_read_fifty_at_a_time() {
        let [list, get] = detector(DetectorStatus::Enabled);
        let pages = [
            list_page(None, 0..50, Some("p2")),
            list_page(Some("p2"), 50..60, None),
        ];
        let read = get_findings();
        let interceptor = MockResponseInterceptor::new()
            .rule_mode(RuleMode::MatchAny)
            .with_rule(&list)
            .with_rule(&get)
            .with_rule(&pages[0])
            .with_rule(&pages[1])
            .with_rule(&read);
        let session = mocked(interceptor).await;
        let (facts, result) = collect(&session, MEMBER, Source::GuardDuty, "eu-west-1").await;
        result.expect("collected");
        let status = facts.guardduty.expect("status");
        assert_eq!(status.detector_id.as_deref(), Some(DETECTOR));
        assert_eq!(status.detector_status.as_deref(), Some("ENABLED"));
        assert_eq!(status.findings.len(), 60);
        assert_eq!(read.num_calls(), 2, "50 + 10 ids");
        let key = status.findings.iter().find(|f| f.id == "f-2").expect("f-2");
        assert_eq!(key.resource_type, "AccessKey");
        assert_eq!(key.resource_id.as_deref(), Some("AKIAIOSFODNN7EXAMPLE"));
        assert_eq!(key.severity, 8.0);
        assert_eq!(key.finding_type, "CryptoCurrency:EC2/BitcoinTool.B!DNS");
        assert!(key.updated_at.is_some());
        let instance = status.findings.iter().find(|f| f.id == "f-3").expect("f-3");
        assert_eq!(instance.resource_id.as_deref(), Some("i-0abc"));
        assert!(facts.problems.is_empty(), "{:?}", facts.problems);
    }

    #[tokio::test]
    async fn findings_stop_at_the_bound_and_say_so() {
        let [list, get] = detector(DetectorStatus::Enabled);
        let pages: Vec<_> = (0..5)
            .map(|p| {
                let token: [Option<&'static str>; 6] =
                    [None, Some("1"), Some("2"), Some("3"), Some("4"), Some("5")];
                list_page(token[p], p * 50..(p + 1) * 50, token[p + 1])
            })
            .collect();
        let read = get_findings();
        let mut interceptor = MockResponseInterceptor::new()
            .rule_mode(RuleMode::MatchAny)
            .with_rule(&list)
            .with_rule(&get)
            .with_rule(&read);
        for page in &pages {
            interceptor = interceptor.with_rule(page);
        }
        let session = mocked(interceptor).await;
        let (facts, result) = collect(&session, MEMBER, Source::GuardDuty, "eu-west-1").await;
        result.expect("collected");
        assert_eq!(facts.guardduty.expect("status").findings.len(), 200);
        assert_eq!(pages[4].num_calls(), 0, "no page past the bound");
        assert_eq!(read.num_calls(), 4);
        assert_eq!(facts.problems.len(), 1, "{:?}", facts.problems);
        assert!(facts.problems[0].1.contains("only the 200 most severe"));
    }

    #[tokio::test]
    async fn no_detector_is_guardduty_off_not_an_error() {
        let none = mock!(aws_sdk_guardduty::Client::list_detectors)
            .then_output(|| ListDetectorsOutput::builder().build());
        let interceptor = MockResponseInterceptor::new().with_rule(&none);
        let session = mocked(interceptor).await;
        let (facts, result) = collect(&session, MEMBER, Source::GuardDuty, "ap-southeast-2").await;
        result.expect("collected");
        let status = facts.guardduty.expect("status");
        assert_eq!(status.detector_id, None);
        assert!(status.findings.is_empty());
        assert_eq!(calls(&session, "guardduty.GetDetector"), 0);
    }
}

mod last_accessed {
    use aws_sdk_iam::operation::generate_service_last_accessed_details::GenerateServiceLastAccessedDetailsOutput;
    use aws_sdk_iam::operation::get_service_last_accessed_details::GetServiceLastAccessedDetailsOutput;
    use aws_sdk_iam::types::{JobStatusType, ServiceLastAccessed};
    use aws_smithy_types::DateTime;

    use super::*;

    fn arn(kind: &str, name: &str) -> String {
        format!("arn:aws:iam::{MEMBER}:{kind}/{name}")
    }

    fn user(name: &str, created: OffsetDateTime, policies: &[&str]) -> IamUser {
        IamUser {
            name: name.to_owned(),
            arn: arn("user", name),
            path: "/".to_owned(),
            created_at: Some(created),
            policies: AttachedPolicies {
                managed_arns: policies.iter().map(|p| (*p).to_owned()).collect(),
                inline_names: Vec::new(),
            },
            groups: Vec::new(),
        }
    }

    fn role(name: &str, created: OffsetDateTime) -> IamRole {
        IamRole {
            name: name.to_owned(),
            arn: arn("role", name),
            path: "/".to_owned(),
            created_at: Some(created),
            policies: AttachedPolicies::default(),
            trust_policy: None,
            trust_policy_error: None,
            last_used_at: None,
        }
    }

    fn service(namespace: &str, at: Option<i64>) -> ServiceLastAccessed {
        let mut s = ServiceLastAccessed::builder()
            .service_name(namespace.to_uppercase())
            .service_namespace(namespace);
        if let Some(at) = at {
            s = s.last_authenticated(DateTime::from_secs(at));
        }
        s.build().expect("name and namespace")
    }

    fn answer(
        status: JobStatusType,
        services: Vec<ServiceLastAccessed>,
        marker: Option<&str>,
    ) -> GetServiceLastAccessedDetailsOutput {
        GetServiceLastAccessedDetailsOutput::builder()
            .job_status(status)
            .job_creation_date(DateTime::from_secs(1_780_000_000))
            .job_completion_date(DateTime::from_secs(1_780_000_010))
            .set_services_last_accessed(Some(services))
            .is_truncated(marker.is_some())
            .set_marker(marker.map(str::to_owned))
            .build()
            .expect("required fields")
    }

    /// Users with a fresh key, quarantined and recent principals are read; an old user with
    /// nothing recent is not. Jobs are polled until complete, every page read, and only
    /// services actually used are kept.
    #[tokio::test]
    async fn jobs_are_generated_for_the_principals_of_interest_and_polled() {
        let now = OffsetDateTime::now_utc();
        let long_ago = now - time::Duration::days(400);
        let facts = Facts {
            iam_authorization_details: Some(IamAuthorizationDetails {
                users: vec![
                    user("returning", long_ago, &[]),
                    user("forgotten", long_ago, &[]),
                    user(
                        "quarantined",
                        long_ago,
                        &["arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV2"],
                    ),
                ],
                roles: vec![role("fresh-role", now), role("old-role", long_ago)],
                ..IamAuthorizationDetails::default()
            }),
            access_keys: Some(vec![AccessKey {
                user: "returning".to_owned(),
                access_key_id: "AKIANEWKEY0000000001".to_owned(),
                active: true,
                created_at: Some(now - time::Duration::days(1)),
            }]),
            ..Facts::default()
        };
        let generate = mock!(aws_sdk_iam::Client::generate_service_last_accessed_details)
            .then_compute_output(|r| {
                let name = r.arn().and_then(|a| a.rsplit('/').next()).unwrap_or("none");
                GenerateServiceLastAccessedDetailsOutput::builder()
                    .job_id(format!("job-{name}"))
                    .build()
            });
        let returning = mock!(aws_sdk_iam::Client::get_service_last_accessed_details)
            .match_requests(|r| r.job_id() == Some("job-returning"))
            .sequence()
            .output(|| answer(JobStatusType::InProgress, Vec::new(), None))
            .output(|| {
                answer(
                    JobStatusType::Completed,
                    vec![service("s3", Some(1_700_000_000)), service("ec2", None)],
                    Some("page-2"),
                )
            })
            .output(|| {
                answer(
                    JobStatusType::Completed,
                    vec![service("iam", Some(1_710_000_000))],
                    None,
                )
            })
            .build();
        let others = mock!(aws_sdk_iam::Client::get_service_last_accessed_details)
            .match_requests(|r| r.job_id() != Some("job-returning"))
            .then_output(|| answer(JobStatusType::Completed, Vec::new(), None));
        let interceptor = MockResponseInterceptor::new()
            .rule_mode(RuleMode::MatchAny)
            .with_rule(&generate)
            .with_rule(&returning)
            .with_rule(&others);
        let session = mocked(interceptor).await;
        let mut collected = facts;
        session
            .own(MEMBER)
            .collect(Source::LastAccessed, "global", &mut collected)
            .await
            .expect("collected");
        let accessed = collected.last_accessed.expect("last accessed");
        let keys: Vec<&String> = accessed.keys().collect();
        assert_eq!(
            keys,
            [
                &arn("role", "fresh-role"),
                &arn("user", "quarantined"),
                &arn("user", "returning")
            ]
        );
        let r = &accessed[&arn("user", "returning")];
        let namespaces: Vec<&str> = r.services.iter().map(|s| s.namespace.as_str()).collect();
        assert_eq!(
            namespaces,
            ["iam", "s3"],
            "unused services dropped, pages joined"
        );
        assert_eq!(
            r.last_used,
            OffsetDateTime::from_unix_timestamp(1_710_000_000).ok()
        );
        assert_eq!(generate.num_calls(), 3);
        assert_eq!(returning.num_calls(), 3, "polled once more, then two pages");
        assert!(collected.problems.is_empty(), "{:?}", collected.problems);
    }

    #[tokio::test]
    async fn without_the_user_list_it_fails() {
        let interceptor = MockResponseInterceptor::new();
        let session = mocked(interceptor).await;
        let (_, result) = collect(&session, MEMBER, Source::LastAccessed, "global").await;
        let err = result.expect_err("no users").to_string();
        assert!(err.contains("GetAccountAuthorizationDetails"), "{err}");
    }
}

mod cost_explorer {
    use aws_sdk_costexplorer::operation::get_cost_and_usage::{
        GetCostAndUsageInput, GetCostAndUsageOutput,
    };
    use aws_sdk_costexplorer::types::{DateInterval, Group, MetricValue, ResultByTime};

    use super::*;

    const EC2: &str = "Amazon Elastic Compute Cloud - Compute";

    fn group(account: &str, key: &str, amount: &str) -> Group {
        Group::builder()
            .keys(account)
            .keys(key)
            .metrics(
                "UnblendedCost",
                MetricValue::builder().amount(amount).unit("USD").build(),
            )
            .build()
    }

    fn grouped_by(r: &GetCostAndUsageInput, key: &str) -> bool {
        let keys: Vec<&str> = r.group_by().iter().filter_map(|g| g.key()).collect();
        keys == ["LINKED_ACCOUNT", key]
            && r.granularity().map(|g| g.as_str()) == Some("MONTHLY")
            && r.metrics() == ["UnblendedCost"]
    }

    fn current(r: &GetCostAndUsageInput) -> bool {
        r.time_period().is_some_and(|p| {
            p.start().ends_with("-01") && {
                let today = OffsetDateTime::now_utc().date();
                p.start().starts_with(&format!(
                    "{:04}-{:02}",
                    today.year(),
                    u8::from(today.month())
                ))
            }
        })
    }

    fn answer(start: &str, groups: Vec<Group>, next: Option<&str>) -> GetCostAndUsageOutput {
        GetCostAndUsageOutput::builder()
            .results_by_time(
                ResultByTime::builder()
                    .time_period(
                        DateInterval::builder()
                            .start(start)
                            .end(start)
                            .build()
                            .expect("dates"),
                    )
                    .set_groups(Some(groups))
                    .build(),
            )
            .set_next_page_token(next.map(str::to_owned))
            .build()
    }

    /// The four requests (one of them in two pages) read once for the organization; each
    /// account gets its own figures, and an account without charges the periods alone.
    #[tokio::test]
    async fn charges_are_read_once_and_sliced_per_account() {
        let today = OffsetDateTime::now_utc().date();
        let previous_service = mock!(aws_sdk_costexplorer::Client::get_cost_and_usage)
            .match_requests(|r| {
                grouped_by(r, "SERVICE") && !current(r) && r.next_page_token().is_none()
            })
            .then_output(|| {
                answer(
                    "p",
                    vec![group(MEMBER, EC2, "310.0"), group(MANAGEMENT, "Tax", "3")],
                    Some("more"),
                )
            });
        let previous_service_2 = mock!(aws_sdk_costexplorer::Client::get_cost_and_usage)
            .match_requests(|r| {
                grouped_by(r, "SERVICE") && !current(r) && r.next_page_token() == Some("more")
            })
            .then_output(|| {
                answer(
                    "p",
                    vec![group(MEMBER, "AWS Key Management Service", "1.5")],
                    None,
                )
            });
        let previous_region = mock!(aws_sdk_costexplorer::Client::get_cost_and_usage)
            .match_requests(|r| grouped_by(r, "REGION") && !current(r))
            .then_output(|| answer("p", vec![group(MEMBER, "us-east-1", "311.5")], None));
        let current_service = mock!(aws_sdk_costexplorer::Client::get_cost_and_usage)
            .match_requests(|r| grouped_by(r, "SERVICE") && current(r))
            .then_output(|| {
                answer(
                    "c",
                    vec![
                        group(MEMBER, EC2, "460.25"),
                        group(MEMBER, "Amazon SageMaker", "not a number"),
                    ],
                    None,
                )
            });
        let current_region = mock!(aws_sdk_costexplorer::Client::get_cost_and_usage)
            .match_requests(|r| grouped_by(r, "REGION") && current(r))
            .then_output(|| answer("c", vec![group(MEMBER, "ap-southeast-2", "460.25")], None));
        let rules = [
            &previous_service,
            &previous_service_2,
            &previous_region,
            &current_service,
            &current_region,
        ];
        let mut interceptor = MockResponseInterceptor::new().rule_mode(RuleMode::MatchAny);
        for rule in rules {
            interceptor = interceptor.with_rule(rule);
        }
        let session = mocked(interceptor).await;
        let (facts, result) = collect(&session, MEMBER, Source::CostAndUsage, "global").await;
        result.expect("collected");
        let spend = facts.account_spend.expect("spend");
        let previous = &spend.previous_month;
        assert!(previous.start.ends_with("-01"));
        assert!((28..=31).contains(&previous.days), "{previous:?}");
        assert_eq!(previous.services.get(EC2), Some(&310.0));
        assert_eq!(
            previous.services.get("AWS Key Management Service"),
            Some(&1.5)
        );
        assert_eq!(previous.regions.get("us-east-1"), Some(&311.5));
        let current = &spend.current_month;
        assert_eq!(current.days, u32::from(today.day()) - 1);
        if today.day() > 1 {
            assert_eq!(current.services.get(EC2), Some(&460.25));
            assert_eq!(
                current.services.get("Amazon SageMaker"),
                None,
                "unparsable amounts are skipped"
            );
            assert_eq!(current.regions.get("ap-southeast-2"), Some(&460.25));
        }

        let (facts, _) = collect(&session, MANAGEMENT, Source::CostAndUsage, "global").await;
        assert_eq!(
            facts
                .account_spend
                .expect("spend")
                .previous_month
                .services
                .get("Tax"),
            Some(&3.0)
        );
        let (facts, _) = collect(&session, QUIET, Source::CostAndUsage, "global").await;
        let quiet = facts.account_spend.expect("spend");
        assert!(quiet.previous_month.services.is_empty());
        assert_eq!(
            quiet.previous_month.days, previous.days,
            "the periods, without charges"
        );

        let expected = if today.day() > 1 { 5 } else { 3 };
        assert_eq!(
            calls(&session, "costexplorer.GetCostAndUsage"),
            expected,
            "once per scan"
        );
    }

    #[tokio::test]
    async fn a_refusal_says_what_the_caller_lacks() {
        let denied = mock!(aws_sdk_costexplorer::Client::get_cost_and_usage)
            .sequence()
            .http_status(
                400,
                Some(r#"{"__type":"AccessDeniedException","message":"User: arn:aws:iam::111111111111:user/tester is not authorized to perform: ce:GetCostAndUsage"}"#.to_owned()),
            )
            .build();
        let interceptor = MockResponseInterceptor::new().with_rule(&denied);
        let session = mocked(interceptor).await;
        for account in [MEMBER, QUIET] {
            let (facts, result) = collect(&session, account, Source::CostAndUsage, "global").await;
            let err = result.expect_err("denied").to_string();
            assert!(
                err.contains("needs ce:GetCostAndUsage in the management account"),
                "{err}"
            );
            assert_eq!(facts.account_spend, None);
        }
        assert_eq!(denied.num_calls(), 1);
    }
}

mod lightsail {
    //! lightsail:GetInstances, on the shapes the Lightsail API reference documents:
    //! `instances[]` with `name`, `arn`, `createdAt`, `location.regionName`, `bundleId`,
    //! `state.name` and `tags`, paginated with `nextPageToken`.

    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use aws_sdk_lambda::operation::list_functions::ListFunctionsOutput;
    use aws_sdk_lightsail::operation::get_instances::GetInstancesOutput;
    use aws_sdk_lightsail::types::{Instance, InstanceState, RegionName, ResourceLocation, Tag};
    use aws_smithy_runtime_api::box_error::BoxError;
    use aws_smithy_runtime_api::client::interceptors::Intercept;
    use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextRef;
    use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
    use aws_smithy_types::DateTime;
    use aws_smithy_types::config_bag::ConfigBag;
    use orgsweep_model::facts::Ec2Resource;

    use super::*;

    const REGION: &str = "ap-southeast-2";
    const CREATED: i64 = 1_780_000_000;
    /// A Lightsail for Research GPU bundle, and the smallest regular one.
    const GPU: &str = "gpu_nvidia_xl_1_0";
    const NANO: &str = "nano_2_0";

    fn instance(name: &str, bundle: &str, state: &str, tags: &[(&str, &str)]) -> Instance {
        let mut i = Instance::builder()
            .name(name)
            .arn(format!(
                "arn:aws:lightsail:{REGION}:{MEMBER}:Instance/{name}-0123-4567-89ab-cdef"
            ))
            .created_at(DateTime::from_secs(CREATED))
            .location(
                ResourceLocation::builder()
                    .availability_zone(format!("{REGION}a"))
                    .region_name(RegionName::from(REGION))
                    .build(),
            )
            .bundle_id(bundle)
            .state(
                InstanceState::builder()
                    .code(if state == "running" { 16 } else { 80 })
                    .name(state)
                    .build(),
            );
        for (key, value) in tags {
            i = i.tags(Tag::builder().key(*key).value(*value).build());
        }
        i.build()
    }

    /// The page asked for with `token`, answering `instances` and `next`.
    fn page(
        token: Option<&'static str>,
        instances: fn() -> Vec<Instance>,
        next: Option<&'static str>,
    ) -> aws_smithy_mocks::Rule {
        mock!(aws_sdk_lightsail::Client::get_instances)
            .match_requests(move |r| r.page_token() == token)
            .then_output(move || {
                GetInstancesOutput::builder()
                    .set_instances(Some(instances()))
                    .set_next_page_token(next.map(str::to_owned))
                    .build()
            })
    }

    fn first() -> Vec<Instance> {
        vec![
            instance("research", GPU, "running", &[("team", "ml"), ("cost", "")]),
            instance("blog", NANO, "stopped", &[("owner", "web")]),
        ]
    }

    fn second() -> Vec<Instance> {
        vec![instance("vpn", NANO, "running", &[])]
    }

    /// The hosts requests were sent to.
    #[derive(Debug, Default, Clone)]
    struct Hosts(Arc<Mutex<Vec<String>>>);

    impl Intercept for Hosts {
        fn name(&self) -> &'static str {
            "breadth-hosts"
        }

        fn read_before_transmit(
            &self,
            context: &BeforeTransmitInterceptorContextRef<'_>,
            _components: &RuntimeComponents,
            _cfg: &mut ConfigBag,
        ) -> Result<(), BoxError> {
            let uri = context.request().uri().to_owned();
            self.0.lock().expect("hosts").push(uri);
            Ok(())
        }
    }

    /// The two pages, read in `REGION` by `MEMBER`.
    async fn two_pages() -> (
        Vec<Ec2Resource>,
        [aws_smithy_mocks::Rule; 2],
        Session,
        Vec<String>,
    ) {
        let pages = [
            page(None, first, Some("page-2")),
            page(Some("page-2"), second, None),
        ];
        let interceptor = MockResponseInterceptor::new()
            .rule_mode(RuleMode::MatchAny)
            .with_rule(&pages[0])
            .with_rule(&pages[1]);
        let hosts = Hosts::default();
        let session = mocked_with(interceptor, vec![SharedInterceptor::new(hosts.clone())]).await;
        let kind = ResourceKind::LightsailInstance;
        let (mut facts, result) =
            collect(&session, MEMBER, Source::Ec2Resources(kind), REGION).await;
        result.expect("collected");
        assert!(facts.problems.is_empty(), "{:?}", facts.problems);
        let instances = facts.ec2_resources.remove(&kind).expect("the kind is read");
        let hosts = hosts.0.lock().expect("hosts").clone();
        (instances, pages, session, hosts)
    }

    fn find<'a>(list: &'a [Ec2Resource], name: &str) -> &'a Ec2Resource {
        list.iter()
            .find(|r| r.id == name)
            .unwrap_or_else(|| panic!("{name} missing from {list:?}"))
    }

    /// Every page is read, one request each, in the region asked; each instance is kept by
    /// its name (what the Lightsail CLI addresses it by: the ARN ends in a generated id)
    /// with its creation time, state, bundle and tags.
    #[tokio::test]
    async fn every_page_of_instances_is_read_with_name_time_state_bundle_and_tags() {
        let (instances, pages, session, hosts) = two_pages().await;
        let names: Vec<&str> = instances.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(names, ["blog", "research", "vpn"], "both pages, by name");
        assert_eq!(pages[0].num_calls(), 1);
        assert_eq!(pages[1].num_calls(), 1);
        assert_eq!(
            calls(&session, "lightsail.GetInstances"),
            2,
            "{:?}",
            session.counters().snapshot().api_calls
        );
        assert_eq!(hosts.len(), 2, "{hosts:?}");
        for uri in &hosts {
            assert!(
                uri.contains(&format!("lightsail.{REGION}.amazonaws.com")),
                "asked in {REGION}: {uri}"
            );
        }

        let created = OffsetDateTime::from_unix_timestamp(CREATED).ok();
        let research = find(&instances, "research");
        assert_eq!(research.created_at, created);
        assert_eq!(research.state.as_deref(), Some("running"));
        assert_eq!(research.instance_type.as_deref(), Some(GPU));
        assert_eq!(
            research.tags,
            BTreeMap::from([
                ("cost".to_owned(), String::new()),
                ("team".to_owned(), "ml".to_owned())
            ])
        );
        assert!(research.shared_with.is_empty());
        let blog = find(&instances, "blog");
        assert_eq!(blog.created_at, created);
        assert_eq!(blog.state.as_deref(), Some("stopped"));
        assert_eq!(blog.instance_type.as_deref(), Some(NANO));
        assert_eq!(blog.tags.get("owner").map(String::as_str), Some("web"));
        let vpn = find(&instances, "vpn");
        assert_eq!(vpn.state.as_deref(), Some("running"));
        assert_eq!(vpn.instance_type.as_deref(), Some(NANO));
        assert!(vpn.tags.is_empty());
    }

    /// `orgsweep-checks` is not a dependency of this crate, so the classifier itself is not
    /// called: `resources.mining_class_instance` judges a `lightsail_instance` by its
    /// `instance_type` (mining-class when it starts with `gpu_`) and its `state` (`running`
    /// or `pending`). Those are the fields asserted here.
    #[tokio::test]
    async fn a_running_gpu_bundle_carries_what_the_mining_check_reads() {
        let (instances, ..) = two_pages().await;
        let mining: Vec<&str> = instances
            .iter()
            .filter(|r| {
                r.instance_type
                    .as_deref()
                    .is_some_and(|t| t.starts_with("gpu_"))
                    && matches!(r.state.as_deref(), Some("running" | "pending"))
            })
            .map(|r| r.id.as_str())
            .collect();
        assert_eq!(mining, ["research"]);
        let research = find(&instances, "research");
        assert_eq!(research.instance_type.as_deref(), Some("gpu_nvidia_xl_1_0"));
    }

    /// A refusal fails the Lightsail kind, naming the call, and leaves no list behind (an
    /// empty one would read as "no instances"); another kind read alongside is unaffected.
    #[tokio::test]
    async fn a_refusal_is_an_error_naming_the_call_for_that_kind_only() {
        let denied = mock!(aws_sdk_lightsail::Client::get_instances)
            .sequence()
            .http_status(
                400,
                Some(r#"{"__type":"AccessDeniedException","code":"AccessDenied","message":"User: arn:aws:sts::222222222222:assumed-role/OrganizationAccountAccessRole/orgsweep is not authorized to perform: lightsail:GetInstances"}"#.to_owned()),
            )
            .build();
        let functions = mock!(aws_sdk_lambda::Client::list_functions)
            .then_output(|| ListFunctionsOutput::builder().build());
        let interceptor = MockResponseInterceptor::new()
            .rule_mode(RuleMode::MatchAny)
            .with_rule(&denied)
            .with_rule(&functions);
        let session = mocked(interceptor).await;
        let account = session.own(MEMBER);
        let mut facts = Facts::default();
        let err = account
            .collect(
                Source::Ec2Resources(ResourceKind::LightsailInstance),
                REGION,
                &mut facts,
            )
            .await
            .expect_err("denied");
        // Lightsail's error shape has a `code` member ("AccessDenied"), which the SDK
        // takes over `__type`: either way a refusal, not a failure.
        assert!(err.is_access_denied(), "{err:?}");
        let message = err.to_string();
        assert!(message.contains("lightsail:GetInstances"), "{message}");
        account
            .collect(
                Source::Ec2Resources(ResourceKind::LambdaFunction),
                REGION,
                &mut facts,
            )
            .await
            .expect("lambda is unaffected");
        assert_eq!(
            facts.ec2_resources.keys().collect::<Vec<_>>(),
            [&ResourceKind::LambdaFunction],
            "no Lightsail list, not even an empty one"
        );
        assert_eq!(denied.num_calls(), 1, "a refusal is not retried");
    }

    /// A page token handed out twice would read the same page forever: the read ends with
    /// an error naming the call. Bounded in time, so a collector that loops fails here
    /// instead of hanging (the limiter's waits let the timeout fire).
    #[tokio::test]
    async fn a_page_token_given_twice_ends_the_read_with_an_error() {
        let pages = [
            page(None, first, Some("again")),
            page(Some("again"), second, Some("again")),
        ];
        let interceptor = MockResponseInterceptor::new()
            .rule_mode(RuleMode::MatchAny)
            .with_rule(&pages[0])
            .with_rule(&pages[1]);
        let session = mocked(interceptor).await;
        let kind = ResourceKind::LightsailInstance;
        let (facts, result) = tokio::time::timeout(
            Duration::from_secs(10),
            collect(&session, MEMBER, Source::Ec2Resources(kind), REGION),
        )
        .await
        .expect("the read ends instead of looping on the repeated token");
        let err = result
            .expect_err("a repeated token is an error")
            .to_string();
        assert!(err.contains("lightsail:GetInstances"), "{err}");
        assert!(err.contains("page token"), "{err}");
        assert_eq!(facts.ec2_resources.get(&kind), None);
        assert_eq!(pages[0].num_calls(), 1);
        assert_eq!(pages[1].num_calls(), 1, "stops at the first repeat");
    }
}

mod moto {
    //! The other services' kinds, S3 and GuardDuty's detector list against moto, seeded
    //! through the SDK.

    use aws_config::{BehaviorVersion, Region, SdkConfig};
    use aws_credential_types::provider::SharedCredentialsProvider;
    use orgsweep_demo::emulator::Emulator;
    use orgsweep_model::facts::Ec2Resource;

    use super::*;

    /// moto's default account.
    const ACCOUNT: &str = "123456789012";
    const REGION: &str = "eu-west-1";

    fn config(endpoint: &str, region: &str) -> SdkConfig {
        SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(region.to_owned()))
            .endpoint_url(endpoint)
            .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
                "testing", "testing", None, None, "breadth",
            )))
            .build()
    }

    async fn role(endpoint: &str, name: &str, service: &str) -> String {
        let trust = serde_json::json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Principal": {"Service": service}, "Action": "sts:AssumeRole"}]});
        aws_sdk_iam::Client::new(&config(endpoint, "us-east-1"))
            .create_role()
            .role_name(name)
            .assume_role_policy_document(trust.to_string())
            .send()
            .await
            .expect("role")
            .role()
            .map(|r| r.arn().to_owned())
            .expect("arn")
    }

    async fn seed(endpoint: &str) {
        let c = config(endpoint, REGION);
        let lambda_role = role(endpoint, "fn-role", "lambda.amazonaws.com").await;
        let mut zip = vec![0x50, 0x4b, 0x05, 0x06];
        zip.resize(22, 0);
        aws_sdk_lambda::Client::new(&c)
            .create_function()
            .function_name("exfil")
            .runtime(aws_sdk_lambda::types::Runtime::Python312)
            .handler("index.handler")
            .role(lambda_role)
            .code(
                aws_sdk_lambda::types::FunctionCode::builder()
                    .zip_file(zip.into())
                    .build(),
            )
            .send()
            .await
            .expect("function");

        let ecs = aws_sdk_ecs::Client::new(&c);
        ecs.create_cluster()
            .cluster_name("batch")
            .tags(
                aws_sdk_ecs::types::Tag::builder()
                    .key("team")
                    .value("ml")
                    .build(),
            )
            .send()
            .await
            .expect("cluster");

        let sagemaker_role = role(endpoint, "sm-role", "sagemaker.amazonaws.com").await;
        aws_sdk_sagemaker::Client::new(&c)
            .create_notebook_instance()
            .notebook_instance_name("research")
            .instance_type(aws_sdk_sagemaker::types::InstanceType::from(
                "ml.p3.2xlarge",
            ))
            .role_arn(&sagemaker_role)
            .send()
            .await
            .expect("notebook");

        let eks_role = role(endpoint, "eks-role", "eks.amazonaws.com").await;
        aws_sdk_eks::Client::new(&c)
            .create_cluster()
            .name("shadow")
            .role_arn(eks_role)
            .resources_vpc_config(
                aws_sdk_eks::types::VpcConfigRequest::builder()
                    .subnet_ids("subnet-1")
                    .build(),
            )
            .tags("owner", "nobody")
            .send()
            .await
            .expect("eks cluster");

        let rds = aws_sdk_rds::Client::new(&c);
        rds.create_db_instance()
            .db_instance_identifier("orders")
            .db_instance_class("db.r5.24xlarge")
            .engine("postgres")
            .allocated_storage(20)
            .master_username("orders")
            .master_user_password("not-a-secret-1")
            .send()
            .await
            .expect("db");
        for (snapshot, with) in [
            ("shared", "999999999999"),
            ("public", "all"),
            ("private", ""),
        ] {
            rds.create_db_snapshot()
                .db_instance_identifier("orders")
                .db_snapshot_identifier(snapshot)
                .send()
                .await
                .expect("db snapshot");
            if !with.is_empty() {
                rds.modify_db_snapshot_attribute()
                    .db_snapshot_identifier(snapshot)
                    .attribute_name("restore")
                    .values_to_add(with)
                    .send()
                    .await
                    .expect("share");
            }
        }

        let s3 = aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&c)
                .force_path_style(true)
                .build(),
        );
        for bucket in ["open-data", "locked-down"] {
            s3.create_bucket()
                .bucket(bucket)
                .create_bucket_configuration(
                    aws_sdk_s3::types::CreateBucketConfiguration::builder()
                        .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::EuWest1)
                        .build(),
                )
                .send()
                .await
                .expect("bucket");
        }
        let policy = serde_json::json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::open-data/*"}]});
        s3.put_bucket_policy()
            .bucket("open-data")
            .policy(policy.to_string())
            .send()
            .await
            .expect("policy");
        s3.put_public_access_block()
            .bucket("locked-down")
            .public_access_block_configuration(
                aws_sdk_s3::types::PublicAccessBlockConfiguration::builder()
                    .block_public_acls(true)
                    .ignore_public_acls(true)
                    .block_public_policy(true)
                    .restrict_public_buckets(true)
                    .build(),
            )
            .send()
            .await
            .expect("block");
        aws_sdk_guardduty::Client::new(&config(endpoint, "us-east-1"))
            .create_detector()
            .enable(true)
            .send()
            .await
            .expect("detector");
    }

    fn find<'a>(list: &'a [Ec2Resource], id: &str) -> &'a Ec2Resource {
        list.iter()
            .find(|r| r.id == id)
            .unwrap_or_else(|| panic!("{id} missing from {list:?}"))
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn breadth_kinds_buckets_and_detectors_against_moto() {
        let emulator = Emulator::start().expect("moto");
        let endpoint = emulator.endpoint();
        seed(&endpoint).await;
        let session = session(
            SessionOptions {
                endpoint_url: Some(endpoint.clone()),
                ..SessionOptions::default()
            },
            ACCOUNT,
        )
        .await;
        let account = session.own(ACCOUNT);
        let mut facts = Facts::default();
        let mut failed = BTreeMap::new();
        for kind in ResourceKind::ALL.into_iter().filter(|k| !k.is_ec2()) {
            if let Err(e) = account
                .collect(Source::Ec2Resources(kind), REGION, &mut facts)
                .await
            {
                failed.insert(kind, e.to_string());
            }
        }
        let kinds = &facts.ec2_resources;
        let function = find(&kinds[&ResourceKind::LambdaFunction], "exfil");
        assert!(
            function.created_at.is_some(),
            "LastModified read: {function:?}"
        );
        let cluster = find(&kinds[&ResourceKind::EcsCluster], "batch");
        assert_eq!(cluster.state.as_deref(), Some("ACTIVE"));
        assert_eq!(cluster.tags.get("team").map(String::as_str), Some("ml"));
        assert!(kinds[&ResourceKind::EcsTask].is_empty());
        let eks = find(&kinds[&ResourceKind::EksCluster], "shadow");
        assert!(eks.created_at.is_some());
        assert_eq!(eks.tags.get("owner").map(String::as_str), Some("nobody"));
        let notebook = find(&kinds[&ResourceKind::SageMakerNotebook], "research");
        assert_eq!(notebook.instance_type.as_deref(), Some("ml.p3.2xlarge"));
        assert_eq!(notebook.state.as_deref(), Some("InService"));
        assert!(kinds[&ResourceKind::SageMakerTrainingJob].is_empty());
        assert!(kinds[&ResourceKind::SageMakerEndpoint].is_empty());
        let db = find(&kinds[&ResourceKind::RdsInstance], "orders");
        assert_eq!(db.instance_type.as_deref(), Some("db.r5.24xlarge"));
        let snapshots = &kinds[&ResourceKind::RdsSnapshot];
        assert_eq!(find(snapshots, "shared").shared_with, ["999999999999"]);
        assert_eq!(find(snapshots, "public").shared_with, ["all"]);
        assert!(find(snapshots, "private").shared_with.is_empty());
        // moto has no Lightsail: a gap, reported as one.
        assert_eq!(
            failed.keys().collect::<Vec<_>>(),
            [&ResourceKind::LightsailInstance],
            "{failed:?}"
        );
        assert!(failed[&ResourceKind::LightsailInstance].contains("lightsail:GetInstances"));

        account
            .collect(Source::S3Buckets, "global", &mut facts)
            .await
            .expect("buckets");
        let buckets = facts.s3_buckets.as_ref().expect("buckets");
        let open = buckets
            .iter()
            .find(|b| b.name == "open-data")
            .expect("open-data");
        assert_eq!(open.region, REGION, "from GetBucketLocation");
        assert_eq!(open.policy_public, Some(true));
        assert_eq!(open.block_public_access, None);
        let locked = buckets
            .iter()
            .find(|b| b.name == "locked-down")
            .expect("locked-down");
        assert_eq!(locked.policy_public, Some(false));
        assert!(locked.block_public_access.is_some_and(|b| b.is_fully_on()));
        assert_eq!(facts.s3_account_public_access_block, None);
        assert!(facts.problems.is_empty(), "{:?}", facts.problems);

        // No detector in eu-west-1: GuardDuty is off there. us-east-1 has one, whose
        // findings moto cannot list.
        account
            .collect(Source::GuardDuty, REGION, &mut facts)
            .await
            .expect("no detector");
        assert_eq!(
            facts.guardduty.as_ref().and_then(|g| g.detector_id.clone()),
            None
        );
        let err = account
            .collect(Source::GuardDuty, "us-east-1", &mut Facts::default())
            .await
            .expect_err("moto lacks ListFindings")
            .to_string();
        assert!(err.contains("guardduty:ListFindings"), "{err}");
    }
}
