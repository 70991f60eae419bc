//! What the organization has accepted: principals and resources from the baseline, plus the
//! settings file's known principals and allow rules. Checks that need a reference
//! (`iam.unknown_principal`, `resources.unknown_resource`) consult it; others use it to stay
//! quiet about what a person already vouched for.

use std::collections::BTreeMap;

use orgsweep_model::facts::ResourceView;

/// Known principals and resources.
#[derive(Debug, Clone, Default)]
pub struct Known {
    /// Glob patterns over the ARN's resource part (`user/alice`), per account id or `*`.
    principals: BTreeMap<String, Vec<glob::Pattern>>,
    resources: Vec<AllowRule>,
    /// Whether a baseline was loaded: then "not in it" means unknown even for resource
    /// kinds it happens to have no entry for.
    baseline: bool,
}

/// A resource as the allow rules see it.
#[derive(Debug, Clone, Copy)]
pub struct ResourceRef<'a> {
    pub account: &'a str,
    pub region: &'a str,
    pub resource_type: &'a str,
    pub id: &'a str,
    pub tags: &'a BTreeMap<String, String>,
}

/// Makes resources known: every field that is set must match. A baseline entry is a rule
/// with account, region, type and an exact id; a hand-written rule can be as broad as
/// "everything tagged team=platform".
#[derive(Debug, Clone, Default)]
pub struct AllowRule {
    pub account: Option<String>,
    pub region: Option<String>,
    pub resource_type: Option<String>,
    pub id: Option<glob::Pattern>,
    pub tag_key: Option<String>,
    pub tag_value: Option<glob::Pattern>,
}

impl AllowRule {
    /// Whether the rule names an account or resource ids (not just tags, a region or a
    /// type): only such rules may silence the checks for mining, unexpected regions and
    /// sharing, because tags are written by whoever launched the resource.
    pub fn is_anchored(&self) -> bool {
        self.account.is_some() || self.id.as_ref().is_some_and(|p| p.as_str() != "*")
    }

    pub fn matches(&self, r: &ResourceRef<'_>) -> bool {
        let eq = |want: &Option<String>, have: &str| want.as_deref().is_none_or(|w| w == have);
        eq(&self.account, r.account)
            && eq(&self.region, r.region)
            && eq(&self.resource_type, r.resource_type)
            && self.id.as_ref().is_none_or(|p| p.matches(r.id))
            && match (&self.tag_key, &self.tag_value) {
                (None, None) => true,
                (Some(key), value) => r
                    .tags
                    .get(key)
                    .is_some_and(|v| value.as_ref().is_none_or(|p| p.matches(v))),
                (None, Some(value)) => r.tags.values().any(|v| value.matches(v)),
            }
    }
}

impl Known {
    /// An empty reference that nevertheless counts as a baseline: an organization with no
    /// resources yet still has a baseline to compare new ones against.
    pub fn for_baseline() -> Known {
        Known {
            baseline: true,
            ..Known::default()
        }
    }

    /// Adds patterns for `account` (`*` for all). A malformed pattern is an error naming it.
    pub fn add_principals<'p>(
        &mut self,
        account: &str,
        patterns: impl IntoIterator<Item = &'p str>,
    ) -> Result<(), glob::PatternError> {
        let list = self.principals.entry(account.to_owned()).or_default();
        for pattern in patterns {
            list.push(glob::Pattern::new(pattern)?);
        }
        Ok(())
    }

    pub fn add_resource_rule(&mut self, rule: AllowRule) {
        self.resources.push(rule);
    }

    /// Adds everything `other` knows.
    pub fn merge(&mut self, other: Known) {
        for (account, patterns) in other.principals {
            self.principals.entry(account).or_default().extend(patterns);
        }
        self.resources.extend(other.resources);
        self.baseline |= other.baseline;
    }

    /// Whether the principal with this ARN in `account` is known.
    pub fn knows_principal(&self, account: &str, arn: &str) -> bool {
        let key = principal_key(arn);
        [account, "*"]
            .iter()
            .filter_map(|a| self.principals.get(*a))
            .flatten()
            .any(|p| p.matches(key))
    }

    pub fn knows_resource(&self, resource: &ResourceRef<'_>) -> bool {
        self.resources.iter().any(|rule| rule.matches(resource))
    }

    /// [`Known::knows_resource`] for an inventoried resource of `account` in `region`.
    pub fn knows_view(&self, account: &str, region: &str, r: &ResourceView<'_>) -> bool {
        self.knows_resource(&ResourceRef {
            account,
            region,
            resource_type: r.resource_type,
            id: r.id,
            tags: r.tags,
        })
    }

    /// [`Known::knows_view`] by anchored rules only (see [`AllowRule::is_anchored`]).
    pub fn knows_view_anchored(&self, account: &str, region: &str, r: &ResourceView<'_>) -> bool {
        let resource = ResourceRef {
            account,
            region,
            resource_type: r.resource_type,
            id: r.id,
            tags: r.tags,
        };
        self.resources
            .iter()
            .any(|rule| rule.is_anchored() && rule.matches(&resource))
    }

    /// Whether there is a reference to call resources unknown against: a baseline, or at
    /// least one allow rule. Known principals alone say nothing about resources.
    pub fn covers_resources(&self) -> bool {
        self.baseline || !self.resources.is_empty()
    }
}

/// The part of an IAM ARN after the account: `arn:aws:iam::1:user/x/alice` → `user/x/alice`.
pub fn principal_key(arn: &str) -> &str {
    arn.splitn(6, ':').nth(5).unwrap_or(arn)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn allow_rules_match_every_field_that_is_set() {
        let platform = tags(&[("team", "platform")]);
        let none = tags(&[]);
        let r = |region, kind, id, tags| ResourceRef {
            account: "111111111111",
            region,
            resource_type: kind,
            id,
            tags,
        };
        let rule = AllowRule {
            region: Some("us-east-1".into()),
            resource_type: Some("ec2_instance".into()),
            id: Some(glob::Pattern::new("i-0*").expect("glob")),
            ..AllowRule::default()
        };
        assert!(rule.matches(&r("us-east-1", "ec2_instance", "i-0abc", &none)));
        assert!(!rule.matches(&r("eu-west-1", "ec2_instance", "i-0abc", &none)));
        assert!(!rule.matches(&r("us-east-1", "ec2_volume", "i-0abc", &none)));
        assert!(!rule.matches(&r("us-east-1", "ec2_instance", "i-1abc", &none)));

        let by_tag = AllowRule {
            tag_key: Some("team".into()),
            tag_value: Some(glob::Pattern::new("plat*").expect("glob")),
            ..AllowRule::default()
        };
        assert!(by_tag.matches(&r("ap-south-1", "ec2_vpc", "vpc-1", &platform)));
        assert!(!by_tag.matches(&r("ap-south-1", "ec2_vpc", "vpc-1", &none)));
        let key_only = AllowRule {
            tag_key: Some("team".into()),
            ..AllowRule::default()
        };
        assert!(key_only.matches(&r("ap-south-1", "ec2_vpc", "vpc-1", &platform)));

        assert!(rule.is_anchored(), "an id glob anchors");
        assert!(!by_tag.is_anchored(), "tags alone never anchor");
        assert!(
            !AllowRule {
                id: Some(glob::Pattern::new("*").expect("glob")),
                ..AllowRule::default()
            }
            .is_anchored()
        );
        assert!(
            AllowRule {
                account: Some("111111111111".into()),
                ..AllowRule::default()
            }
            .is_anchored()
        );

        let mut known = Known::default();
        assert!(!known.covers_resources());
        known.add_resource_rule(rule);
        assert!(known.covers_resources());
        assert!(known.knows_resource(&r("us-east-1", "ec2_instance", "i-0abc", &none)));
    }

    #[test]
    fn principal_keys_drop_the_partition_and_account() {
        assert_eq!(
            principal_key("arn:aws:iam::111111111111:user/x/alice"),
            "user/x/alice"
        );
        assert_eq!(principal_key("arn:aws-us-gov:iam::1:role/r"), "role/r");
        assert_eq!(principal_key("not-an-arn"), "not-an-arn");
    }
}
