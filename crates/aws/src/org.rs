//! Organization discovery: the management account, every account with its OU path (and,
//! when asked for, its tags), whether the caller may scan the organization, and the regions
//! of the partition.
//!
//! The OU paths come from a top-down walk (ListRoots, then ListOrganizationalUnitsForParent
//! and ListAccountsForParent level by level): O(OUs + accounts / page size) calls, where
//! asking each account for its parent would cost one call per account and OU. A parent the
//! walk cannot list does not end the scan: ListAccounts then finds the accounts the walk
//! missed, and each of them carries why its OU path is unknown.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_organizations::types::{Account, AccountState};
use futures::StreamExt;

use crate::error::AwsError;
use crate::session::{AccountSession, Session};

/// An account as Organizations describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgAccount {
    pub id: String,
    pub name: String,
    pub email: String,
    /// `ACTIVE`, `SUSPENDED`, `PENDING_CLOSURE`, `CLOSED`, …
    pub status: String,
    /// Root first, the account's own OU last.
    pub ou_ids: Vec<String>,
    /// Names along the same path, e.g. `Root/Workloads`.
    pub ou_path: String,
    pub tags: BTreeMap<String, String>,
    /// Why the OU path is unknown, when the walk could not place the account.
    pub ou_path_error: Option<String>,
    /// Why the tags are missing, when they were asked for and could not be read.
    pub tags_error: Option<String>,
}

impl OrgAccount {
    /// Only active accounts can be scanned; the others are reported as skipped.
    pub fn is_active(&self) -> bool {
        self.status == "ACTIVE"
    }
}

#[derive(Debug, Clone)]
pub struct Organization {
    pub id: Option<String>,
    pub management_account_id: String,
    pub accounts: Vec<OrgAccount>,
}

/// What discovery reads besides the accounts and their OU paths.
#[derive(Debug, Clone, Copy, Default)]
pub struct DiscoveryOptions {
    /// Read every account's tags (one ListTagsForResource per account).
    pub account_tags: bool,
}

/// How the caller relates to the organization it scans.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallerRole {
    /// The caller's account is the organization's management account.
    Management,
    /// The caller's account is a registered delegated administrator: it is scanned as a
    /// member under its own id, and the management account through the scan role.
    DelegatedAdministrator,
}

/// How many Organizations calls discovery keeps in flight; the limiter sets the pace.
const DISCOVERY_CONCURRENCY: usize = 8;
/// The largest page ListAccountsForParent and ListAccounts return.
const ACCOUNTS_PAGE: i32 = 20;

/// One parent (root or OU) of the walk, with its path from the root.
#[derive(Debug, Clone)]
struct Parent {
    id: String,
    ids: Vec<String>,
    names: Vec<String>,
}

fn org_account(account: &Account, parent: Option<&Parent>) -> OrgAccount {
    let status = account
        .state()
        .map(AccountState::as_str)
        .or_else(|| account.status().map(|s| s.as_str()))
        .unwrap_or("UNKNOWN")
        .to_owned();
    OrgAccount {
        id: account.id().unwrap_or_default().to_owned(),
        name: account.name().unwrap_or_default().to_owned(),
        email: account.email().unwrap_or_default().to_owned(),
        status,
        ou_ids: parent.map(|p| p.ids.clone()).unwrap_or_default(),
        ou_path: parent.map(|p| p.names.join("/")).unwrap_or_default(),
        tags: BTreeMap::new(),
        ou_path_error: None,
        tags_error: None,
    }
}

impl Session {
    /// Reads the organization. Errors only when the organization itself cannot be read
    /// (DescribeOrganization, ListRoots, and ListAccounts when the walk had gaps).
    pub async fn organization(&self, options: DiscoveryOptions) -> Result<Organization, AwsError> {
        let caller = self.own(&self.caller().account_id);
        let described = caller
            .organizations_api("DescribeOrganization")
            .describe_organization()
            .send()
            .await
            .map_err(|e| caller.error("organizations:DescribeOrganization", e))?;
        let organization = described.organization();
        let management_account_id = organization
            .and_then(|o| o.master_account_id())
            .ok_or_else(|| AwsError::Other {
                operation: "organizations:DescribeOrganization",
                message: "the response names no management account".to_owned(),
            })?
            .to_owned();
        let id = organization.and_then(|o| o.id()).map(str::to_owned);

        let roots = caller
            .organizations_api("ListRoots")
            .list_roots()
            .send()
            .await
            .map_err(|e| caller.error("organizations:ListRoots", e))?;
        let mut level: Vec<Parent> = roots
            .roots()
            .iter()
            .filter_map(|r| r.id())
            .map(|id| Parent {
                id: id.to_owned(),
                ids: vec![id.to_owned()],
                names: vec!["Root".to_owned()],
            })
            .collect();

        /// One parent's child OUs and child accounts, each listed or failed on its own.
        type Listed = (
            Parent,
            Result<Vec<Parent>, AwsError>,
            Result<Vec<Account>, AwsError>,
        );
        let mut accounts: BTreeMap<String, OrgAccount> = BTreeMap::new();
        let mut walk_errors: Vec<String> = Vec::new();
        // Organizations nests OUs at most five deep; the bound guards against a cycle in a
        // misbehaving endpoint.
        for _ in 0..8 {
            if level.is_empty() {
                break;
            }
            let listed: Vec<Listed> = futures::stream::iter(level)
                .map(|parent| {
                    let caller = &caller;
                    async move {
                        let ous = child_ous(caller, &parent).await;
                        let members = child_accounts(caller, &parent.id).await;
                        (parent, ous, members)
                    }
                })
                .buffer_unordered(DISCOVERY_CONCURRENCY)
                .collect()
                .await;
            let mut next = Vec::new();
            for (parent, ous, members) in listed {
                match members {
                    Ok(members) => {
                        for account in &members {
                            let account = org_account(account, Some(&parent));
                            accounts.insert(account.id.clone(), account);
                        }
                    }
                    Err(err) => walk_errors.push(format!("{}: {err}", parent.id)),
                }
                match ous {
                    Ok(ous) => next.extend(ous),
                    Err(err) => walk_errors.push(format!("{}: {err}", parent.id)),
                }
            }
            level = next;
        }

        if !walk_errors.is_empty() {
            // Some part of the tree could not be listed: ListAccounts finds every account,
            // and those the walk missed say why their OU path is unknown.
            let why = format!("OU path unknown: {}", walk_errors.join("; "));
            for account in list_accounts(&caller).await? {
                let account = org_account(&account, None);
                accounts.entry(account.id.clone()).or_insert(OrgAccount {
                    ou_path_error: Some(why.clone()),
                    ..account
                });
            }
        }

        let mut accounts: Vec<OrgAccount> = accounts.into_values().collect();
        if options.account_tags {
            let tagged: Vec<OrgAccount> = futures::stream::iter(accounts)
                .map(|mut account| {
                    let caller = &caller;
                    async move {
                        match tags_of(caller, &account.id).await {
                            Ok(tags) => account.tags = tags,
                            Err(err) => account.tags_error = Some(err.to_string()),
                        }
                        account
                    }
                })
                .buffer_unordered(DISCOVERY_CONCURRENCY)
                .collect()
                .await;
            accounts = tagged;
            accounts.sort_by(|a, b| a.id.cmp(&b.id));
        }
        Ok(Organization {
            id,
            management_account_id,
            accounts,
        })
    }

    /// Whether the caller may scan `organization`: from its management account, or from a
    /// delegated administrator account. Anything else would report the caller's own IAM
    /// and resources under another account's id, so it is refused naming both ids.
    pub async fn caller_role(&self, organization: &Organization) -> Result<CallerRole, AwsError> {
        let me = &self.caller().account_id;
        if me == &organization.management_account_id {
            return Ok(CallerRole::Management);
        }
        let caller = self.own(me);
        let mut pages = caller
            .organizations_api("ListDelegatedAdministrators")
            .list_delegated_administrators()
            .into_paginator()
            .send();
        let mut delegated = BTreeSet::new();
        while let Some(page) = pages.next().await {
            match page {
                Ok(page) => delegated.extend(
                    page.delegated_administrators()
                        .iter()
                        .filter_map(|a| a.id())
                        .map(str::to_owned),
                ),
                // Only the management account and delegated administrators may ask.
                Err(_) => break,
            }
        }
        if delegated.contains(me) {
            Ok(CallerRole::DelegatedAdministrator)
        } else {
            Err(AwsError::WrongAccount {
                caller: me.clone(),
                caller_arn: self.caller().arn.clone(),
                management: organization.management_account_id.clone(),
            })
        }
    }

    /// Every region of the partition (enabled or not), to validate `--regions`.
    pub async fn all_regions(&self) -> Result<Vec<String>, AwsError> {
        let partition = self.caller().partition.clone();
        let regions = self.own(&self.caller().account_id).regions(true).await?;
        Ok(regions
            .into_iter()
            .filter(|r| region_in_partition(r, &partition))
            .collect())
    }
}

/// Whether a region name belongs to a partition (emulators list every partition's regions).
pub fn region_in_partition(region: &str, partition: &str) -> bool {
    let china = region.starts_with("cn-");
    let gov = region.starts_with("us-gov-");
    let iso = region.starts_with("us-iso") || region.starts_with("eu-isoe");
    match partition {
        "aws-cn" => china,
        "aws-us-gov" => gov,
        "aws" => !(china || gov || iso),
        _ => true,
    }
}

/// The OUs directly under `parent`, with their paths.
async fn child_ous(caller: &AccountSession, parent: &Parent) -> Result<Vec<Parent>, AwsError> {
    let client = caller.organizations_api("ListOrganizationalUnitsForParent");
    let mut pages = client
        .list_organizational_units_for_parent()
        .parent_id(&parent.id)
        .into_paginator()
        .send();
    let mut out = Vec::new();
    while let Some(page) = pages.next().await {
        let page =
            page.map_err(|e| caller.error("organizations:ListOrganizationalUnitsForParent", e))?;
        for ou in page.organizational_units() {
            let Some(id) = ou.id() else { continue };
            let mut ids = parent.ids.clone();
            ids.push(id.to_owned());
            let mut names = parent.names.clone();
            names.push(ou.name().unwrap_or(id).to_owned());
            out.push(Parent {
                id: id.to_owned(),
                ids,
                names,
            });
        }
    }
    Ok(out)
}

/// The accounts directly under `parent`.
async fn child_accounts(caller: &AccountSession, parent: &str) -> Result<Vec<Account>, AwsError> {
    let client = caller.organizations_api("ListAccountsForParent");
    let mut pages = client
        .list_accounts_for_parent()
        .parent_id(parent)
        .max_results(ACCOUNTS_PAGE)
        .into_paginator()
        .send();
    let mut out = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| caller.error("organizations:ListAccountsForParent", e))?;
        out.extend(page.accounts().iter().cloned());
    }
    Ok(out)
}

async fn list_accounts(caller: &AccountSession) -> Result<Vec<Account>, AwsError> {
    let client = caller.organizations_api("ListAccounts");
    let mut pages = client
        .list_accounts()
        .max_results(ACCOUNTS_PAGE)
        .into_paginator()
        .send();
    let mut out = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| caller.error("organizations:ListAccounts", e))?;
        out.extend(page.accounts().iter().cloned());
    }
    Ok(out)
}

async fn tags_of(
    caller: &AccountSession,
    account_id: &str,
) -> Result<BTreeMap<String, String>, AwsError> {
    let client = caller.organizations_api("ListTagsForResource");
    let mut tags = BTreeMap::new();
    let mut pages = client
        .list_tags_for_resource()
        .resource_id(account_id)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| caller.error("organizations:ListTagsForResource", e))?;
        for tag in page.tags() {
            tags.insert(tag.key().to_owned(), tag.value().to_owned());
        }
    }
    Ok(tags)
}

impl AccountSession {
    /// The account's regions: the enabled ones, or with `all` every region of the
    /// partition, from `ec2:DescribeRegions`.
    pub async fn regions(&self, all: bool) -> Result<Vec<String>, AwsError> {
        let home = self.home_region();
        let out = self
            .ec2(Some(&home))
            .describe_regions()
            .all_regions(all)
            .send()
            .await
            .map_err(|e| self.error("ec2:DescribeRegions", e))?;
        let mut regions: Vec<String> = out
            .regions()
            .iter()
            .filter(|r| all || r.opt_in_status() != Some("not-opted-in"))
            .filter_map(|r| r.region_name().map(str::to_owned))
            .collect();
        regions.sort();
        regions.dedup();
        Ok(regions)
    }

    /// The account's enabled regions from `account:ListRegions`, for a role that may not
    /// call `ec2:DescribeRegions`.
    pub async fn enabled_regions_from_account(&self) -> Result<Vec<String>, AwsError> {
        use aws_sdk_account::types::RegionOptStatus;
        let client = self.account(None);
        let mut pages = client
            .list_regions()
            .region_opt_status_contains(RegionOptStatus::Enabled)
            .region_opt_status_contains(RegionOptStatus::EnabledByDefault)
            .into_paginator()
            .send();
        let mut regions = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| self.error("account:ListRegions", e))?;
            regions.extend(
                page.regions()
                    .iter()
                    .filter_map(|r| r.region_name().map(str::to_owned)),
            );
        }
        regions.sort();
        regions.dedup();
        Ok(regions)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_belong_to_their_partition() {
        assert!(region_in_partition("us-east-1", "aws"));
        assert!(!region_in_partition("cn-north-1", "aws"));
        assert!(!region_in_partition("us-gov-west-1", "aws"));
        assert!(region_in_partition("us-gov-west-1", "aws-us-gov"));
        assert!(region_in_partition("cn-northwest-1", "aws-cn"));
        assert!(!region_in_partition("eu-west-1", "aws-cn"));
    }
}
