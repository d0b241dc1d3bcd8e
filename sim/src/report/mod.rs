//! HTML reports (`--report DIR`, SPEC §9): one self-contained `DIR/index.html` per command — for
//! `exsim run`, the runs of each scenario file side by side with charts drawn from their time
//! series ([`html`]); for `exsim sweep`, pass and fail per seed, which invariants broke how often,
//! the spread of the breach metrics and every failure with its reproduce command ([`sweep`]).
//! [`svg`] draws the charts.
//!
//! **Architecture invariants:** a page loads nothing — no script, font, stylesheet or image from
//! anywhere, inline CSS and inline SVG only — so it opens the same offline, archived or mailed;
//! all user text is escaped by `maud` (nothing here marks user text as pre-escaped); a page's
//! size is bounded by what it shows (runs, markets, assets, at most `sim::series::BUCKETS` points
//! per series; a sweep's kept values and failures are capped), never by a run's length or a
//! sweep's seed count; rendering reads no clock, so the same runs give the same bytes. This
//! module sits above `sim` and below `cli`: the simulator never renders HTML.

pub mod html;
pub mod svg;
pub mod sweep;

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

pub use html::{run_page, FileRuns};
pub use sweep::{sweep_page, SweepSummary};

/// The page's stylesheet, inlined in its `<style>`.
pub const STYLE: &str = include_str!("style.css");

/// The page of a report directory.
pub const PAGE: &str = "index.html";

/// A report directory made ready before anything runs: created if missing, its page opened for
/// writing (so an unwritable directory is refused up front).
#[derive(Debug)]
pub struct ReportDir {
    path: PathBuf,
    file: File,
}

impl ReportDir {
    /// Creates `dir` if needed and opens `dir/index.html` for writing. The error says which. A
    /// page that would overwrite one of `inputs` (the scenario files) is refused.
    pub fn open(dir: &Path, inputs: &[&Path]) -> Result<ReportDir, String> {
        let named = || crate::shown::shown(&dir.display().to_string());
        fs::create_dir_all(dir).map_err(|e| format!("--report {}: cannot create the directory: {e}", named()))?;
        let path = dir.join(PAGE);
        for input in inputs {
            if input.exists() && same_file::is_same_file(&path, input).unwrap_or(false) {
                return Err(format!(
                    "--report {}: its {PAGE} is the scenario file {}, an input of this run; exsim never overwrites its inputs",
                    named(),
                    crate::shown::shown(&input.display().to_string())
                ));
            }
        }
        let file = File::create(&path).map_err(|e| format!("--report {}: cannot write {PAGE} there: {e}", named()))?;
        Ok(ReportDir { path, file })
    }

    /// The page's path.
    pub fn page(&self) -> &Path {
        &self.path
    }

    /// Writes the page.
    pub fn write(mut self, html: &str) -> Result<PathBuf, String> {
        self.file
            .write_all(html.as_bytes())
            .and_then(|()| self.file.flush())
            .map_err(|e| format!("--report {}: {e}", crate::shown::shown(&self.path.display().to_string())))?;
        Ok(self.path)
    }
}
