//! `--targets targets.toml`: the organizations and standalone accounts one run scans, each
//! with the credentials that reach it and the customer it belongs to (an MSP's list of
//! clients). Mistakes are errors naming the line: a target silently dropped would be a
//! customer silently not audited.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use crate::{ConfigError, digest, is_account_id, line_of, parse, read};

/// How a target is reached. Credentials start from `profile` (or the scan's own credentials
/// without one); with `role_arn` that role is assumed first, with `external_id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reach {
    pub profile: Option<String>,
    pub role_arn: Option<String>,
    /// For `role_arn` and, in an organization, for the member role too.
    pub external_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetSpec {
    /// An organization: discovery from its management account (or delegated administrator),
    /// then `member_role` in every member account.
    Organization {
        reach: Reach,
        member_role: Option<String>,
    },
    /// One account outside any organization the run scans: `role_arn` in it.
    Account { reach: Reach, account_id: String },
}

/// One entry of the targets file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetEntry {
    pub name: String,
    pub customer: String,
    pub spec: TargetSpec,
}

impl TargetEntry {
    pub fn reach(&self) -> &Reach {
        match &self.spec {
            TargetSpec::Organization { reach, .. } | TargetSpec::Account { reach, .. } => reach,
        }
    }

    /// The account the target starts from, when the file says it (a role ARN's account).
    pub fn account_id(&self) -> Option<String> {
        match &self.spec {
            TargetSpec::Account { account_id, .. } => Some(account_id.clone()),
            TargetSpec::Organization { reach, .. } => reach
                .role_arn
                .as_deref()
                .and_then(role_account)
                .map(str::to_owned),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    organization: Vec<Spanned<OrganizationSpec>>,
    #[serde(default)]
    account: Vec<Spanned<AccountSpec>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct OrganizationSpec {
    name: String,
    customer: Option<String>,
    profile: Option<String>,
    role_arn: Option<String>,
    external_id: Option<String>,
    member_role: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AccountSpec {
    name: String,
    customer: Option<String>,
    profile: Option<String>,
    role_arn: String,
    external_id: Option<String>,
}

/// The account id of `arn:<partition>:iam::<account>:role/<path/name>`, if it is one.
fn role_account(arn: &str) -> Option<&str> {
    let mut parts = arn.splitn(6, ':');
    let (arn_word, partition, service, region, account, resource) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
    let role = resource.strip_prefix("role/")?;
    (arn_word == "arn"
        && partition.starts_with("aws")
        && service == "iam"
        && region.is_empty()
        && is_account_id(account)
        && !role.is_empty()
        && !role.ends_with('/'))
    .then_some(account)
}

/// A name that is safe as a directory name in any store (it names the target's journal).
fn is_target_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        && !name.starts_with('.')
}

/// The targets file, read.
#[derive(Debug, Clone)]
pub struct Targets {
    /// In the file's order.
    pub entries: Vec<TargetEntry>,
    /// Of the file's text: a resumed run must scan the same targets.
    pub digest: String,
}

/// Reads the targets file: at least one target, unique names, role ARNs that are role ARNs.
pub fn load_targets(path: &Path) -> Result<Targets, ConfigError> {
    let text = read(path)?;
    let file: File = parse(path, &text)?;
    let invalid = |span: std::ops::Range<usize>, message: String| ConfigError::Invalid {
        path: path.to_owned(),
        line: line_of(&text, span.start),
        message,
    };
    let mut entries = Vec::new();
    let mut spans = Vec::new();
    for spec in &file.organization {
        let o = spec.get_ref();
        entries.push(TargetEntry {
            name: o.name.clone(),
            customer: o.customer.clone().unwrap_or_else(|| o.name.clone()),
            spec: TargetSpec::Organization {
                reach: Reach {
                    profile: o.profile.clone(),
                    role_arn: o.role_arn.clone(),
                    external_id: o.external_id.clone(),
                },
                member_role: o.member_role.clone(),
            },
        });
        spans.push(spec.span());
    }
    for spec in &file.account {
        let a = spec.get_ref();
        let account_id = role_account(&a.role_arn).ok_or_else(|| {
            invalid(
                spec.span(),
                format!(
                    "account target '{}': role_arn '{}' is not a role ARN \
                     (arn:aws:iam::123456789012:role/NAME)",
                    a.name, a.role_arn
                ),
            )
        })?;
        entries.push(TargetEntry {
            name: a.name.clone(),
            customer: a.customer.clone().unwrap_or_else(|| a.name.clone()),
            spec: TargetSpec::Account {
                reach: Reach {
                    profile: a.profile.clone(),
                    role_arn: Some(a.role_arn.clone()),
                    external_id: a.external_id.clone(),
                },
                account_id: account_id.to_owned(),
            },
        });
        spans.push(spec.span());
    }
    if entries.is_empty() {
        return Err(invalid(
            0..0,
            "no targets: add [[organization]] or [[account]] entries".to_owned(),
        ));
    }
    // In the file's order, whatever the kind: the run and the report follow it.
    let mut entries: Vec<(TargetEntry, std::ops::Range<usize>)> =
        entries.into_iter().zip(spans).collect();
    entries.sort_by_key(|(_, span)| span.start);
    let mut seen = BTreeMap::new();
    for (entry, span) in &entries {
        if !is_target_name(&entry.name) {
            return Err(invalid(
                span.clone(),
                format!(
                    "target name '{}' must be 1-64 letters, digits, '-', '_' or '.' \
                     (it names a directory)",
                    entry.name
                ),
            ));
        }
        if entry.customer.trim().is_empty() {
            return Err(invalid(
                span.clone(),
                format!("target '{}': customer is empty", entry.name),
            ));
        }
        if let Some(arn) = &entry.reach().role_arn
            && role_account(arn).is_none()
        {
            return Err(invalid(
                span.clone(),
                format!(
                    "target '{}': role_arn '{arn}' is not a role ARN \
                     (arn:aws:iam::123456789012:role/NAME)",
                    entry.name
                ),
            ));
        }
        if let Some(first) = seen.insert(entry.name.clone(), line_of(&text, span.start)) {
            return Err(invalid(
                span.clone(),
                format!(
                    "target name '{}' is used twice (first on line {first})",
                    entry.name
                ),
            ));
        }
    }
    Ok(Targets {
        entries: entries.into_iter().map(|(entry, _)| entry).collect(),
        digest: digest(&text),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<Vec<TargetEntry>, ConfigError> {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("targets.toml");
        std::fs::write(&path, text).expect("write");
        load_targets(&path).map(|t| t.entries)
    }

    fn message(text: &str) -> String {
        load(text).expect_err("refused").to_string()
    }

    #[test]
    fn organizations_and_accounts_are_read_with_their_customers() {
        let targets = load(
            r#"
[[organization]]
name = "acme"
customer = "ACME Corp"
role_arn = "arn:aws:iam::111111111111:role/OrgSweepManagement"
external_id = "acme-7f3c"
member_role = "OrgSweepScan"

[[organization]]
name = "globex"
profile = "globex-mgmt"

[[account]]
name = "solo"
customer = "Solo Ltd"
role_arn = "arn:aws:iam::333333333333:role/team/OrgSweepScan"
external_id = "solo-1d2e"
"#,
        )
        .expect("loads");
        assert_eq!(targets.len(), 3);
        assert_eq!(targets[0].customer, "ACME Corp");
        assert_eq!(targets[0].account_id().as_deref(), Some("111111111111"));
        assert_eq!(
            targets[0].spec,
            TargetSpec::Organization {
                reach: Reach {
                    profile: None,
                    role_arn: Some("arn:aws:iam::111111111111:role/OrgSweepManagement".into()),
                    external_id: Some("acme-7f3c".into()),
                },
                member_role: Some("OrgSweepScan".into()),
            }
        );
        assert_eq!(
            targets[1].customer, "globex",
            "the name when no customer is given"
        );
        assert_eq!(targets[1].account_id(), None);
        assert_eq!(targets[2].account_id().as_deref(), Some("333333333333"));
    }

    #[test]
    fn mistakes_name_the_line() {
        let twice = "[[account]]\nname = \"a\"\nrole_arn = \"arn:aws:iam::333333333333:role/R\"\n\n[[organization]]\nname = \"a\"\n";
        let m = message(twice);
        assert!(
            m.contains("line 5") && m.contains("used twice (first on line 1)"),
            "{m}"
        );
        let m = message("[[account]]\nname = \"a\"\nrole_arn = \"arn:aws:iam::33:role/R\"\n");
        assert!(m.contains("line 1") && m.contains("not a role ARN"), "{m}");
        let m = message("[[organization]]\nname = \"a\"\nrole_arn = \"arn:aws:s3:::bucket\"\n");
        assert!(m.contains("not a role ARN"), "{m}");
        let m = message("[[organization]]\nname = \"../up\"\n");
        assert!(m.contains("names a directory"), "{m}");
        let m = message("[[organization]]\nname = \"a\"\nrole = \"x\"\n");
        assert!(m.contains("line 3") && m.contains("unknown field"), "{m}");
        assert!(message("").contains("no targets"));
        let m = message("[[account]]\nname = \"a\"\n");
        assert!(m.contains("role_arn"), "{m}");
    }
}
