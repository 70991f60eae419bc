//! Finding things in a rendered page, for the tests that check its structure.

/// Where `needle` first stands in `haystack`; a missing piece fails the test by name.
pub fn position(haystack: &str, needle: &str) -> usize {
    haystack
        .find(needle)
        .unwrap_or_else(|| panic!("{needle:?} not found"))
}

/// The text of the element with `id`, up to the next `</section>`.
pub fn section<'a>(html: &'a str, id: &str) -> &'a str {
    let start = position(html, &format!("id=\"{id}\""));
    let end = start + position(&html[start..], "</section>");
    &html[start..end]
}

/// A report as `report --format` reads one, sorted as a scan writes it. Not every test
/// binary that shares this module builds reports from JSON.
#[allow(dead_code)]
pub fn report_of(value: serde_json::Value) -> orgsweep_model::Report {
    let mut report: orgsweep_model::Report = serde_json::from_value(value).expect("a valid report");
    report.sort();
    report
}
