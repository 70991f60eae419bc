//! EC2 (ec2 query): regions, the Describe* of every resource kind (paginated where EC2 is),
//! and the sharing attributes of snapshots and images.

use std::fmt::Write as _;

use bytes::Bytes;

use crate::clock::iso;
use crate::org::{NOT_OPTED_IN_REGIONS, REGIONS};
use crate::region_model::{self, Image, Instance, RegionData, Simple, Snapshot, Volume};
use crate::services::{page, token};
use crate::sim::{CacheKey, Call, GLOBAL_REGION, SHARED_ACCOUNT, Sim, Table};
use crate::wire::{ApiError, ec2_body, el};

pub(crate) fn register(t: &mut Table) {
    t.op("ec2", "DescribeRegions", describe_regions)
        .op("ec2", "DescribeInstances", describe_instances)
        .op("ec2", "DescribeVolumes", describe_volumes)
        .op("ec2", "DescribeSnapshots", describe_snapshots)
        .op("ec2", "DescribeImages", describe_images)
        .op("ec2", "DescribeKeyPairs", describe_key_pairs)
        .op("ec2", "DescribeAddresses", describe_addresses)
        .op("ec2", "DescribeSecurityGroups", describe_security_groups)
        .op("ec2", "DescribeVpcs", describe_vpcs)
        .op("ec2", "DescribeLaunchTemplates", describe_launch_templates)
        .op(
            "ec2",
            "DescribeSpotInstanceRequests",
            describe_spot_instance_requests,
        )
        .op("ec2", "DescribeNatGateways", describe_nat_gateways)
        .op(
            "ec2",
            "DescribeSnapshotAttribute",
            describe_snapshot_attribute,
        )
        .op("ec2", "DescribeImageAttribute", describe_image_attribute);
}

/// Who owns what is being rendered.
struct Owner<'a> {
    account: &'a str,
}

/// A Describe* list: its XML set, page bounds (`None`: EC2 does not paginate it), and how
/// one item renders.
struct List<T: 'static> {
    set: &'static str,
    min: usize,
    max: usize,
    paginated: bool,
    items: fn(&RegionData) -> &[T],
    item: fn(&mut String, &T, &Owner<'_>),
    /// Renders `<nextToken>` after the set (DescribeInstances puts it after reservations).
    next_after: bool,
}

fn tags(o: &mut String, name: &str) {
    if name.is_empty() {
        return;
    }
    o.push_str("<tagSet><item><key>Name</key>");
    el(o, "value", name);
    o.push_str("</item></tagSet>");
}

fn render_list<T>(
    call: &Call<'_>,
    list: &List<T>,
    items: &[T],
    start: usize,
    end: usize,
    next: Option<usize>,
    owner: &Owner<'_>,
) -> Bytes {
    ec2_body(call.op, |o| {
        let _ = write!(o, "<{}>", list.set);
        for item in &items[start..end] {
            (list.item)(o, item, owner);
        }
        let _ = write!(o, "</{}>", list.set);
        if let Some(n) = next
            && list.next_after
        {
            el(o, "nextToken", &token(n));
        }
    })
}

fn describe<T>(sim: &Sim, call: &Call<'_>, list: &List<T>) -> Result<Bytes, ApiError> {
    let region = call.region();
    let data = sim.region_data(call.account, region);
    let items: &[T] = data.as_deref().map_or(&[], list.items);
    let p = if list.paginated {
        page(
            call.params,
            "NextToken",
            "MaxResults",
            items.len(),
            list.min,
            list.max,
            None,
            "InvalidParameterValue",
        )?
    } else {
        super::Page {
            start: 0,
            end: items.len(),
            next: None,
            size: u64::MAX,
        }
    };
    let owner = Owner {
        account: &sim.org.accounts[call.account].id,
    };
    if items.is_empty() {
        // Most account-regions: one body for everyone.
        let key = CacheKey {
            account: SHARED_ACCOUNT,
            region: GLOBAL_REGION,
            op: call.op,
            a: 0,
            b: 0,
        };
        return sim.cached(key, || {
            Ok(render_list(call, list, items, 0, 0, None, &owner))
        });
    }
    let key = CacheKey {
        account: call.account as u32,
        region,
        op: call.op,
        a: p.start as u64,
        b: p.size,
    };
    sim.cached(key, || {
        Ok(render_list(
            call, list, items, p.start, p.end, p.next, &owner,
        ))
    })
}

fn describe_regions(sim: &Sim, call: &Call<'_>) -> Result<Bytes, ApiError> {
    let all = call.params.str("AllRegions") == Some("true");
    let key = CacheKey {
        account: SHARED_ACCOUNT,
        region: GLOBAL_REGION,
        op: call.op,
        a: u64::from(all),
        b: 0,
    };
    sim.cached(key, || {
        Ok(ec2_body(call.op, |o| {
            o.push_str("<regionInfo>");
            let mut region = |name: &str, status: &str| {
                o.push_str("<item>");
                el(o, "regionName", name);
                el(o, "regionEndpoint", &format!("ec2.{name}.amazonaws.com"));
                el(o, "optInStatus", status);
                o.push_str("</item>");
            };
            for r in &sim.org.spec.regions {
                let status = if REGIONS.contains(&r.as_str()) {
                    "opt-in-not-required"
                } else {
                    "opted-in"
                };
                region(r, status);
            }
            if all {
                for r in NOT_OPTED_IN_REGIONS {
                    if !sim.org.spec.regions.iter().any(|s| s == r) {
                        region(r, "not-opted-in");
                    }
                }
            }
            o.push_str("</regionInfo>");
        }))
    })
}

fn instance(o: &mut String, i: &Instance, owner: &Owner<'_>) {
    o.push_str("<item>");
    el(o, "reservationId", &format!("r-{}", &i.id[2..]));
    el(o, "ownerId", owner.account);
    o.push_str("<groupSet/><instancesSet><item>");
    el(o, "instanceId", &i.id);
    el(o, "imageId", &i.image);
    let _ = write!(
        o,
        "<instanceState><code>{}</code><name>{}</name></instanceState>",
        i.state.1, i.state.0
    );
    el(
        o,
        "privateDnsName",
        &format!("ip-{}.ec2.internal", i.ip.replace('.', "-")),
    );
    o.push_str("<dnsName/>");
    if let Some(k) = &i.key_name {
        el(o, "keyName", k);
    }
    o.push_str("<amiLaunchIndex>0</amiLaunchIndex>");
    el(o, "instanceType", i.itype);
    el(o, "launchTime", &iso(i.launched));
    o.push_str("<placement>");
    el(o, "availabilityZone", &i.az);
    o.push_str(
        "<tenancy>default</tenancy></placement><monitoring><state>disabled</state></monitoring>",
    );
    el(o, "subnetId", &i.subnet);
    el(o, "vpcId", &i.vpc);
    el(o, "privateIpAddress", &i.ip);
    o.push_str("<architecture>x86_64</architecture><rootDeviceType>ebs</rootDeviceType><rootDeviceName>/dev/xvda</rootDeviceName>");
    if let Some(p) = &i.profile {
        o.push_str("<iamInstanceProfile>");
        el(o, "arn", p);
        el(o, "id", "AIPASIMULATEDPROFILE1");
        o.push_str("</iamInstanceProfile>");
    }
    o.push_str("<virtualizationType>hvm</virtualizationType><hypervisor>xen</hypervisor>");
    tags(o, &i.name);
    o.push_str("</item></instancesSet></item>");
}

fn describe_instances(sim: &Sim, call: &Call<'_>) -> Result<Bytes, ApiError> {
    describe(
        sim,
        call,
        &List {
            set: "reservationSet",
            min: 5,
            max: 1000,
            paginated: true,
            items: |d| &d.instances,
            item: instance,
            next_after: true,
        },
    )
}

fn volume(o: &mut String, v: &Volume, _: &Owner<'_>) {
    o.push_str("<item>");
    el(o, "volumeId", &v.id);
    let _ = write!(o, "<size>{}</size><snapshotId/>", v.size);
    el(o, "availabilityZone", &v.az);
    el(o, "status", v.state);
    el(o, "createTime", &iso(v.created));
    o.push_str("<attachmentSet>");
    if let Some(i) = &v.attached_to {
        o.push_str("<item>");
        el(o, "volumeId", &v.id);
        el(o, "instanceId", i);
        o.push_str("<device>/dev/xvda</device><status>attached</status>");
        el(o, "attachTime", &iso(v.created));
        o.push_str("<deleteOnTermination>true</deleteOnTermination></item>");
    }
    o.push_str("</attachmentSet><volumeType>gp3</volumeType><iops>3000</iops><encrypted>true</encrypted><multiAttachEnabled>false</multiAttachEnabled><throughput>125</throughput></item>");
}

fn describe_volumes(sim: &Sim, call: &Call<'_>) -> Result<Bytes, ApiError> {
    describe(
        sim,
        call,
        &List {
            set: "volumeSet",
            min: 5,
            // DescribeVolumes caps pages at 500 items.
            max: 500,
            paginated: true,
            items: |d| &d.volumes,
            item: volume,
            next_after: true,
        },
    )
}

fn snapshot(o: &mut String, s: &Snapshot, owner: &Owner<'_>) {
    o.push_str("<item>");
    el(o, "snapshotId", &s.id);
    el(o, "volumeId", &s.volume);
    o.push_str("<status>completed</status>");
    el(o, "startTime", &iso(s.created));
    o.push_str("<progress>100%</progress>");
    el(o, "ownerId", owner.account);
    let _ = write!(o, "<volumeSize>{}</volumeSize>", s.size);
    el(o, "description", &format!("backup of {}", s.volume));
    o.push_str("<encrypted>false</encrypted><storageTier>standard</storageTier></item>");
}

/// `Owner.N`/`OwnerId.N` other than `self` or the caller: nothing of the caller's matches.
fn foreign_owners(call: &Call<'_>, account: &str) -> bool {
    let mut owners = call
        .params
        .values("Owner.")
        .chain(call.params.values("OwnerId."))
        .peekable();
    owners.peek().is_some() && !owners.any(|o| o == "self" || o == account)
}

fn describe_snapshots(sim: &Sim, call: &Call<'_>) -> Result<Bytes, ApiError> {
    // Only the caller's own snapshots exist here (no public ones from other accounts).
    let list = List {
        set: "snapshotSet",
        min: 5,
        max: 1000,
        paginated: true,
        items: |d| &d.snapshots,
        item: snapshot,
        next_after: true,
    };
    if foreign_owners(call, &sim.org.accounts[call.account].id) {
        return Ok(ec2_body(call.op, |o| o.push_str("<snapshotSet/>")));
    }
    describe(sim, call, &list)
}

fn image(o: &mut String, i: &Image, owner: &Owner<'_>) {
    o.push_str("<item>");
    el(o, "imageId", &i.id);
    el(o, "imageLocation", &format!("{}/{}", owner.account, i.name));
    o.push_str("<imageState>available</imageState>");
    el(o, "imageOwnerId", owner.account);
    el(o, "creationDate", &iso(i.created));
    o.push_str("<isPublic>false</isPublic><architecture>x86_64</architecture><imageType>machine</imageType>");
    el(o, "name", &i.name);
    o.push_str("<rootDeviceType>ebs</rootDeviceType><rootDeviceName>/dev/xvda</rootDeviceName><virtualizationType>hvm</virtualizationType><hypervisor>xen</hypervisor><enaSupport>true</enaSupport></item>");
}

fn describe_images(sim: &Sim, call: &Call<'_>) -> Result<Bytes, ApiError> {
    let list = List {
        set: "imagesSet",
        min: 1,
        max: 1000,
        paginated: true,
        items: |d| &d.images,
        item: image,
        next_after: true,
    };
    if foreign_owners(call, &sim.org.accounts[call.account].id) {
        return Ok(ec2_body(call.op, |o| o.push_str("<imagesSet/>")));
    }
    describe(sim, call, &list)
}

fn key_pair(o: &mut String, k: &Simple, _: &Owner<'_>) {
    o.push_str("<item>");
    el(o, "keyPairId", &k.id);
    el(o, "keyName", &k.name);
    el(
        o,
        "keyFingerprint",
        "1f:51:ae:28:bf:89:e9:d8:1f:25:5d:37:2d:7d:b8:ca:9f:f5:f1:6f",
    );
    o.push_str("<keyType>rsa</keyType>");
    el(o, "createTime", &iso(k.created));
    o.push_str("</item>");
}

fn describe_key_pairs(sim: &Sim, call: &Call<'_>) -> Result<Bytes, ApiError> {
    describe(
        sim,
        call,
        &List {
            set: "keySet",
            min: 0,
            max: usize::MAX,
            paginated: false,
            items: |d| &d.key_pairs,
            item: key_pair,
            next_after: false,
        },
    )
}

fn address(o: &mut String, a: &Simple, _: &Owner<'_>) {
    o.push_str("<item>");
    el(o, "publicIp", &a.name);
    el(o, "allocationId", &a.id);
    o.push_str("<domain>vpc</domain>");
    if a.flag {
        el(o, "associationId", &a.vpc);
    }
    o.push_str("<publicIpv4Pool>amazon</publicIpv4Pool></item>");
}

fn describe_addresses(sim: &Sim, call: &Call<'_>) -> Result<Bytes, ApiError> {
    describe(
        sim,
        call,
        &List {
            set: "addressesSet",
            min: 0,
            max: usize::MAX,
            paginated: false,
            items: |d| &d.addresses,
            item: address,
            next_after: false,
        },
    )
}

fn security_group(o: &mut String, g: &Simple, owner: &Owner<'_>) {
    o.push_str("<item>");
    el(o, "ownerId", owner.account);
    el(o, "groupId", &g.id);
    el(o, "groupName", &g.name);
    el(
        o,
        "groupDescription",
        if g.flag {
            "default VPC security group"
        } else {
            "application security group"
        },
    );
    el(o, "vpcId", &g.vpc);
    o.push_str("<ipPermissions/><ipPermissionsEgress><item><ipProtocol>-1</ipProtocol><ipRanges><item><cidrIp>0.0.0.0/0</cidrIp></item></ipRanges></item></ipPermissionsEgress></item>");
}

fn vpc(o: &mut String, v: &Simple, owner: &Owner<'_>) {
    o.push_str("<item>");
    el(o, "vpcId", &v.id);
    el(o, "ownerId", owner.account);
    el(o, "state", v.state);
    el(o, "cidrBlock", &v.name);
    o.push_str("<dhcpOptionsId>dopt-0c0ffee0c0ffee000</dhcpOptionsId><instanceTenancy>default</instanceTenancy>");
    let _ = write!(o, "<isDefault>{}</isDefault></item>", v.flag);
}

/// VPCs and security groups always include the default VPC and its group, so even an empty
/// account-region answers with its own (small) body.
fn describe_with_default(
    sim: &Sim,
    call: &Call<'_>,
    list: &List<Simple>,
    default: fn((Simple, Simple)) -> Simple,
) -> Result<Bytes, ApiError> {
    if sim.region_data(call.account, call.region()).is_some() {
        return describe(sim, call, list);
    }
    let items = [default(region_model::default_vpc(
        &sim.org,
        call.account,
        call.region(),
    ))];
    let p = page(
        call.params,
        "NextToken",
        "MaxResults",
        1,
        list.min,
        list.max,
        None,
        "InvalidParameterValue",
    )?;
    let owner = Owner {
        account: &sim.org.accounts[call.account].id,
    };
    Ok(render_list(
        call, list, &items, p.start, p.end, p.next, &owner,
    ))
}

fn describe_security_groups(sim: &Sim, call: &Call<'_>) -> Result<Bytes, ApiError> {
    describe_with_default(
        sim,
        call,
        &List {
            set: "securityGroupInfo",
            min: 5,
            max: 1000,
            paginated: true,
            items: |d| &d.security_groups,
            item: security_group,
            next_after: true,
        },
        |(_, sg)| sg,
    )
}

fn describe_vpcs(sim: &Sim, call: &Call<'_>) -> Result<Bytes, ApiError> {
    describe_with_default(
        sim,
        call,
        &List {
            set: "vpcSet",
            min: 5,
            max: 1000,
            paginated: true,
            items: |d| &d.vpcs,
            item: vpc,
            next_after: true,
        },
        |(v, _)| v,
    )
}

fn launch_template(o: &mut String, t: &Simple, owner: &Owner<'_>) {
    o.push_str("<item>");
    el(o, "launchTemplateId", &t.id);
    el(o, "launchTemplateName", &t.name);
    el(o, "createTime", &iso(t.created));
    el(
        o,
        "createdBy",
        &format!("arn:aws:iam::{}:user/alice", owner.account),
    );
    o.push_str("<defaultVersionNumber>1</defaultVersionNumber><latestVersionNumber>1</latestVersionNumber></item>");
}

fn describe_launch_templates(sim: &Sim, call: &Call<'_>) -> Result<Bytes, ApiError> {
    describe(
        sim,
        call,
        &List {
            set: "launchTemplates",
            min: 1,
            // EC2 documents 1..=200 for this call; larger requests are capped here.
            max: 200,
            paginated: true,
            items: |d| &d.launch_templates,
            item: launch_template,
            next_after: true,
        },
    )
}

fn spot_request(o: &mut String, s: &Simple, _: &Owner<'_>) {
    o.push_str("<item>");
    el(o, "spotInstanceRequestId", &s.id);
    o.push_str("<spotPrice>0.050000</spotPrice><type>one-time</type>");
    el(o, "state", s.state);
    o.push_str("<status>");
    el(
        o,
        "code",
        if s.state == "active" {
            "fulfilled"
        } else {
            "canceled-before-fulfillment"
        },
    );
    el(o, "updateTime", &iso(s.created));
    o.push_str("</status>");
    el(o, "createTime", &iso(s.created));
    o.push_str("<productDescription>Linux/UNIX</productDescription><instanceInterruptionBehavior>terminate</instanceInterruptionBehavior></item>");
}

fn describe_spot_instance_requests(sim: &Sim, call: &Call<'_>) -> Result<Bytes, ApiError> {
    describe(
        sim,
        call,
        &List {
            set: "spotInstanceRequestSet",
            min: 5,
            max: 1000,
            paginated: true,
            items: |d| &d.spot_requests,
            item: spot_request,
            next_after: true,
        },
    )
}

fn nat_gateway(o: &mut String, n: &Simple, _: &Owner<'_>) {
    o.push_str("<item>");
    el(o, "natGatewayId", &n.id);
    el(o, "subnetId", &n.name);
    el(o, "vpcId", &n.vpc);
    el(o, "state", n.state);
    el(o, "createTime", &iso(n.created));
    o.push_str("<connectivityType>public</connectivityType></item>");
}

fn describe_nat_gateways(sim: &Sim, call: &Call<'_>) -> Result<Bytes, ApiError> {
    describe(
        sim,
        call,
        &List {
            set: "natGatewaySet",
            min: 5,
            max: 1000,
            paginated: true,
            items: |d| &d.nat_gateways,
            item: nat_gateway,
            next_after: true,
        },
    )
}

fn describe_snapshot_attribute(sim: &Sim, call: &Call<'_>) -> Result<Bytes, ApiError> {
    let id = call.params.str("SnapshotId").ok_or_else(|| {
        ApiError::bad(
            "MissingParameter",
            "The request must contain the parameter SnapshotId",
        )
    })?;
    let not_found = || {
        ApiError::bad(
            "InvalidSnapshot.NotFound",
            format!("The snapshot '{id}' does not exist."),
        )
    };
    let data = sim
        .region_data(call.account, call.region())
        .ok_or_else(not_found)?;
    let snapshot = data
        .snapshots
        .iter()
        .find(|s| s.id == id)
        .ok_or_else(not_found)?;
    let volume_permission = call.params.str("Attribute") == Some("createVolumePermission");
    Ok(ec2_body(call.op, |o| {
        el(o, "snapshotId", id);
        o.push_str("<createVolumePermission>");
        if volume_permission {
            for account in &snapshot.shared_with {
                o.push_str("<item>");
                el(o, "userId", account);
                o.push_str("</item>");
            }
        }
        o.push_str("</createVolumePermission>");
    }))
}

fn describe_image_attribute(sim: &Sim, call: &Call<'_>) -> Result<Bytes, ApiError> {
    let id = call.params.str("ImageId").ok_or_else(|| {
        ApiError::bad(
            "MissingParameter",
            "The request must contain the parameter ImageId",
        )
    })?;
    let not_found = || {
        ApiError::bad(
            "InvalidAMIID.NotFound",
            format!("The image id '[{id}]' does not exist"),
        )
    };
    let data = sim
        .region_data(call.account, call.region())
        .ok_or_else(not_found)?;
    let image = data
        .images
        .iter()
        .find(|i| i.id == id)
        .ok_or_else(not_found)?;
    let launch_permission = call.params.str("Attribute") == Some("launchPermission");
    let org_arn = format!(
        "arn:aws:organizations::{}:organization/{}",
        sim.org.management().id,
        sim.org.org_id
    );
    Ok(ec2_body(call.op, |o| {
        el(o, "imageId", id);
        o.push_str("<launchPermission>");
        if launch_permission && image.org_shared {
            o.push_str("<item>");
            el(o, "organizationArn", &org_arn);
            o.push_str("</item>");
        }
        o.push_str("</launchPermission>");
    }))
}
