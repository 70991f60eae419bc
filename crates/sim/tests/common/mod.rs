//! Builds real SDK clients whose transport is the simulator.
#![allow(dead_code)]

use std::time::{Duration, SystemTime};

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use aws_smithy_runtime_api::client::http::SharedHttpClient;
use orgsweep_sim::{Limits, OrgSpec, SimConfig, SimulatedAws};

pub const HOME: &str = "us-east-1";

/// A simulator without latency or limits: functional tests wait for nothing.
pub fn simulator(accounts: usize) -> SimulatedAws {
    SimulatedAws::with_config(
        OrgSpec::new(accounts, 42),
        SimConfig {
            latency: Duration::ZERO,
            limits: Limits::unlimited(),
            ..SimConfig::default()
        },
    )
}

pub fn caller() -> Credentials {
    Credentials::new("AKIACALLER0000000001", "secret", None, None, "test")
}

/// SDK config on the simulator, one attempt per call (so a throttle is seen, not retried).
pub async fn config(sim: &SimulatedAws, credentials: Credentials, region: &str) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(region.to_owned()))
        .credentials_provider(credentials)
        .http_client(SharedHttpClient::new(sim.clone()))
        .retry_config(RetryConfig::standard().with_max_attempts(1))
        .load()
        .await
}

/// Assumes the organization role in `account` and returns its credentials.
pub async fn assume(sim: &SimulatedAws, account: &str) -> Credentials {
    let sts = aws_sdk_sts::Client::new(&config(sim, caller(), HOME).await);
    let out = sts
        .assume_role()
        .role_arn(format!(
            "arn:aws:iam::{account}:role/OrganizationAccountAccessRole"
        ))
        .role_session_name("orgsweep")
        .send()
        .await
        .expect("assume role");
    let c = out.credentials().expect("credentials");
    let expires = SystemTime::try_from(*c.expiration()).expect("expiry");
    Credentials::new(
        c.access_key_id(),
        c.secret_access_key(),
        Some(c.session_token().to_owned()),
        Some(expires),
        "assumed",
    )
}

pub async fn member(sim: &SimulatedAws, account: &str, region: &str) -> SdkConfig {
    config(sim, assume(sim, account).await, region).await
}
