//! Which accounts and regions a scan covers: the command line's filters, checked against
//! what the organization really has so a typo is an error, not an empty report.

use std::collections::BTreeSet;

use orgsweep_aws::OrgAccount;

use crate::EngineError;

/// `--regions`: every enabled region of each account, or a fixed list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegionSelection {
    All,
    List(Vec<String>),
}

/// Account filters; empty lists do not filter.
#[derive(Debug, Clone, Default)]
pub struct AccountFilter {
    pub accounts: Vec<String>,
    pub exclude_accounts: Vec<String>,
    /// OU ids (or the root id); an OU includes its descendants.
    pub ous: Vec<String>,
}

impl AccountFilter {
    /// The accounts the filters select, in the organization's order. Every id or OU named
    /// must exist in the organization.
    pub fn select<'a>(
        &self,
        accounts: &'a [OrgAccount],
    ) -> Result<Vec<&'a OrgAccount>, EngineError> {
        for id in self.accounts.iter().chain(&self.exclude_accounts) {
            if !accounts.iter().any(|a| &a.id == id) {
                return Err(EngineError::UnknownAccount(id.clone()));
            }
        }
        for ou in &self.ous {
            if !accounts.iter().any(|a| a.ou_ids.contains(ou)) {
                return Err(EngineError::UnknownOu(ou.clone()));
            }
        }
        Ok(accounts
            .iter()
            .filter(|a| self.accounts.is_empty() || self.accounts.contains(&a.id))
            .filter(|a| !self.exclude_accounts.contains(&a.id))
            .filter(|a| self.ous.is_empty() || self.ous.iter().any(|ou| a.ou_ids.contains(ou)))
            .collect())
    }
}

/// Refuses region names the partition does not have, naming the first one and where it
/// came from (`what`: the flag).
pub fn validate_regions(
    requested: &[String],
    known: &[String],
    what: &'static str,
) -> Result<(), EngineError> {
    let known: BTreeSet<&str> = known.iter().map(String::as_str).collect();
    match requested.iter().find(|r| !known.contains(r.as_str())) {
        Some(unknown) => Err(EngineError::UnknownRegion {
            what,
            region: unknown.clone(),
            known: known.into_iter().collect::<Vec<_>>().join(", "),
        }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn account(id: &str, ous: &[&str]) -> OrgAccount {
        OrgAccount {
            id: id.to_owned(),
            name: id.to_owned(),
            email: format!("{id}@example.com"),
            status: "ACTIVE".to_owned(),
            ou_ids: ous.iter().map(|s| (*s).to_owned()).collect(),
            ou_path: String::new(),
            tags: BTreeMap::new(),
            ou_path_error: None,
            tags_error: None,
        }
    }

    fn ids(selected: Vec<&OrgAccount>) -> Vec<&str> {
        selected.iter().map(|a| a.id.as_str()).collect()
    }

    #[test]
    fn filters_combine_and_ous_include_descendants() {
        let org = [
            account("1", &["r-1"]),
            account("2", &["r-1", "ou-a"]),
            account("3", &["r-1", "ou-a", "ou-b"]),
            account("4", &["r-1", "ou-c"]),
        ];
        let all = AccountFilter::default();
        assert_eq!(ids(all.select(&org).expect("ok")), ["1", "2", "3", "4"]);
        let ou = AccountFilter {
            ous: vec!["ou-a".into()],
            ..Default::default()
        };
        assert_eq!(ids(ou.select(&org).expect("ok")), ["2", "3"]);
        let both = AccountFilter {
            ous: vec!["ou-a".into()],
            exclude_accounts: vec!["3".into()],
            ..Default::default()
        };
        assert_eq!(ids(both.select(&org).expect("ok")), ["2"]);
        let list = AccountFilter {
            accounts: vec!["4".into(), "1".into()],
            ..Default::default()
        };
        assert_eq!(ids(list.select(&org).expect("ok")), ["1", "4"]);
    }

    #[test]
    fn unknown_ids_and_ous_are_errors() {
        let org = [account("1", &["r-1"])];
        let bad = AccountFilter {
            accounts: vec!["9".into()],
            ..Default::default()
        };
        assert!(matches!(bad.select(&org), Err(EngineError::UnknownAccount(id)) if id == "9"));
        let bad = AccountFilter {
            ous: vec!["ou-x".into()],
            ..Default::default()
        };
        assert!(matches!(bad.select(&org), Err(EngineError::UnknownOu(ou)) if ou == "ou-x"));
    }

    #[test]
    fn region_validation_names_the_unknown_region() {
        let known = vec!["eu-west-1".to_owned(), "us-east-1".to_owned()];
        assert!(validate_regions(&["us-east-1".to_owned()], &known, "--regions").is_ok());
        let err = validate_regions(
            &["us-east-1".to_owned(), "mars-north-1".to_owned()],
            &known,
            "--regions",
        )
        .unwrap_err();
        assert!(err.to_string().contains("mars-north-1"), "{err}");
    }
}
