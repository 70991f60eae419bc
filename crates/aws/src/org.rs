//! Organization discovery: the management account, every account with its OU path and
//! tags, and the regions of the partition.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use aws_config::retry::RetryConfig;
use aws_sdk_organizations::types::{AccountState, ParentType};
use futures::{StreamExt, TryStreamExt};
use tokio::sync::{Mutex, OnceCell};

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
}

impl OrgAccount {
    /// Only active accounts can be scanned; the others are reported as skipped.
    pub fn is_active(&self) -> bool {
        self.status == "ACTIVE"
    }
}

#[derive(Debug, Clone)]
pub struct Organization {
    pub management_account_id: String,
    pub accounts: Vec<OrgAccount>,
}

/// How many Organizations calls discovery keeps in flight; the limiter sets the pace.
const DISCOVERY_CONCURRENCY: usize = 4;

/// An OU's name and parent (with whether the parent is the root), cached so each OU is
/// described once however many accounts it holds.
#[derive(Debug, Clone)]
struct OuNode {
    name: String,
    parent: (String, bool),
}

/// One cell per OU: accounts of the same OU discovered concurrently wait for the first
/// lookup instead of repeating it.
type OuCache = Mutex<HashMap<String, Arc<OnceCell<OuNode>>>>;

impl Session {
    /// Reads the organization. The first call fails fast (two attempts) so an unreachable
    /// endpoint or a caller outside an organization is reported within seconds.
    pub async fn organization(&self) -> Result<Organization, AwsError> {
        let probe = self.management("caller");
        let described = probe
            .organizations(None)
            .describe_organization()
            .customize()
            .config_override(
                aws_sdk_organizations::config::Builder::default()
                    .retry_config(RetryConfig::standard().with_max_attempts(2)),
            )
            .send()
            .await
            .map_err(|e| probe.error("organizations:DescribeOrganization", e))?;
        let management_account_id = described
            .organization()
            .and_then(|o| o.master_account_id())
            .ok_or_else(|| AwsError::Other {
                operation: "organizations:DescribeOrganization",
                message: "the response names no management account".to_owned(),
            })?
            .to_owned();

        let management = self.management(&management_account_id);
        let client = management.organizations(None);
        let mut listed = Vec::new();
        let mut pages = client.list_accounts().into_paginator().send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| management.error("organizations:ListAccounts", e))?;
            listed.extend(page.accounts().iter().cloned());
        }

        let ous = OuCache::default();
        let accounts = futures::stream::iter(listed)
            .map(|account| {
                let management = &management;
                let ous = &ous;
                async move {
                    let id = account.id().unwrap_or_default().to_owned();
                    let status = account
                        .state()
                        .map(AccountState::as_str)
                        .or_else(|| account.status().map(|s| s.as_str()))
                        .unwrap_or("UNKNOWN")
                        .to_owned();
                    let parent = parent_of(management, &id).await?;
                    let (ou_ids, ou_path) = ou_path(management, ous, parent).await?;
                    let tags = tags_of(management, &id).await?;
                    Ok::<_, AwsError>(OrgAccount {
                        name: account.name().unwrap_or_default().to_owned(),
                        email: account.email().unwrap_or_default().to_owned(),
                        id,
                        status,
                        ou_ids,
                        ou_path,
                        tags,
                    })
                }
            })
            .buffer_unordered(DISCOVERY_CONCURRENCY)
            .try_collect::<Vec<_>>()
            .await?;
        let mut accounts = accounts;
        accounts.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(Organization {
            management_account_id,
            accounts,
        })
    }

    /// Every region of the partition (enabled or not), to validate `--regions`.
    pub async fn all_regions(&self, management_account_id: &str) -> Result<Vec<String>, AwsError> {
        self.management(management_account_id).regions(true).await
    }
}

/// The direct parent (OU or root) of an account or OU.
async fn parent_of(management: &AccountSession, child: &str) -> Result<(String, bool), AwsError> {
    let out = management
        .organizations(None)
        .list_parents()
        .child_id(child)
        .send()
        .await
        .map_err(|e| management.error("organizations:ListParents", e))?;
    let parent = out.parents().first().ok_or_else(|| AwsError::Other {
        operation: "organizations:ListParents",
        message: format!("{child} has no parent"),
    })?;
    let is_root = matches!(parent.r#type(), Some(ParentType::Root));
    Ok((parent.id().unwrap_or_default().to_owned(), is_root))
}

/// Walks from an account's parent up to the root, describing each OU once per scan.
async fn ou_path(
    management: &AccountSession,
    cache: &OuCache,
    (mut id, mut is_root): (String, bool),
) -> Result<(Vec<String>, String), AwsError> {
    let mut ids = Vec::new();
    let mut names = Vec::new();
    // Organizations nests OUs at most five deep; the bound guards against a cycle in a
    // misbehaving endpoint.
    for _ in 0..8 {
        if is_root {
            ids.push(id);
            names.push("Root".to_owned());
            break;
        }
        let cell = cache.lock().await.entry(id.clone()).or_default().clone();
        let node = cell
            .get_or_try_init(|| async {
                let described = management
                    .organizations(None)
                    .describe_organizational_unit()
                    .organizational_unit_id(&id)
                    .send()
                    .await
                    .map_err(|e| management.error("organizations:DescribeOrganizationalUnit", e))?;
                Ok::<_, AwsError>(OuNode {
                    name: described
                        .organizational_unit()
                        .and_then(|ou| ou.name())
                        .unwrap_or(&id)
                        .to_owned(),
                    parent: parent_of(management, &id).await?,
                })
            })
            .await?
            .clone();
        ids.push(id);
        names.push(node.name);
        (id, is_root) = node.parent;
    }
    ids.reverse();
    names.reverse();
    Ok((ids, names.join("/")))
}

async fn tags_of(
    management: &AccountSession,
    account_id: &str,
) -> Result<BTreeMap<String, String>, AwsError> {
    let client = management.organizations(None);
    let mut tags = BTreeMap::new();
    let mut pages = client
        .list_tags_for_resource()
        .resource_id(account_id)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| management.error("organizations:ListTagsForResource", e))?;
        for tag in page.tags() {
            tags.insert(tag.key().to_owned(), tag.value().to_owned());
        }
    }
    Ok(tags)
}

impl AccountSession {
    /// The account's regions from `ec2:DescribeRegions`: the enabled ones, or with `all`
    /// every region of the partition.
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
}
