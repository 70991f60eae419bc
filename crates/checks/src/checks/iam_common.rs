//! What the credential-report checks share: how a key is named in findings and commands,
//! and its usage evidence.

use orgsweep_model::facts::{AccessKeySlot, CredentialReport, CredentialReportRow};

use crate::{FindingDraft, rfc3339};

/// A key's resource id and the id to put into commands. Key ids come from ListAccessKeys;
/// without one, the user's ARN and the slot identify the key for as long as it exists.
pub(crate) fn key_ids(
    row: &CredentialReportRow,
    slot: usize,
    key: &AccessKeySlot,
) -> (String, String) {
    match &key.key_id {
        Some(id) => (id.clone(), id.clone()),
        None => (
            format!("{}#key{slot}", row.arn),
            "<ACCESS_KEY_ID>".to_owned(),
        ),
    }
}

/// Active keys of IAM users (not root), with their 1-based slot.
pub(crate) fn active_user_keys(
    report: &CredentialReport,
) -> impl Iterator<Item = (&CredentialReportRow, usize, &AccessKeySlot)> {
    report.rows.iter().filter(|r| !r.is_root()).flat_map(|row| {
        row.access_keys
            .iter()
            .enumerate()
            .filter(|(_, k)| k.active)
            .map(move |(i, k)| (row, i + 1, k))
    })
}

/// The key's age and use as evidence.
pub(crate) fn key_evidence(
    draft: FindingDraft,
    row: &CredentialReportRow,
    slot: usize,
    key: &AccessKeySlot,
) -> FindingDraft {
    draft
        .evidence("user", row.user.clone())
        .evidence("user_arn", row.arn.clone())
        .evidence("key_slot", slot)
        .evidence("access_key_id", key.key_id.clone())
        .evidence("active", key.active)
        .evidence("created", rfc3339(key.last_rotated))
        .evidence("last_used_date", rfc3339(key.last_used_date))
        .evidence("last_used_region", key.last_used_region.clone())
        .evidence("last_used_service", key.last_used_service.clone())
}

/// The `<root_account>` row, when the report has one (moto's has not).
pub(crate) fn root_row(report: &CredentialReport) -> Option<&CredentialReportRow> {
    report.rows.iter().find(|r| r.is_root())
}

/// Steps that replace a user's key without losing the application: new key first, then
/// deactivate the old one, delete only once verified.
pub(crate) fn rotation_steps(user: &str, key: &str) -> Vec<String> {
    vec![
        format!(
            "Create a new key for the application: aws iam create-access-key --user-name {user}"
        ),
        "Deploy the new key and verify the application works with it.".to_owned(),
        format!(
            "Deactivate (do not delete) the old key: aws iam update-access-key --user-name {user} --access-key-id {key} --status Inactive"
        ),
        format!(
            "Once nothing broke, delete it: aws iam delete-access-key --user-name {user} --access-key-id {key}"
        ),
    ]
}
