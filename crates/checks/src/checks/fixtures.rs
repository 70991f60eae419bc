//! Hand-written facts for the checks' unit tests.

use orgsweep_model::facts::{
    AccessKeySlot, AttachedPolicies, CredentialReport, CredentialReportRow, Facts, IamUser,
};
use time::{Duration, OffsetDateTime, macros::datetime};

use crate::{Check, CheckError, Context, FindingDraft, Settings};

pub const ACCOUNT: &str = "111111111111";
pub const NOW: OffsetDateTime = datetime!(2026-11-24 12:00 UTC);

pub fn days_ago(days: i64) -> Option<OffsetDateTime> {
    Some(NOW - Duration::days(days))
}

pub fn user(name: &str) -> IamUser {
    IamUser {
        name: name.to_owned(),
        arn: format!("arn:aws:iam::{ACCOUNT}:user/{name}"),
        path: "/".to_owned(),
        created_at: days_ago(400),
        policies: AttachedPolicies::default(),
        groups: Vec::new(),
    }
}

pub fn row(user: &str) -> CredentialReportRow {
    CredentialReportRow {
        user: user.to_owned(),
        arn: format!("arn:aws:iam::{ACCOUNT}:user/{user}"),
        user_creation_time: days_ago(400),
        password_enabled: Some(false),
        password_last_used: None,
        mfa_active: false,
        access_keys: [AccessKeySlot::default(), AccessKeySlot::default()],
    }
}

pub fn report(rows: Vec<CredentialReportRow>) -> Facts {
    Facts {
        credential_report: Some(CredentialReport {
            generated_at: Some(NOW),
            rows,
        }),
        ..Facts::default()
    }
}

/// Evaluates `check` on `facts` in a 7-day window with the given expected regions.
pub fn evaluate(
    check: &dyn Check,
    facts: &Facts,
    region: &str,
    expected: &[String],
) -> Result<Vec<FindingDraft>, CheckError> {
    let settings = Settings {
        expected_regions: expected.to_vec(),
        ..Settings::default()
    };
    evaluate_with(check, facts, region, &settings)
}

/// Evaluates `check` on `facts` with explicit settings.
pub fn evaluate_with(
    check: &dyn Check,
    facts: &Facts,
    region: &str,
    settings: &Settings,
) -> Result<Vec<FindingDraft>, CheckError> {
    check.evaluate(&Context {
        account_id: ACCOUNT,
        region,
        now: NOW,
        settings,
        facts,
    })
}

/// An instance with a Name tag that is markup (the HTML must escape it).
pub fn instance(id: &str, instance_type: &str, state: &str) -> orgsweep_model::facts::Ec2Instance {
    orgsweep_model::facts::Ec2Instance {
        instance_id: id.to_owned(),
        instance_type: instance_type.to_owned(),
        state: state.to_owned(),
        launch_time: days_ago(1),
        image_id: Some("ami-1".to_owned()),
        key_name: None,
        instance_profile_arn: None,
        tags: std::collections::BTreeMap::from([("Name".to_owned(), "<b>x</b>".to_owned())]),
    }
}

/// A region's facts with every resource source collected (empty but for `instances`).
pub fn full_inventory(instances: Vec<orgsweep_model::facts::Ec2Instance>) -> Facts {
    Facts {
        ec2_instances: Some(instances),
        ec2_resources: orgsweep_model::facts::ResourceKind::ALL
            .into_iter()
            .map(|k| (k, Vec::new()))
            .collect(),
        ..Facts::default()
    }
}
