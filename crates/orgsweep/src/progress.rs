//! Progress on stderr: a bar (accounts done / total) when a person is watching, plain
//! `tracing` log lines when the output goes to a file or a CI log.

use std::sync::OnceLock;

use indicatif::{ProgressBar, ProgressStyle};
use orgsweep_engine::Progress;
use tracing::info;
use tracing_subscriber::EnvFilter;

/// How much goes to stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verbosity {
    /// A person watches: the bar shows progress, logs are warnings and errors.
    Interactive,
    /// A file or CI log: one line per account.
    Plain,
    /// `--quiet`: errors only.
    Quiet,
}

impl Verbosity {
    pub fn from(interactive: bool, quiet: bool) -> Verbosity {
        match (quiet, interactive) {
            (true, _) => Verbosity::Quiet,
            (false, true) => Verbosity::Interactive,
            (false, false) => Verbosity::Plain,
        }
    }
}

/// Logs to stderr. `ORGSWEEP_LOG` overrides the filter (e.g. `ORGSWEEP_LOG=debug`);
/// `ORGSWEEP_LOG_FORMAT=json` writes one JSON object per line, for schedulers that index
/// logs (the closing summary stays a plain line).
pub fn init_logging(verbosity: Verbosity) -> anyhow::Result<()> {
    let default = match verbosity {
        Verbosity::Interactive => "warn",
        Verbosity::Plain => "info,aws_config=error,aws_smithy_runtime=warn",
        Verbosity::Quiet => "error",
    };
    let filter =
        EnvFilter::try_from_env("ORGSWEEP_LOG").unwrap_or_else(|_| EnvFilter::new(default));
    let json = match std::env::var("ORGSWEEP_LOG_FORMAT").as_deref() {
        Err(_) | Ok("" | "text") => false,
        Ok("json") => true,
        Ok(other) => anyhow::bail!("ORGSWEEP_LOG_FORMAT: '{other}' is not text or json"),
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false);
    let _ = if json {
        builder.json().flatten_event(true).try_init()
    } else {
        builder
            .with_ansi(verbosity == Verbosity::Interactive)
            .try_init()
    };
    Ok(())
}

pub struct Reporter {
    interactive: bool,
    bar: OnceLock<ProgressBar>,
}

impl Reporter {
    pub fn new(interactive: bool) -> Self {
        Reporter {
            interactive,
            bar: OnceLock::new(),
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = self.bar.get() {
            bar.finish_and_clear();
        }
    }
}

impl Progress for Reporter {
    fn accounts_selected(&self, total: usize, resumed: usize) {
        // Several targets (`--targets`) each announce their accounts: one bar counts them all.
        if let Some(bar) = self.bar.get() {
            bar.inc_length(total as u64);
            bar.inc(resumed as u64);
            return;
        }
        if self.interactive {
            let bar = ProgressBar::new(total as u64);
            bar.set_position(resumed as u64);
            if let Ok(style) = ProgressStyle::with_template(
                "{spinner} scanning accounts {bar:30} {pos}/{len} {elapsed} {msg}",
            ) {
                bar.set_style(style);
            }
            bar.enable_steady_tick(std::time::Duration::from_millis(200));
            let _ = self.bar.set(bar);
        } else {
            info!(accounts = total, resumed, "scanning accounts");
        }
    }

    fn account_done(&self, account_id: &str, gaps: usize) {
        if let Some(bar) = self.bar.get() {
            bar.inc(1);
            if gaps > 0 {
                bar.set_message(format!("{account_id}: {gaps} gaps"));
            }
        }
    }
}
