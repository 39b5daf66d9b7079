//! Logging settings: `LOG_FORMAT` (text or JSON lines) and `LOG_LEVEL`.

use super::ConfigError;

/// How log lines are written on stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogFormat {
    /// Human-readable `key=value` lines.
    #[default]
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

/// The least severe level that is still written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogLevel {
    /// Only errors.
    Error,
    /// Errors and warnings.
    Warn,
    /// Start-up, one line per request, and everything above.
    #[default]
    Info,
    /// Diagnostics for developers.
    Debug,
    /// Everything.
    Trace,
}

/// The logging part of the configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LogConfig {
    /// `LOG_FORMAT`: `text` (default) or `json`.
    pub format: LogFormat,
    /// `LOG_LEVEL`: `error`, `warn`, `info` (default), `debug` or `trace`.
    pub level: LogLevel,
}

impl LogConfig {
    /// Reads `LOG_FORMAT` and `LOG_LEVEL` through `get` (case-insensitive values).
    pub(super) fn from_env<'a>(get: impl Fn(&str) -> Option<&'a str>) -> Result<Self, ConfigError> {
        let mut config = Self::default();
        if let Some(value) = get("LOG_FORMAT") {
            config.format = match value.to_ascii_lowercase().as_str() {
                "text" => LogFormat::Text,
                "json" => LogFormat::Json,
                _ => return Err(ConfigError::invalid("LOG_FORMAT", value, "`text` or `json`")),
            };
        }
        if let Some(value) = get("LOG_LEVEL") {
            config.level = match value.to_ascii_lowercase().as_str() {
                "error" => LogLevel::Error,
                "warn" | "warning" => LogLevel::Warn,
                "info" => LogLevel::Info,
                "debug" => LogLevel::Debug,
                "trace" => LogLevel::Trace,
                _ => {
                    return Err(ConfigError::invalid(
                        "LOG_LEVEL",
                        value,
                        "one of error, warn, info, debug, trace",
                    ))
                }
            };
        }
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_format_and_debug_level_are_read_case_insensitively() {
        let config = LogConfig::from_env(|name| match name {
            "LOG_FORMAT" => Some("JSON"),
            "LOG_LEVEL" => Some("Debug"),
            _ => None,
        })
        .expect("valid");
        assert_eq!(config, LogConfig { format: LogFormat::Json, level: LogLevel::Debug });
    }

    #[test]
    fn unknown_level_is_an_error_naming_the_choices() {
        let error = LogConfig::from_env(|name| (name == "LOG_LEVEL").then_some("loud")).expect_err("bad");
        assert!(error.to_string().contains("LOG_LEVEL=\"loud\""), "{error}");
        assert!(error.to_string().contains("error, warn, info"), "{error}");
    }
}
