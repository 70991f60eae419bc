use std::collections::BTreeMap;

use aws_sdk_ec2::types::Tag;
use orgsweep_model::facts::Ec2Instance;

use super::to_time;
use crate::error::AwsError;
use crate::session::AccountSession;

/// The page size of paginated Describe* calls. Paginated calls use EC2's regular 100/20
/// bucket; unpaginated ones fall into a smaller one.
pub(super) const PAGE_SIZE: i32 = 1000;

/// EC2 tags as a map; a tag without a key is dropped, one without a value kept as empty.
pub(super) fn tags(tags: &[Tag]) -> BTreeMap<String, String> {
    tags.iter()
        .filter_map(|t| {
            Some((
                t.key()?.to_owned(),
                t.value().unwrap_or_default().to_owned(),
            ))
        })
        .collect()
}

impl AccountSession {
    pub async fn ec2_instances(&self, region: &str) -> Result<Vec<Ec2Instance>, AwsError> {
        let client = self.ec2(Some(region));
        let mut pages = client
            .describe_instances()
            .max_results(PAGE_SIZE)
            .into_paginator()
            .send();
        let mut instances = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| self.error("ec2:DescribeInstances", e))?;
            for reservation in page.reservations() {
                for i in reservation.instances() {
                    let Some(id) = i.instance_id() else { continue };
                    instances.push(Ec2Instance {
                        instance_id: id.to_owned(),
                        instance_type: i
                            .instance_type()
                            .map_or_else(String::new, |t| t.as_str().to_owned()),
                        state: i
                            .state()
                            .and_then(|s| s.name())
                            .map_or_else(|| "unknown".to_owned(), |n| n.as_str().to_owned()),
                        launch_time: to_time(i.launch_time()),
                        image_id: i.image_id().map(str::to_owned),
                        key_name: i.key_name().map(str::to_owned),
                        instance_profile_arn: i
                            .iam_instance_profile()
                            .and_then(|p| p.arn())
                            .map(str::to_owned),
                        tags: tags(i.tags()),
                    });
                }
            }
        }
        instances.sort_by(|a, b| a.instance_id.cmp(&b.instance_id));
        Ok(instances)
    }
}
