//! Progress on stderr: a bar (accounts done / total) when a person is watching, plain
//! `tracing` log lines when the output goes to a file or a CI log.

use std::sync::OnceLock;

use indicatif::{ProgressBar, ProgressStyle};
use orgsweep_engine::Progress;
use tracing::info;
use tracing_subscriber::EnvFilter;

/// Logs to stderr. On a terminal only warnings (the bar shows progress); otherwise one line
/// per account. `ORGSWEEP_LOG` overrides the filter (e.g. `ORGSWEEP_LOG=debug`).
pub fn init_logging(interactive: bool) {
    let default = if interactive {
        "warn"
    } else {
        "info,aws_config=error,aws_smithy_runtime=warn"
    };
    let filter =
        EnvFilter::try_from_env("ORGSWEEP_LOG").unwrap_or_else(|_| EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(interactive)
        .with_target(false)
        .try_init();
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
