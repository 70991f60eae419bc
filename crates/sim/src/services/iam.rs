//! IAM (awsQuery): authorization details (paged), the credential report, the account
//! summary, access keys.

use std::fmt::Write as _;

use bytes::Bytes;

use crate::clock::{iso, report_time};
use crate::iam_model::{AccountIam, Key, User};
use crate::rng::hash;
use crate::services::{page, token};
use crate::sim::{CacheKey, Call, GLOBAL_REGION, Sim, Table};
use crate::wire::{ApiError, el, esc, query_body, url_encode};

pub(crate) fn register(t: &mut Table) {
    t.op(
        "iam",
        "GetAccountAuthorizationDetails",
        get_account_authorization_details,
    )
    .op(
        "iam",
        "GenerateCredentialReport",
        generate_credential_report,
    )
    .op("iam", "GetCredentialReport", get_credential_report)
    .op("iam", "GetAccountSummary", get_account_summary)
    .op("iam", "ListAccessKeys", list_access_keys)
    .op(
        "iam",
        "GenerateServiceLastAccessedDetails",
        generate_service_last_accessed_details,
    )
    .op(
        "iam",
        "GetServiceLastAccessedDetails",
        get_service_last_accessed_details,
    );
}

const USERS: u64 = 1;
const GROUPS: u64 = 2;
const ROLES: u64 = 4;
const POLICIES: u64 = 8;

fn managed(o: &mut String, arns: &[String]) {
    o.push_str("<AttachedManagedPolicies>");
    for arn in arns {
        o.push_str("<member>");
        el(o, "PolicyName", arn.rsplit('/').next().unwrap_or(arn));
        el(o, "PolicyArn", arn);
        o.push_str("</member>");
    }
    o.push_str("</AttachedManagedPolicies>");
}

fn user_detail(o: &mut String, u: &User) {
    o.push_str("<member><Path>/</Path>");
    el(o, "UserName", &u.name);
    el(o, "UserId", &u.id);
    el(o, "Arn", &u.arn);
    el(o, "CreateDate", &iso(u.created));
    o.push_str("<UserPolicyList>");
    for (name, doc) in &u.inline {
        o.push_str("<member>");
        el(o, "PolicyName", name);
        el(o, "PolicyDocument", &url_encode(doc));
        o.push_str("</member>");
    }
    o.push_str("</UserPolicyList><GroupList>");
    for g in &u.groups {
        el(o, "member", g);
    }
    o.push_str("</GroupList>");
    managed(o, &u.managed);
    o.push_str("<Tags/></member>");
}

fn render_details(
    iam: &AccountIam,
    mask: u64,
    start: usize,
    end: usize,
    next: Option<usize>,
) -> Bytes {
    let xmlns = "https://iam.amazonaws.com/doc/2010-05-08/";
    query_body(xmlns, "GetAccountAuthorizationDetails", |o| {
        let _ = write!(o, "<IsTruncated>{}</IsTruncated>", next.is_some());
        if let Some(n) = next {
            el(o, "Marker", &token(n));
        }
        // The entity sequence is users, groups, roles, policies (those asked for).
        let mut at = 0usize;
        let mut window = |len: usize| {
            let from = start.max(at).min(at + len) - at;
            let to = end.max(at).min(at + len) - at;
            at += len;
            from..to
        };
        let take = |bit: u64, len: usize| if mask & bit != 0 { len } else { 0 };
        let users = window(take(USERS, iam.users.len()));
        let groups = window(take(GROUPS, iam.groups.len()));
        let roles = window(take(ROLES, iam.roles.len()));
        let policies = window(take(POLICIES, iam.policies.len()));
        o.push_str("<UserDetailList>");
        for u in &iam.users[users] {
            user_detail(o, u);
        }
        o.push_str("</UserDetailList><GroupDetailList>");
        for g in &iam.groups[groups] {
            o.push_str("<member><Path>/</Path>");
            el(o, "GroupName", g.name);
            el(o, "GroupId", &g.id);
            el(o, "Arn", &g.arn);
            el(o, "CreateDate", &iso(g.created));
            o.push_str("<GroupPolicyList/>");
            managed(o, &g.managed);
            o.push_str("</member>");
        }
        o.push_str("</GroupDetailList><RoleDetailList>");
        for r in &iam.roles[roles] {
            o.push_str("<member>");
            el(o, "Path", &r.path);
            el(o, "RoleName", &r.name);
            el(o, "RoleId", &r.id);
            el(o, "Arn", &r.arn);
            el(o, "CreateDate", &iso(r.created));
            el(o, "AssumeRolePolicyDocument", &url_encode(&r.trust));
            o.push_str("<InstanceProfileList/><RolePolicyList/>");
            managed(o, &r.managed);
            o.push_str("<Tags/>");
            match &r.last_used {
                Some((when, region)) => {
                    o.push_str("<RoleLastUsed>");
                    el(o, "LastUsedDate", &iso(*when));
                    el(o, "Region", region);
                    o.push_str("</RoleLastUsed>");
                }
                None => o.push_str("<RoleLastUsed/>"),
            }
            o.push_str("</member>");
        }
        o.push_str("</RoleDetailList><Policies>");
        for p in &iam.policies[policies] {
            o.push_str("<member>");
            el(o, "PolicyName", &p.name);
            el(o, "PolicyId", &p.id);
            el(o, "Arn", &p.arn);
            o.push_str("<Path>/</Path><DefaultVersionId>v1</DefaultVersionId>");
            let _ = write!(
                o,
                "<AttachmentCount>{}</AttachmentCount><PermissionsBoundaryUsageCount>0</PermissionsBoundaryUsageCount><IsAttachable>true</IsAttachable>",
                p.attachments
            );
            el(o, "CreateDate", &iso(p.created));
            el(o, "UpdateDate", &iso(p.created));
            o.push_str("<PolicyVersionList><member>");
            el(o, "Document", &url_encode(&p.document));
            o.push_str("<VersionId>v1</VersionId><IsDefaultVersion>true</IsDefaultVersion>");
            el(o, "CreateDate", &iso(p.created));
            o.push_str("</member></PolicyVersionList></member>");
        }
        o.push_str("</Policies>");
    })
}

fn get_account_authorization_details(sim: &Sim, call: &Call<'_>) -> Result<Bytes, ApiError> {
    let mut mask = 0;
    for f in call.params.values("Filter.member.") {
        mask |= match f {
            "User" => USERS,
            "Group" => GROUPS,
            "Role" => ROLES,
            "LocalManagedPolicy" => POLICIES,
            // AWS-managed policies are not generated: asking for them adds nothing.
            "AWSManagedPolicy" => 0,
            other => {
                return Err(ApiError::bad(
                    "ValidationError",
                    format!("Value '{other}' at 'filter' failed to satisfy constraint"),
                ));
            }
        };
    }
    if !call.params.has_prefix("Filter.member.") {
        mask = USERS | GROUPS | ROLES | POLICIES;
    }
    let iam = sim.iam(call.account);
    let count = |bit: u64, len: usize| if mask & bit != 0 { len } else { 0 };
    let total = count(USERS, iam.users.len())
        + count(GROUPS, iam.groups.len())
        + count(ROLES, iam.roles.len())
        + count(POLICIES, iam.policies.len());
    let p = page(
        call.params,
        "Marker",
        "MaxItems",
        total,
        1,
        1000,
        Some(100),
        "ValidationError",
    )?;
    let key = CacheKey {
        account: call.account as u32,
        region: GLOBAL_REGION,
        op: call.op,
        a: p.start as u64,
        b: (mask << 32) | p.size,
    };
    sim.cached(key, || {
        Ok(render_details(&iam, mask, p.start, p.end, p.next))
    })
}

fn generate_credential_report(sim: &Sim, call: &Call<'_>) -> Result<Bytes, ApiError> {
    let (state, description) = if sim.report_poll(call.account) {
        ("COMPLETE", "")
    } else {
        (
            "STARTED",
            "No report exists. Starting a new report generation task",
        )
    };
    Ok(query_body(call.service.xmlns, call.op, |o| {
        el(o, "State", state);
        if !description.is_empty() {
            el(o, "Description", description);
        }
    }))
}

const REPORT_HEADER: &str = "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated";

fn key_cells(out: &mut String, key: Option<&Key>) {
    match key {
        Some(k) => {
            let _ = write!(out, ",{},{}", k.active, report_time(k.created));
            match k.last_used {
                Some((when, region, service)) => {
                    let _ = write!(out, ",{},{region},{service}", report_time(when));
                }
                None => out.push_str(",N/A,N/A,N/A"),
            }
        }
        None => out.push_str(",false,N/A,N/A,N/A,N/A"),
    }
}

/// The report as AWS documents it: the root row first, then one row per user.
pub(crate) fn credential_report_csv(iam: &AccountIam) -> String {
    let mut out = String::with_capacity(256 * (iam.users.len() + 2));
    out.push_str(REPORT_HEADER);
    out.push('\n');
    let _ = write!(
        out,
        "<root_account>,arn:aws:iam::{}:root,{},not_supported,{},not_supported,not_supported,{},false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A",
        iam.account_id,
        report_time(iam.root_created),
        iam.root_last_used
            .map_or_else(|| "no_information".to_owned(), report_time),
        iam.root_mfa
    );
    out.push('\n');
    for u in &iam.users {
        let _ = write!(out, "{},{},{}", u.name, u.arn, report_time(u.created));
        match &u.password {
            Some(p) => {
                let _ = write!(
                    out,
                    ",true,{},{},N/A",
                    p.last_used
                        .map_or_else(|| "no_information".to_owned(), report_time),
                    report_time(p.changed)
                );
            }
            None => out.push_str(",false,N/A,N/A,N/A"),
        }
        let _ = write!(out, ",{}", u.mfa);
        key_cells(&mut out, u.keys.first());
        key_cells(&mut out, u.keys.get(1));
        out.push_str(",false,N/A,false,N/A\n");
    }
    out
}

fn get_credential_report(sim: &Sim, call: &Call<'_>) -> Result<Bytes, ApiError> {
    if !sim.report_ready(call.account) {
        return Err(ApiError::new(
            410,
            "ReportNotPresent",
            "Credential report not present. Generate a report first.",
        ));
    }
    let key = CacheKey {
        account: call.account as u32,
        region: GLOBAL_REGION,
        op: call.op,
        a: 0,
        b: 0,
    };
    let generated = sim.org.epoch;
    sim.cached(key, || {
        let iam = sim.iam(call.account);
        let csv = credential_report_csv(&iam);
        Ok(query_body(call.service.xmlns, call.op, |o| {
            el(
                o,
                "Content",
                &aws_smithy_types::base64::encode(csv.as_bytes()),
            );
            o.push_str("<ReportFormat>text/csv</ReportFormat>");
            el(o, "GeneratedTime", &iso(generated));
        }))
    })
}

fn get_account_summary(sim: &Sim, call: &Call<'_>) -> Result<Bytes, ApiError> {
    let iam = sim.iam(call.account);
    let entries: [(&str, usize); 12] = [
        ("Users", iam.users.len()),
        ("UsersQuota", 5000),
        ("Groups", iam.groups.len()),
        ("GroupsQuota", 300),
        ("Roles", iam.roles.len()),
        ("RolesQuota", 1000),
        ("Policies", iam.policies.len()),
        ("PoliciesQuota", 1500),
        ("AccountMFAEnabled", usize::from(iam.root_mfa)),
        ("AccountAccessKeysPresent", 0),
        ("AccountSigningCertificatesPresent", 0),
        (
            "MFADevicesInUse",
            iam.users.iter().filter(|u| u.mfa).count(),
        ),
    ];
    Ok(query_body(call.service.xmlns, call.op, |o| {
        o.push_str("<SummaryMap>");
        for (k, v) in entries {
            let _ = write!(o, "<entry><key>{k}</key><value>{v}</value></entry>");
        }
        o.push_str("</SummaryMap>");
    }))
}

fn list_access_keys(sim: &Sim, call: &Call<'_>) -> Result<Bytes, ApiError> {
    let iam = sim.iam(call.account);
    let name = call.params.str("UserName").unwrap_or("orgsweep-operator");
    let user = iam.user(name).ok_or_else(|| {
        ApiError::new(
            404,
            "NoSuchEntity",
            format!("The user with name {name} cannot be found."),
        )
    })?;
    Ok(query_body(call.service.xmlns, call.op, |o| {
        o.push_str("<AccessKeyMetadata>");
        for k in &user.keys {
            o.push_str("<member><UserName>");
            esc(o, &user.name);
            o.push_str("</UserName>");
            el(o, "AccessKeyId", &k.id);
            el(o, "Status", if k.active { "Active" } else { "Inactive" });
            el(o, "CreateDate", &iso(k.created));
            o.push_str("</member>");
        }
        o.push_str("</AccessKeyMetadata><IsTruncated>false</IsTruncated>");
    }))
}

/// The services last accessed data lists (a representative subset of IAM's catalogue), by
/// name as IAM sorts them: (name, namespace).
const SERVICES: [(&str, &str); 24] = [
    ("AWS Identity and Access Management", "iam"),
    ("AWS Key Management Service", "kms"),
    ("AWS Lambda", "lambda"),
    ("AWS Security Token Service", "sts"),
    ("AWS Systems Manager", "ssm"),
    ("Amazon CloudWatch", "cloudwatch"),
    ("Amazon CloudWatch Logs", "logs"),
    ("Amazon DynamoDB", "dynamodb"),
    ("Amazon EC2", "ec2"),
    ("Amazon EC2 Container Registry", "ecr"),
    ("Amazon Elastic Container Service", "ecs"),
    ("Amazon Elastic Kubernetes Service", "eks"),
    ("Amazon GuardDuty", "guardduty"),
    ("Amazon Lightsail", "lightsail"),
    ("Amazon RDS", "rds"),
    ("Amazon S3", "s3"),
    ("Amazon SNS", "sns"),
    ("Amazon SQS", "sqs"),
    ("Amazon SageMaker", "sagemaker"),
    ("AWS CloudFormation", "cloudformation"),
    ("AWS CloudTrail", "cloudtrail"),
    ("AWS Config", "config"),
    ("AWS Organizations", "organizations"),
    ("AWS Secrets Manager", "secretsmanager"),
];

/// A principal of the account: users first, then roles.
fn principal(iam: &AccountIam, index: usize) -> Option<&str> {
    match iam.users.get(index) {
        Some(u) => Some(&u.arn),
        None => iam
            .roles
            .get(index - iam.users.len())
            .map(|r| r.arn.as_str()),
    }
}

/// What a principal used, consistent with its credentials' last use: (namespace, when,
/// region). The latest use of any service is the latest use of any credential.
fn accessed(iam: &AccountIam, index: usize) -> Vec<(&'static str, i64, &'static str)> {
    let mut out: Vec<(&'static str, i64, &'static str)> = Vec::new();
    if let Some(u) = iam.users.get(index) {
        for k in &u.keys {
            if let Some((when, region, service)) = k.last_used {
                out.push((service, when, region));
            }
        }
        if let Some(used) = u.password.as_ref().and_then(|p| p.last_used) {
            out.push(("iam", used, "us-east-1"));
            out.push(("ec2", used - 600, "us-east-1"));
        }
    } else if let Some(r) = iam.roles.get(index - iam.users.len())
        && let Some((when, region)) = r.last_used
    {
        let used = ["sts", "logs", "s3"];
        for (k, ns) in used.iter().enumerate() {
            let at = (when - k as i64 * 86_400 * 3).max(r.created);
            out.push((ns, at, region));
        }
    }
    // One entry per service: its latest use.
    out.sort_by(|a, b| a.0.cmp(b.0).then(b.1.cmp(&a.1)));
    out.dedup_by(|a, b| a.0 == b.0);
    out
}

fn job_prefix(sim: &Sim, account: usize) -> u64 {
    hash(&[sim.org.spec.seed, 60, account as u64]) & 0xffff_ffff
}

fn generate_service_last_accessed_details(sim: &Sim, call: &Call<'_>) -> Result<Bytes, ApiError> {
    let arn = call.params.str("Arn").unwrap_or_default();
    let iam = sim.iam(call.account);
    let index = (0..iam.users.len() + iam.roles.len())
        .find(|i| principal(&iam, *i) == Some(arn))
        .ok_or_else(|| {
            ApiError::new(
                404,
                "NoSuchEntity",
                format!("The entity {arn} cannot be found."),
            )
        })?;
    // The job id carries the account and the principal, so the job needs no state.
    let job = format!(
        "{:08x}-{:04x}-4000-8000-{:012x}",
        job_prefix(sim, call.account),
        index,
        hash(&[sim.org.spec.seed, 61, call.account as u64, index as u64]) & 0xffff_ffff_ffff
    );
    Ok(query_body(call.service.xmlns, call.op, |o| {
        el(o, "JobId", &job);
    }))
}

fn get_service_last_accessed_details(sim: &Sim, call: &Call<'_>) -> Result<Bytes, ApiError> {
    let job = call.params.str("JobId").unwrap_or_default();
    let mut parts = job.split('-');
    let prefix = parts.next().and_then(|p| u64::from_str_radix(p, 16).ok());
    let index = parts.next().and_then(|p| usize::from_str_radix(p, 16).ok());
    let iam = sim.iam(call.account);
    let (Some(index), true) = (index, prefix == Some(job_prefix(sim, call.account))) else {
        return Err(ApiError::new(
            404,
            "NoSuchEntity",
            format!("No job found with id {job}."),
        ));
    };
    let arn = principal(&iam, index)
        .ok_or_else(|| ApiError::new(404, "NoSuchEntity", "No such job."))?
        .to_owned();
    let p = page(
        call.params,
        "Marker",
        "MaxItems",
        SERVICES.len(),
        1,
        1000,
        Some(100),
        "ValidationError",
    )?;
    let key = CacheKey {
        account: call.account as u32,
        region: GLOBAL_REGION,
        op: call.op,
        a: index as u64,
        b: (p.start as u64) << 32 | p.size.min(u64::from(u32::MAX)),
    };
    let generated = sim.org.epoch;
    sim.cached(key, || {
        let used = accessed(&iam, index);
        Ok(query_body(call.service.xmlns, call.op, |o| {
            o.push_str("<JobStatus>COMPLETED</JobStatus><JobType>SERVICE_LEVEL</JobType>");
            el(o, "JobCreationDate", &iso(generated));
            o.push_str("<ServicesLastAccessed>");
            for (name, namespace) in &SERVICES[p.start..p.end] {
                o.push_str("<member>");
                el(o, "ServiceName", name);
                el(o, "ServiceNamespace", namespace);
                match used.iter().find(|u| u.0 == *namespace) {
                    Some((_, when, region)) => {
                        el(o, "LastAuthenticated", &iso(*when));
                        el(o, "LastAuthenticatedEntity", &arn);
                        el(o, "LastAuthenticatedRegion", region);
                        o.push_str("<TotalAuthenticatedEntities>1</TotalAuthenticatedEntities>");
                    }
                    None => {
                        o.push_str("<TotalAuthenticatedEntities>0</TotalAuthenticatedEntities>")
                    }
                }
                o.push_str("</member>");
            }
            o.push_str("</ServicesLastAccessed>");
            el(o, "JobCompletionDate", &iso(generated + 5));
            let _ = write!(o, "<IsTruncated>{}</IsTruncated>", p.next.is_some());
            if let Some(n) = p.next {
                el(o, "Marker", &token(n));
            }
        }))
    })
}
