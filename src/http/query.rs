//! Query strings, strictly: every route names the parameters it accepts, and an
//! unknown, repeated or malformed parameter is a 400 rather than silently ignored
//! (a typo such as `?limt=5` would otherwise return the wrong page without a word).
//!
//! Names and values are compared as sent, without percent-decoding: every value this
//! API accepts is a plain decimal number, which needs no encoding.

/// Why a query string was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    /// A parameter the route does not define.
    #[error("unknown query parameter `{name}` (accepted: {accepted})")]
    Unknown {
        /// The parameter as sent (shortened if very long).
        name: String,
        /// The names the route accepts, or "none".
        accepted: String,
    },
    /// The same parameter twice.
    #[error("query parameter `{0}` is given more than once")]
    Repeated(String),
    /// A value of the wrong shape or range.
    #[error("query parameter `{name}` {reason}")]
    Invalid {
        /// The parameter's name.
        name: &'static str,
        /// What is wrong, e.g. "must be an integer from 1 to 1000".
        reason: &'static str,
    },
}

/// A checked query string: only names the route accepts, each at most once.
#[derive(Debug, Clone, Default)]
pub struct Query<'a> {
    pairs: Vec<(&'a str, &'a str)>,
}

impl<'a> Query<'a> {
    /// Splits `raw` (the part after `?`) and checks the names against `accepted`.
    /// Empty segments (`a=1&&b=2`, a trailing `&`) are ignored.
    pub fn parse(raw: Option<&'a str>, accepted: &[&'static str]) -> Result<Self, QueryError> {
        let mut pairs: Vec<(&'a str, &'a str)> = Vec::new();
        for segment in raw.unwrap_or("").split('&').filter(|segment| !segment.is_empty()) {
            let (name, value) = segment.split_once('=').unwrap_or((segment, ""));
            if !accepted.contains(&name) {
                return Err(QueryError::Unknown { name: shorten(name), accepted: accepted_list(accepted) });
            }
            if pairs.iter().any(|(seen, _)| *seen == name) {
                return Err(QueryError::Repeated(shorten(name)));
            }
            pairs.push((name, value));
        }
        Ok(Self { pairs })
    }

    /// The raw value of `name`, if given.
    pub fn get(&self, name: &str) -> Option<&'a str> {
        self.pairs.iter().find(|(n, _)| *n == name).map(|(_, value)| *value)
    }

    /// `name` as a decimal integer in `min..=max`, or `default` when absent.
    pub fn integer(
        &self,
        name: &'static str,
        min: u64,
        max: u64,
        default: u64,
        reason: &'static str,
    ) -> Result<u64, QueryError> {
        let Some(text) = self.get(name) else { return Ok(default) };
        let digits_only = !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
        match text.parse::<u64>() {
            Ok(value) if digits_only && (min..=max).contains(&value) => Ok(value),
            _ => Err(QueryError::Invalid { name, reason }),
        }
    }
}

/// A client-controlled name, cut to 64 characters so error messages stay small.
fn shorten(name: &str) -> String {
    let mut short: String = name.chars().take(64).collect();
    if short.len() < name.len() {
        short.push('…');
    }
    short
}

fn accepted_list(accepted: &[&'static str]) -> String {
    if accepted.is_empty() {
        "none".to_owned()
    } else {
        accepted.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIST: &[&str] = &["limit", "after"];

    #[test]
    fn absent_and_empty_queries_have_no_parameters() {
        assert!(Query::parse(None, LIST).expect("ok").get("limit").is_none());
        assert!(Query::parse(Some(""), &[]).expect("ok").get("limit").is_none());
        assert!(Query::parse(Some("&&"), &[]).is_ok());
    }

    #[test]
    fn accepted_parameters_are_returned_raw() {
        let query = Query::parse(Some("limit=5&after=10"), LIST).expect("ok");
        assert_eq!((query.get("limit"), query.get("after")), (Some("5"), Some("10")));
    }

    #[test]
    fn unknown_parameter_is_named_with_the_accepted_ones() {
        let error = Query::parse(Some("limt=5"), LIST).expect_err("typo");
        assert_eq!(error.to_string(), "unknown query parameter `limt` (accepted: limit, after)");
        let error = Query::parse(Some("x"), &[]).expect_err("none accepted");
        assert!(error.to_string().contains("accepted: none"), "{error}");
    }

    #[test]
    fn repeated_parameter_is_refused() {
        let error = Query::parse(Some("limit=1&limit=2"), LIST).expect_err("twice");
        assert_eq!(error, QueryError::Repeated("limit".into()));
    }

    #[test]
    fn integers_are_range_checked_without_signs_or_spaces() {
        let reason = "must be an integer from 1 to 1000";
        let check = |raw: &'static str| {
            Query::parse(Some(raw), LIST).expect("names ok").integer("limit", 1, 1000, 100, reason)
        };
        assert_eq!(check(""), Ok(100));
        assert_eq!(check("limit=1000"), Ok(1000));
        for bad in [
            "limit=0",
            "limit=1001",
            "limit=",
            "limit=+5",
            "limit=-1",
            "limit=1.5",
            "limit=%31",
            "limit=9999999999999999999999",
        ] {
            assert_eq!(check(bad), Err(QueryError::Invalid { name: "limit", reason }), "{bad}");
        }
    }

    #[test]
    fn very_long_unknown_names_are_shortened_in_the_message() {
        let long = format!("{}=1", "x".repeat(10_000));
        let error = Query::parse(Some(&long), LIST).expect_err("unknown");
        assert!(error.to_string().len() < 200, "{error}");
    }
}
