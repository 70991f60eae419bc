//! The settings file (`--config orgsweep.toml`). Unknown keys are errors, so a typo does
//! not silently fall back to a default.

use std::path::Path;

use anyhow::Context as _;
use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub expected_regions: Option<Vec<String>>,
    pub regions: Option<Vec<String>>,
    pub window_days: Option<u32>,
    pub role_name: Option<String>,
}

impl Config {
    pub fn load(path: &Path) -> anyhow::Result<Config> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read config file {}", path.display()))?;
        toml::from_str(&text).map_err(|e| {
            // toml's message spans several lines (a source excerpt); keep the first, which
            // names the line and the problem.
            let message = e.to_string();
            let first = message
                .lines()
                .next()
                .unwrap_or("invalid TOML")
                .trim()
                .to_owned();
            let detail = message.lines().last().unwrap_or("").trim().to_owned();
            anyhow::anyhow!("config file {}: {first} {detail}", path.display())
        })
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn load(text: &str) -> anyhow::Result<Config> {
        let mut file = tempfile::NamedTempFile::new().expect("temp file");
        file.write_all(text.as_bytes()).expect("write");
        Config::load(file.path())
    }

    #[test]
    fn reads_known_keys_and_names_the_line_of_an_unknown_one() {
        let config = load("expected_regions = [\"us-east-1\"]\nwindow_days = 14\n").expect("valid");
        assert_eq!(config.window_days, Some(14));
        let err = load("window_days = 14\nexpected_region = [\"us-east-1\"]\n").unwrap_err();
        let text = format!("{err:#}");
        assert!(text.contains("line 2"), "{text}");
        assert!(text.contains("expected_region"), "{text}");
        assert!(!text.contains('\n'), "{text}");
    }
}
