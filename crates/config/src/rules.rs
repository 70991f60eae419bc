//! Resource rules as written in TOML: `[[allow]]` in the settings file and `[[resources]]`
//! in the baseline share one shape.

use orgsweep_checks::AllowRule;
use serde::Deserialize;
use toml::Spanned;

/// One rule; every field is optional and every field given must match.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RuleSpec {
    account: Option<String>,
    region: Option<String>,
    #[serde(rename = "type")]
    resource_type: Option<String>,
    /// A glob over the resource id.
    id: Option<Spanned<String>>,
    tag_key: Option<String>,
    /// A glob over the tag's value (any tag's value without `tag_key`).
    tag_value: Option<Spanned<String>>,
}

impl RuleSpec {
    /// The rule, or the span and message of a malformed glob.
    pub(crate) fn to_rule(&self) -> Result<AllowRule, (std::ops::Range<usize>, String)> {
        Ok(AllowRule {
            account: self.account.clone(),
            region: self.region.clone(),
            resource_type: self.resource_type.clone(),
            id: pattern(&self.id, "id")?,
            tag_key: self.tag_key.clone(),
            tag_value: pattern(&self.tag_value, "tag_value")?,
        })
    }
}

/// A glob field of a rule, or the span and message (`name 'value': why`) of a bad one.
pub(crate) fn pattern(
    field: &Option<Spanned<String>>,
    name: &str,
) -> Result<Option<glob::Pattern>, (std::ops::Range<usize>, String)> {
    field
        .as_ref()
        .map(|v| {
            glob::Pattern::new(v.get_ref())
                .map_err(|e| (v.span(), format!("{name} '{}': {e}", v.get_ref())))
        })
        .transpose()
}
