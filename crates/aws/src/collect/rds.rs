//! RDS DB instances and the account's own manual DB snapshots, with who each snapshot is
//! shared with. Both lists are paginated (100 per page, RDS's maximum); each manual snapshot
//! costs one DescribeDBSnapshotAttributes, as each EC2 snapshot costs one
//! DescribeSnapshotAttribute.

use orgsweep_model::facts::Ec2Resource;

use super::compute::{item, tag_map};
use super::to_time;
use crate::error::AwsError;
use crate::session::AccountSession;

/// RDS pages hold at most 100 records.
const PAGE_SIZE: i32 = 100;

/// The snapshot attribute that lists the accounts allowed to copy or restore it (`all`
/// when public).
const RESTORE: &str = "restore";

impl AccountSession {
    /// rds:DescribeDBInstances: identifier, class, status, creation time and tags.
    pub(super) async fn rds_instances(&self, region: &str) -> Result<Vec<Ec2Resource>, AwsError> {
        let client = self.rds(Some(region));
        let mut pages = client
            .describe_db_instances()
            .max_records(PAGE_SIZE)
            .into_paginator()
            .send();
        let mut out = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| self.error("rds:DescribeDBInstances", e))?;
            for i in page.db_instances() {
                let Some(id) = i.db_instance_identifier() else {
                    continue;
                };
                out.push(item(
                    id,
                    to_time(i.instance_create_time()),
                    i.db_instance_status(),
                    tag_map(i.tag_list().iter().map(|t| (t.key(), t.value()))),
                    i.db_instance_class().map(str::to_owned),
                ));
            }
        }
        Ok(out)
    }

    /// rds:DescribeDBSnapshots of type `manual` (the account's own: snapshots others share
    /// with it are type `shared`, and automated ones cannot be shared), then
    /// rds:DescribeDBSnapshotAttributes per snapshot for its `restore` attribute.
    pub(super) async fn rds_snapshots(&self, region: &str) -> Result<Vec<Ec2Resource>, AwsError> {
        let client = self.rds(Some(region));
        let mut pages = client
            .describe_db_snapshots()
            .snapshot_type("manual")
            .max_records(PAGE_SIZE)
            .into_paginator()
            .send();
        let mut out = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| self.error("rds:DescribeDBSnapshots", e))?;
            for s in page.db_snapshots() {
                let Some(id) = s.db_snapshot_identifier() else {
                    continue;
                };
                // An endpoint that ignores the type filter must not make others' snapshots
                // look like ours.
                if s.snapshot_type().is_some_and(|t| t != "manual") {
                    continue;
                }
                out.push(item(
                    id,
                    to_time(s.snapshot_create_time()),
                    s.status(),
                    tag_map(s.tag_list().iter().map(|t| (t.key(), t.value()))),
                    None,
                ));
            }
        }
        for snapshot in &mut out {
            let attributes = client
                .describe_db_snapshot_attributes()
                .db_snapshot_identifier(&snapshot.id)
                .send()
                .await
                .map_err(|e| self.error("rds:DescribeDBSnapshotAttributes", e))?;
            snapshot.shared_with = attributes
                .db_snapshot_attributes_result()
                .map(|r| r.db_snapshot_attributes())
                .unwrap_or_default()
                .iter()
                .filter(|a| a.attribute_name() == Some(RESTORE))
                .flat_map(|a| a.attribute_values().iter().cloned())
                .collect();
            snapshot.shared_with.sort();
            snapshot.shared_with.dedup();
        }
        Ok(out)
    }
}
