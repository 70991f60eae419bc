use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use orgsweep_checks::{Known, MuteRule, Settings};
use serde::Deserialize;
use toml::Spanned;

use crate::mute::MuteSpec;
use crate::rules::RuleSpec;
use crate::{ConfigError, is_account_id, is_region_name, line_of, parse, read};

/// `orgsweep.toml`. Every key is optional; command-line flags win over it.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    pub expected_regions: Option<Vec<Spanned<String>>>,
    pub regions: Option<Vec<Spanned<String>>>,
    pub window_days: Option<Spanned<u32>>,
    pub role_name: Option<String>,
    pub rotation_days: Option<Spanned<u32>>,
    pub unused_days: Option<Spanned<u32>>,
    /// billing.spend_spike: this month's daily rate at least this many times last month's.
    pub spend_spike_ratio: Option<Spanned<f64>>,
    /// billing.spend_spike: only above this many USD this month (noise below it).
    pub spend_min_usd: Option<Spanned<f64>>,
    /// Accounts outside the organization that roles may trust.
    #[serde(default)]
    pub trusted_accounts: Vec<Spanned<String>>,
    /// The domains the organization's root e-mail addresses belong to.
    #[serde(default)]
    pub email_domains: Vec<String>,
    /// Known principals per account id (or `*`): globs over the ARN's resource part.
    #[serde(default)]
    pub known_principals: BTreeMap<String, Vec<Spanned<String>>>,
    /// Rules that make resources known (account, region, type, id glob, tag key/value).
    #[serde(default)]
    allow: Vec<RuleSpec>,
    /// Accepted risks: findings that stay in the report, muted, with a reason.
    #[serde(default)]
    mute: Vec<Spanned<MuteSpec>>,
    #[serde(skip)]
    text: String,
    #[serde(skip)]
    path: PathBuf,
}

impl ConfigFile {
    pub fn load(path: &Path) -> Result<ConfigFile, ConfigError> {
        let text = read(path)?;
        let mut config: ConfigFile = parse(path, &text)?;
        config.text = text;
        config.path = path.to_owned();
        config.validate()?;
        Ok(config)
    }

    fn invalid(&self, span: std::ops::Range<usize>, message: String) -> ConfigError {
        ConfigError::Invalid {
            path: self.path.clone(),
            line: line_of(&self.text, span.start),
            message,
        }
    }

    fn validate(&self) -> Result<(), ConfigError> {
        for (key, value, range) in [
            ("window_days", &self.window_days, 1..=90),
            ("rotation_days", &self.rotation_days, 1..=3650),
            ("unused_days", &self.unused_days, 1..=3650),
        ] {
            if let Some(value) = value
                && !range.contains(value.get_ref())
            {
                return Err(self.invalid(
                    value.span(),
                    format!(
                        "{key} = {} is outside {}..={}",
                        value.get_ref(),
                        range.start(),
                        range.end()
                    ),
                ));
            }
        }
        if let Some(ratio) = &self.spend_spike_ratio {
            let v = *ratio.get_ref();
            // Written so that NaN fails too.
            if !(v > 1.0 && v <= 1000.0) {
                return Err(self.invalid(
                    ratio.span(),
                    format!(
                        "spend_spike_ratio = {v} must be more than 1 and at most 1000 (a ratio \
                         of 1 or less flags every account whose charges did not fall)"
                    ),
                ));
            }
        }
        if let Some(usd) = &self.spend_min_usd {
            let v = *usd.get_ref();
            if !(0.0..=1e9).contains(&v) {
                return Err(self.invalid(
                    usd.span(),
                    format!("spend_min_usd = {v} must be between 0 and 1000000000"),
                ));
            }
        }
        for (key, list) in [
            ("regions", &self.regions),
            ("expected_regions", &self.expected_regions),
        ] {
            for region in list.iter().flatten() {
                let name = region.get_ref();
                let all = key == "regions" && name == "all";
                if !all && !is_region_name(name) {
                    return Err(self.invalid(
                        region.span(),
                        format!(
                            "{key}: '{name}' is not a region name (expected names like us-east-1)"
                        ),
                    ));
                }
            }
        }
        for account in &self.trusted_accounts {
            if !is_account_id(account.get_ref()) {
                return Err(self.invalid(
                    account.span(),
                    format!(
                        "trusted_accounts: '{}' is not a 12-digit account id",
                        account.get_ref()
                    ),
                ));
            }
        }
        self.known()?;
        self.mutes()?;
        Ok(())
    }

    /// The `[[mute]]` rules of the file.
    pub fn mutes(&self) -> Result<Vec<MuteRule>, ConfigError> {
        self.mute
            .iter()
            .map(|m| {
                m.get_ref()
                    .to_rule(m.span())
                    .map_err(|(span, message)| self.invalid(span, message))
            })
            .collect()
    }

    /// The known principals and allow rules of the settings file, if it has any.
    fn known(&self) -> Result<Option<Known>, ConfigError> {
        if self.known_principals.is_empty() && self.allow.is_empty() {
            return Ok(None);
        }
        let mut known = Known::default();
        for rule in &self.allow {
            let rule = rule
                .to_rule()
                .map_err(|(span, message)| self.invalid(span, format!("allow: {message}")))?;
            known.add_resource_rule(rule);
        }
        for (account, patterns) in &self.known_principals {
            if account != "*" && !is_account_id(account) {
                let span = patterns.first().map_or(0..0, Spanned::span);
                return Err(self.invalid(
                    span,
                    format!("known_principals: '{account}' is not a 12-digit account id or \"*\""),
                ));
            }
            for pattern in patterns {
                known
                    .add_principals(account, [pattern.get_ref().as_str()])
                    .map_err(|e| {
                        self.invalid(
                            pattern.span(),
                            format!("known_principals: '{}': {e}", pattern.get_ref()),
                        )
                    })?;
            }
        }
        Ok(Some(known))
    }

    /// The `regions` list of the file, if set.
    pub fn regions(&self) -> Option<Vec<String>> {
        self.regions
            .as_ref()
            .map(|r| r.iter().map(|s| s.get_ref().clone()).collect())
    }

    /// Where in the file `key` (`regions` or `expected_regions`) names `region`: for
    /// errors found after the file was read (a region the partition does not have).
    pub fn region_error(&self, key: &str, region: &str, message: String) -> Option<ConfigError> {
        let list = match key {
            "regions" => &self.regions,
            "expected_regions" => &self.expected_regions,
            _ => return None,
        };
        let span = list
            .iter()
            .flatten()
            .find(|r| r.get_ref() == region)?
            .span();
        Some(self.invalid(span, format!("{key}: {message}")))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A digest of the file's text (`none` without a file), for the scan's scope.
    pub fn digest(&self) -> String {
        if self.path.as_os_str().is_empty() {
            "none".to_owned()
        } else {
            crate::digest(&self.text)
        }
    }

    pub fn window_days(&self) -> Option<u32> {
        self.window_days.as_ref().map(|v| *v.get_ref())
    }

    /// Applies the file to `settings` (which holds the defaults); flags are applied after.
    pub fn apply(&self, settings: &mut Settings) -> Result<(), ConfigError> {
        if let Some(days) = self.window_days() {
            settings.window_days = days;
        }
        if let Some(days) = &self.rotation_days {
            settings.rotation_days = *days.get_ref();
        }
        if let Some(days) = &self.unused_days {
            settings.unused_days = *days.get_ref();
        }
        if let Some(ratio) = &self.spend_spike_ratio {
            settings.spend_spike_ratio = *ratio.get_ref();
        }
        if let Some(usd) = &self.spend_min_usd {
            settings.spend_min_usd = *usd.get_ref();
        }
        if let Some(regions) = &self.expected_regions {
            settings.expected_regions = regions.iter().map(|r| r.get_ref().clone()).collect();
        }
        if let Some(role) = &self.role_name {
            settings.scan_role_name.clone_from(role);
        }
        settings
            .email_domains
            .extend(self.email_domains.iter().cloned());
        settings
            .trusted_accounts
            .extend(self.trusted_accounts.iter().map(|a| a.get_ref().clone()));
        settings.mutes.extend(self.mutes()?);
        if let Some(known) = self.known()? {
            settings
                .known
                .get_or_insert_with(Known::default)
                .merge(known);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn load(text: &str) -> Result<ConfigFile, ConfigError> {
        let mut file = tempfile::NamedTempFile::new().expect("temp file");
        file.write_all(text.as_bytes()).expect("write");
        ConfigFile::load(file.path())
    }

    #[test]
    fn reads_every_key_and_applies_it() {
        let config = load(
            "window_days = 14\nrotation_days = 30\nunused_days = 60\nexpected_regions = [\"eu-west-1\"]\n\
             spend_spike_ratio = 3.5\nspend_min_usd = 25\n\
             trusted_accounts = [\"999999999999\"]\n[known_principals]\n\"111111111111\" = [\"user/ci-*\"]\n\"*\" = [\"role/admin\"]\n",
        )
        .expect("valid");
        let mut settings = Settings::default();
        config.apply(&mut settings).expect("applies");
        assert_eq!(
            (
                settings.window_days,
                settings.rotation_days,
                settings.unused_days
            ),
            (14, 30, 60)
        );
        assert_eq!(settings.expected_regions, ["eu-west-1"]);
        assert_eq!(
            (settings.spend_spike_ratio, settings.spend_min_usd),
            (3.5, 25.0)
        );
        assert!(settings.trusted_accounts.contains("999999999999"));
        let known = settings.known.expect("known principals");
        assert!(!known.covers_resources());
        assert!(known.knows_principal("111111111111", "arn:aws:iam::111111111111:user/ci-runner"));
        assert!(known.knows_principal("222222222222", "arn:aws:iam::222222222222:role/admin"));
        assert!(!known.knows_principal("222222222222", "arn:aws:iam::222222222222:user/ci-runner"));
    }

    #[test]
    fn errors_name_the_line_and_the_problem() {
        for (text, line, needle) in [
            (
                "window_days = 7\nexpected_region = [\"us-east-1\"]\n",
                2,
                "expected_region",
            ),
            (
                "\n\nwindow_days = 0\n",
                3,
                "window_days = 0 is outside 1..=90",
            ),
            ("rotation_days = \"ninety\"\n", 1, "invalid type"),
            (
                "window_days = 7\nspend_spike_ratio = 1.0\n",
                2,
                "spend_spike_ratio = 1 must be more than 1",
            ),
            ("spend_spike_ratio = nan\n", 1, "spend_spike_ratio = NaN"),
            (
                "\nspend_min_usd = -5\n",
                2,
                "spend_min_usd = -5 must be between 0",
            ),
            (
                "trusted_accounts = [\n  \"111111111111\",\n  \"12345\",\n]\n",
                3,
                "'12345' is not a 12-digit account id",
            ),
            (
                "[known_principals]\n\"111111111111\" = [\"user/[oops\"]\n",
                2,
                "user/[oops",
            ),
            (
                "[known_principals]\nprod = [\"user/x\"]\n",
                2,
                "'prod' is not a 12-digit account id",
            ),
            (
                "[[allow]]\nregion = \"us-east-1\"\nid = \"i-[\"\n",
                3,
                "allow: id 'i-['",
            ),
            (
                "[[allow]]\nkind = \"ec2_instance\"\n",
                2,
                "unknown field `kind`",
            ),
            (
                "window_days = 7\nregions = [\n  \"us-east-1\",\n  \"us-eats-1x\",\n]\n",
                4,
                "regions: 'us-eats-1x' is not a region name",
            ),
            (
                "expected_regions = [\"eu-west-1\", \"EU\"]\n",
                1,
                "expected_regions: 'EU'",
            ),
            (
                "window_days = 7\n[[mute]]\ncheck = \"resources.public_bucket\"\n",
                2,
                "mute: reason is missing",
            ),
            (
                "[[mute]]\ncheck = \"resources.public_bucket\"\nreason = \"  \"\n",
                3,
                "mute: reason is empty",
            ),
            (
                "[[mute]]\nreason = \"everything is fine\"\n",
                1,
                "mute: selects every finding",
            ),
            (
                "[[mute]]\ncheck = \"resources.publik_bucket\"\nreason = \"x\"\n",
                2,
                "mute: check 'resources.publik_bucket' is not in the catalogue",
            ),
            (
                "[[mute]]\ntag_key = \"team\"\nreason = \"x\"\n",
                1,
                "mute: a tag selects only together with account or resource",
            ),
            (
                "[[mute]]\nresource = \"i-[\"\nreason = \"x\"\n",
                2,
                "mute: resource 'i-['",
            ),
            (
                "[[mute]]\nresource = \"i-1\"\nreason = \"x\"\nexpires = \"next year\"\n",
                4,
                "mute: expires next year is not a date",
            ),
            (
                "[[mute]]\nresource = \"i-1\"\nreason = \"x\"\nexpires = 2027-01-01T10:00:00Z\n",
                4,
                "is not a date like 2027-03-31",
            ),
            (
                "[[mute]]\nresource = \"i-1\"\nreason = \"x\"\nuntil = 2027-01-01\n",
                4,
                "unknown field `until`",
            ),
        ] {
            let err = load(text).expect_err(text).to_string();
            assert!(err.contains(&format!("line {line}:")), "{text:?}: {err}");
            assert!(err.contains(needle), "{text:?}: {err}");
            assert!(!err.contains('\n'), "{err}");
        }
    }
}

#[cfg(test)]
mod mute_tests {
    use std::io::Write;

    use super::*;

    #[test]
    fn mutes_are_read_with_globs_reasons_and_dates() {
        let mut file = tempfile::NamedTempFile::new().expect("temp file");
        file.write_all(
            b"[[mute]]\ncheck = \"resources.public_bucket\"\nresource = \"assets-*\"\nreason = \"static website, reviewed by J. Doe\"\nexpires = 2027-03-31\n\n[[mute]]\naccount = \"111111111111\"\ncheck = \"iam.*\"\nreason = \"sandbox\"\nexpires = \"2026-01-31\"\n\n[[mute]]\naccount = \"2222*\"\ntag_key = \"team\"\ntag_value = \"research-*\"\nreason = \"GPU research\"\n",
        )
        .expect("write");
        let config = ConfigFile::load(file.path()).expect("valid");
        let mut settings = Settings::default();
        config.apply(&mut settings).expect("applies");
        let m = &settings.mutes;
        assert_eq!(m.len(), 3);
        assert_eq!(m[0].reason, "static website, reviewed by J. Doe");
        assert_eq!(
            m[0].expires.map(|d| d.to_string()).as_deref(),
            Some("2027-03-31")
        );
        assert_eq!(
            m[1].expires.map(|d| d.to_string()).as_deref(),
            Some("2026-01-31")
        );
        assert!(
            m[1].check
                .as_ref()
                .is_some_and(|p| p.matches("iam.root_mfa_disabled"))
        );
        assert_eq!(m[2].expires, None);
        assert_eq!(m[2].tag_key.as_deref(), Some("team"));
    }
}

#[cfg(test)]
mod allow_tests {
    use std::collections::BTreeMap;
    use std::io::Write;

    use orgsweep_checks::ResourceRef;

    use super::*;

    #[test]
    fn allow_rules_make_resources_known() {
        let mut file = tempfile::NamedTempFile::new().expect("temp file");
        file.write_all(
            b"[[allow]]\naccount = \"111111111111\"\ntype = \"ec2_instance\"\nid = \"i-web*\"\n\n[[allow]]\ntag_key = \"team\"\ntag_value = \"platform\"\n",
        )
        .expect("write");
        let config = ConfigFile::load(file.path()).expect("valid");
        let mut settings = Settings::default();
        config.apply(&mut settings).expect("applies");
        let known = settings.known.expect("rules");
        assert!(known.covers_resources());
        let none = BTreeMap::new();
        let platform = BTreeMap::from([("team".to_owned(), "platform".to_owned())]);
        let r = |id, tags| ResourceRef {
            account: "111111111111",
            region: "eu-west-1",
            resource_type: "ec2_instance",
            id,
            tags,
        };
        assert!(known.knows_resource(&r("i-web1", &none)));
        assert!(!known.knows_resource(&r("i-miner", &none)));
        assert!(known.knows_resource(&r("i-miner", &platform)));
    }
}
