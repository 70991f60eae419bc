//! API-call, retry and throttle counters, filled by an interceptor on every SDK client, so
//! `stats` reports what the scan really cost.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::{
    AfterDeserializationInterceptorContextRef, BeforeSerializationInterceptorContextRef,
    BeforeTransmitInterceptorContextRef,
};
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::retries::RequestAttempts;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;

/// What the scan cost, shared by every client.
#[derive(Debug, Default)]
pub struct Counters {
    calls: Mutex<BTreeMap<String, u64>>,
    throttled: AtomicU64,
    retries: AtomicU64,
}

/// A copy of the counters at one moment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CountersSnapshot {
    /// Operations started, keyed `service.Operation` (e.g. `ec2.DescribeInstances`).
    pub api_calls: BTreeMap<String, u64>,
    pub throttled: u64,
    pub retries: u64,
}

impl Counters {
    pub fn count_call(&self, service: &str, operation: &str) {
        // SDK service names are display names ("EC2", "Config Service"): one lowercase word.
        let service: String = service
            .chars()
            .filter(|c| !c.is_whitespace())
            .map(|c| c.to_ascii_lowercase())
            .collect();
        let key = format!("{service}.{operation}");
        if let Ok(mut calls) = self.calls.lock() {
            *calls.entry(key).or_default() += 1;
        }
    }

    /// Throttling responses so far (cheap: no copy of the per-operation counts).
    pub fn throttled(&self) -> u64 {
        self.throttled.load(Ordering::Relaxed)
    }

    pub fn snapshot(&self) -> CountersSnapshot {
        CountersSnapshot {
            api_calls: self.calls.lock().map(|c| c.clone()).unwrap_or_default(),
            throttled: self.throttled.load(Ordering::Relaxed),
            retries: self.retries.load(Ordering::Relaxed),
        }
    }
}

/// Error codes AWS uses for throttling across the query, JSON and EC2 protocols.
const THROTTLING_CODES: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "RequestThrottled",
    "SlowDown",
    "PriorRequestNotComplete",
    "TooManyRequests",
];

/// Whether an HTTP response is AWS telling us to slow down. The body is already buffered
/// when deserialization has run, so this costs no I/O.
pub(crate) fn is_throttling(status: u16, body: &[u8]) -> bool {
    if status == 429 {
        return true;
    }
    if !(status == 400 || status == 503) {
        return false;
    }
    let body = String::from_utf8_lossy(body);
    THROTTLING_CODES.iter().any(|code| {
        body.contains(&format!("<Code>{code}</Code>"))
            || body.contains(&format!("\"{code}\""))
            || body.contains(&format!("#{code}\""))
    })
}

#[derive(Debug)]
pub(crate) struct CountingInterceptor(pub(crate) Arc<Counters>);

impl Intercept for CountingInterceptor {
    fn name(&self) -> &'static str {
        "orgsweep-counters"
    }

    // Once per operation, after the operation's own configuration (which carries its
    // name) is in the bag; `read_before_execution` runs too early for that.
    fn read_before_serialization(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(metadata) = cfg.load::<Metadata>() {
            self.0.count_call(metadata.service(), metadata.name());
        }
        Ok(())
    }

    fn read_before_attempt(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if cfg
            .load::<RequestAttempts>()
            .is_some_and(|a| a.attempts() > 1)
        {
            self.0.retries.fetch_add(1, Ordering::Relaxed);
        }
        Ok(())
    }

    fn read_after_deserialization(
        &self,
        context: &AfterDeserializationInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let response = context.response();
        let body = response.body().bytes().unwrap_or_default();
        if is_throttling(response.status().as_u16(), body) {
            self.0.throttled.fetch_add(1, Ordering::Relaxed);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use aws_config::retry::RetryConfig;
    use aws_credential_types::Credentials;
    use aws_sdk_iam::Client;
    use aws_smithy_mocks::{MockResponseInterceptor, RuleMode, create_mock_http_client, mock};

    use super::*;

    const THROTTLED: &str = "<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code>\
        <Message>Rate exceeded</Message></Error><RequestId>1</RequestId></ErrorResponse>";
    const REPORT_STATE: &str = "<GenerateCredentialReportResponse><GenerateCredentialReportResult>\
        <State>COMPLETE</State></GenerateCredentialReportResult></GenerateCredentialReportResponse>";

    /// A real IAM client whose HTTP answers come from the rules: throttled twice, then fine.
    /// The SDK's standard retry must retry, and the interceptor must count every step.
    #[tokio::test]
    async fn throttling_is_retried_with_backoff_and_counted() {
        let rule = mock!(Client::generate_credential_report)
            .sequence()
            .http_status(400, Some(THROTTLED.to_owned()))
            .times(2)
            .http_status(200, Some(REPORT_STATE.to_owned()))
            .build();
        let counters = Arc::new(Counters::default());
        let config = aws_sdk_iam::Config::builder()
            .behavior_version(aws_sdk_iam::config::BehaviorVersion::latest())
            .region(aws_sdk_iam::config::Region::new("us-east-1"))
            .credentials_provider(Credentials::new(
                "AKIDEXAMPLE",
                "secret",
                None,
                None,
                "test",
            ))
            .http_client(create_mock_http_client())
            .interceptor(
                MockResponseInterceptor::new()
                    .rule_mode(RuleMode::Sequential)
                    .with_rule(&rule),
            )
            .interceptor(CountingInterceptor(counters.clone()))
            .retry_config(
                RetryConfig::standard()
                    .with_max_attempts(5)
                    .with_initial_backoff(Duration::from_millis(1)),
            )
            .build();
        let output = Client::from_conf(config)
            .generate_credential_report()
            .send()
            .await
            .expect("succeeds after two throttled attempts");
        assert_eq!(output.state().map(|s| s.as_str()), Some("COMPLETE"));
        let snapshot = counters.snapshot();
        assert_eq!(snapshot.throttled, 2);
        assert_eq!(snapshot.retries, 2);
        assert_eq!(
            snapshot.api_calls.get("iam.GenerateCredentialReport"),
            Some(&1)
        );
        assert_eq!(rule.num_calls(), 3);
    }

    #[test]
    fn recognises_throttling_in_every_protocol() {
        assert!(is_throttling(429, b""));
        assert!(is_throttling(
            400,
            b"<Response><Errors><Error><Code>RequestLimitExceeded</Code></Error></Errors></Response>"
        ));
        assert!(is_throttling(
            400,
            br#"<ErrorResponse><Error><Code>Throttling</Code></Error></ErrorResponse>"#
        ));
        assert!(is_throttling(
            400,
            br#"{"__type":"com.amazonaws#TooManyRequestsException"}"#
        ));
        assert!(is_throttling(
            400,
            br#"{"__type":"ThrottlingException","message":"x"}"#
        ));
        assert!(!is_throttling(400, b"<Code>AccessDenied</Code>"));
        assert!(!is_throttling(200, b"<Code>Throttling</Code>"));
    }
}
