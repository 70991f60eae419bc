//! Client-side rate limits and the HTTP client that enforces them.
//!
//! Every SDK client gets a thin wrapper around the one shared HTTP client (one connection
//! pool for the whole scan). The wrapper knows which service, account and region its client
//! talks to and waits on that key's `governor` token bucket before each attempt, retries
//! included. Limits sit below AWS's published ones, so a large organization is slowed down
//! here instead of being throttled there.
//!
//! The wrapper also times each attempt, from the moment it has its token: the SDK's own
//! attempt timeout would start before the wait, and calls queued behind a slow limit (many
//! discovery calls at Organizations' 5 per second) would time out before AWS ever saw them.

use std::fmt;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::byte_stream::ByteStream;
use governor::clock::Clock;
use governor::middleware::NoOpMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};

/// The services orgsweep calls, each with its own buckets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Service {
    Account,
    CloudTrail,
    /// cloudtrail:LookupEvents, which AWS limits separately: 2 per second per account-region.
    CloudTrailLookup,
    Config,
    Ec2,
    Iam,
    Organizations,
    S3,
    Sts,
    /// Cost Explorer (ce), called from the caller's account only, and billed per request.
    CostExplorer,
    /// AWS Health's organizational view, called from the caller's account only.
    Health,
    GuardDuty,
    Lambda,
    Ecs,
    Eks,
    SageMaker,
    Lightsail,
    Rds,
    /// S3 Control (the account-level public access block).
    S3Control,
    /// Security Hub, for exporting findings (`--security-hub`), from the caller's account.
    SecurityHub,
}

impl Service {
    const ALL: [Service; 20] = [
        Service::Account,
        Service::CloudTrail,
        Service::CloudTrailLookup,
        Service::Config,
        Service::Ec2,
        Service::Iam,
        Service::Organizations,
        Service::S3,
        Service::Sts,
        Service::CostExplorer,
        Service::Health,
        Service::GuardDuty,
        Service::Lambda,
        Service::Ecs,
        Service::Eks,
        Service::SageMaker,
        Service::Lightsail,
        Service::Rds,
        Service::S3Control,
        Service::SecurityHub,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Service::Account => "account",
            Service::CloudTrail => "cloudtrail",
            Service::CloudTrailLookup => "cloudtrail-lookup",
            Service::Config => "config",
            Service::Ec2 => "ec2",
            Service::Iam => "iam",
            Service::Organizations => "organizations",
            Service::S3 => "s3",
            Service::Sts => "sts",
            Service::CostExplorer => "ce",
            Service::Health => "health",
            Service::GuardDuty => "guardduty",
            Service::Lambda => "lambda",
            Service::Ecs => "ecs",
            Service::Eks => "eks",
            Service::SageMaker => "sagemaker",
            Service::Lightsail => "lightsail",
            Service::Rds => "rds",
            Service::S3Control => "s3control",
            Service::SecurityHub => "securityhub",
        }
    }

    /// Requests per second and burst, per (account, region), below AWS's published limits
    /// (Account GetAlternateContact 10/s; CloudTrail LookupEvents 2/s):
    /// EC2 non-mutating Describe* is 20/s with a burst of 100 per account-region (paginated
    /// calls only, which is all orgsweep makes); Organizations ListAccounts is 8/s and
    /// ListParents about 6/s per organization; STS allows 600/s per calling account; IAM
    /// publishes no rate, so orgsweep stays modest.
    ///
    /// The breadth services, each per (account, region) unless noted:
    /// - Cost Explorer: AWS publishes no request rate but answers bursts with
    ///   LimitExceededException, and charges 0.01 USD per request (page); orgsweep makes 4
    ///   requests per scan from the caller's account, one per second.
    /// - Health: the organizational view is served from us-east-1 for the whole organization
    ///   and AWS asks callers to stay low (roughly 10 requests per second per account);
    ///   orgsweep keeps to half of that.
    /// - GuardDuty publishes no per-API rate in its quotas page; a modest 5/s.
    /// - Lambda: 15 control-plane requests per second per region for everything but
    ///   invocations, GetFunction and GetPolicy (Lambda quotas page): 10/s.
    /// - ECS: token buckets per account-region, cluster reads 50 burst / 20 per second
    ///   (ECS "Request throttling" page): 10/s with a burst of 20.
    /// - EKS publishes no rate: 5/s.
    /// - SageMaker throttles List*/Describe* per account-region without a published number
    ///   for most of them: 4/s.
    /// - Lightsail publishes no rate: 4/s.
    /// - RDS: 300 burst and 12 per second sustained for the account-region, all APIs together
    ///   (RDS "Request throttling" page): 8/s with a burst of 20.
    /// - S3 Control: one call per account; S3's own limits are far above it: 5/s.
    /// - Security Hub: BatchImportFindings allows 10 requests per second with a burst of 30
    ///   per account-region (Security Hub quotas): 5/s with a burst of 10.
    pub fn default_quota(self) -> (u32, u32) {
        match self {
            Service::Account => (5, 5),
            Service::CloudTrail => (5, 10),
            // One every 500 ms: never more than two in any one-second window.
            Service::CloudTrailLookup => (2, 1),
            Service::Config => (5, 10),
            Service::Ec2 => (16, 80),
            Service::Iam => (5, 10),
            Service::Organizations => (5, 10),
            Service::S3 => (50, 100),
            Service::Sts => (50, 100),
            Service::CostExplorer => (1, 2),
            Service::Health => (5, 5),
            Service::GuardDuty => (5, 10),
            Service::Lambda => (10, 10),
            Service::Ecs => (10, 20),
            Service::Eks => (5, 10),
            Service::SageMaker => (4, 8),
            Service::Lightsail => (4, 8),
            Service::Rds => (8, 20),
            Service::S3Control => (5, 10),
            Service::SecurityHub => (5, 10),
        }
    }
}

/// The key of one token bucket within a service: (account, region).
pub type LimitKey = (String, String);

/// The limiters' time: tokio's clock, so a test that pauses or advances tokio's time
/// measures rates exactly instead of racing the machine's load.
#[derive(Debug, Clone)]
pub struct TokioClock {
    start: tokio::time::Instant,
}

impl Default for TokioClock {
    fn default() -> Self {
        TokioClock {
            start: tokio::time::Instant::now(),
        }
    }
}

impl Clock for TokioClock {
    type Instant = Duration;

    fn now(&self) -> Duration {
        self.start.elapsed()
    }
}

type KeyedLimiter =
    RateLimiter<LimitKey, DefaultKeyedStateStore<LimitKey>, TokioClock, NoOpMiddleware<Duration>>;

/// One keyed limiter per service, indexed by the service's discriminant. Buckets are
/// created on first use of a key.
pub struct Limits {
    limiters: [KeyedLimiter; Service::ALL.len()],
    clock: TokioClock,
}

impl fmt::Debug for Limits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Limits").finish_non_exhaustive()
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits::new(|s| s.default_quota())
    }
}

impl Limits {
    /// Builds limiters with `quota(service)` = (per second, burst); zeros are raised to one.
    pub fn new(quota: impl Fn(Service) -> (u32, u32)) -> Self {
        let clock = TokioClock::default();
        let limiters = Service::ALL.map(|service| {
            let (rate, burst) = quota(service);
            let rate = NonZeroU32::new(rate).unwrap_or(NonZeroU32::MIN);
            let burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
            RateLimiter::new(
                Quota::per_second(rate).allow_burst(burst),
                DefaultKeyedStateStore::default(),
                clock.clone(),
            )
        });
        Limits { limiters, clock }
    }

    fn limiter(&self, service: Service) -> &KeyedLimiter {
        &self.limiters[service as usize]
    }

    /// Waits until the bucket of (service, account, region) has a token.
    pub async fn acquire(&self, service: Service, key: &LimitKey) {
        let limiter = self.limiter(service);
        while let Err(not_until) = limiter.check_key(key) {
            tokio::time::sleep(not_until.wait_time_from(self.clock.now())).await;
        }
    }

    /// Forgets buckets that are full again (as good as new), so memory follows the keys in
    /// use rather than every account and region ever scanned.
    pub fn forget_idle(&self) {
        for limiter in &self.limiters {
            limiter.retain_recent();
        }
    }
}

/// An [`HttpClient`] that passes every request of one SDK client through the limiter of its
/// key, then on to the shared client, and gives each attempt `attempt_timeout` from the
/// moment it has its token.
#[derive(Clone)]
pub(crate) struct RateLimitedClient {
    inner: SharedHttpClient,
    limits: Arc<Limits>,
    service: Service,
    key: Arc<LimitKey>,
    attempt_timeout: Duration,
}

impl fmt::Debug for RateLimitedClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "RateLimitedClient({}, {:?})",
            self.service.as_str(),
            self.key
        )
    }
}

impl RateLimitedClient {
    pub(crate) fn shared(
        inner: SharedHttpClient,
        limits: Arc<Limits>,
        service: Service,
        account: &str,
        region: &str,
        attempt_timeout: Duration,
    ) -> SharedHttpClient {
        SharedHttpClient::new(RateLimitedClient {
            inner,
            limits,
            service,
            key: Arc::new((account.to_owned(), region.to_owned())),
            attempt_timeout,
        })
    }
}

impl HttpClient for RateLimitedClient {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(RateLimitedConnector {
            inner: self.inner.http_connector(settings, components),
            client: self.clone(),
        })
    }
}

#[derive(Debug)]
struct RateLimitedConnector {
    inner: SharedHttpConnector,
    client: RateLimitedClient,
}

impl HttpConnector for RateLimitedConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let inner = self.inner.clone();
        let client = self.client.clone();
        HttpConnectorFuture::new(async move {
            client.limits.acquire(client.service, &client.key).await;
            let timeout = client.attempt_timeout;
            let attempt = async move {
                let mut response = inner.call(request).await?;
                buffer_body(&mut response).await?;
                Ok(response)
            };
            tokio::time::timeout_at(tokio::time::Instant::now() + timeout, attempt)
                .await
                .unwrap_or_else(|_| {
                    Err(ConnectorError::timeout(
                        format!("attempt timed out after {}", seconds(timeout)).into(),
                    ))
                })
        })
    }
}

/// Reads a streamed body to its end, so the attempt's deadline covers the body too: headers in
/// time must not let a trickling body run on. Read here, a body that is too slow fails as a
/// connector timeout, which the SDK retries and reports as a timeout; failing while the SDK
/// reads it, it would be a response error that reads as an unparsable answer. The bytes are
/// read once either way (orgsweep collects even S3 objects at once), and in memory the body
/// can be replayed.
async fn buffer_body(response: &mut HttpResponse) -> Result<(), ConnectorError> {
    if response.body().bytes().is_some() {
        return Ok(());
    }
    let body = ByteStream::new(response.take_body())
        .collect()
        .await
        // The answer broke off: transient, like a reset before it.
        .map_err(|e| ConnectorError::io(e.into()))?;
    *response.body_mut() = SdkBody::from(body.into_bytes());
    Ok(())
}

/// `30 s`, `1.5 s`.
fn seconds(duration: Duration) -> String {
    format!("{} s", duration.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use tokio::time::Instant;

    use super::*;

    #[test]
    fn every_service_indexes_its_own_limiter() {
        for (i, service) in Service::ALL.iter().enumerate() {
            assert_eq!(*service as usize, i, "{service:?}");
        }
    }

    /// On tokio's paused clock: time only moves when every task waits, so the measured
    /// spacing is the limiter's own, whatever the machine's load.
    #[tokio::test(start_paused = true)]
    async fn a_key_never_exceeds_its_rate_and_keys_are_independent() {
        let limits = Limits::new(|_| (10, 1));
        let a: LimitKey = ("111111111111".into(), "us-east-1".into());
        let b: LimitKey = ("222222222222".into(), "us-east-1".into());
        let start = Instant::now();
        let mut times = Vec::new();
        for _ in 0..6 {
            limits.acquire(Service::Ec2, &a).await;
            times.push(start.elapsed());
        }
        // One token at once, then one every 100 ms exactly.
        let expected: Vec<Duration> = (0..6).map(|i| Duration::from_millis(100 * i)).collect();
        assert_eq!(times, expected);

        let start = Instant::now();
        limits.acquire(Service::Ec2, &b).await;
        limits.acquire(Service::Iam, &a).await;
        assert_eq!(start.elapsed(), Duration::ZERO, "other keys waited");
    }
}
