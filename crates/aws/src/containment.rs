//! Reversible containment (`orgsweep remediate --apply`). Nothing here deletes: keys are
//! deactivated, users get a deny-all inline policy (remove it to undo), roles get the
//! `aws:TokenIssueTime` policy that revokes sessions issued before now, and instances are
//! snapshotted and then stopped (start them to undo). An action that no longer matches
//! reality (key already inactive, instance gone) is skipped, not an error.

use aws_sdk_ec2::types::InstanceStateName;
use aws_sdk_iam::types::StatusType;
use serde::Serialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::error::AwsError;
use crate::session::AccountSession;

/// The inline policy names orgsweep writes, so a person can find and remove them.
pub const DENY_ALL_POLICY: &str = "orgsweep-containment-deny-all";
pub const REVOKE_SESSIONS_POLICY: &str = "orgsweep-revoke-older-sessions";

/// One containment step.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    DeactivateAccessKey {
        user: String,
        access_key_id: String,
    },
    /// Deactivate every active key of a user whose exposed key is not named.
    DeactivateUserKeys {
        user: String,
    },
    DenyAllForUser {
        user: String,
    },
    RevokeRoleSessions {
        role: String,
    },
    SnapshotAndStopInstance {
        region: String,
        instance_id: String,
    },
}

impl Action {
    pub fn describe(&self) -> String {
        match self {
            Action::DeactivateAccessKey {
                user,
                access_key_id,
            } => {
                format!("deactivate access key {access_key_id} of user {user}")
            }
            Action::DeactivateUserKeys { user } => {
                format!("deactivate every active access key of user {user}")
            }
            Action::DenyAllForUser { user } => {
                format!("attach the deny-all inline policy {DENY_ALL_POLICY} to user {user}")
            }
            Action::RevokeRoleSessions { role } => {
                format!(
                    "revoke sessions of role {role} issued before now ({REVOKE_SESSIONS_POLICY})"
                )
            }
            Action::SnapshotAndStopInstance {
                region,
                instance_id,
            } => {
                format!("snapshot the volumes of instance {instance_id} in {region}, then stop it")
            }
        }
    }
}

/// What happened to an action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "result", content = "detail", rename_all = "snake_case")]
pub enum Outcome {
    Done(String),
    /// Reality no longer matches the finding; nothing was changed.
    Skipped(String),
}

fn policy(document: serde_json::Value) -> String {
    document.to_string()
}

impl AccountSession {
    /// The user's keys with whether each is active.
    async fn access_keys(&self, user: &str) -> Result<Vec<(String, bool)>, AwsError> {
        let keys = self
            .iam(None)
            .list_access_keys()
            .user_name(user)
            .send()
            .await
            .map_err(|e| self.error("iam:ListAccessKeys", e))?;
        Ok(keys
            .access_key_metadata()
            .iter()
            .filter_map(|k| {
                Some((
                    k.access_key_id()?.to_owned(),
                    k.status() == Some(&StatusType::Active),
                ))
            })
            .collect())
    }

    pub async fn contain(&self, action: &Action) -> Result<Outcome, AwsError> {
        let iam = self.iam(None);
        match action {
            Action::DeactivateAccessKey {
                user,
                access_key_id,
            } => {
                let keys = self.access_keys(user).await?;
                let Some((_, active)) = keys.iter().find(|(id, _)| id == access_key_id) else {
                    return Ok(Outcome::Skipped(format!(
                        "key {access_key_id} no longer exists"
                    )));
                };
                if !active {
                    return Ok(Outcome::Skipped(format!(
                        "key {access_key_id} is already inactive"
                    )));
                }
                iam.update_access_key()
                    .user_name(user)
                    .access_key_id(access_key_id)
                    .status(StatusType::Inactive)
                    .send()
                    .await
                    .map_err(|e| self.error("iam:UpdateAccessKey", e))?;
                Ok(Outcome::Done(format!("key {access_key_id} is inactive")))
            }
            Action::DeactivateUserKeys { user } => {
                let active: Vec<String> = self
                    .access_keys(user)
                    .await?
                    .into_iter()
                    .filter_map(|(id, active)| active.then_some(id))
                    .collect();
                if active.is_empty() {
                    return Ok(Outcome::Skipped(format!("user {user} has no active key")));
                }
                for key in &active {
                    iam.update_access_key()
                        .user_name(user)
                        .access_key_id(key)
                        .status(StatusType::Inactive)
                        .send()
                        .await
                        .map_err(|e| self.error("iam:UpdateAccessKey", e))?;
                }
                Ok(Outcome::Done(format!("deactivated {}", active.join(", "))))
            }
            Action::DenyAllForUser { user } => {
                let document = policy(serde_json::json!({"Version": "2012-10-17",
                    "Statement": [{"Sid": "OrgsweepContainment", "Effect": "Deny", "Action": "*", "Resource": "*"}]}));
                iam.put_user_policy()
                    .user_name(user)
                    .policy_name(DENY_ALL_POLICY)
                    .policy_document(document)
                    .send()
                    .await
                    .map_err(|e| self.error("iam:PutUserPolicy", e))?;
                Ok(Outcome::Done(format!(
                    "user {user} is denied everything until {DENY_ALL_POLICY} is removed"
                )))
            }
            Action::RevokeRoleSessions { role } => {
                let now = OffsetDateTime::now_utc()
                    .format(&Rfc3339)
                    .unwrap_or_default();
                let document = policy(serde_json::json!({"Version": "2012-10-17",
                    "Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*",
                                   "Condition": {"DateLessThan": {"aws:TokenIssueTime": now}}}]}));
                iam.put_role_policy()
                    .role_name(role)
                    .policy_name(REVOKE_SESSIONS_POLICY)
                    .policy_document(document)
                    .send()
                    .await
                    .map_err(|e| self.error("iam:PutRolePolicy", e))?;
                Ok(Outcome::Done(format!(
                    "sessions of role {role} issued before {now} are denied"
                )))
            }
            Action::SnapshotAndStopInstance {
                region,
                instance_id,
            } => {
                let ec2 = self.ec2(Some(region));
                let described = ec2
                    .describe_instances()
                    .instance_ids(instance_id)
                    .send()
                    .await
                    .map_err(|e| self.error("ec2:DescribeInstances", e))?;
                let Some(instance) = described
                    .reservations()
                    .iter()
                    .flat_map(|r| r.instances())
                    .next()
                else {
                    return Ok(Outcome::Skipped(format!(
                        "instance {instance_id} no longer exists"
                    )));
                };
                let state = instance.state().and_then(|s| s.name());
                if matches!(
                    state,
                    Some(
                        InstanceStateName::Terminated
                            | InstanceStateName::ShuttingDown
                            | InstanceStateName::Stopped
                            | InstanceStateName::Stopping
                    )
                ) {
                    return Ok(Outcome::Skipped(format!(
                        "instance {instance_id} is already {}",
                        state.map_or("", |s| s.as_str())
                    )));
                }
                // Evidence first: a snapshot of every EBS volume, before anything changes.
                let mut snapshots = Vec::new();
                for volume in instance
                    .block_device_mappings()
                    .iter()
                    .filter_map(|m| m.ebs().and_then(|e| e.volume_id()))
                {
                    let snapshot = ec2
                        .create_snapshot()
                        .volume_id(volume)
                        // No spaces: moto's signature check (under IAM enforcement)
                        // rejects form values with spaces; AWS accepts either.
                        .description(format!("orgsweep-evidence-of-{instance_id}"))
                        .send()
                        .await
                        .map_err(|e| self.error("ec2:CreateSnapshot", e))?;
                    snapshots.extend(snapshot.snapshot_id().map(str::to_owned));
                }
                ec2.stop_instances()
                    .instance_ids(instance_id)
                    .send()
                    .await
                    .map_err(|e| self.error("ec2:StopInstances", e))?;
                Ok(Outcome::Done(format!(
                    "snapshots [{}] taken, instance {instance_id} stopped",
                    snapshots.join(", ")
                )))
            }
        }
    }
}
