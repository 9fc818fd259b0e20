//! The core's error type: what was wrong, with the field it concerns and how to fix it.

use thiserror::Error;

/// Everything the core can refuse. Messages are lowercase and include the offending value.
#[derive(Debug, Error, Clone, PartialEq)]
#[non_exhaustive]
pub enum CoreError {
    /// A configuration value out of range; `field` is its path in the scene (`layers[1].units`).
    #[error("{field}: {message}")]
    Invalid {
        /// Path of the field in the scene.
        field: String,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// A typed expression that does not parse.
    #[error("objective.function.expr: {0}")]
    Expression(String),
}

impl CoreError {
    /// Shorthand for [`CoreError::Invalid`].
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        CoreError::Invalid { field: field.into(), message: message.into() }
    }

    /// The same error with `prefix.` put in front of its field path.
    pub fn within(self, prefix: &str) -> Self {
        match self {
            CoreError::Invalid { field, message } => CoreError::Invalid { field: format!("{prefix}.{field}"), message },
            other => other,
        }
    }
}
