//! The calls a scan makes, through the real SDK clients: IAM, EC2, CloudTrail, Config, and
//! every planted incident visible where orgsweep looks for it.

mod common;

use std::collections::BTreeSet;
use std::time::{Duration, SystemTime};

use aws_sdk_ec2::types::{ImageAttributeName, SnapshotAttributeName};
use aws_sdk_iam::types::{EntityType, ReportStateType};
use common::{HOME, member, simulator};
use orgsweep_sim::{Planted, SimulatedAws};

fn in_last_week(t: &aws_smithy_types::DateTime) -> bool {
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64;
    (now - 7 * 86_400..=now).contains(&t.secs())
}

async fn credential_report(iam: &aws_sdk_iam::Client) -> String {
    // The first request of an account starts the report, the next finds it complete.
    let mut polls = 0;
    loop {
        polls += 1;
        let state = iam
            .generate_credential_report()
            .send()
            .await
            .expect("generate");
        if state.state() == Some(&ReportStateType::Complete) {
            break;
        }
        assert_eq!(state.state(), Some(&ReportStateType::Started));
        assert!(polls < 3, "never complete");
    }
    let report = iam.get_credential_report().send().await.expect("report");
    String::from_utf8(report.content().expect("content").as_ref().to_vec()).expect("utf-8")
}

/// The credential report row of `user`, by header name.
fn row<'a>(csv: &'a str, user: &str) -> Vec<(&'a str, &'a str)> {
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    let line = lines
        .find(|l| l.split(',').next() == Some(user))
        .unwrap_or_else(|| panic!("no row for {user}"));
    header.into_iter().zip(line.split(',')).collect()
}

fn cell<'a>(row: &[(&str, &'a str)], name: &str) -> &'a str {
    row.iter().find(|(h, _)| *h == name).map_or("", |(_, v)| v)
}

async fn check_planted(sim: &SimulatedAws, p: &Planted) {
    let region = if p.region == "global" {
        HOME
    } else {
        &p.region
    };
    let cfg = member(sim, &p.account_id, region).await;
    match p.check_id {
        "iam.quarantine_policy_attached" | "iam.role_trusts_external_account" => {
            let iam = aws_sdk_iam::Client::new(&cfg);
            let mut pages = iam
                .get_account_authorization_details()
                .into_paginator()
                .send();
            let mut seen = false;
            while let Some(page) = pages.next().await {
                let page = page.expect("details");
                for u in page.user_detail_list() {
                    if u.arn() == Some(p.resource_id.as_str()) {
                        seen = u.attached_managed_policies().iter().any(|a| {
                            a.policy_arn()
                                == Some("arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV2")
                        });
                    }
                }
                for r in page.role_detail_list() {
                    if r.arn() == Some(p.resource_id.as_str()) {
                        let doc = percent_decode(r.assume_role_policy_document().expect("doc"));
                        let trust: serde_json::Value = serde_json::from_str(&doc).expect("json");
                        let principal = trust["Statement"][0]["Principal"]["AWS"]
                            .as_str()
                            .expect("principal");
                        seen = orgsweep_sim::OUTSIDE_ACCOUNTS
                            .iter()
                            .any(|a| principal.contains(a));
                    }
                }
            }
            assert!(seen, "{p:?}");
        }
        "iam.access_key_recently_created" => {
            let iam = aws_sdk_iam::Client::new(&cfg);
            let csv = credential_report(&iam).await;
            let user = csv
                .lines()
                .map(|l| l.split(',').collect::<Vec<_>>())
                .find(|cells| {
                    cells.first().is_some_and(|u| u.starts_with("build-bot-"))
                        && cells.get(9).is_some_and(|rotated| {
                            aws_smithy_types::DateTime::from_str(
                                &rotated.replace("+00:00", "Z"),
                                aws_smithy_types::date_time::Format::DateTime,
                            )
                            .is_ok_and(|t| in_last_week(&t))
                        })
                })
                .map(|cells| cells[0].to_owned())
                .expect("a user with a recent key");
            let keys = iam
                .list_access_keys()
                .user_name(user)
                .send()
                .await
                .expect("keys");
            let key = keys
                .access_key_metadata()
                .iter()
                .find(|k| k.access_key_id() == Some(p.resource_id.as_str()));
            let key = key.unwrap_or_else(|| panic!("{p:?}: {keys:?}"));
            assert!(in_last_week(key.create_date().expect("date")));
        }
        "iam.console_user_without_mfa" => {
            let csv = credential_report(&aws_sdk_iam::Client::new(&cfg)).await;
            let user = p.resource_id.rsplit('/').next().expect("name");
            let r = row(&csv, user);
            assert_eq!(cell(&r, "arn"), p.resource_id);
            assert_eq!(cell(&r, "password_enabled"), "true");
            assert_eq!(cell(&r, "mfa_active"), "false");
        }
        "resources.mining_class_instance" => {
            let out = aws_sdk_ec2::Client::new(&cfg)
                .describe_instances()
                .instance_ids(&p.resource_id)
                .send()
                .await
                .expect("instances");
            let found = out
                .reservations()
                .iter()
                .flat_map(|r| r.instances())
                .find(|i| i.instance_id() == Some(p.resource_id.as_str()))
                .expect("planted instance");
            assert_eq!(
                found.instance_type().map(|t| t.as_str()),
                Some("p3.16xlarge")
            );
            assert_eq!(
                found.state().and_then(|s| s.name()).map(|n| n.as_str()),
                Some("running")
            );
        }
        "resources.shared_outside_org" => {
            let out = aws_sdk_ec2::Client::new(&cfg)
                .describe_snapshot_attribute()
                .snapshot_id(&p.resource_id)
                .attribute(SnapshotAttributeName::CreateVolumePermission)
                .send()
                .await
                .expect("attribute");
            let users: Vec<&str> = out
                .create_volume_permissions()
                .iter()
                .filter_map(|c| c.user_id())
                .collect();
            assert!(
                users
                    .iter()
                    .any(|u| orgsweep_sim::OUTSIDE_ACCOUNTS.contains(u)),
                "{users:?}"
            );
        }
        "cloudtrail.suspicious_event" => {
            let client = aws_sdk_cloudtrail::Client::new(&cfg);
            let mut pages = client
                .lookup_events()
                .lookup_attributes(
                    aws_sdk_cloudtrail::types::LookupAttribute::builder()
                        .attribute_key(aws_sdk_cloudtrail::types::LookupAttributeKey::ReadOnly)
                        .attribute_value("false")
                        .build()
                        .expect("attribute"),
                )
                .max_results(50)
                .into_paginator()
                .send();
            let mut found = false;
            while let Some(page) = pages.next().await {
                let page = page.expect("events");
                assert!(page.events().len() <= 50);
                for e in page.events() {
                    let record: serde_json::Value =
                        serde_json::from_str(e.cloud_trail_event().expect("record")).expect("json");
                    assert_eq!(record["awsRegion"], region);
                    if record["userIdentity"]["arn"] == p.resource_id.as_str() {
                        assert!(matches!(
                            record["eventName"].as_str(),
                            Some("StopLogging" | "CreateAccessKey")
                        ));
                        assert_eq!(record["readOnly"], false);
                        found = true;
                    }
                }
            }
            assert!(found, "{p:?}");
        }
        other => panic!("unexpected check {other}"),
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(v) = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).expect("utf-8")
}

/// The kinds [`check_planted`] reads back through the SDK.
const DIRECT: [&str; 7] = [
    "iam.quarantine_policy_attached",
    "iam.role_trusts_external_account",
    "iam.access_key_recently_created",
    "iam.console_user_without_mfa",
    "resources.mining_class_instance",
    "resources.shared_outside_org",
    "cloudtrail.suspicious_event",
];

#[tokio::test]
async fn every_planted_incident_is_where_orgsweep_looks() {
    let sim = simulator(100);
    let planted = sim.planted();
    let kinds: BTreeSet<&str> = planted.iter().map(|p| p.check_id).collect();
    assert_eq!(kinds.len(), 12, "{kinds:?}");
    for kind in &kinds {
        assert!(planted.iter().filter(|p| p.check_id == *kind).count() >= 5);
    }
    // The wire-level look at each of the original kinds; every kind, the later ones
    // included, is found by a whole scan in crates/bench/tests/hundred_accounts.rs.
    // EC2 instances and EBS snapshots only: the later kinds' mining notebooks and RDS
    // snapshots are found by the scan there.
    let direct = |p: &&Planted| {
        DIRECT.contains(&p.check_id)
            && match p.check_id {
                "resources.mining_class_instance" => p.resource_id.starts_with("i-"),
                "resources.shared_outside_org" => p.resource_id.starts_with("snap-"),
                _ => true,
            }
    };
    for p in planted.iter().filter(direct) {
        check_planted(&sim, p).await;
    }
    // About one of each kind per hundred accounts in a larger organization.
    let big = orgsweep_sim::SimulatedAws::new(orgsweep_sim::OrgSpec::new(2000, 9));
    let planted = big.planted();
    // Fourteen kinds (orgsweep-sim's `Kind`), twenty of each in 2,000 accounts.
    assert_eq!(planted.len(), 14 * 20);
    for p in planted
        .iter()
        .filter(|p| p.check_id == "resources.mining_class_instance")
    {
        assert!(p.region != "us-east-1" && p.region != "eu-west-1", "{p:?}");
    }
}

#[tokio::test]
async fn iam_details_pages_chain_and_the_report_parses() {
    let sim = simulator(100);
    let account = sim.accounts()[21].id.clone();
    let iam = aws_sdk_iam::Client::new(&member(&sim, &account, HOME).await);
    let whole = iam
        .get_account_authorization_details()
        .send()
        .await
        .expect("one page");
    assert!(!whole.is_truncated());
    let total = whole.user_detail_list().len()
        + whole.group_detail_list().len()
        + whole.role_detail_list().len()
        + whole.policies().len();
    let mut marker = None;
    let mut seen = 0;
    let mut pages = 0;
    loop {
        let page = iam
            .get_account_authorization_details()
            .filter(EntityType::User)
            .filter(EntityType::Group)
            .filter(EntityType::Role)
            .filter(EntityType::LocalManagedPolicy)
            .max_items(3)
            .set_marker(marker.take())
            .send()
            .await
            .expect("page");
        pages += 1;
        let n = page.user_detail_list().len()
            + page.group_detail_list().len()
            + page.role_detail_list().len()
            + page.policies().len();
        assert!(n <= 3);
        seen += n;
        match page.marker() {
            Some(m) if page.is_truncated() => marker = Some(m.to_owned()),
            _ => break,
        }
    }
    assert_eq!(seen, total);
    assert_eq!(pages, total.div_ceil(3));
    let role = &whole.role_detail_list()[0];
    assert_eq!(role.role_name(), Some("OrganizationAccountAccessRole"));
    let trust = percent_decode(role.assume_role_policy_document().expect("trust"));
    assert!(trust.contains(sim.management_account_id()), "{trust}");

    let csv = credential_report(&iam).await;
    let root = row(&csv, "<root_account>");
    assert_eq!(cell(&root, "arn"), format!("arn:aws:iam::{account}:root"));
    assert_eq!(csv.lines().count(), 2 + whole.user_detail_list().len());
    let summary = iam.get_account_summary().send().await.expect("summary");
    let map = summary.summary_map().expect("map");
    assert_eq!(
        map.get(&aws_sdk_iam::types::SummaryKeyType::AccountMfaEnabled),
        Some(&1)
    );
    let missing = iam
        .list_access_keys()
        .user_name("nobody")
        .send()
        .await
        .expect_err("no such user");
    assert_eq!(
        aws_sdk_iam::error::ProvideErrorMetadata::code(&missing),
        Some("NoSuchEntity")
    );
}

/// The busiest account-region of the organization (by instances).
fn busiest(sim: &SimulatedAws) -> (String, String, orgsweep_sim::Inventory) {
    let mut best = None;
    for a in sim.accounts() {
        for r in sim.regions() {
            let inv = sim.inventory(&a.id, r).expect("inventory");
            if best
                .as_ref()
                .is_none_or(|(_, _, b): &(String, String, orgsweep_sim::Inventory)| {
                    inv.instances > b.instances
                })
            {
                best = Some((a.id.clone(), r.clone(), inv));
            }
        }
    }
    best.expect("some region")
}

#[tokio::test]
async fn ec2_describes_page_and_parse() {
    let sim = simulator(600);
    let (account, region, inv) = busiest(&sim);
    assert!(inv.instances >= 100, "{inv:?}");
    let ec2 = aws_sdk_ec2::Client::new(&member(&sim, &account, &region).await);

    let mut pages = ec2
        .describe_instances()
        .max_results(50)
        .into_paginator()
        .send();
    let mut ids = BTreeSet::new();
    let mut n_pages = 0;
    while let Some(page) = pages.next().await {
        n_pages += 1;
        for i in page
            .expect("page")
            .reservations()
            .iter()
            .flat_map(|r| r.instances())
        {
            assert!(i.launch_time().is_some() && i.instance_type().is_some());
            ids.insert(i.instance_id().expect("id").to_owned());
        }
    }
    assert_eq!(ids.len(), inv.instances);
    assert_eq!(n_pages, inv.instances.div_ceil(50));

    // What the collectors call, page size 1000 (volumes cap at 500).
    let volumes: usize = ec2
        .describe_volumes()
        .max_results(1000)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .expect("volumes")
        .len();
    assert_eq!(volumes, inv.volumes);
    let snapshots = ec2
        .describe_snapshots()
        .owner_ids("self")
        .max_results(1000)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .expect("snapshots");
    assert_eq!(snapshots.len(), inv.snapshots);
    assert!(
        snapshots
            .iter()
            .all(|s| s.owner_id() == Some(account.as_str()))
    );
    let first = snapshots[0].snapshot_id().expect("id");
    ec2.describe_snapshot_attribute()
        .snapshot_id(first)
        .attribute(SnapshotAttributeName::CreateVolumePermission)
        .send()
        .await
        .expect("snapshot attribute");
    let images = ec2
        .describe_images()
        .owners("self")
        .max_results(1000)
        .send()
        .await
        .expect("images");
    assert_eq!(images.images().len(), inv.images);
    let image = images.images()[0].image_id().expect("image");
    ec2.describe_image_attribute()
        .image_id(image)
        .attribute(ImageAttributeName::LaunchPermission)
        .send()
        .await
        .expect("image attribute");
    assert_eq!(
        ec2.describe_key_pairs()
            .send()
            .await
            .expect("keys")
            .key_pairs()
            .len(),
        inv.key_pairs
    );
    assert_eq!(
        ec2.describe_addresses()
            .send()
            .await
            .expect("eips")
            .addresses()
            .len(),
        inv.addresses
    );
    let groups = ec2
        .describe_security_groups()
        .max_results(1000)
        .send()
        .await
        .expect("groups");
    assert_eq!(groups.security_groups().len(), inv.security_groups);
    assert!(
        groups
            .security_groups()
            .iter()
            .any(|g| g.group_name() == Some("default"))
    );
    let vpcs = ec2
        .describe_vpcs()
        .max_results(1000)
        .send()
        .await
        .expect("vpcs");
    assert_eq!(
        vpcs.vpcs()
            .iter()
            .filter(|v| v.is_default() == Some(true))
            .count(),
        1
    );
    let templates = ec2
        .describe_launch_templates()
        .max_results(1000)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .expect("templates");
    assert_eq!(templates.len(), inv.launch_templates);
    let spot = ec2
        .describe_spot_instance_requests()
        .max_results(1000)
        .send()
        .await
        .expect("spot");
    assert_eq!(spot.spot_instance_requests().len(), inv.spot_requests);
    let nat = ec2
        .describe_nat_gateways()
        .max_results(1000)
        .send()
        .await
        .expect("nat");
    assert_eq!(nat.nat_gateways().len(), inv.nat_gateways);

    // An empty account-region still has its default VPC and group.
    let quiet = sim
        .accounts()
        .into_iter()
        .flat_map(|a| sim.regions().iter().map(move |r| (a.id.clone(), r.clone())))
        .find(|(a, r)| sim.inventory(a, r).expect("inv").instances == 0)
        .expect("a quiet region");
    let ec2 = aws_sdk_ec2::Client::new(&member(&sim, &quiet.0, &quiet.1).await);
    let out = ec2
        .describe_instances()
        .max_results(1000)
        .send()
        .await
        .expect("empty");
    assert!(out.reservations().is_empty() && out.next_token().is_none());
    let vpcs = ec2
        .describe_vpcs()
        .max_results(1000)
        .send()
        .await
        .expect("vpcs");
    assert_eq!(vpcs.vpcs().len(), 1);
    assert_eq!(vpcs.vpcs()[0].owner_id(), Some(quiet.0.as_str()));
}

#[tokio::test]
async fn trails_events_and_recorders() {
    let sim = simulator(600);
    let (account, region, inv) = busiest(&sim);
    let cfg = member(&sim, &account, &region).await;
    let trails = aws_sdk_cloudtrail::Client::new(&member(&sim, &account, HOME).await);
    let described = trails
        .describe_trails()
        .include_shadow_trails(true)
        .send()
        .await
        .expect("trails");
    let org_trail = described
        .trail_list()
        .iter()
        .find(|t| t.is_organization_trail() == Some(true))
        .expect("organization trail");
    let arn = org_trail.trail_arn().expect("arn");
    assert!(arn.contains(sim.management_account_id()));
    let status = trails
        .get_trail_status()
        .name(arn)
        .send()
        .await
        .expect("status");
    assert_eq!(status.is_logging(), Some(true));
    let selectors = trails
        .get_event_selectors()
        .trail_name(arn)
        .send()
        .await
        .expect("selectors");
    assert_eq!(
        selectors.event_selectors()[0].include_management_events(),
        Some(true)
    );

    let client = aws_sdk_cloudtrail::Client::new(&cfg);
    let mut pages = client
        .lookup_events()
        .max_results(50)
        .into_paginator()
        .send();
    let mut events = 0;
    let mut n_pages = 0;
    while let Some(page) = pages.next().await {
        n_pages += 1;
        for e in page.expect("page").events() {
            events += 1;
            let record: serde_json::Value =
                serde_json::from_str(e.cloud_trail_event().expect("record")).expect("json");
            assert_eq!(record["eventID"].as_str(), e.event_id());
            assert_eq!(record["recipientAccountId"], account.as_str());
            assert!(e.event_time().is_some());
        }
    }
    assert_eq!(events, inv.events);
    assert_eq!(n_pages, inv.events.div_ceil(50).max(1));
    assert!(n_pages >= 2, "a busy region pages: {inv:?}");

    let config = aws_sdk_config::Client::new(&cfg);
    let recorders = config
        .describe_configuration_recorders()
        .send()
        .await
        .expect("recorders");
    let status = config
        .describe_configuration_recorder_status()
        .send()
        .await
        .expect("status");
    assert_eq!(
        recorders.configuration_recorders().len(),
        status.configuration_recorders_status().len()
    );
    for r in recorders.configuration_recorders() {
        assert_eq!(r.name(), Some("default"));
        assert!(r.role_arn().is_some_and(|a| a.contains(&account)));
    }
    let _ = Duration::ZERO;
}
