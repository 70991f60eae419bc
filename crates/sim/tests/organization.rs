//! Organizations, STS and account discovery through the real SDK clients.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_organizations::error::ProvideErrorMetadata;
use aws_sdk_organizations::types::ParentType;
use common::{HOME, assume, caller, config, member, simulator};

/// Walks the OU tree from the root with the paginators; returns account id → OU path ids.
async fn walk(client: &aws_sdk_organizations::Client) -> Vec<(String, Vec<String>)> {
    let roots = client.list_roots().send().await.expect("roots");
    let root = roots.roots()[0].id().expect("root id").to_owned();
    let mut out = Vec::new();
    let mut stack = vec![vec![root]];
    while let Some(path) = stack.pop() {
        let parent = path.last().expect("path").clone();
        let mut accounts = client
            .list_accounts_for_parent()
            .parent_id(&parent)
            .into_paginator()
            .send();
        while let Some(page) = accounts.next().await {
            for a in page.expect("accounts").accounts() {
                out.push((a.id().expect("id").to_owned(), path.clone()));
            }
        }
        let mut ous = client
            .list_organizational_units_for_parent()
            .parent_id(&parent)
            .into_paginator()
            .send();
        while let Some(page) = ous.next().await {
            for ou in page.expect("ous").organizational_units() {
                let mut child = path.clone();
                child.push(ou.id().expect("ou id").to_owned());
                stack.push(child);
            }
        }
    }
    out
}

#[tokio::test]
async fn the_ou_walk_and_list_accounts_return_every_account_once() {
    let sim = simulator(100);
    let client = aws_sdk_organizations::Client::new(&config(&sim, caller(), HOME).await);

    let org = client
        .describe_organization()
        .send()
        .await
        .expect("describe");
    let org = org.organization().expect("organization");
    assert_eq!(org.master_account_id(), Some(sim.management_account_id()));
    assert_eq!(org.id(), Some(sim.organization_id()));

    let expected: BTreeMap<String, Vec<String>> = sim
        .accounts()
        .into_iter()
        .map(|a| (a.id, a.ou_ids))
        .collect();
    let walked = walk(&client).await;
    assert_eq!(walked.len(), 100, "every account exactly once");
    let walked: BTreeMap<String, Vec<String>> = walked.into_iter().collect();
    assert_eq!(walked, expected);

    let mut listed: Vec<String> = Vec::new();
    let mut pages = client.list_accounts().into_paginator().send();
    let mut page_count = 0;
    while let Some(page) = pages.next().await {
        page_count += 1;
        let page = page.expect("list accounts");
        assert!(page.accounts().len() <= 20);
        listed.extend(
            page.accounts()
                .iter()
                .map(|a| a.id().expect("id").to_owned()),
        );
    }
    assert_eq!(page_count, 5);
    assert_eq!(listed.len(), 100);
    assert_eq!(
        listed.iter().collect::<BTreeSet<_>>(),
        expected.keys().collect::<BTreeSet<_>>()
    );

    // The per-account discovery orgsweep does: parent, OU, tags.
    let account = &sim.accounts()[57];
    let parents = client
        .list_parents()
        .child_id(&account.id)
        .send()
        .await
        .expect("parents");
    let parent = &parents.parents()[0];
    assert_eq!(parent.id(), account.ou_ids.last().map(String::as_str));
    if account.ou_ids.len() > 1 {
        assert_eq!(parent.r#type(), Some(&ParentType::OrganizationalUnit));
        let ou = client
            .describe_organizational_unit()
            .organizational_unit_id(parent.id().expect("id"))
            .send()
            .await
            .expect("ou");
        let name = ou
            .organizational_unit()
            .and_then(|o| o.name())
            .expect("name");
        assert!(
            account.ou_path.ends_with(name),
            "{} {name}",
            account.ou_path
        );
    }
    client
        .list_tags_for_resource()
        .resource_id(&account.id)
        .send()
        .await
        .expect("tags");
    let admins = client
        .list_delegated_administrators()
        .send()
        .await
        .expect("delegated");
    assert_eq!(admins.delegated_administrators().len(), 1);
    let missing = client
        .list_parents()
        .child_id("999900001111")
        .send()
        .await
        .expect_err("unknown child");
    assert_eq!(missing.code(), Some("ChildNotFoundException"));
}

#[tokio::test]
async fn assumed_credentials_act_in_the_member_account() {
    let sim = simulator(100);
    let account = sim.accounts()[13].id.clone();
    let cfg = member(&sim, &account, HOME).await;

    let me = aws_sdk_sts::Client::new(&cfg)
        .get_caller_identity()
        .send()
        .await
        .expect("identity");
    assert_eq!(me.account(), Some(account.as_str()));
    assert!(me.arn().is_some_and(|a| a.contains(":assumed-role/")));

    let ec2 = aws_sdk_ec2::Client::new(&cfg);
    let enabled = ec2.describe_regions().send().await.expect("regions");
    assert_eq!(enabled.regions().len(), 17);
    let all = ec2
        .describe_regions()
        .all_regions(true)
        .send()
        .await
        .expect("all regions");
    assert!(all.regions().len() > 17);
    assert!(
        all.regions()
            .iter()
            .any(|r| r.opt_in_status() == Some("not-opted-in"))
    );
    // A member is not the organization's management account.
    let denied = aws_sdk_organizations::Client::new(&cfg)
        .list_accounts()
        .send()
        .await
        .expect_err("member cannot list accounts");
    assert_eq!(denied.code(), Some("AccessDeniedException"));
    // Any member may read the organization.
    aws_sdk_organizations::Client::new(&cfg)
        .describe_organization()
        .send()
        .await
        .expect("describe from a member");

    // A role outside the organization cannot be assumed.
    let sts = aws_sdk_sts::Client::new(&config(&sim, caller(), HOME).await);
    let err = sts
        .assume_role()
        .role_arn("arn:aws:iam::999900001111:role/OrganizationAccountAccessRole")
        .role_session_name("x")
        .send()
        .await
        .expect_err("outside account");
    assert_eq!(
        aws_sdk_sts::error::ProvideErrorMetadata::code(&err),
        Some("AccessDenied")
    );
    let _ = assume;
}

#[tokio::test]
async fn account_contacts_and_regions() {
    let sim = simulator(100);
    let mut found = 0;
    let mut missing = 0;
    for a in sim.accounts().iter().take(10) {
        let client = aws_sdk_account::Client::new(&member(&sim, &a.id, HOME).await);
        match client
            .get_alternate_contact()
            .alternate_contact_type(aws_sdk_account::types::AlternateContactType::Security)
            .send()
            .await
        {
            Ok(out) => {
                let c = out.alternate_contact().expect("contact");
                assert!(c.email_address().is_some_and(|e| e.contains('@')));
                found += 1;
            }
            Err(e) => {
                assert_eq!(
                    aws_sdk_account::error::ProvideErrorMetadata::code(&e),
                    Some("ResourceNotFoundException")
                );
                missing += 1;
            }
        }
        let regions = client.list_regions().send().await.expect("regions");
        assert_eq!(regions.regions().len(), 21);
    }
    assert!(found > 0, "{found} {missing}");
}
