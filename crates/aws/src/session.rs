//! SDK configuration for the whole scan and for each account.
//!
//! One [`Session`] per scan owns the shared HTTP client, the limiters and the counters. Each
//! account gets an [`AccountSession`] whose config has its own credentials provider (the
//! caller's for the management account, a refreshing `AssumeRoleProvider` for members) and
//! its own identity cache: the SDK's shared cache holds 64 partitions and would otherwise
//! re-assume roles again and again in a large organization.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use aws_config::identity::IdentityCache;
use aws_config::meta::region::RegionProviderChain;
use aws_config::profile::ProfileFileCredentialsProvider;
use aws_config::retry::RetryConfig;
use aws_config::sts::AssumeRoleProvider;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use aws_credential_types::provider::{
    ProvideCredentials, SharedCredentialsProvider, error::CredentialsError, future,
};
use aws_sdk_iam::config::retry::{ClientRateLimiter, RetryPartition};
use aws_sdk_sts::operation::assume_role::AssumeRoleError;
use aws_smithy_async::time::SharedTimeSource;
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
use aws_smithy_runtime_api::client::http::SharedHttpClient;
use aws_smithy_runtime_api::client::interceptors::SharedInterceptor;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;

use crate::counters::{Counters, CountingInterceptor};
use crate::error::{AwsError, error_chain, from_sdk};
use crate::limits::{Limits, RateLimitedClient, Service};

/// The region global services (IAM, Organizations) are addressed through when the caller's
/// environment names none.
pub const DEFAULT_HOME_REGION: &str = "us-east-1";

/// The label regional limit keys use for global services.
const GLOBAL: &str = "global";

/// How the scan reaches AWS.
#[derive(Debug, Clone)]
pub struct SessionOptions {
    pub profile: Option<String>,
    /// Points every client, STS included, at another endpoint (an emulator).
    pub endpoint_url: Option<String>,
    pub role_name: String,
    /// For `role_name` in member accounts, and for `assume_role`.
    pub external_id: Option<String>,
    /// A role assumed (from the chain's or the profile's credentials) before anything else:
    /// the scan then runs as that role, as for a client's management account or a
    /// standalone account reached through a cross-account role (`scan --targets`).
    pub assume_role: Option<String>,
    /// Attempts per call, the first included. Throttling and server errors are retried with
    /// the SDK's exponential backoff and adaptive client-side rate (per retry partition, so
    /// one throttled account-region slows down alone); enough attempts ride out a burst.
    pub max_attempts: u32,
    /// How far back management events are read.
    pub window_days: u32,
    /// How long a call may take, attempts, backoff and waits for rate-limit tokens included.
    pub operation_timeout: Duration,
    /// How long one attempt may take, body included, counted from when it has its
    /// rate-limit token: time queued behind a slow limit is the scan's pace, not a sign of a
    /// stalled server. Also the longest pause between two reads of an answer.
    pub attempt_timeout: Duration,
    /// Replaces the standard credential chain (tests and embedding; the binary uses the chain).
    pub credentials: Option<Credentials>,
    /// Replaces the HTTPS client under the limiters (tests: a mock transport).
    pub http_client: Option<SharedHttpClient>,
    /// Where management events come from.
    pub events: EventsChoice,
    /// Added to every service client (tests: `aws-smithy-mocks`' response interceptor).
    pub interceptors: Vec<SharedInterceptor>,
    /// The caller's identity when already known (tests and embedding): skips
    /// `sts:GetCallerIdentity` at connect.
    pub caller: Option<Caller>,
    /// Replaces the system clock for signing and credential expiry (tests: the simulator's
    /// accelerated clock, so a scan outlives its credentials in seconds).
    pub time_source: Option<SharedTimeSource>,
}

impl Default for SessionOptions {
    fn default() -> Self {
        SessionOptions {
            profile: None,
            endpoint_url: None,
            role_name: "OrganizationAccountAccessRole".to_owned(),
            external_id: None,
            assume_role: None,
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            window_days: 7,
            operation_timeout: Duration::from_secs(120),
            attempt_timeout: Duration::from_secs(30),
            credentials: None,
            events: EventsChoice::Auto,
            http_client: None,
            interceptors: Vec::new(),
            time_source: None,
            caller: None,
        }
    }
}

/// Attempts per call by default: with the SDK's backoff (1 s doubling, capped at 20 s) eight
/// attempts wait out about a minute of throttling or server errors before a scope is given
/// up as a coverage gap.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 8;

/// Where management events are read from (`--events`, `--cloudtrail-s3`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum EventsChoice {
    /// The organization trail's log files when the management account has one whose
    /// bucket the caller can read (one source for every account, and no LookupEvents limit
    /// of 2 calls per second per account-region); LookupEvents otherwise.
    #[default]
    Auto,
    /// cloudtrail:LookupEvents in every account and region.
    Lookup,
    /// A trail's log files at this location.
    S3(crate::TrailLogLocation),
}

/// The source a scan settled on, with why, for the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventsSource {
    /// `None`: cloudtrail:LookupEvents.
    pub location: Option<crate::TrailLogLocation>,
    /// One line for the report: the source and how it was chosen.
    pub description: String,
}

/// Who is running the scan, from `sts:GetCallerIdentity`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub arn: String,
    pub account_id: String,
    /// The partition of the caller's ARN (`aws`, `aws-us-gov`, `aws-cn`): every ARN orgsweep
    /// builds uses it.
    pub partition: String,
}

impl Caller {
    /// Parses a caller ARN; `account` overrides the account of the ARN.
    pub fn from_arn(arn: &str, account: Option<&str>) -> Option<Caller> {
        let mut parts = arn.splitn(6, ':');
        let (Some("arn"), Some(partition)) = (parts.next(), parts.next()) else {
            return None;
        };
        let account_id = account
            .map(str::to_owned)
            .or_else(|| arn.split(':').nth(4).map(str::to_owned))?;
        Some(Caller {
            arn: arn.to_owned(),
            account_id,
            partition: partition.to_owned(),
        })
    }

    /// The IAM user or role the caller acts as: `user/<name>` for a user, `role/<name>`
    /// for an assumed role's session (`assumed-role/<role>/<session>`).
    pub fn principal(&self) -> Option<(&'static str, &str)> {
        let resource = self.arn.splitn(6, ':').nth(5)?;
        if let Some(rest) = resource.strip_prefix("user/") {
            return Some(("user", rest.rsplit('/').next().unwrap_or(rest)));
        }
        if let Some(rest) = resource.strip_prefix("assumed-role/") {
            return Some(("role", rest.split('/').next().unwrap_or(rest)));
        }
        None
    }
}

/// What every client of the scan shares.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) http: SharedHttpClient,
    pub(crate) limits: Arc<Limits>,
    pub(crate) counters: Arc<Counters>,
    pub(crate) options: SessionOptions,
    pub(crate) base: SdkConfig,
    /// The endpoint calls go to, for error messages.
    pub(crate) endpoint: String,
    pub(crate) caller: Caller,
    /// The retry partitions of the caller's own account, shared by every session of it.
    pub(crate) own_partitions: Partitions,
    /// The events source once settled (see [`Session::settle_events_source`]).
    pub(crate) events: std::sync::OnceLock<Option<crate::TrailLogLocation>>,
    /// The organization's charges per account, read once per scan from the caller's
    /// account on first use (see `collect::billing`); an error fails the source for every
    /// account alike.
    pub(crate) spend: tokio::sync::OnceCell<Result<crate::collect::OrganizationSpend, AwsError>>,
    /// The organization's AWS Health risk and abuse events per affected account, read once
    /// per scan from the caller's account on first use (see `collect::health`).
    pub(crate) health: tokio::sync::OnceCell<
        Result<
            std::collections::BTreeMap<String, Vec<orgsweep_model::facts::HealthEvent>>,
            AwsError,
        >,
    >,
}

/// The scan's connection to AWS.
#[derive(Debug, Clone)]
pub struct Session {
    pub(crate) shared: Arc<Shared>,
}

/// Builds the one HTTP client (and connection pool) every SDK client of the scan uses; public
/// so a test can wrap it (a fault-injecting transport in front of an emulator).
pub fn https_client() -> SharedHttpClient {
    aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::AwsLc))
        .pool_idle_timeout(Duration::from_secs(30))
        .build_https()
}

impl Session {
    /// Loads the credential chain and learns who the caller is (`sts:GetCallerIdentity`)
    /// before anything long starts: no credentials, wrong credentials and an unreachable
    /// endpoint all fail here, within seconds, with the identity and what to check.
    ///
    /// Sessions given the same `limits` (an `Arc`) share its buckets: the targets of one run
    /// pace together.
    pub async fn connect(
        options: SessionOptions,
        limits: impl Into<Arc<Limits>>,
    ) -> Result<Session, AwsError> {
        let http = options.http_client.clone().unwrap_or_else(https_client);
        let limits = limits.into();
        let mut region_chain = RegionProviderChain::default_provider();
        if let Some(profile) = &options.profile {
            region_chain = RegionProviderChain::first_try(
                aws_config::profile::ProfileFileRegionProvider::builder()
                    .profile_name(profile)
                    .build(),
            )
            .or_else(region_chain);
        }
        let region = region_chain
            .or_else(Region::from_static(DEFAULT_HOME_REGION))
            .region()
            .await;
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .region(region)
            // STS (role assumption) goes through the STS limiter of the caller.
            .http_client(RateLimitedClient::shared(
                http.clone(),
                limits.clone(),
                Service::Sts,
                "caller",
                GLOBAL,
                options.attempt_timeout,
            ))
            .retry_config(
                RetryConfig::adaptive()
                    .with_max_attempts(options.max_attempts)
                    .with_max_backoff(Duration::from_secs(20)),
            )
            // No SDK attempt timeout: its clock would start before the wait for a rate-limit
            // token, so `RateLimitedClient` times attempts from the token instead.
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(Duration::from_secs(5))
                    .read_timeout(options.attempt_timeout)
                    .operation_timeout(options.operation_timeout)
                    .build(),
            );
        if let Some(time_source) = &options.time_source {
            loader = loader.time_source(time_source.clone());
        }
        if let Some(url) = &options.endpoint_url {
            loader = loader.endpoint_url(url);
        }
        if let Some(credentials) = &options.credentials {
            loader = loader.credentials_provider(credentials.clone());
        } else if let Some(profile) = &options.profile {
            // An explicit profile wins over credentials in the environment: the default
            // chain would read AWS_ACCESS_KEY_ID first and scan another organization.
            loader = loader.profile_name(profile).credentials_provider(
                ProfileFileCredentialsProvider::builder()
                    .profile_name(profile)
                    .build(),
            );
        }
        let mut base = loader.load().await;
        let counters = Arc::new(Counters::default());
        if let Some(role_arn) = &options.assume_role {
            let endpoint = base.endpoint_url().unwrap_or("of AWS").to_owned();
            let provider = assume_once(
                &base,
                role_arn,
                options.external_id.as_deref(),
                &counters,
                &endpoint,
            )
            .await?;
            base = base
                .to_builder()
                .credentials_provider(SharedCredentialsProvider::new(provider))
                .build();
        }
        // AWS_ENDPOINT_URL (honoured by aws-config) is an override like --endpoint-url: the
        // clients that need path-style S3 or a plain S3 Control host must know of it too.
        let mut options = options;
        if options.endpoint_url.is_none() {
            options.endpoint_url = base.endpoint_url().map(str::to_owned);
        }
        let endpoint = base
            .endpoint_url()
            .map_or_else(|| "of AWS".to_owned(), str::to_owned);

        let provider = base.credentials_provider().ok_or_else(|| {
            AwsError::Credentials("no credentials provider is configured".to_owned())
        })?;
        let credentials = match provider.provide_credentials().await {
            Ok(credentials) => credentials,
            Err(err) => return Err(credentials_error(&options, &err)),
        };

        let mut session = Session {
            shared: Arc::new(Shared {
                http,
                limits,
                counters,
                options,
                base,
                endpoint,
                caller: Caller {
                    arn: String::new(),
                    account_id: String::new(),
                    partition: "aws".to_owned(),
                },
                own_partitions: Partitions::default(),
                events: std::sync::OnceLock::new(),
                spend: tokio::sync::OnceCell::new(),
                health: tokio::sync::OnceCell::new(),
            }),
        };
        let caller = match session.shared.options.caller.clone() {
            Some(caller) => caller,
            None => session.identify(credentials.access_key_id()).await?,
        };
        if let Some(shared) = Arc::get_mut(&mut session.shared) {
            shared.caller = caller;
        }
        Ok(session)
    }

    /// `sts:GetCallerIdentity`, failing fast (two attempts) only when the endpoint cannot be
    /// reached at all; throttling and server errors get the full retry policy.
    async fn identify(&self, access_key_id: &str) -> Result<Caller, AwsError> {
        let probe = self.own("caller");
        let sts = probe.sts(None);
        let fast = sts
            .get_caller_identity()
            .customize()
            .config_override(
                aws_sdk_sts::config::Builder::default()
                    .retry_config(RetryConfig::standard().with_max_attempts(2)),
            )
            .send()
            .await;
        let answer = match fast {
            Ok(answer) => Ok(answer),
            Err(err) => {
                let first = probe.error("sts:GetCallerIdentity", err);
                match first {
                    AwsError::Unreachable { .. } | AwsError::Service { .. } => {
                        if first.is_retryable() {
                            sts.get_caller_identity()
                                .send()
                                .await
                                .map_err(|e| probe.error("sts:GetCallerIdentity", e))
                        } else {
                            Err(first)
                        }
                    }
                    other => Err(other),
                }
            }
        };
        // Without an endpoint override, name the host that could not be reached.
        let region = self
            .shared
            .base
            .region()
            .map_or_else(|| DEFAULT_HOME_REGION.to_owned(), |r| r.to_string());
        let answer = answer.map_err(|err| match err {
            AwsError::Unreachable {
                endpoint,
                operation,
                message,
            } if self.shared.options.endpoint_url.is_none() => AwsError::Unreachable {
                endpoint: format!("https://sts.{region}.amazonaws.com ({endpoint})"),
                operation,
                message,
            },
            AwsError::Service { code, message, .. } => AwsError::Credentials(format!(
                "AWS refused access key {access_key_id} ({code}: {message}); check that the \
                 key is active and belongs to the organization's management account, and \
                 that its secret and session token are current"
            )),
            other => other,
        })?;
        let arn = answer.arn().unwrap_or_default();
        Caller::from_arn(arn, answer.account()).ok_or_else(|| AwsError::Other {
            operation: "sts:GetCallerIdentity",
            message: format!("unexpected caller ARN '{arn}'"),
        })
    }

    /// Who is running the scan.
    pub fn caller(&self) -> &Caller {
        &self.shared.caller
    }

    /// Settles where management events come from, once per scan (see [`EventsChoice`]).
    pub async fn settle_events_source(&self) -> EventsSource {
        let source = match &self.shared.options.events {
            EventsChoice::Lookup => EventsSource {
                location: None,
                description: "cloudtrail:LookupEvents (--events lookup)".to_owned(),
            },
            EventsChoice::S3(location) => EventsSource {
                location: Some(location.clone()),
                description: format!("{location} (--cloudtrail-s3)"),
            },
            EventsChoice::Auto => {
                let own = self.own(&self.shared.caller.account_id);
                match own.readable_organization_trail().await {
                    Ok((trail, location)) => EventsSource {
                        description: format!(
                            "{location}, the log files of organization trail {trail}"
                        ),
                        location: Some(location),
                    },
                    Err(why) => EventsSource {
                        location: None,
                        description: format!("cloudtrail:LookupEvents ({why})"),
                    },
                }
            }
        };
        let _ = self.shared.events.set(source.location.clone());
        source
    }

    pub fn counters(&self) -> &Counters {
        &self.shared.counters
    }

    /// Drops the rate-limit state of keys no call has used lately (see
    /// [`Limits::forget_idle`]); the engine calls it as accounts finish, so the limiters hold
    /// the accounts in flight, not every account scanned so far.
    pub fn forget_idle_limits(&self) {
        self.shared.limits.forget_idle();
    }

    /// Who is acting, for the remediation audit log.
    pub fn caller_arn(&self) -> &str {
        &self.shared.caller.arn
    }

    /// The session of the caller's own account (the management account, or a delegated
    /// administrator's), with the caller's credentials.
    pub fn own(&self, account_id: &str) -> AccountSession {
        AccountSession {
            account_id: account_id.to_owned(),
            config: self.shared.base.clone(),
            shared: self.shared.clone(),
            role_arn: None,
            partitions: self.shared.own_partitions.clone(),
        }
    }

    /// The ARN of `role` in `account_id`, in the caller's partition.
    pub fn role_arn(&self, account_id: &str, role: &str) -> String {
        format!(
            "arn:{}:iam::{account_id}:role/{role}",
            self.shared.caller.partition
        )
    }

    /// The session of a member account through `sts:AssumeRole`, with the account's own
    /// identity cache. The role is assumed once here, so an account whose role cannot be
    /// assumed fails as a whole with a clear reason before any check; those first
    /// credentials are then the ones the account's clients use, and the provider assumes
    /// again only when the cache refreshes them shortly before they expire.
    pub async fn member(&self, account_id: &str) -> Result<AccountSession, AwsError> {
        let role = self.shared.options.role_name.clone();
        self.member_with_role(account_id, &role).await
    }

    /// [`Session::member`] with another role (containment's remediation role).
    pub async fn member_with_role(
        &self,
        account_id: &str,
        role: &str,
    ) -> Result<AccountSession, AwsError> {
        let role_arn = self.role_arn(account_id, role);
        let provider = assume_once(
            &self.shared.base,
            &role_arn,
            self.shared.options.external_id.as_deref(),
            &self.shared.counters,
            &self.shared.endpoint,
        )
        .await?;
        let config = self
            .shared
            .base
            .to_builder()
            .credentials_provider(SharedCredentialsProvider::new(provider))
            .identity_cache(IdentityCache::lazy().build())
            .build();
        Ok(AccountSession {
            account_id: account_id.to_owned(),
            config,
            shared: self.shared.clone(),
            role_arn: Some(role_arn),
            partitions: Partitions::default(),
        })
    }
}

/// Assumes `role_arn` once with `base`'s credentials (and `external_id`), so a role that
/// cannot be assumed fails here with what STS answered; the provider returned hands those
/// first credentials out, then assumes again on each refresh.
async fn assume_once(
    base: &aws_config::SdkConfig,
    role_arn: &str,
    external_id: Option<&str>,
    counters: &Arc<Counters>,
    endpoint: &str,
) -> Result<FirstThenRefresh, AwsError> {
    let mut builder = AssumeRoleProvider::builder(role_arn.to_owned())
        .session_name("orgsweep")
        .configure(base);
    if let Some(external_id) = external_id {
        builder = builder.external_id(external_id);
    }
    let provider = CountingProvider {
        inner: builder.build().await,
        counters: counters.clone(),
    };
    match provider.provide_credentials().await {
        Ok(first) => Ok(FirstThenRefresh {
            first: std::sync::Mutex::new(Some(first)),
            inner: provider,
        }),
        Err(err) => {
            // The provider wraps the STS error; unwrapped, it says what AWS answered.
            let message = std::error::Error::source(&err)
                .and_then(|s| s.downcast_ref::<SdkError<AssumeRoleError, HttpResponse>>())
                .map_or_else(
                    || error_chain(&err),
                    |e| from_sdk("sts:AssumeRole", endpoint, e).to_string(),
                );
            Err(AwsError::AssumeRole {
                role_arn: role_arn.to_owned(),
                message,
            })
        }
    }
}

/// Turns a failure of the credential chain into a message that leads with what to do.
fn credentials_error(options: &SessionOptions, err: &CredentialsError) -> AwsError {
    if let Some(profile) = &options.profile {
        return AwsError::Credentials(format!(
            "profile '{profile}' gives no credentials ({}); check that it exists in \
             ~/.aws/config or ~/.aws/credentials (aws configure list-profiles)",
            error_chain(err)
        ));
    }
    match err {
        CredentialsError::CredentialsNotLoaded(_) => AwsError::Credentials(
            "none found; set AWS_PROFILE (or --profile), or AWS_ACCESS_KEY_ID and \
             AWS_SECRET_ACCESS_KEY, or run aws sso login (searched: environment, profile, SSO, \
             web identity, container, instance metadata)"
                .to_owned(),
        ),
        other => AwsError::Credentials(format!(
            "{}; set AWS_PROFILE (or --profile), or AWS_ACCESS_KEY_ID and \
             AWS_SECRET_ACCESS_KEY, or run aws sso login",
            error_chain(other)
        )),
    }
}

/// Hands out the credentials of the probing `AssumeRole` once, then assumes again on each
/// refresh: the first credentials are not thrown away.
#[derive(Debug)]
struct FirstThenRefresh {
    first: std::sync::Mutex<Option<Credentials>>,
    inner: CountingProvider,
}

impl ProvideCredentials for FirstThenRefresh {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        let first = self.first.lock().ok().and_then(|mut f| f.take());
        match first {
            Some(credentials) => future::ProvideCredentials::ready(Ok(credentials)),
            None => self.inner.provide_credentials(),
        }
    }
}

/// Counts `sts.AssumeRole` calls, which the SDK makes inside the provider where our
/// interceptor cannot see them.
#[derive(Debug)]
struct CountingProvider {
    inner: AssumeRoleProvider,
    counters: Arc<Counters>,
}

impl ProvideCredentials for CountingProvider {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        self.counters.count_call("sts", "AssumeRole");
        self.inner.provide_credentials()
    }
}

/// One account's view of AWS: the clients of every service, keyed for limits and retries.
#[derive(Debug, Clone)]
pub struct AccountSession {
    pub account_id: String,
    config: SdkConfig,
    pub(crate) shared: Arc<Shared>,
    /// The assumed role, `None` for the management account (the caller's credentials).
    pub role_arn: Option<String>,
    partitions: Partitions,
}

/// The retry partitions (retry token bucket and adaptive client rate) of one account, one
/// per service and region (or Organizations API), made on first use and dropped with the
/// account. A named `RetryPartition::new` would put them in the SDK's process-wide maps,
/// which never shrink: at 10,000 accounts × 17 regions × a dozen services that is millions
/// of entries held to the end of the scan. A custom partition owns its state instead; it is
/// shared only through clones, hence this map.
#[derive(Debug, Clone, Default)]
pub(crate) struct Partitions(Arc<std::sync::Mutex<HashMap<String, RetryPartition>>>);

impl Partitions {
    fn get(&self, name: String, time: Option<SharedTimeSource>) -> RetryPartition {
        let mut map = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        map.entry(name)
            .or_insert_with_key(|name| {
                // Started at the present, as the SDK starts its own: a limiter whose last
                // throttle and time bucket lie at the epoch measures a rate of nearly zero
                // at the first throttling and crawls at the minimum rate from then on.
                let now = time
                    .unwrap_or_default()
                    .now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0.0, |d| d.as_secs_f64());
                RetryPartition::custom(name.clone())
                    .client_rate_limiter(ClientRateLimiter::new(now))
                    .build()
            })
            .clone()
    }
}

macro_rules! client {
    ($name:ident, $sdk:ident, $service:expr) => {
        /// A client whose calls pass this account's limiter and count into the scan's stats.
        /// `region` is `None` for a global service.
        pub(crate) fn $name(&self, region: Option<&str>) -> $sdk::Client {
            let label = region.unwrap_or(GLOBAL);
            let mut builder = $sdk::config::Builder::from(&self.config)
                .http_client(RateLimitedClient::shared(
                    self.shared.http.clone(),
                    self.shared.limits.clone(),
                    $service,
                    &self.account_id,
                    label,
                    self.shared.options.attempt_timeout,
                ))
                .retry_partition(self.partitions.get(
                    format!("{}-{}-{label}", $service.as_str(), self.account_id),
                    self.config.time_source(),
                ))
                .interceptor(CountingInterceptor(self.shared.counters.clone()));
            for interceptor in &self.shared.options.interceptors {
                builder.push_interceptor(interceptor.clone());
            }
            if let Some(region) = region {
                builder = builder.region(Region::new(region.to_owned()));
            }
            $sdk::Client::from_conf(builder.build())
        }
    };
}

impl AccountSession {
    client!(account, aws_sdk_account, Service::Account);
    client!(cloudtrail, aws_sdk_cloudtrail, Service::CloudTrail);
    client!(
        cloudtrail_lookup,
        aws_sdk_cloudtrail,
        Service::CloudTrailLookup
    );
    client!(config, aws_sdk_config, Service::Config);
    client!(s3_client, aws_sdk_s3, Service::S3);
    client!(sts, aws_sdk_sts, Service::Sts);
    client!(ec2, aws_sdk_ec2, Service::Ec2);
    client!(iam, aws_sdk_iam, Service::Iam);
    client!(costexplorer, aws_sdk_costexplorer, Service::CostExplorer);
    client!(health, aws_sdk_health, Service::Health);
    client!(guardduty, aws_sdk_guardduty, Service::GuardDuty);
    client!(lambda, aws_sdk_lambda, Service::Lambda);
    client!(ecs, aws_sdk_ecs, Service::Ecs);
    client!(eks, aws_sdk_eks, Service::Eks);
    client!(sagemaker, aws_sdk_sagemaker, Service::SageMaker);
    client!(lightsail, aws_sdk_lightsail, Service::Lightsail);
    client!(rds, aws_sdk_rds, Service::Rds);
    client!(s3control_client, aws_sdk_s3control, Service::S3Control);
    client!(securityhub, aws_sdk_securityhub, Service::SecurityHub);

    /// An Organizations client whose calls of `api` share one bucket: AWS throttles
    /// Organizations per API, so ListAccountsForParent does not wait for ListTagsForResource.
    pub(crate) fn organizations_api(&self, api: &str) -> aws_sdk_organizations::Client {
        let mut builder = aws_sdk_organizations::config::Builder::from(&self.config)
            .http_client(RateLimitedClient::shared(
                self.shared.http.clone(),
                self.shared.limits.clone(),
                Service::Organizations,
                &self.account_id,
                api,
                self.shared.options.attempt_timeout,
            ))
            .retry_partition(self.partitions.get(
                format!("organizations-{}-{api}", self.account_id),
                self.config.time_source(),
            ))
            .interceptor(CountingInterceptor(self.shared.counters.clone()));
        for interceptor in &self.shared.options.interceptors {
            builder.push_interceptor(interceptor.clone());
        }
        aws_sdk_organizations::Client::from_conf(builder.build())
    }

    /// The caller's own session (for the trail log bucket, which lives wherever the
    /// organization keeps its logs).
    pub(crate) fn caller(&self) -> AccountSession {
        AccountSession {
            account_id: "caller".to_owned(),
            config: self.shared.base.clone(),
            shared: self.shared.clone(),
            role_arn: None,
            partitions: self.shared.own_partitions.clone(),
        }
    }

    /// The trail log location events are read from, `None` for LookupEvents.
    pub(crate) fn events_source(&self) -> Option<crate::TrailLogLocation> {
        match self.shared.events.get() {
            Some(settled) => settled.clone(),
            None => match &self.shared.options.events {
                EventsChoice::S3(location) => Some(location.clone()),
                _ => None,
            },
        }
    }

    /// S3 with path-style addressing when an endpoint override (an emulator) is in use,
    /// since `bucket.127.0.0.1` does not resolve.
    pub(crate) fn s3(&self) -> aws_sdk_s3::Client {
        let client = self.s3_client(None);
        if self.shared.options.endpoint_url.is_none() {
            return client;
        }
        let config = client.config().to_builder().force_path_style(true).build();
        aws_sdk_s3::Client::from_conf(config)
    }

    pub(crate) fn error<E>(
        &self,
        operation: &'static str,
        err: SdkError<E, HttpResponse>,
    ) -> AwsError
    where
        E: aws_smithy_types::error::metadata::ProvideErrorMetadata
            + std::error::Error
            + Send
            + Sync
            + 'static,
    {
        from_sdk(operation, &self.shared.endpoint, &err)
    }

    /// The region global services are called through.
    pub(crate) fn home_region(&self) -> String {
        self.config
            .region()
            .map_or_else(|| DEFAULT_HOME_REGION.to_owned(), |r| r.to_string())
    }
}
