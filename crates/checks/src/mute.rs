//! Accepted risk: `[[mute]]` rules of the settings file.
//!
//! A mute is not a baseline. The baseline and allow rules say "this resource is ours", and
//! the checks that ask "is it known?" stop asking. A mute says "we know this finding is true
//! and accept it, for this reason, until this date": the finding stays in the report with
//! its reason, so an auditor sees what was accepted and by what rule, but it no longer fails
//! the run. A mute that has expired no longer applies, and the finding says so.

use std::collections::BTreeMap;

use orgsweep_model::Finding;
use serde_json::Value;
use time::{Date, OffsetDateTime};

/// One mute; every selector that is set must match (globs), and at least one is set.
#[derive(Debug, Clone)]
pub struct MuteRule {
    pub account: Option<glob::Pattern>,
    pub check: Option<glob::Pattern>,
    pub region: Option<glob::Pattern>,
    /// A glob over the finding's resource id.
    pub resource: Option<glob::Pattern>,
    /// The resource must carry this tag (its tags as inventoried)...
    pub tag_key: Option<String>,
    /// ... with a value matching this glob (any tag's value without `tag_key`).
    pub tag_value: Option<glob::Pattern>,
    /// Why the risk is accepted; mandatory, copied into the finding.
    pub reason: String,
    /// The last day (UTC) the mute applies; `None` for no end.
    pub expires: Option<Date>,
}

impl MuteRule {
    /// Whether the rule selects `finding`, whose resource carries `tags`.
    pub fn matches(&self, finding: &Finding, tags: &BTreeMap<String, String>) -> bool {
        let glob =
            |p: &Option<glob::Pattern>, have: &str| p.as_ref().is_none_or(|p| p.matches(have));
        glob(&self.account, &finding.account_id)
            && glob(&self.check, &finding.check_id)
            && glob(&self.region, &finding.region)
            && glob(&self.resource, &finding.resource_id)
            && match (&self.tag_key, &self.tag_value) {
                (None, None) => true,
                (Some(key), value) => tags
                    .get(key)
                    .is_some_and(|v| value.as_ref().is_none_or(|p| p.matches(v))),
                (None, Some(value)) => tags.values().any(|v| value.matches(v)),
            }
    }

    /// Whether the rule's last day is before `now`'s (UTC) day.
    pub fn is_expired(&self, now: OffsetDateTime) -> bool {
        self.expires
            .is_some_and(|last| now.to_offset(time::UtcOffset::UTC).date() > last)
    }
}

/// Marks the findings a live mute selects; a finding selected only by expired mutes stays
/// active and carries `mute_expired` evidence naming them, so nobody believes it is still
/// accepted. `tags_of` gives a finding's resource tags (empty when it has none).
pub fn apply<'t>(
    mutes: &[MuteRule],
    findings: &mut [Finding],
    now: OffsetDateTime,
    tags_of: impl Fn(&Finding) -> Option<&'t BTreeMap<String, String>>,
) {
    if mutes.is_empty() {
        return;
    }
    let none = BTreeMap::new();
    for finding in findings {
        let tags = tags_of(finding).unwrap_or(&none);
        let (live, expired): (Vec<&MuteRule>, Vec<&MuteRule>) = mutes
            .iter()
            .filter(|m| m.matches(finding, tags))
            .partition(|m| !m.is_expired(now));
        if let Some(mute) = live.first() {
            finding.muted = true;
            finding.mute_reason = Some(mute.reason.clone());
        } else if !expired.is_empty() {
            let notes = expired
                .iter()
                .map(|m| {
                    let last = m.expires.map(|d| d.to_string()).unwrap_or_default();
                    Value::String(format!("{} (expired after {last})", m.reason))
                })
                .collect();
            finding
                .evidence
                .insert("mute_expired".to_owned(), Value::Array(notes));
        }
    }
}

#[cfg(test)]
mod tests {
    use orgsweep_model::Severity;
    use time::macros::{date, datetime};

    use super::*;

    fn finding(check: &str, account: &str, region: &str, resource: &str) -> Finding {
        Finding {
            id: orgsweep_model::finding_id(check, account, region, "ec2_instance", resource),
            check_id: check.to_owned(),
            severity: Severity::High,
            account_id: account.to_owned(),
            region: region.to_owned(),
            resource_type: "ec2_instance".to_owned(),
            resource_id: resource.to_owned(),
            title: String::new(),
            detail: String::new(),
            evidence: serde_json::Map::new(),
            remediation: Vec::new(),
            change: None,
            muted: false,
            mute_reason: None,
            scanner_identity: false,
        }
    }

    fn rule(reason: &str) -> MuteRule {
        MuteRule {
            account: None,
            check: None,
            region: None,
            resource: None,
            tag_key: None,
            tag_value: None,
            reason: reason.to_owned(),
            expires: None,
        }
    }

    fn pattern(p: &str) -> Option<glob::Pattern> {
        Some(glob::Pattern::new(p).expect("pattern"))
    }

    #[test]
    fn every_selector_must_match_and_globs_apply() {
        let mute = MuteRule {
            account: pattern("1111*"),
            check: pattern("ec2.*"),
            region: pattern("eu-*"),
            resource: pattern("i-0abc*"),
            ..rule("lab")
        };
        let tags = BTreeMap::new();
        let hit = finding(
            "ec2.mining_class_instance",
            "111122223333",
            "eu-west-1",
            "i-0abc1",
        );
        assert!(mute.matches(&hit, &tags));
        for miss in [
            finding("iam.access_key_old", "111122223333", "eu-west-1", "i-0abc1"),
            finding(
                "ec2.mining_class_instance",
                "999922223333",
                "eu-west-1",
                "i-0abc1",
            ),
            finding(
                "ec2.mining_class_instance",
                "111122223333",
                "us-east-1",
                "i-0abc1",
            ),
            finding(
                "ec2.mining_class_instance",
                "111122223333",
                "eu-west-1",
                "i-0def1",
            ),
        ] {
            assert!(!mute.matches(&miss, &tags), "{miss:?}");
        }
    }

    #[test]
    fn tags_select_by_key_and_value_glob() {
        let mute = MuteRule {
            tag_key: Some("team".to_owned()),
            tag_value: pattern("research-*"),
            ..rule("research cluster")
        };
        let f = finding("ec2.mining_class_instance", "1", "eu-west-1", "i-1");
        let tags = |k: &str, v: &str| BTreeMap::from([(k.to_owned(), v.to_owned())]);
        assert!(mute.matches(&f, &tags("team", "research-ml")));
        assert!(!mute.matches(&f, &tags("team", "ops")));
        assert!(!mute.matches(&f, &tags("owner", "research-ml")));
        assert!(!mute.matches(&f, &BTreeMap::new()));
    }

    #[test]
    fn a_live_mute_mutes_with_its_reason_and_an_expired_one_is_named_instead() {
        let now = datetime!(2026-11-26 12:00 UTC);
        let live = MuteRule {
            resource: pattern("i-live"),
            expires: Some(date!(2026 - 11 - 26)),
            ..rule("accepted until today")
        };
        let expired = MuteRule {
            resource: pattern("i-old"),
            expires: Some(date!(2026 - 11 - 25)),
            ..rule("accepted last quarter")
        };
        let mut findings = vec![
            finding("ec2.mining_class_instance", "1", "eu-west-1", "i-live"),
            finding("ec2.mining_class_instance", "1", "eu-west-1", "i-old"),
            finding("ec2.mining_class_instance", "1", "eu-west-1", "i-other"),
        ];
        apply(&[live, expired], &mut findings, now, |_| None);
        assert!(findings[0].muted);
        assert_eq!(
            findings[0].mute_reason.as_deref(),
            Some("accepted until today")
        );
        assert!(!findings[1].muted);
        assert_eq!(
            findings[1].evidence["mute_expired"],
            serde_json::json!(["accepted last quarter (expired after 2026-11-25)"])
        );
        assert!(!findings[2].muted);
        assert!(!findings[2].evidence.contains_key("mute_expired"));
    }

    /// Through [`crate::run`]: a real check's findings, muted by the tags the inventory
    /// holds for their resource.
    #[test]
    fn run_mutes_a_check_finding_by_its_resource_tags() {
        use crate::checks::fixtures::{ACCOUNT, NOW, full_inventory, instance};
        let mut gpu = instance("i-gpu", "p3.2xlarge", "running");
        gpu.tags.insert("team".to_owned(), "research-ml".to_owned());
        let other = instance("i-gpu2", "p3.2xlarge", "running");
        let facts = full_inventory(vec![gpu, other]);
        let settings = crate::Settings {
            mutes: vec![MuteRule {
                account: pattern(ACCOUNT),
                tag_key: Some("team".to_owned()),
                tag_value: pattern("research-*"),
                ..rule("GPU research, approved by the CISO")
            }],
            ..crate::Settings::default()
        };
        let check = crate::find("resources.mining_class_instance").expect("in the catalogue");
        let findings = crate::run(
            check,
            &crate::Context {
                account_id: ACCOUNT,
                region: "us-east-1",
                now: NOW,
                settings: &settings,
                facts: &facts,
            },
        )
        .expect("runs");
        let muted: Vec<(&str, bool)> = findings
            .iter()
            .map(|f| (f.resource_id.as_str(), f.muted))
            .collect();
        assert_eq!(muted, [("i-gpu", true), ("i-gpu2", false)]);
        assert_eq!(
            findings[0].mute_reason.as_deref(),
            Some("GPU research, approved by the CISO")
        );
    }
}
