//! What every error needs to name its place: the file's text and name, the command-line
//! overrides, and the run being built.
//!
//! Invariant: an error at a value that came from the file carries that file's line and column;
//! one at a value that came from `--set` carries that override's text instead, never a file
//! position it does not have.

use super::error::{line_column, ScenarioError};
use super::tree::Origin;

/// The context errors are made in.
#[derive(Clone, Copy)]
pub(crate) struct Ctx<'a> {
    /// The scenario file's text.
    pub source: &'a str,
    /// Its name, as given to `parse` (a path, or `quickstart` for an embedded file).
    pub origin: &'a str,
    /// The command-line overrides, as `FIELD=VALUE` texts, indexed by [`Origin::Set`].
    pub settings: &'a [String],
    /// The variant being built, if any: its errors say so.
    pub variant: Option<&'a str>,
}

impl Ctx<'_> {
    /// An error at `at` about `field`.
    pub fn error(&self, at: Origin, field: &str, message: impl Into<String>) -> ScenarioError {
        let mut message = message.into();
        if let Some(variant) = self.variant {
            message.push_str(&format!(" (in variant `{variant}`)"));
        }
        match at {
            Origin::File(offset) => {
                let (line, column) = line_column(self.source, offset);
                ScenarioError {
                    origin: self.origin.to_owned(),
                    line,
                    column,
                    field: field.to_owned(),
                    message,
                    setting: None,
                }
            }
            Origin::Set(index) => ScenarioError {
                origin: "--set".to_owned(),
                line: 0,
                column: 0,
                field: field.to_owned(),
                message,
                setting: Some(self.settings.get(index).cloned().unwrap_or_default()),
            },
        }
    }
}
