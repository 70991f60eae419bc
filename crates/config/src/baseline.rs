//! The baseline: what a person has looked at and accepted. `orgsweep baseline` writes one
//! from a report's inventory (everything in it becomes known); `--baseline` reads it back so
//! the next scan reports only what is new.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use orgsweep_checks::{Known, principal_key};
use orgsweep_model::Report;
use serde::Deserialize;
use toml::Spanned;

use crate::rules::RuleSpec;
use crate::{ConfigError, is_account_id, line_of, parse, read};

/// The baseline file format; a file of another version is refused.
pub const BASELINE_VERSION: u32 = 1;

/// Inventory types that are IAM principals.
const PRINCIPAL_TYPES: &[&str] = &["iam_user", "iam_role"];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BaselineFile {
    version: Spanned<u32>,
    /// Known principals per account id (or `*`): globs over the ARN's resource part.
    #[serde(default)]
    principals: BTreeMap<String, Vec<Spanned<String>>>,
    /// Known resources: one rule each (account, region, type, id).
    #[serde(default)]
    resources: Vec<RuleSpec>,
}

/// A parsed baseline.
#[derive(Debug, Clone, Default)]
pub struct Baseline {
    pub known: Known,
    /// A digest of the file: a resumed scan or merged shards must have used the same one.
    pub digest: String,
}

impl Baseline {
    pub fn load(path: &Path) -> Result<Baseline, ConfigError> {
        let text = read(path)?;
        let file: BaselineFile = parse(path, &text)?;
        let invalid = |span: std::ops::Range<usize>, message: String| ConfigError::Invalid {
            path: PathBuf::from(path),
            line: line_of(&text, span.start),
            message,
        };
        if *file.version.get_ref() != BASELINE_VERSION {
            return Err(invalid(
                file.version.span(),
                format!(
                    "baseline version {} is not supported (this orgsweep reads version {BASELINE_VERSION})",
                    file.version.get_ref()
                ),
            ));
        }
        let mut known = Known::for_baseline();
        for rule in &file.resources {
            let rule = rule
                .to_rule()
                .map_err(|(span, message)| invalid(span, format!("resources: {message}")))?;
            known.add_resource_rule(rule);
        }
        for (account, patterns) in &file.principals {
            if account != "*" && !is_account_id(account) {
                let span = patterns.first().map_or(0..0, Spanned::span);
                return Err(invalid(
                    span,
                    format!("principals: '{account}' is not a 12-digit account id or \"*\""),
                ));
            }
            for pattern in patterns {
                known
                    .add_principals(account, [pattern.get_ref().as_str()])
                    .map_err(|e| {
                        invalid(
                            pattern.span(),
                            format!("principals: '{}': {e}", pattern.get_ref()),
                        )
                    })?;
            }
        }
        Ok(Baseline {
            known,
            digest: crate::digest(&text),
        })
    }
}

/// TOML basic-string escaping for values that came from AWS.
fn toml_string(value: &str) -> String {
    toml::Value::String(value.to_owned()).to_string()
}

/// Writes a baseline that accepts everything in `report` as known, ready to edit.
pub fn baseline_from_report(report: &Report, source: &str) -> String {
    let mut principals: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for item in &report.inventory {
        if PRINCIPAL_TYPES.contains(&item.resource_type.as_str()) {
            principals
                .entry(item.account_id.as_str())
                .or_default()
                // Escaped so a name like `deploy[prod]` matches literally.
                .insert(glob::Pattern::escape(principal_key(&item.resource_id)));
        }
    }
    let names: BTreeMap<&str, &str> = report
        .accounts
        .iter()
        .map(|a| (a.account_id.as_str(), a.name.as_str()))
        .collect();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# orgsweep baseline: everything listed here is known and accepted."
    );
    let _ = writeln!(
        out,
        "# Written from {} (scan started {}). Review it, then use it with\n# orgsweep scan --baseline <this file>.",
        source.replace('\n', " "),
        report
            .run
            .started_at
            .to_offset(time::UtcOffset::UTC)
            .replace_nanosecond(0)
            .ok()
            .and_then(|t| t
                .format(&time::format_description::well_known::Rfc3339)
                .ok())
            .unwrap_or_else(|| "at an unknown time".to_owned())
    );
    let _ = writeln!(
        out,
        "# Patterns are globs over the part of the ARN after the account (user/…, role/…);\n# \"*\" as the account applies a pattern to every account.\n"
    );
    let _ = writeln!(out, "version = {BASELINE_VERSION}\n");
    let _ = writeln!(out, "[principals]");
    for (account, keys) in principals {
        if let Some(name) = names.get(account) {
            let _ = writeln!(out, "# {}", name.replace('\n', " "));
        }
        let _ = writeln!(out, "{} = [", toml_string(account));
        for key in keys {
            let _ = writeln!(out, "    {},", toml_string(&key));
        }
        let _ = writeln!(out, "]");
    }
    for item in report
        .inventory
        .iter()
        .filter(|i| !PRINCIPAL_TYPES.contains(&i.resource_type.as_str()))
    {
        let _ = writeln!(
            out,
            "\n[[resources]]\naccount = {}\nregion = {}\ntype = {}\nid = {}",
            toml_string(&item.account_id),
            toml_string(&item.region),
            toml_string(&item.resource_type),
            toml_string(&glob::Pattern::escape(&item.resource_id)),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use orgsweep_model::{InventoryItem, Report};

    use super::*;

    fn report() -> Report {
        let json = serde_json::json!({
            "schema_version": 1,
            "tool": {"name": "orgsweep", "version": "0"},
            "run": {"started_at": "2026-11-24T00:00:00Z", "finished_at": "2026-11-24T00:00:01Z",
                    "management_account_id": "111111111111", "window_days": 7, "regions": []},
            "accounts": [{"account_id": "111111111111", "name": "prod\n# injected", "email": "", "status": "ACTIVE",
                          "ou_path": "Root", "scanned": true}],
            "coverage": [], "findings": [], "inventory": [],
            "stats": {"duration_ms": 0, "api_calls": {}, "throttled": 0, "retries": 0}
        });
        let mut report: Report = serde_json::from_value(json).expect("report");
        for (kind, arn) in [
            ("iam_user", "arn:aws:iam::111111111111:user/alice"),
            (
                "iam_role",
                "arn:aws:iam::111111111111:role/service-role/deploy[prod]",
            ),
            ("ec2_instance", "i-0123"),
        ] {
            report.inventory.push(InventoryItem {
                account_id: "111111111111".to_owned(),
                region: "global".to_owned(),
                resource_type: kind.to_owned(),
                resource_id: arn.to_owned(),
                created_at: None,
                state: None,
                tags: Default::default(),
                known: false,
            });
        }
        report
    }

    fn load(text: &str) -> Result<Baseline, ConfigError> {
        let mut file = tempfile::NamedTempFile::new().expect("temp file");
        file.write_all(text.as_bytes()).expect("write");
        Baseline::load(file.path())
    }

    #[test]
    fn a_written_baseline_reads_back_and_knows_every_principal_of_the_report() {
        let text = baseline_from_report(&report(), "report.json");
        let baseline = load(&text).expect("the written baseline parses");
        let known = &baseline.known;
        assert!(known.knows_principal("111111111111", "arn:aws:iam::111111111111:user/alice"));
        assert!(known.knows_principal(
            "111111111111",
            "arn:aws:iam::111111111111:role/service-role/deploy[prod]"
        ));
        assert!(!known.knows_principal(
            "111111111111",
            "arn:aws:iam::111111111111:role/service-role/deployp"
        ));
        assert!(!known.knows_principal("111111111111", "arn:aws:iam::111111111111:user/mallory"));
        assert!(!known.knows_principal("222222222222", "arn:aws:iam::222222222222:user/alice"));
        assert!(
            !text.contains("\"i-0123\",\n"),
            "resources are not principals"
        );
        assert!(known.covers_resources());
        let none = Default::default();
        let instance = |id| orgsweep_checks::ResourceRef {
            account: "111111111111",
            region: "global",
            resource_type: "ec2_instance",
            id,
            tags: &none,
        };
        assert!(known.knows_resource(&instance("i-0123")));
        assert!(!known.knows_resource(&instance("i-0124")));
        // An account name with a newline cannot inject TOML.
        assert!(text.contains("# prod # injected"), "{text}");
    }

    #[test]
    fn bad_baselines_are_errors_naming_the_line() {
        for (text, line, needle) in [
            ("version = 2\n", 1, "baseline version 2 is not supported"),
            (
                "version = 1\n[principals]\n\"1\" = [\"user/x\"]\n",
                3,
                "'1' is not a 12-digit account id",
            ),
            ("version = 1\nprincipal = {}\n", 2, "principal"),
            ("[principals]\n", 1, "version"),
        ] {
            let err = load(text).expect_err(text).to_string();
            assert!(err.contains(&format!("line {line}:")), "{text:?}: {err}");
            assert!(err.contains(needle), "{text:?}: {err}");
        }
    }
}
