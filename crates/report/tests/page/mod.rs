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
