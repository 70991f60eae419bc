//! The EC2 resource and AWS Config collectors end to end: a moto server seeded through the
//! SDK, then the real collectors, limiters and counters against it. What moto cannot show
//! (several pages, foreign-owned snapshots under `OwnerIds=self` on real AWS, key pairs
//! without ids, EC2-Classic addresses, AWS's `lastStatus` casing) is tested on
//! `aws-smithy-mocks` answers below.
//!
//! moto 5.2.5 as found while writing this: every Describe* used here is implemented,
//! including DescribeSnapshotAttribute, DescribeImageAttribute (users, `all`, organization
//! ARNs), spot requests and NAT gateways; but it ignores `OwnerIds=["self"]` on
//! DescribeSnapshots (it lists the ~1 300 public snapshots of its AMI catalogue too, which is
//! why the collector checks the owner again), ignores `MaxResults` (one page, no token),
//! stamps every spot request `2015-01-01`, and reports `lastStatus` as `PENDING` where AWS
//! says `Pending`.

use std::collections::BTreeSet;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_sdk_config::types::{ConfigurationRecorder as SdkRecorder, DeliveryChannel};
use aws_sdk_ec2::types::{
    DomainType, Filter, InstanceType, LaunchPermission, LaunchPermissionModifications,
    OperationType, PermissionGroup, RequestLaunchTemplateData, RequestSpotLaunchSpecification,
    ResourceType, SnapshotAttributeName, Tag, TagSpecification,
};
use aws_smithy_mocks::{MockResponseInterceptor, RuleMode, create_mock_http_client, mock};
use aws_smithy_runtime_api::client::interceptors::SharedInterceptor;
use orgsweep_aws::{Caller, Limits, Session, SessionOptions};
use orgsweep_demo::emulator::Emulator;
use orgsweep_model::facts::{ConfigRecorder, Ec2Resource, PUBLIC, ResourceKind};

/// moto's default account.
const ACCOUNT: &str = "123456789012";
const REGION: &str = "us-east-1";
const OUTSIDER: &str = "999999999999";
/// The management account of a foreign organization an image is shared with.
const FOREIGN_ORG_MANAGER: &str = "444455556666";
/// An AMI of moto's catalogue.
const CATALOGUE_AMI: &str = "ami-12c6146b";
/// The page size the collectors ask for.
const PAGE_SIZE: i32 = 1000;

fn credentials() -> Credentials {
    Credentials::new("testing", "testing", None, None, "collectors-test")
}

/// A session that reads nothing from the developer's own AWS configuration but the region
/// chain, which only global services use.
async fn session(options: SessionOptions) -> Session {
    let options = SessionOptions {
        credentials: Some(credentials()),
        caller: Caller::from_arn(&format!("arn:aws:iam::{ACCOUNT}:user/tester"), None),
        ..options
    };
    Session::connect(options, Limits::default())
        .await
        .expect("session")
}

fn seeding_config(endpoint: &str, region: &str) -> SdkConfig {
    SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(region.to_owned()))
        .endpoint_url(endpoint)
        .credentials_provider(SharedCredentialsProvider::new(credentials()))
        .build()
}

fn tagged(resource: ResourceType, key: &str, value: &str) -> TagSpecification {
    TagSpecification::builder()
        .resource_type(resource)
        .tags(Tag::builder().key(key).value(value).build())
        .build()
}

/// The ids of what was seeded in [`REGION`].
struct Seeded {
    volume: String,
    snapshot_to_outsider: String,
    public_snapshot: String,
    owned_snapshots: BTreeSet<String>,
    public_image: String,
    image_to_outsider: String,
    image_to_foreign_org: String,
    key_pair: String,
    used_address: String,
    spare_address: String,
    security_group: String,
    default_security_groups: BTreeSet<String>,
    vpc: String,
    default_vpc: String,
    launch_template: String,
    spot_request: String,
    nat_gateway: String,
}

async fn image(
    ec2: &aws_sdk_ec2::Client,
    instance: &str,
    name: &str,
    grant: LaunchPermission,
) -> String {
    let id = ec2
        .create_image()
        .instance_id(instance)
        .name(name)
        .send()
        .await
        .expect("create image")
        .image_id()
        .expect("image id")
        .to_owned();
    ec2.modify_image_attribute()
        .image_id(&id)
        .launch_permission(LaunchPermissionModifications::builder().add(grant).build())
        .send()
        .await
        .expect("share image");
    id
}

async fn snapshot(ec2: &aws_sdk_ec2::Client, volume: &str, user: Option<&str>) -> String {
    let id = ec2
        .create_snapshot()
        .volume_id(volume)
        .send()
        .await
        .expect("create snapshot")
        .snapshot_id()
        .expect("snapshot id")
        .to_owned();
    let share = ec2
        .modify_snapshot_attribute()
        .snapshot_id(&id)
        .attribute(SnapshotAttributeName::CreateVolumePermission)
        .operation_type(OperationType::Add);
    let share = match user {
        Some(user) => share.user_ids(user),
        None => share.group_names(PermissionGroup::All.as_str()),
    };
    share.send().await.expect("share snapshot");
    id
}

async fn allocate(ec2: &aws_sdk_ec2::Client) -> String {
    ec2.allocate_address()
        .domain(DomainType::Vpc)
        .send()
        .await
        .expect("allocate address")
        .allocation_id()
        .expect("allocation id")
        .to_owned()
}

async fn seed_ec2(endpoint: &str) -> Seeded {
    let ec2 = aws_sdk_ec2::Client::new(&seeding_config(endpoint, REGION));

    let volume = ec2
        .create_volume()
        .availability_zone("us-east-1a")
        .size(1)
        .tag_specifications(tagged(ResourceType::Volume, "team", "data"))
        .send()
        .await
        .expect("create volume")
        .volume_id()
        .expect("volume id")
        .to_owned();
    let snapshot_to_outsider = snapshot(&ec2, &volume, Some(OUTSIDER)).await;
    let public_snapshot = snapshot(&ec2, &volume, None).await;

    let instance = ec2
        .run_instances()
        .image_id(CATALOGUE_AMI)
        .min_count(1)
        .max_count(1)
        .send()
        .await
        .expect("run instance")
        .instances()
        .first()
        .and_then(|i| i.instance_id())
        .expect("instance id")
        .to_owned();
    let public_image = image(
        &ec2,
        &instance,
        "public",
        LaunchPermission::builder()
            .group(PermissionGroup::All)
            .build(),
    )
    .await;
    let image_to_outsider = image(
        &ec2,
        &instance,
        "to-outsider",
        LaunchPermission::builder().user_id(OUTSIDER).build(),
    )
    .await;
    let image_to_foreign_org = image(
        &ec2,
        &instance,
        "to-foreign-org",
        LaunchPermission::builder()
            .organization_arn(format!(
                "arn:aws:organizations::{FOREIGN_ORG_MANAGER}:organization/o-foreign123"
            ))
            .build(),
    )
    .await;
    // The images' backing snapshots are the account's too.
    let owned_snapshots = ec2
        .describe_snapshots()
        .owner_ids("self")
        .send()
        .await
        .expect("snapshots")
        .snapshots()
        .iter()
        .filter(|s| s.owner_id() == Some(ACCOUNT))
        .filter_map(|s| s.snapshot_id().map(str::to_owned))
        .collect();

    let key_pair = ec2
        .create_key_pair()
        .key_name("intruder")
        .send()
        .await
        .expect("key pair")
        .key_pair_id()
        .expect("key pair id")
        .to_owned();
    let used_address = allocate(&ec2).await;
    let spare_address = allocate(&ec2).await;

    let vpc = ec2
        .create_vpc()
        .cidr_block("10.1.0.0/16")
        .tag_specifications(tagged(ResourceType::Vpc, "Name", "mining"))
        .send()
        .await
        .expect("create vpc")
        .vpc()
        .and_then(|v| v.vpc_id())
        .expect("vpc id")
        .to_owned();
    let subnet = ec2
        .create_subnet()
        .vpc_id(&vpc)
        .cidr_block("10.1.1.0/24")
        .send()
        .await
        .expect("create subnet")
        .subnet()
        .and_then(|s| s.subnet_id())
        .expect("subnet id")
        .to_owned();
    let security_group = ec2
        .create_security_group()
        .group_name("open-ssh")
        .description("wide open")
        .vpc_id(&vpc)
        .send()
        .await
        .expect("create security group")
        .group_id()
        .expect("group id")
        .to_owned();
    let nat_gateway = ec2
        .create_nat_gateway()
        .subnet_id(&subnet)
        .allocation_id(&used_address)
        .send()
        .await
        .expect("create nat gateway")
        .nat_gateway()
        .and_then(|n| n.nat_gateway_id())
        .expect("nat gateway id")
        .to_owned();
    let launch_template = ec2
        .create_launch_template()
        .launch_template_name("miner")
        .launch_template_data(
            RequestLaunchTemplateData::builder()
                .image_id(CATALOGUE_AMI)
                .build(),
        )
        .send()
        .await
        .expect("create launch template")
        .launch_template()
        .and_then(|t| t.launch_template_id())
        .expect("launch template id")
        .to_owned();
    let spot_request = ec2
        .request_spot_instances()
        .spot_price("0.10")
        .instance_count(1)
        .launch_specification(
            RequestSpotLaunchSpecification::builder()
                .image_id(CATALOGUE_AMI)
                .instance_type(InstanceType::T3Micro)
                .build(),
        )
        .send()
        .await
        .expect("request spot instance")
        .spot_instance_requests()
        .first()
        .and_then(|r| r.spot_instance_request_id())
        .expect("spot request id")
        .to_owned();

    // moto creates a default VPC with a default group in every region, and a `default`
    // group in every VPC created: none of them is the account's doing.
    let default_vpc = ec2
        .describe_vpcs()
        .filters(Filter::builder().name("is-default").values("true").build())
        .send()
        .await
        .expect("default vpc")
        .vpcs()
        .first()
        .and_then(|v| v.vpc_id())
        .expect("moto's default vpc")
        .to_owned();
    let default_security_groups: BTreeSet<String> = ec2
        .describe_security_groups()
        .filters(
            Filter::builder()
                .name("group-name")
                .values("default")
                .build(),
        )
        .send()
        .await
        .expect("default groups")
        .security_groups()
        .iter()
        .filter_map(|g| g.group_id().map(str::to_owned))
        .collect();
    assert!(
        default_security_groups.len() >= 2,
        "{default_security_groups:?}"
    );

    Seeded {
        volume,
        snapshot_to_outsider,
        public_snapshot,
        owned_snapshots,
        public_image,
        image_to_outsider,
        image_to_foreign_org,
        key_pair,
        used_address,
        spare_address,
        security_group,
        default_security_groups,
        vpc,
        default_vpc,
        launch_template,
        spot_request,
        nat_gateway,
    }
}

/// A recorder named `name` in `region`, started or not.
async fn seed_recorder(endpoint: &str, region: &str, name: &str, started: bool) {
    let config = aws_sdk_config::Client::new(&seeding_config(endpoint, region));
    config
        .put_configuration_recorder()
        .configuration_recorder(
            SdkRecorder::builder()
                .name(name)
                .role_arn(format!("arn:aws:iam::{ACCOUNT}:role/config"))
                .build(),
        )
        .send()
        .await
        .expect("put recorder");
    if started {
        config
            .put_delivery_channel()
            .delivery_channel(
                DeliveryChannel::builder()
                    .name("default")
                    .s3_bucket_name("config-bucket")
                    .build(),
            )
            .send()
            .await
            .expect("put delivery channel");
        config
            .start_configuration_recorder()
            .configuration_recorder_name(name)
            .send()
            .await
            .expect("start recorder");
    }
}

fn ids(resources: &[Ec2Resource]) -> Vec<&str> {
    resources.iter().map(|r| r.id.as_str()).collect()
}

fn find<'a>(resources: &'a [Ec2Resource], id: &str) -> &'a Ec2Resource {
    resources
        .iter()
        .find(|r| r.id == id)
        .unwrap_or_else(|| panic!("{id} missing from {:?}", ids(resources)))
}

#[tokio::test(flavor = "multi_thread")]
async fn every_kind_and_the_recorders_against_moto() {
    let emulator = Emulator::start().expect("moto");
    let endpoint = emulator.endpoint();
    let seeded = seed_ec2(&endpoint).await;
    seed_recorder(&endpoint, REGION, "recording", true).await;
    seed_recorder(&endpoint, "us-west-2", "stopped", false).await;

    let session = session(SessionOptions {
        endpoint_url: Some(endpoint.clone()),
        ..SessionOptions::default()
    })
    .await;
    let account = session.own(ACCOUNT);
    let mut found = Vec::new();
    for kind in ResourceKind::EC2 {
        let resources = account
            .ec2_resources(kind, REGION)
            .await
            .unwrap_or_else(|e| panic!("{kind:?}: {e}"));
        let mut sorted = ids(&resources);
        sorted.sort_unstable();
        assert_eq!(ids(&resources), sorted, "{kind:?} sorted by id");
        found.push((kind, resources));
    }
    let of = |kind: ResourceKind| -> &[Ec2Resource] {
        found
            .iter()
            .find(|(k, _)| *k == kind)
            .map(|(_, r)| r.as_slice())
            .unwrap_or_default()
    };

    let volume = find(of(ResourceKind::Volume), &seeded.volume);
    assert_eq!(volume.state.as_deref(), Some("available"));
    assert_eq!(volume.tags.get("team").map(String::as_str), Some("data"));
    assert!(volume.created_at.is_some());

    // Only the account's own snapshots, each with its sharing.
    let snapshots = of(ResourceKind::Snapshot);
    let listed: BTreeSet<String> = snapshots.iter().map(|s| s.id.clone()).collect();
    assert_eq!(listed, seeded.owned_snapshots);
    let to_outsider = find(snapshots, &seeded.snapshot_to_outsider);
    assert_eq!(to_outsider.shared_with, [OUTSIDER]);
    assert_eq!(to_outsider.state.as_deref(), Some("completed"));
    assert!(to_outsider.created_at.is_some());
    assert_eq!(
        find(snapshots, &seeded.public_snapshot).shared_with,
        [PUBLIC]
    );

    let images = of(ResourceKind::Image);
    assert_eq!(images.len(), 3, "{:?}", ids(images));
    let public = find(images, &seeded.public_image);
    // Both `Public` and the `all` group say so; listed once.
    assert_eq!(public.shared_with, [PUBLIC]);
    assert_eq!(public.state.as_deref(), Some("available"));
    assert!(public.created_at.is_some(), "CreationDate parsed");
    assert_eq!(
        find(images, &seeded.image_to_outsider).shared_with,
        [OUTSIDER]
    );
    assert_eq!(
        find(images, &seeded.image_to_foreign_org).shared_with,
        [format!(
            "arn:aws:organizations::{FOREIGN_ORG_MANAGER}:organization/o-foreign123"
        )]
    );

    let key_pair = find(of(ResourceKind::KeyPair), &seeded.key_pair);
    assert!(key_pair.created_at.is_some());

    let addresses = of(ResourceKind::Address);
    assert_eq!(
        find(addresses, &seeded.used_address).state.as_deref(),
        Some("associated")
    );
    assert_eq!(
        find(addresses, &seeded.spare_address).state.as_deref(),
        Some("unassociated")
    );

    let groups = of(ResourceKind::SecurityGroup);
    assert_eq!(ids(groups), [seeded.security_group.as_str()]);
    assert!(
        groups
            .iter()
            .all(|g| !seeded.default_security_groups.contains(&g.id))
    );

    let vpcs = of(ResourceKind::Vpc);
    assert_eq!(
        ids(vpcs),
        [seeded.vpc.as_str()],
        "default VPC {} left out",
        seeded.default_vpc
    );
    assert_eq!(vpcs[0].state.as_deref(), Some("available"));
    assert_eq!(vpcs[0].tags.get("Name").map(String::as_str), Some("mining"));

    let template = find(of(ResourceKind::LaunchTemplate), &seeded.launch_template);
    assert!(template.created_at.is_some());
    let spot = find(of(ResourceKind::SpotInstanceRequest), &seeded.spot_request);
    assert_eq!(spot.state.as_deref(), Some("active"));
    assert!(spot.created_at.is_some());
    let nat = find(of(ResourceKind::NatGateway), &seeded.nat_gateway);
    assert_eq!(nat.state.as_deref(), Some("available"));
    assert!(nat.created_at.is_some());

    // One call per kind, and one attribute call per owned snapshot and image: nothing for
    // the catalogue's foreign snapshots moto also returns.
    let stats = session.counters().snapshot();
    for kind in ResourceKind::EC2 {
        let operation = kind.api().replace("ec2:", "ec2.");
        assert_eq!(
            stats.api_calls.get(&operation),
            Some(&1),
            "{operation}: {stats:?}"
        );
    }
    let owned = u64::try_from(seeded.owned_snapshots.len()).expect("count");
    assert_eq!(
        stats.api_calls.get("ec2.DescribeSnapshotAttribute"),
        Some(&owned),
        "{stats:?}"
    );
    assert_eq!(
        stats.api_calls.get("ec2.DescribeImageAttribute"),
        Some(&3),
        "{stats:?}"
    );

    let recorders = |region: &'static str| {
        let account = account.clone();
        async move {
            account
                .config_recorders(region)
                .await
                .unwrap_or_else(|e| panic!("{region}: {e}"))
        }
    };
    let on = recorders(REGION).await;
    assert_eq!(on.len(), 1, "{on:?}");
    assert_eq!((on[0].name.as_str(), on[0].recording), ("recording", true));
    assert!(on[0].last_status.is_some(), "{on:?}");
    let stopped = recorders("us-west-2").await;
    assert_eq!(
        stopped,
        [ConfigRecorder {
            name: "stopped".to_owned(),
            recording: false,
            last_status: None
        }]
    );
    // No recorder at all is the finding "recorder off", not an error.
    assert!(recorders("eu-west-1").await.is_empty());
    drop(emulator);
}

/// A session whose every call is answered by `aws-smithy-mocks` rules.
async fn mocked(interceptor: MockResponseInterceptor) -> Session {
    session(SessionOptions {
        http_client: Some(create_mock_http_client()),
        interceptors: vec![SharedInterceptor::new(interceptor)],
        ..SessionOptions::default()
    })
    .await
}

mod mocked {
    use aws_sdk_config::operation::describe_configuration_recorder_status::DescribeConfigurationRecorderStatusOutput;
    use aws_sdk_config::operation::describe_configuration_recorders::DescribeConfigurationRecordersOutput;
    use aws_sdk_config::types::{ConfigurationRecorderStatus, RecorderStatus};
    use aws_sdk_ec2::operation::describe_addresses::DescribeAddressesOutput;
    use aws_sdk_ec2::operation::describe_image_attribute::DescribeImageAttributeOutput;
    use aws_sdk_ec2::operation::describe_images::{DescribeImagesInput, DescribeImagesOutput};
    use aws_sdk_ec2::operation::describe_key_pairs::DescribeKeyPairsOutput;
    use aws_sdk_ec2::operation::describe_launch_templates::DescribeLaunchTemplatesOutput;
    use aws_sdk_ec2::operation::describe_nat_gateways::DescribeNatGatewaysOutput;
    use aws_sdk_ec2::operation::describe_security_groups::DescribeSecurityGroupsOutput;
    use aws_sdk_ec2::operation::describe_snapshot_attribute::DescribeSnapshotAttributeOutput;
    use aws_sdk_ec2::operation::describe_snapshots::{
        DescribeSnapshotsInput, DescribeSnapshotsOutput,
    };
    use aws_sdk_ec2::operation::describe_spot_instance_requests::DescribeSpotInstanceRequestsOutput;
    use aws_sdk_ec2::operation::describe_volumes::DescribeVolumesOutput;
    use aws_sdk_ec2::operation::describe_vpcs::DescribeVpcsOutput;
    use aws_sdk_ec2::types::{
        Address, CreateVolumePermission, Image, ImageState, KeyPairInfo, LaunchTemplate,
        NatGateway, SecurityGroup, Snapshot, SpotInstanceRequest, Volume, Vpc,
    };

    use super::*;

    /// A rule answering the page of `$op` requested with `$token`, and only when the request
    /// asks for pages of [`PAGE_SIZE`]: an unpaginated request matches no rule and fails.
    macro_rules! page {
        ($op:ident, $token:expr, $output:ident { $($field:ident: $item:expr),* $(,)? } $(, $also:expr)?) => {
            mock!(aws_sdk_ec2::Client::$op)
                .match_requests(|r| {
                    r.next_token() == $token && r.max_results() == Some(PAGE_SIZE) $(&& ($also)(r))?
                })
                .then_output(|| $output::builder()$(.$field($item))*.build())
        };
    }

    #[tokio::test]
    async fn paginated_kinds_ask_for_pages_and_follow_them() {
        let rules = [
            page!(
                describe_volumes,
                None,
                DescribeVolumesOutput {
                    volumes: Volume::builder().volume_id("vol-2").build(),
                    next_token: "p2",
                }
            ),
            page!(
                describe_volumes,
                Some("p2"),
                DescribeVolumesOutput {
                    volumes: Volume::builder().volume_id("vol-1").build(),
                }
            ),
            page!(
                describe_security_groups,
                None,
                DescribeSecurityGroupsOutput {
                    security_groups: SecurityGroup::builder()
                        .group_id("sg-1")
                        .group_name("web")
                        .build(),
                    security_groups: SecurityGroup::builder()
                        .group_id("sg-0")
                        .group_name("default")
                        .build(),
                }
            ),
            page!(
                describe_vpcs,
                None,
                DescribeVpcsOutput {
                    vpcs: Vpc::builder().vpc_id("vpc-1").is_default(false).build(),
                    vpcs: Vpc::builder().vpc_id("vpc-0").is_default(true).build(),
                }
            ),
            page!(
                describe_launch_templates,
                None,
                DescribeLaunchTemplatesOutput {
                    launch_templates: LaunchTemplate::builder().launch_template_id("lt-1").build(),
                }
            ),
            page!(
                describe_spot_instance_requests,
                None,
                DescribeSpotInstanceRequestsOutput {
                    spot_instance_requests: SpotInstanceRequest::builder()
                        .spot_instance_request_id("sir-1")
                        .build(),
                }
            ),
            page!(
                describe_nat_gateways,
                None,
                DescribeNatGatewaysOutput {
                    nat_gateways: NatGateway::builder().nat_gateway_id("nat-1").build(),
                }
            ),
            page!(
                describe_snapshots,
                None,
                DescribeSnapshotsOutput {},
                |r: &DescribeSnapshotsInput| r.owner_ids() == ["self"]
            ),
            page!(
                describe_images,
                None,
                DescribeImagesOutput {},
                |r: &DescribeImagesInput| r.owners() == ["self"]
            ),
        ];
        let mut interceptor = MockResponseInterceptor::new().rule_mode(RuleMode::MatchAny);
        for rule in &rules {
            interceptor = interceptor.with_rule(rule);
        }
        let account = mocked(interceptor).await.own(ACCOUNT);
        let mut listed = Vec::new();
        for kind in ResourceKind::EC2 {
            if matches!(kind, ResourceKind::KeyPair | ResourceKind::Address) {
                continue; // EC2 offers no pagination for these two.
            }
            let resources = account
                .ec2_resources(kind, REGION)
                .await
                .unwrap_or_else(|e| panic!("{kind:?}: {e}"));
            listed.extend(resources.into_iter().map(|r| r.id));
        }
        assert_eq!(
            listed,
            ["vol-1", "vol-2", "sg-1", "vpc-1", "lt-1", "sir-1", "nat-1"],
            "both volume pages, sorted; the default group and VPC left out"
        );
        for rule in &rules {
            assert_eq!(rule.num_calls(), 1);
        }
    }

    /// On real AWS `OwnerIds=self` returns only the account's snapshots; should anything
    /// else come back, it is neither listed nor asked about (one attribute call each).
    #[tokio::test]
    async fn only_owned_snapshots_and_images_cost_an_attribute_call() {
        let snapshots = mock!(aws_sdk_ec2::Client::describe_snapshots).then_output(|| {
            DescribeSnapshotsOutput::builder()
                .snapshots(
                    Snapshot::builder()
                        .snapshot_id("snap-mine")
                        .owner_id(ACCOUNT)
                        .build(),
                )
                .snapshots(
                    Snapshot::builder()
                        .snapshot_id("snap-theirs")
                        .owner_id(OUTSIDER)
                        .build(),
                )
                .build()
        });
        let snapshot_attribute = mock!(aws_sdk_ec2::Client::describe_snapshot_attribute)
            .match_requests(|r| r.snapshot_id() == Some("snap-mine"))
            .then_output(|| {
                DescribeSnapshotAttributeOutput::builder()
                    .create_volume_permissions(
                        CreateVolumePermission::builder().user_id(OUTSIDER).build(),
                    )
                    .create_volume_permissions(
                        CreateVolumePermission::builder()
                            .group(PermissionGroup::All)
                            .build(),
                    )
                    .build()
            });
        let images = mock!(aws_sdk_ec2::Client::describe_images).then_output(|| {
            DescribeImagesOutput::builder()
                .images(
                    Image::builder()
                        .image_id("ami-mine")
                        .owner_id(ACCOUNT)
                        .creation_date("2026-01-02T03:04:05.000Z")
                        .state(ImageState::Available)
                        .public(true)
                        .build(),
                )
                .images(
                    Image::builder()
                        .image_id("ami-odd-date")
                        .owner_id(ACCOUNT)
                        .creation_date("yesterday")
                        .build(),
                )
                .images(
                    Image::builder()
                        .image_id("ami-theirs")
                        .owner_id(OUTSIDER)
                        .build(),
                )
                .build()
        });
        let mine_attribute = mock!(aws_sdk_ec2::Client::describe_image_attribute)
            .match_requests(|r| r.image_id() == Some("ami-mine"))
            .then_output(|| {
                DescribeImageAttributeOutput::builder()
                    .launch_permissions(
                        LaunchPermission::builder()
                            .organizational_unit_arn(format!(
                                "arn:aws:organizations::{FOREIGN_ORG_MANAGER}:ou/o-foreign123/ou-ab12-cdef3456"
                            ))
                            .build(),
                    )
                    .launch_permissions(LaunchPermission::builder().organization_arn("not-an-arn").build())
                    .build()
            });
        let odd_attribute = mock!(aws_sdk_ec2::Client::describe_image_attribute)
            .match_requests(|r| r.image_id() == Some("ami-odd-date"))
            .then_output(|| DescribeImageAttributeOutput::builder().build());
        let interceptor = MockResponseInterceptor::new()
            .rule_mode(RuleMode::MatchAny)
            .with_rule(&snapshots)
            .with_rule(&snapshot_attribute)
            .with_rule(&images)
            .with_rule(&mine_attribute)
            .with_rule(&odd_attribute);
        let account = mocked(interceptor).await.own(ACCOUNT);

        let listed = account
            .ec2_resources(ResourceKind::Snapshot, REGION)
            .await
            .expect("snapshots");
        assert_eq!(ids(&listed), ["snap-mine"]);
        assert_eq!(listed[0].shared_with, [OUTSIDER, PUBLIC]);
        assert_eq!(snapshot_attribute.num_calls(), 1);

        let listed = account
            .ec2_resources(ResourceKind::Image, REGION)
            .await
            .expect("images");
        assert_eq!(ids(&listed), ["ami-mine", "ami-odd-date"]);
        let mine = &listed[0];
        assert_eq!(
            mine.created_at,
            Some(time::macros::datetime!(2026-01-02 03:04:05 UTC))
        );
        assert_eq!(mine.state.as_deref(), Some("available"));
        assert_eq!(
            mine.shared_with,
            [
                format!(
                    "arn:aws:organizations::{FOREIGN_ORG_MANAGER}:ou/o-foreign123/ou-ab12-cdef3456"
                ),
                "not-an-arn".to_owned(),
                PUBLIC.to_owned()
            ]
        );
        assert_eq!(listed[1].created_at, None, "an unparsable date is unknown");
        assert!(listed[1].shared_with.is_empty());
        assert_eq!(mine_attribute.num_calls() + odd_attribute.num_calls(), 2);
    }

    /// Key pairs made before key pair ids existed, and EC2-Classic addresses, have only a
    /// name or a public IP.
    #[tokio::test]
    async fn key_pairs_and_addresses_without_ids() {
        let keys = mock!(aws_sdk_ec2::Client::describe_key_pairs).then_output(|| {
            DescribeKeyPairsOutput::builder()
                .key_pairs(KeyPairInfo::builder().key_name("legacy").build())
                .key_pairs(
                    KeyPairInfo::builder()
                        .key_name("new")
                        .key_pair_id("key-1")
                        .build(),
                )
                .build()
        });
        let addresses = mock!(aws_sdk_ec2::Client::describe_addresses).then_output(|| {
            DescribeAddressesOutput::builder()
                .addresses(Address::builder().public_ip("198.51.100.7").build())
                .addresses(
                    Address::builder()
                        .allocation_id("eipalloc-1")
                        .association_id("eipassoc-1")
                        .public_ip("198.51.100.8")
                        .tags(Tag::builder().key("owner").value("ops").build())
                        .build(),
                )
                .build()
        });
        let interceptor = MockResponseInterceptor::new()
            .rule_mode(RuleMode::MatchAny)
            .with_rule(&keys)
            .with_rule(&addresses);
        let account = mocked(interceptor).await.own(ACCOUNT);
        let listed = account
            .ec2_resources(ResourceKind::KeyPair, REGION)
            .await
            .expect("key pairs");
        assert_eq!(ids(&listed), ["key-1", "legacy"]);
        let listed = account
            .ec2_resources(ResourceKind::Address, REGION)
            .await
            .expect("addresses");
        assert_eq!(ids(&listed), ["198.51.100.7", "eipalloc-1"]);
        assert_eq!(listed[0].state.as_deref(), Some("unassociated"));
        assert_eq!(listed[1].state.as_deref(), Some("associated"));
        assert_eq!(listed[1].tags.get("owner").map(String::as_str), Some("ops"));
    }

    /// AWS's own spelling of the status, a recorder without a status, and a region without
    /// recorders.
    #[tokio::test]
    async fn recorders_with_and_without_status() {
        let recorders = mock!(aws_sdk_config::Client::describe_configuration_recorders)
            .sequence()
            .output(|| {
                DescribeConfigurationRecordersOutput::builder()
                    .configuration_recorders(SdkRecorder::builder().name("default").build())
                    .configuration_recorders(SdkRecorder::builder().name("orphan").build())
                    .build()
            })
            .output(|| DescribeConfigurationRecordersOutput::builder().build())
            .build();
        let status = mock!(aws_sdk_config::Client::describe_configuration_recorder_status)
            .sequence()
            .output(|| {
                DescribeConfigurationRecorderStatusOutput::builder()
                    .configuration_recorders_status(
                        ConfigurationRecorderStatus::builder()
                            .name("default")
                            .recording(true)
                            .last_status(RecorderStatus::Success)
                            .build(),
                    )
                    .build()
            })
            .output(|| DescribeConfigurationRecorderStatusOutput::builder().build())
            .build();
        let interceptor = MockResponseInterceptor::new()
            .rule_mode(RuleMode::MatchAny)
            .with_rule(&recorders)
            .with_rule(&status);
        let account = mocked(interceptor).await.own(ACCOUNT);
        let listed = account.config_recorders(REGION).await.expect("recorders");
        assert_eq!(
            listed,
            [
                ConfigRecorder {
                    name: "default".to_owned(),
                    recording: true,
                    last_status: Some("Success".to_owned()),
                },
                ConfigRecorder {
                    name: "orphan".to_owned(),
                    recording: false,
                    last_status: None,
                },
            ]
        );
        assert!(
            account
                .config_recorders("eu-west-1")
                .await
                .expect("no recorders")
                .is_empty()
        );
    }
}
