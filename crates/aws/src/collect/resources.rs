//! The EC2 resource kinds besides instances, and AWS Config's recorders. One Describe* call
//! per kind and region, paginated with `MaxResults` wherever EC2 allows it (unpaginated
//! calls fall into a smaller throttling bucket; DescribeKeyPairs and DescribeAddresses have
//! no pagination and answer in one page), plus one attribute call per owned snapshot and
//! image to see who they are shared with.

use aws_sdk_ec2::types::{ImageAttributeName, PermissionGroup, SnapshotAttributeName};
use orgsweep_model::facts::{ConfigRecorder, Ec2Resource, PUBLIC, ResourceKind};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::ec2::{PAGE_SIZE, tags};
use super::to_time;
use crate::error::AwsError;
use crate::session::AccountSession;

/// Collects every page of a paginated Describe* call into resources.
macro_rules! pages {
    ($session:expr, $api:expr, $paginator:expr, |$page:ident| $items:expr) => {{
        let mut pages = $paginator.into_paginator().send();
        let mut out = Vec::new();
        while let Some($page) = pages.next().await {
            let $page = $page.map_err(|e| $session.error($api, e))?;
            out.extend($items);
        }
        out
    }};
}

/// An unshared resource; `None` without an id, which nothing could name or act on.
fn resource(
    id: Option<&str>,
    created_at: Option<OffsetDateTime>,
    state: Option<&str>,
    tags: std::collections::BTreeMap<String, String>,
) -> Option<Ec2Resource> {
    Some(Ec2Resource {
        id: id?.to_owned(),
        created_at,
        state: state.map(str::to_owned),
        tags,
        shared_with: Vec::new(),
        instance_type: None,
    })
}

/// One grantee of a snapshot's or image's permission, as `shared_with` names it: an account
/// id, `all` when public, or the ARN of an organization or OU an image is shared with. The
/// check compares such an ARN with the scanned organization's own id, so sharing with a
/// foreign organization is reported instead of being taken for "inside".
fn grantee(
    group: Option<&PermissionGroup>,
    user_id: Option<&str>,
    organization_arn: Option<&str>,
) -> Option<String> {
    if group == Some(&PermissionGroup::All) {
        return Some(PUBLIC.to_owned());
    }
    user_id.or(organization_arn).map(str::to_owned)
}

impl AccountSession {
    /// Every resource of `kind` in `region`, sorted by id.
    pub async fn ec2_resources(
        &self,
        kind: ResourceKind,
        region: &str,
    ) -> Result<Vec<Ec2Resource>, AwsError> {
        let ec2 = self.ec2(Some(region));
        let api = kind.api();
        let mut resources = match kind {
            ResourceKind::Volume => pages!(
                self,
                api,
                ec2.describe_volumes().max_results(PAGE_SIZE),
                |page| {
                    page.volumes()
                        .iter()
                        .filter_map(|v| {
                            resource(
                                v.volume_id(),
                                to_time(v.create_time()),
                                v.state().map(|s| s.as_str()),
                                tags(v.tags()),
                            )
                        })
                        .collect::<Vec<_>>()
                }
            ),
            ResourceKind::Snapshot => {
                let mut snapshots = pages!(
                    self,
                    api,
                    ec2.describe_snapshots()
                        .owner_ids("self")
                        .max_results(PAGE_SIZE),
                    // Filtered again on the owner: an endpoint that ignores `self` (moto
                    // does) would otherwise list every public snapshot of the region.
                    |page| page
                        .snapshots()
                        .iter()
                        .filter(|s| s.owner_id() == Some(self.account_id.as_str()))
                        .filter_map(|s| {
                            resource(
                                s.snapshot_id(),
                                to_time(s.start_time()),
                                s.state().map(|s| s.as_str()),
                                tags(s.tags()),
                            )
                        })
                        .collect::<Vec<_>>()
                );
                for snapshot in &mut snapshots {
                    snapshot.shared_with = self.snapshot_shared_with(&ec2, &snapshot.id).await?;
                }
                snapshots
            }
            ResourceKind::Image => {
                let images = pages!(
                    self,
                    api,
                    ec2.describe_images().owners("self").max_results(PAGE_SIZE),
                    |page| page
                        .images()
                        .iter()
                        .filter(|i| i.owner_id() == Some(self.account_id.as_str()))
                        .filter_map(|i| {
                            let created = i
                                .creation_date()
                                .and_then(|d| OffsetDateTime::parse(d, &Rfc3339).ok());
                            let item = resource(
                                i.image_id(),
                                created,
                                i.state().map(|s| s.as_str()),
                                tags(i.tags()),
                            )?;
                            Some((item, i.public() == Some(true)))
                        })
                        .collect::<Vec<_>>()
                );
                let mut out = Vec::with_capacity(images.len());
                for (mut item, public) in images {
                    item.shared_with = self.image_shared_with(&ec2, &item.id).await?;
                    // `Public` and the `all` group say the same; list it once.
                    if public && !item.shared_with.iter().any(|a| a == PUBLIC) {
                        item.shared_with.push(PUBLIC.to_owned());
                    }
                    out.push(item);
                }
                out
            }
            ResourceKind::KeyPair => {
                let out = ec2
                    .describe_key_pairs()
                    .send()
                    .await
                    .map_err(|e| self.error(api, e))?;
                out.key_pairs()
                    .iter()
                    .filter_map(|k| {
                        resource(
                            k.key_pair_id().or(k.key_name()),
                            to_time(k.create_time()),
                            None,
                            tags(k.tags()),
                        )
                    })
                    .collect()
            }
            ResourceKind::Address => {
                let out = ec2
                    .describe_addresses()
                    .send()
                    .await
                    .map_err(|e| self.error(api, e))?;
                out.addresses()
                    .iter()
                    .filter_map(|a| {
                        let state = if a.association_id().is_some() {
                            "associated"
                        } else {
                            "unassociated"
                        };
                        resource(
                            a.allocation_id().or(a.public_ip()),
                            None,
                            Some(state),
                            tags(a.tags()),
                        )
                    })
                    .collect()
            }
            // The `default` group of every VPC is AWS's, not the account's.
            ResourceKind::SecurityGroup => pages!(
                self,
                api,
                ec2.describe_security_groups().max_results(PAGE_SIZE),
                |page| {
                    page.security_groups()
                        .iter()
                        .filter(|g| g.group_name() != Some("default"))
                        .filter_map(|g| resource(g.group_id(), None, None, tags(g.tags())))
                        .collect::<Vec<_>>()
                }
            ),
            // The default VPC is AWS's, not the account's.
            ResourceKind::Vpc => pages!(
                self,
                api,
                ec2.describe_vpcs().max_results(PAGE_SIZE),
                |page| {
                    page.vpcs()
                        .iter()
                        .filter(|v| v.is_default() != Some(true))
                        .filter_map(|v| {
                            resource(
                                v.vpc_id(),
                                None,
                                v.state().map(|s| s.as_str()),
                                tags(v.tags()),
                            )
                        })
                        .collect::<Vec<_>>()
                }
            ),
            ResourceKind::LaunchTemplate => pages!(
                self,
                api,
                ec2.describe_launch_templates().max_results(PAGE_SIZE),
                |page| {
                    page.launch_templates()
                        .iter()
                        .filter_map(|t| {
                            resource(
                                t.launch_template_id(),
                                to_time(t.create_time()),
                                None,
                                tags(t.tags()),
                            )
                        })
                        .collect::<Vec<_>>()
                }
            ),
            ResourceKind::SpotInstanceRequest => pages!(
                self,
                api,
                ec2.describe_spot_instance_requests().max_results(PAGE_SIZE),
                |page| {
                    page.spot_instance_requests()
                        .iter()
                        .filter_map(|r| {
                            resource(
                                r.spot_instance_request_id(),
                                to_time(r.create_time()),
                                r.state().map(|s| s.as_str()),
                                tags(r.tags()),
                            )
                        })
                        .collect::<Vec<_>>()
                }
            ),
            ResourceKind::NatGateway => pages!(
                self,
                api,
                ec2.describe_nat_gateways().max_results(PAGE_SIZE),
                |page| {
                    page.nat_gateways()
                        .iter()
                        .filter_map(|n| {
                            resource(
                                n.nat_gateway_id(),
                                to_time(n.create_time()),
                                n.state().map(|s| s.as_str()),
                                tags(n.tags()),
                            )
                        })
                        .collect::<Vec<_>>()
                }
            ),
            // The other services' kinds have collectors of their own (`compute`, `rds`);
            // their notes on partial reads go with `collect`.
            other => {
                let (resources, _) = self.service_resources(other, region).await?;
                return Ok(resources);
            }
        };
        resources.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(resources)
    }

    /// Who besides the owner may create volumes from the snapshot.
    async fn snapshot_shared_with(
        &self,
        ec2: &aws_sdk_ec2::Client,
        id: &str,
    ) -> Result<Vec<String>, AwsError> {
        let out = ec2
            .describe_snapshot_attribute()
            .snapshot_id(id)
            .attribute(SnapshotAttributeName::CreateVolumePermission)
            .send()
            .await
            .map_err(|e| self.error("ec2:DescribeSnapshotAttribute", e))?;
        Ok(out
            .create_volume_permissions()
            .iter()
            .filter_map(|p| grantee(p.group(), p.user_id(), None))
            .collect())
    }

    /// Who besides the owner may launch the image.
    async fn image_shared_with(
        &self,
        ec2: &aws_sdk_ec2::Client,
        id: &str,
    ) -> Result<Vec<String>, AwsError> {
        let out = ec2
            .describe_image_attribute()
            .image_id(id)
            .attribute(ImageAttributeName::LaunchPermission)
            .send()
            .await
            .map_err(|e| self.error("ec2:DescribeImageAttribute", e))?;
        Ok(out
            .launch_permissions()
            .iter()
            .filter_map(|p| {
                let organization = p.organization_arn().or(p.organizational_unit_arn());
                grantee(p.group(), p.user_id(), organization)
            })
            .collect())
    }

    /// The region's AWS Config recorders with their status. None at all is an empty list:
    /// that is the finding, not an error. Unnamed, both calls answer for the customer-managed
    /// recorder only; service-linked recorders record just their service's resource types,
    /// so they would not make the region's inventory visible anyway.
    pub async fn config_recorders(&self, region: &str) -> Result<Vec<ConfigRecorder>, AwsError> {
        let config = self.config(Some(region));
        let recorders = config
            .describe_configuration_recorders()
            .send()
            .await
            .map_err(|e| self.error("config:DescribeConfigurationRecorders", e))?;
        let statuses = config
            .describe_configuration_recorder_status()
            .send()
            .await
            .map_err(|e| self.error("config:DescribeConfigurationRecorderStatus", e))?;
        let mut out: Vec<ConfigRecorder> = recorders
            .configuration_recorders()
            .iter()
            .filter_map(|r| r.name())
            .map(|name| {
                let status = statuses
                    .configuration_recorders_status()
                    .iter()
                    .find(|s| s.name() == Some(name));
                ConfigRecorder {
                    name: name.to_owned(),
                    recording: status.is_some_and(|s| s.recording()),
                    last_status: status
                        .and_then(|s| s.last_status())
                        .map(|s| s.as_str().to_owned()),
                }
            })
            .collect();
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }
}
