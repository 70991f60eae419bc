//! SDK configuration for the whole scan and for each account.
//!
//! One [`Session`] per scan owns the shared HTTP client, the limiters and the counters. Each
//! account gets an [`AccountSession`] whose config has its own credentials provider (the
//! caller's for the management account, a refreshing `AssumeRoleProvider` for members) and
//! its own identity cache: the SDK's shared cache holds 64 partitions and would otherwise
//! re-assume roles again and again in a large organization.

use std::sync::Arc;
use std::time::Duration;

use aws_config::identity::IdentityCache;
use aws_config::meta::region::RegionProviderChain;
use aws_config::retry::RetryConfig;
use aws_config::sts::AssumeRoleProvider;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use aws_credential_types::provider::{
    ProvideCredentials, SharedCredentialsProvider, error::CredentialsError, future,
};
use aws_sdk_iam::config::retry::RetryPartition;
use aws_sdk_sts::operation::assume_role::AssumeRoleError;
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
    pub external_id: Option<String>,
    /// Attempts per call, the first included.
    pub max_attempts: u32,
    /// How far back management events are read.
    pub window_days: u32,
    pub operation_timeout: Duration,
    pub attempt_timeout: Duration,
    /// Replaces the standard credential chain (tests and embedding; the binary uses the chain).
    pub credentials: Option<Credentials>,
    /// Replaces the HTTPS client under the limiters (tests: a mock transport).
    pub http_client: Option<SharedHttpClient>,
    /// Read management events from a trail's log files here instead of LookupEvents.
    pub cloudtrail_s3: Option<crate::TrailLogLocation>,
    /// Added to every service client (tests: `aws-smithy-mocks`' response interceptor).
    pub interceptors: Vec<SharedInterceptor>,
}

impl Default for SessionOptions {
    fn default() -> Self {
        SessionOptions {
            profile: None,
            endpoint_url: None,
            role_name: "OrganizationAccountAccessRole".to_owned(),
            external_id: None,
            max_attempts: 3,
            window_days: 7,
            operation_timeout: Duration::from_secs(120),
            attempt_timeout: Duration::from_secs(30),
            credentials: None,
            cloudtrail_s3: None,
            http_client: None,
            interceptors: Vec::new(),
        }
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
}

/// The scan's connection to AWS.
#[derive(Debug, Clone)]
pub struct Session {
    pub(crate) shared: Arc<Shared>,
}

/// Builds the one HTTP client (and connection pool) every SDK client of the scan uses.
fn shared_http_client() -> SharedHttpClient {
    aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::AwsLc))
        .pool_idle_timeout(Duration::from_secs(30))
        .build_https()
}

impl Session {
    /// Loads the standard credential chain and checks, before anything long starts, that
    /// credentials exist. Reachability is proven by the first real call (see
    /// [`Session::organization`]).
    pub async fn connect(options: SessionOptions, limits: Limits) -> Result<Session, AwsError> {
        let http = options
            .http_client
            .clone()
            .unwrap_or_else(shared_http_client);
        let limits = Arc::new(limits);
        let region = RegionProviderChain::default_provider()
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
            ))
            .retry_config(RetryConfig::standard().with_max_attempts(options.max_attempts))
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(Duration::from_secs(5))
                    .operation_timeout(options.operation_timeout)
                    .operation_attempt_timeout(options.attempt_timeout)
                    .build(),
            );
        if let Some(profile) = &options.profile {
            loader = loader.profile_name(profile);
        }
        if let Some(url) = &options.endpoint_url {
            loader = loader.endpoint_url(url);
        }
        if let Some(credentials) = &options.credentials {
            loader = loader.credentials_provider(credentials.clone());
        }
        let base = loader.load().await;
        let endpoint = base
            .endpoint_url()
            .map_or_else(|| "of AWS".to_owned(), str::to_owned);

        let provider = base.credentials_provider().ok_or_else(|| {
            AwsError::Credentials("no credentials provider is configured".to_owned())
        })?;
        if let Err(err) = provider.provide_credentials().await {
            let found = match &err {
                CredentialsError::CredentialsNotLoaded(_) => "none found in the standard chain \
                    (environment, profile, SSO, web identity, container, instance metadata)"
                    .to_owned(),
                other => error_chain(other),
            };
            return Err(AwsError::Credentials(format!(
                "{found}; set AWS_PROFILE (or --profile), or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run aws sso login"
            )));
        }

        Ok(Session {
            shared: Arc::new(Shared {
                http,
                limits,
                counters: Arc::new(Counters::default()),
                options,
                base,
                endpoint,
            }),
        })
    }

    pub fn counters(&self) -> &Counters {
        &self.shared.counters
    }

    /// Who is acting, for the remediation audit log.
    pub async fn caller_arn(&self) -> Result<String, AwsError> {
        let caller = self.management("caller");
        let identity = caller
            .sts(None)
            .get_caller_identity()
            .send()
            .await
            .map_err(|e| caller.error("sts:GetCallerIdentity", e))?;
        Ok(identity.arn().unwrap_or("unknown").to_owned())
    }

    /// The session of the management account, with the caller's own credentials.
    pub fn management(&self, account_id: &str) -> AccountSession {
        AccountSession {
            account_id: account_id.to_owned(),
            config: self.shared.base.clone(),
            shared: self.shared.clone(),
            role_arn: None,
        }
    }

    /// The session of a member account through `sts:AssumeRole`, with a refreshing provider
    /// and the account's own identity cache. The role is assumed once here, so an account
    /// whose role cannot be assumed fails as a whole with a clear reason, before any check.
    pub async fn member(&self, account_id: &str) -> Result<AccountSession, AwsError> {
        let options = &self.shared.options;
        let role_arn = format!("arn:aws:iam::{account_id}:role/{}", options.role_name);
        let mut builder = AssumeRoleProvider::builder(role_arn.clone())
            .session_name("orgsweep")
            .configure(&self.shared.base);
        if let Some(external_id) = &options.external_id {
            builder = builder.external_id(external_id);
        }
        let provider = CountingProvider {
            inner: builder.build().await,
            counters: self.shared.counters.clone(),
        };
        if let Err(err) = provider.provide_credentials().await {
            // The provider wraps the STS error; unwrapped, it says what AWS answered.
            let message = std::error::Error::source(&err)
                .and_then(|s| s.downcast_ref::<SdkError<AssumeRoleError, HttpResponse>>())
                .map_or_else(
                    || error_chain(&err),
                    |e| from_sdk("sts:AssumeRole", &self.shared.endpoint, e).to_string(),
                );
            return Err(AwsError::AssumeRole { role_arn, message });
        }
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
        })
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
                ))
                .retry_partition(RetryPartition::new(format!(
                    "{}-{}-{label}",
                    $service.as_str(),
                    self.account_id
                )))
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
    client!(organizations, aws_sdk_organizations, Service::Organizations);

    /// The caller's own session (for the trail log bucket, which lives wherever the
    /// organization keeps its logs).
    pub(crate) fn caller(&self) -> AccountSession {
        AccountSession {
            account_id: "caller".to_owned(),
            config: self.shared.base.clone(),
            shared: self.shared.clone(),
            role_arn: None,
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
