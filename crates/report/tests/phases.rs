//! Every check of the catalogue has its place in the plan's phases (AWS's order for a
//! compromised account): a check no phase names lands in "Other", at the end of its tier,
//! away from the steps it belongs with.

#[test]
fn every_check_of_the_catalogue_has_a_phase() {
    for check in orgsweep_checks::CATALOGUE {
        let id = check.meta().id;
        assert_ne!(
            orgsweep_report::plan_phase(id),
            "Other",
            "{id} has no phase"
        );
    }
}
