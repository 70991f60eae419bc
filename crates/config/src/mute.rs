//! `[[mute]]` as written in TOML: selectors are globs, `reason` is mandatory and `expires`
//! is a date (`2027-03-31`, bare or quoted).

use orgsweep_checks::MuteRule;
use serde::Deserialize;
use toml::Spanned;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct MuteSpec {
    account: Option<Spanned<String>>,
    check: Option<Spanned<String>>,
    region: Option<Spanned<String>>,
    resource: Option<Spanned<String>>,
    tag_key: Option<String>,
    tag_value: Option<Spanned<String>>,
    reason: Option<Spanned<String>>,
    expires: Option<Spanned<toml::Value>>,
}

/// A mute's error: where in the file, and what.
type SpecError = (std::ops::Range<usize>, String);

impl MuteSpec {
    /// The rule, or the span (in the file) and message of what is wrong with it. `at` is
    /// the span to blame when the problem is something missing.
    pub(crate) fn to_rule(&self, at: std::ops::Range<usize>) -> Result<MuteRule, SpecError> {
        let glob = |field: &Option<Spanned<String>>, name: &str| {
            crate::rules::pattern(field, name)
                .map_err(|(span, message)| (span, format!("mute: {message}")))
        };
        let reason = match &self.reason {
            Some(r) if !r.get_ref().trim().is_empty() => r.get_ref().trim().to_owned(),
            Some(r) => return Err((r.span(), "mute: reason is empty".to_owned())),
            None => {
                return Err((
                    at,
                    "mute: reason is missing (say why the risk is accepted)".to_owned(),
                ));
            }
        };
        if self.account.is_none()
            && self.check.is_none()
            && self.region.is_none()
            && self.resource.is_none()
            && self.tag_key.is_none()
            && self.tag_value.is_none()
        {
            return Err((
                at,
                "mute: selects every finding; name at least one of account, check, region, \
                 resource, tag_key, tag_value"
                    .to_owned(),
            ));
        }
        // Tags are written by whoever launched the resource: a mute by tag alone would let
        // an intruder mute their own miner by copying a tag.
        if (self.tag_key.is_some() || self.tag_value.is_some())
            && self.account.is_none()
            && self.resource.is_none()
        {
            return Err((
                at,
                "mute: a tag selects only together with account or resource (whoever \
                 launches a resource chooses its tags)"
                    .to_owned(),
            ));
        }
        if let Some(check) = &self.check {
            let id = check.get_ref();
            let literal = !id.contains(['*', '?', '[']);
            if literal && orgsweep_checks::find(id).is_none() {
                return Err((
                    check.span(),
                    format!(
                        "mute: check '{id}' is not in the catalogue (orgsweep checks lists it)"
                    ),
                ));
            }
        }
        let expires = self.expires.as_ref().map(parse_date).transpose()?;
        Ok(MuteRule {
            account: glob(&self.account, "account")?,
            check: glob(&self.check, "check")?,
            region: glob(&self.region, "region")?,
            resource: glob(&self.resource, "resource")?,
            tag_key: self.tag_key.clone(),
            tag_value: glob(&self.tag_value, "tag_value")?,
            reason,
            expires,
        })
    }
}

/// A TOML date (`expires = 2027-03-31`) or the same in a string.
fn parse_date(value: &Spanned<toml::Value>) -> Result<time::Date, SpecError> {
    let text = match value.get_ref() {
        toml::Value::String(s) => s.clone(),
        toml::Value::Datetime(d) if d.time.is_none() && d.offset.is_none() => d.to_string(),
        other => other.to_string(),
    };
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(&text, format).map_err(|_| {
        (
            value.span(),
            format!("mute: expires {text} is not a date like 2027-03-31"),
        )
    })
}
