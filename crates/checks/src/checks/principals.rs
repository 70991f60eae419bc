//! Users and roles seen the same way, for the checks that treat both as principals.

use orgsweep_model::facts::{AttachedPolicies, IamAuthorizationDetails};
use time::OffsetDateTime;

pub(crate) struct Principal<'a> {
    pub is_user: bool,
    pub name: &'a str,
    pub arn: &'a str,
    pub path: &'a str,
    pub created_at: Option<OffsetDateTime>,
    pub last_used_at: Option<OffsetDateTime>,
    pub policies: &'a AttachedPolicies,
}

impl Principal<'_> {
    pub fn resource_type(&self) -> &'static str {
        if self.is_user { "iam_user" } else { "iam_role" }
    }
}

pub(crate) fn principals(details: &IamAuthorizationDetails) -> impl Iterator<Item = Principal<'_>> {
    let users = details.users.iter().map(|u| Principal {
        is_user: true,
        name: &u.name,
        arn: &u.arn,
        path: &u.path,
        created_at: u.created_at,
        last_used_at: None,
        policies: &u.policies,
    });
    let roles = details.roles.iter().map(|r| Principal {
        is_user: false,
        name: &r.name,
        arn: &r.arn,
        path: &r.path,
        created_at: r.created_at,
        last_used_at: r.last_used_at,
        policies: &r.policies,
    });
    users.chain(roles)
}

/// Roles AWS creates and manages (service-linked roles, IAM Identity Center's reserved
/// roles, the organization's access role) and the role orgsweep itself assumes.
pub(crate) fn is_aws_managed_role(p: &Principal<'_>, scan_role: &str) -> bool {
    !p.is_user
        && (p.path.starts_with("/aws-service-role/")
            || p.path.starts_with("/aws-reserved/")
            || p.name == "OrganizationAccountAccessRole"
            || p.name == scan_role)
}
