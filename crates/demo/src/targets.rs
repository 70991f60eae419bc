//! An MSP's world in one emulator, for `scan --targets`: two organizations with their own
//! management accounts (moto keeps one organization per account, so a second management
//! account is reached by assuming a role into it), a standalone account, and in a member of
//! each a console user without MFA, so every customer has a finding of its own.

use anyhow::{Context as _, anyhow};
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use aws_sdk_organizations::types::OrganizationFeatureSet;
use serde::Serialize;

const REGION: &str = "us-east-1";

/// The management account of the second organization, and the standalone account.
pub const SECOND_MANAGEMENT: &str = "222222222222";
pub const STANDALONE: &str = "333333333333";

/// One organization of the fixture.
#[derive(Debug, Clone, Serialize)]
pub struct SeededOrg {
    pub id: String,
    pub management_account_id: String,
    pub member_account_id: String,
    /// The console user without MFA planted in the member account.
    pub intruder: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct TargetsWorld {
    pub endpoint: String,
    /// Managed by the caller's own account (moto's default account).
    pub first: SeededOrg,
    /// Managed by [`SECOND_MANAGEMENT`].
    pub second: SeededOrg,
    pub standalone_account_id: String,
    pub standalone_intruder: String,
}

fn config(endpoint: &str, credentials: Credentials) -> SdkConfig {
    SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(REGION))
        .endpoint_url(endpoint)
        .credentials_provider(
            aws_credential_types::provider::SharedCredentialsProvider::new(credentials),
        )
        .build()
}

/// Credentials of `account` (any role: moto does not enforce IAM unless asked to).
async fn assume(endpoint: &str, from: &SdkConfig, account: &str) -> anyhow::Result<SdkConfig> {
    let assumed = aws_sdk_sts::Client::new(from)
        .assume_role()
        .role_arn(format!("arn:aws:iam::{account}:role/OrgSweepSeed"))
        .role_session_name("orgsweep-seed")
        .send()
        .await
        .with_context(|| format!("assuming a role in {account}"))?;
    let c = assumed
        .credentials()
        .ok_or_else(|| anyhow!("AssumeRole into {account} returned no credentials"))?;
    Ok(config(
        endpoint,
        Credentials::new(
            c.access_key_id(),
            c.secret_access_key(),
            Some(c.session_token().to_owned()),
            None,
            "orgsweep-seed",
        ),
    ))
}

/// A console user without MFA in `account`.
async fn plant_intruder(
    endpoint: &str,
    from: &SdkConfig,
    account: &str,
    user: &str,
) -> anyhow::Result<()> {
    let iam = aws_sdk_iam::Client::new(&assume(endpoint, from, account).await?);
    iam.create_user()
        .user_name(user)
        .send()
        .await
        .with_context(|| format!("creating {user} in {account}"))?;
    iam.create_login_profile()
        .user_name(user)
        .password("Demo-Passw0rd-not-secret")
        .send()
        .await
        .with_context(|| format!("giving {user} a password in {account}"))?;
    Ok(())
}

/// An organization managed by `management` (its credentials) with one member holding an
/// intruder.
async fn organization(
    endpoint: &str,
    management: &SdkConfig,
    member_name: &str,
    intruder: &str,
) -> anyhow::Result<SeededOrg> {
    let org = aws_sdk_organizations::Client::new(management);
    org.create_organization()
        .feature_set(OrganizationFeatureSet::All)
        .send()
        .await
        .context("creating an organization")?;
    let described = org
        .describe_organization()
        .send()
        .await
        .context("describing the organization")?;
    let organization = described
        .organization()
        .ok_or_else(|| anyhow!("DescribeOrganization returned nothing"))?;
    let member_account_id = org
        .create_account()
        .account_name(member_name)
        .email(format!("{member_name}@example.com"))
        .send()
        .await
        .with_context(|| format!("creating account {member_name}"))?
        .create_account_status()
        .and_then(|s| s.account_id())
        .ok_or_else(|| anyhow!("CreateAccount returned no account id"))?
        .to_owned();
    plant_intruder(endpoint, management, &member_account_id, intruder).await?;
    Ok(SeededOrg {
        id: organization.id().unwrap_or_default().to_owned(),
        management_account_id: organization
            .master_account_id()
            .unwrap_or_default()
            .to_owned(),
        member_account_id,
        intruder: intruder.to_owned(),
    })
}

/// Seeds the two organizations and the standalone account. The caller's credentials are
/// moto's default ones (`testing`), which act as the first organization's management.
pub async fn seed_targets(endpoint: &str) -> anyhow::Result<TargetsWorld> {
    let admin = config(
        endpoint,
        Credentials::new("testing", "testing", None, None, "orgsweep-seed"),
    );
    let first = organization(endpoint, &admin, "acme-prod", "acme-intruder").await?;
    let second_management = assume(endpoint, &admin, SECOND_MANAGEMENT).await?;
    let second = organization(
        endpoint,
        &second_management,
        "globex-prod",
        "globex-intruder",
    )
    .await?;
    plant_intruder(endpoint, &admin, STANDALONE, "solo-intruder").await?;
    Ok(TargetsWorld {
        endpoint: endpoint.to_owned(),
        first,
        second,
        standalone_account_id: STANDALONE.to_owned(),
        standalone_intruder: "solo-intruder".to_owned(),
    })
}
