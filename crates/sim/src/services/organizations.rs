//! Organizations (awsJson1_1): the organization, its root, the OU tree, accounts, parents,
//! tags, delegated administrators. Management-account calls only, except
//! DescribeOrganization (any member) and reads by the delegated administrator.

use std::fmt::Write as _;

use bytes::Bytes;

use crate::org::Parent;
use crate::services::{page, token};
use crate::sim::{CacheKey, Call, GLOBAL_REGION, SHARED_ACCOUNT, Sim, Table};
use crate::wire::{ApiError, jf};

pub(crate) fn register(t: &mut Table) {
    t.op(
        "organizations",
        "DescribeOrganization",
        describe_organization,
    )
    .op("organizations", "ListRoots", list_roots)
    .op(
        "organizations",
        "ListOrganizationalUnitsForParent",
        list_organizational_units_for_parent,
    )
    .op(
        "organizations",
        "ListAccountsForParent",
        list_accounts_for_parent,
    )
    .op("organizations", "ListAccounts", list_accounts)
    .op("organizations", "DescribeAccount", describe_account)
    .op("organizations", "ListParents", list_parents)
    .op(
        "organizations",
        "DescribeOrganizationalUnit",
        describe_organizational_unit,
    )
    .op(
        "organizations",
        "ListTagsForResource",
        list_tags_for_resource,
    )
    .op(
        "organizations",
        "ListDelegatedAdministrators",
        list_delegated_administrators,
    );
}

/// Organizations' page limit.
const MAX_PAGE: usize = 20;

fn shared(call: &Call<'_>, a: u64, b: u64) -> CacheKey {
    CacheKey {
        account: SHARED_ACCOUNT,
        region: GLOBAL_REGION,
        op: call.op,
        a,
        b,
    }
}

fn require_management(sim: &Sim, call: &Call<'_>) -> Result<(), ApiError> {
    if call.account == 0 || call.account == sim.org.security_account() {
        return Ok(());
    }
    Err(ApiError::bad(
        "AccessDeniedException",
        "You don't have permissions to access this resource.",
    ))
}

fn account_json(sim: &Sim, o: &mut String, i: usize) {
    let a = &sim.org.accounts[i];
    o.push('{');
    jf(o, true, "Id", &a.id);
    jf(o, false, "Arn", &sim.org.account_arn(i));
    jf(o, false, "Email", &a.email);
    jf(o, false, "Name", &a.name);
    jf(o, false, "Status", a.status);
    jf(o, false, "State", a.status);
    jf(
        o,
        false,
        "JoinedMethod",
        if i == 0 { "CREATED" } else { "INVITED" },
    );
    let _ = write!(o, ",\"JoinedTimestamp\":{}}}", a.joined);
}

fn ou_json(sim: &Sim, o: &mut String, ou: usize) {
    o.push('{');
    jf(o, true, "Id", &sim.org.ous[ou].id);
    jf(o, false, "Arn", &sim.org.ou_arn(ou));
    jf(o, false, "Name", &sim.org.ous[ou].name);
    o.push('}');
}

/// `{"<list>":[…],"NextToken":…}` over `ids`, one page.
fn paged(
    sim: &Sim,
    call: &Call<'_>,
    list: &str,
    (len, at): (usize, &dyn Fn(usize) -> usize),
    item: fn(&Sim, &mut String, usize),
    cache_a: u64,
) -> Result<Bytes, ApiError> {
    let p = page(
        call.params,
        "NextToken",
        "MaxResults",
        len,
        1,
        MAX_PAGE,
        Some(MAX_PAGE),
        "InvalidInputException",
    )?;
    sim.cached(
        shared(call, (cache_a << 32) | p.start as u64, p.size),
        || {
            let mut o = String::with_capacity(64 + 300 * (p.end - p.start));
            let _ = write!(o, "{{\"{list}\":[");
            for k in p.start..p.end {
                if k > p.start {
                    o.push(',');
                }
                item(sim, &mut o, at(k));
            }
            o.push(']');
            if let Some(n) = p.next {
                jf(&mut o, false, "NextToken", &token(n));
            }
            o.push('}');
            Ok(Bytes::from(o))
        },
    )
}

fn describe_organization(sim: &Sim, call: &Call<'_>) -> Result<Bytes, ApiError> {
    sim.cached(shared(call, 0, 0), || {
        let m = sim.org.management();
        let mut o = String::from("{\"Organization\":{");
        jf(&mut o, true, "Id", &sim.org.org_id);
        jf(
            &mut o,
            false,
            "Arn",
            &format!("arn:aws:organizations::{}:organization/{}", m.id, sim.org.org_id),
        );
        jf(&mut o, false, "FeatureSet", "ALL");
        jf(&mut o, false, "MasterAccountArn", &sim.org.account_arn(0));
        jf(&mut o, false, "MasterAccountId", &m.id);
        jf(&mut o, false, "MasterAccountEmail", &m.email);
        o.push_str(",\"AvailablePolicyTypes\":[{\"Type\":\"SERVICE_CONTROL_POLICY\",\"Status\":\"ENABLED\"}]}}");
        Ok(Bytes::from(o))
    })
}

fn list_roots(sim: &Sim, call: &Call<'_>) -> Result<Bytes, ApiError> {
    require_management(sim, call)?;
    sim.cached(shared(call, 0, 0), || {
        let mut o = String::from("{\"Roots\":[{");
        jf(&mut o, true, "Id", &sim.org.root_id);
        jf(
            &mut o,
            false,
            "Arn",
            &format!(
                "arn:aws:organizations::{}:root/{}/{}",
                sim.org.management().id,
                sim.org.org_id,
                sim.org.root_id
            ),
        );
        jf(&mut o, false, "Name", "Root");
        o.push_str(
            ",\"PolicyTypes\":[{\"Type\":\"SERVICE_CONTROL_POLICY\",\"Status\":\"ENABLED\"}]}]}",
        );
        Ok(Bytes::from(o))
    })
}

/// The parent named by `ParentId`: the root or an OU.
fn parent_param(sim: &Sim, call: &Call<'_>) -> Result<Parent, ApiError> {
    let id = call.params.str("ParentId").unwrap_or_default();
    if id == sim.org.root_id {
        return Ok(Parent::Root);
    }
    sim.org
        .ou_index
        .get(id)
        .map(|i| Parent::Ou(*i))
        .ok_or_else(|| {
            ApiError::bad(
                "ParentNotFoundException",
                "We can't find a root or OU with the ParentId that you specified.",
            )
        })
}

fn parent_key(parent: Parent) -> u64 {
    match parent {
        Parent::Root => u64::from(u32::MAX),
        Parent::Ou(i) => i as u64,
    }
}

fn list_organizational_units_for_parent(sim: &Sim, call: &Call<'_>) -> Result<Bytes, ApiError> {
    require_management(sim, call)?;
    let parent = parent_param(sim, call)?;
    let ids = match parent {
        Parent::Root => &sim.org.root_ous,
        Parent::Ou(i) => &sim.org.ous[i].child_ous,
    };
    paged(
        sim,
        call,
        "OrganizationalUnits",
        (ids.len(), &|k| ids[k]),
        ou_json,
        parent_key(parent),
    )
}

fn list_accounts_for_parent(sim: &Sim, call: &Call<'_>) -> Result<Bytes, ApiError> {
    require_management(sim, call)?;
    let parent = parent_param(sim, call)?;
    let ids = match parent {
        Parent::Root => &sim.org.root_accounts,
        Parent::Ou(i) => &sim.org.ous[i].accounts,
    };
    paged(
        sim,
        call,
        "Accounts",
        (ids.len(), &|k| ids[k]),
        account_json,
        parent_key(parent),
    )
}

fn list_accounts(sim: &Sim, call: &Call<'_>) -> Result<Bytes, ApiError> {
    require_management(sim, call)?;
    // Account indexes are the list itself.
    let n = sim.org.accounts.len();
    paged(sim, call, "Accounts", (n, &|k| k), account_json, 0)
}

fn account_param(sim: &Sim, call: &Call<'_>, param: &str) -> Result<usize, ApiError> {
    let id = call.params.str(param).unwrap_or_default();
    sim.org.account_index(id).ok_or_else(|| {
        ApiError::bad(
            "AccountNotFoundException",
            "You specified an account that doesn't exist.",
        )
    })
}

fn describe_account(sim: &Sim, call: &Call<'_>) -> Result<Bytes, ApiError> {
    require_management(sim, call)?;
    let i = account_param(sim, call, "AccountId")?;
    let mut o = String::from("{\"Account\":");
    account_json(sim, &mut o, i);
    o.push('}');
    Ok(Bytes::from(o))
}

fn list_parents(sim: &Sim, call: &Call<'_>) -> Result<Bytes, ApiError> {
    require_management(sim, call)?;
    let child = call.params.str("ChildId").unwrap_or_default();
    let parent = if let Some(i) = sim.org.account_index(child) {
        sim.org.accounts[i].parent
    } else if let Some(i) = sim.org.ou_index.get(child) {
        sim.org.ous[*i].parent
    } else {
        return Err(ApiError::bad(
            "ChildNotFoundException",
            "We can't find an organizational unit (OU) or AWS account with the ChildId that you specified.",
        ));
    };
    let kind = match parent {
        Parent::Root => "ROOT",
        Parent::Ou(_) => "ORGANIZATIONAL_UNIT",
    };
    let mut o = String::from("{\"Parents\":[{");
    jf(&mut o, true, "Id", sim.org.parent_id(parent));
    jf(&mut o, false, "Type", kind);
    o.push_str("}]}");
    Ok(Bytes::from(o))
}

fn describe_organizational_unit(sim: &Sim, call: &Call<'_>) -> Result<Bytes, ApiError> {
    require_management(sim, call)?;
    let id = call.params.str("OrganizationalUnitId").unwrap_or_default();
    let ou = *sim.org.ou_index.get(id).ok_or_else(|| {
        ApiError::bad(
            "OrganizationalUnitNotFoundException",
            "We can't find an OU with the OrganizationalUnitId that you specified.",
        )
    })?;
    let mut o = String::from("{\"OrganizationalUnit\":");
    ou_json(sim, &mut o, ou);
    o.push('}');
    Ok(Bytes::from(o))
}

fn list_tags_for_resource(sim: &Sim, call: &Call<'_>) -> Result<Bytes, ApiError> {
    require_management(sim, call)?;
    let id = call.params.str("ResourceId").unwrap_or_default();
    let tags: &[(&str, String)] = if let Some(i) = sim.org.account_index(id) {
        &sim.org.accounts[i].tags
    } else if id == sim.org.root_id || sim.org.ou_index.contains_key(id) {
        &[]
    } else {
        return Err(ApiError::bad(
            "TargetNotFoundException",
            "We can't find a root, OU, account, or policy with the TargetId that you specified.",
        ));
    };
    let mut o = String::from("{\"Tags\":[");
    for (k, (key, value)) in tags.iter().enumerate() {
        if k > 0 {
            o.push(',');
        }
        o.push('{');
        jf(&mut o, true, "Key", key);
        jf(&mut o, false, "Value", value);
        o.push('}');
    }
    o.push_str("]}");
    Ok(Bytes::from(o))
}

fn list_delegated_administrators(sim: &Sim, call: &Call<'_>) -> Result<Bytes, ApiError> {
    require_management(sim, call)?;
    let security = sim.org.security_account();
    if security == 0 {
        return Ok(Bytes::from_static(b"{\"DelegatedAdministrators\":[]}"));
    }
    let a = &sim.org.accounts[security];
    let mut o = String::from("{\"DelegatedAdministrators\":[{");
    jf(&mut o, true, "Id", &a.id);
    jf(&mut o, false, "Arn", &sim.org.account_arn(security));
    jf(&mut o, false, "Email", &a.email);
    jf(&mut o, false, "Name", &a.name);
    jf(&mut o, false, "Status", a.status);
    jf(&mut o, false, "State", a.status);
    jf(&mut o, false, "JoinedMethod", "INVITED");
    let _ = write!(
        o,
        ",\"JoinedTimestamp\":{},\"DelegationEnabledDate\":{}}}]}}",
        a.joined,
        a.joined + 86_400
    );
    Ok(Bytes::from(o))
}
