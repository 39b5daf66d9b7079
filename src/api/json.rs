//! JSON request bodies decoded with messages a client can act on: which field, and
//! why (wrong type, missing, unknown, out of range), or where the syntax breaks.
//! Trailing bytes after the JSON value are an error, not ignored.

use serde::de::DeserializeOwned;
use serde_json::error::Category;

/// Why a body is not the JSON a route expects.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JsonError {
    /// Nothing but whitespace.
    #[error("request body is empty; expected {expected}")]
    Empty {
        /// What the route expects, e.g. "a JSON object with `name` and `email`".
        expected: &'static str,
    },
    /// Not valid JSON (or not UTF-8, or trailing characters).
    #[error("request body is not valid JSON: {0}")]
    Syntax(String),
    /// Valid JSON of the wrong shape; the message names the field.
    #[error("{0}")]
    Shape(String),
}

/// Decodes `bytes` as `T`; `expected` describes `T` for the empty-body message.
pub fn decode<T: DeserializeOwned>(bytes: &[u8], expected: &'static str) -> Result<T, JsonError> {
    let Some(first) = bytes.iter().find(|b| !b.is_ascii_whitespace()) else {
        return Err(JsonError::Empty { expected });
    };
    // serde's derived structs also accept arrays (`["Ada","ada@x"]`); an API must not.
    let other = match first {
        b'[' => Some("an array"),
        b'"' => Some("a string"),
        b't' | b'f' => Some("a boolean"),
        b'n' => Some("null"),
        b'-' | b'0'..=b'9' => Some("a number"),
        _ => None,
    };
    if let Some(other) = other {
        return Err(JsonError::Shape(format!("request body must be {expected}, not {other}")));
    }
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value: T = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let path = error.path().to_string();
        describe(error.into_inner(), &path)
    })?;
    deserializer.end().map_err(|error| describe(error, "."))?;
    Ok(value)
}

fn describe(error: serde_json::Error, path: &str) -> JsonError {
    let (line, column) = (error.line(), error.column());
    let full = error.to_string();
    let suffix = format!(" at line {line} column {column}");
    let message = full.strip_suffix(&suffix).unwrap_or(&full);
    // serde's messages about a field's presence already name it ("unknown field `x`").
    let names_field =
        ["unknown field", "missing field", "duplicate field"].iter().any(|p| message.starts_with(p));
    let at_root = matches!(path, "" | "." | "?");
    match error.classify() {
        Category::Data if at_root || names_field => JsonError::Shape(message.to_owned()),
        Category::Data => JsonError::Shape(format!("`{path}`: {message}")),
        Category::Syntax | Category::Eof | Category::Io if at_root => {
            JsonError::Syntax(format!("{message} (line {line}, column {column})"))
        }
        Category::Syntax | Category::Eof | Category::Io => {
            JsonError::Syntax(format!("{message} in `{path}` (line {line}, column {column})"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields, expecting = "a JSON object with `name`")]
    #[allow(dead_code)]
    struct Named {
        name: String,
        #[serde(default)]
        age: Option<u8>,
    }

    fn message(body: &str) -> String {
        decode::<Named>(body.as_bytes(), "a JSON object with `name`").expect_err(body).to_string()
    }

    #[test]
    fn wrong_type_names_the_field() {
        assert_eq!(message(r#"{"name": 5}"#), "`name`: invalid type: integer `5`, expected a string");
        assert_eq!(message(r#"{"name":"a","age":300}"#), "`age`: invalid value: integer `300`, expected u8");
    }

    #[test]
    fn missing_and_unknown_fields_are_named() {
        assert_eq!(message("{}"), "missing field `name`");
        assert_eq!(message(r#"{"name":"a","nmae":"b"}"#), "unknown field `nmae`, expected `name` or `age`");
        assert_eq!(message(r#"{"name":"a","name":"b"}"#), "duplicate field `name`");
    }

    #[test]
    fn non_objects_say_what_is_expected() {
        assert_eq!(message("[\"a\"]"), "request body must be a JSON object with `name`, not an array");
        assert_eq!(message("\"x\""), "request body must be a JSON object with `name`, not a string");
        assert_eq!(message(" 12"), "request body must be a JSON object with `name`, not a number");
        assert_eq!(message("null"), "request body must be a JSON object with `name`, not null");
    }

    #[test]
    fn syntax_errors_and_trailing_garbage_give_the_position() {
        assert_eq!(
            message(r#"{"name":"a""#),
            "request body is not valid JSON: EOF while parsing an object (line 1, column 11)"
        );
        assert_eq!(
            message(r#"{"name":"a"} x"#),
            "request body is not valid JSON: trailing characters (line 1, column 14)"
        );
        assert!(message("{\"name\":\"\u{0}\"}").contains("control character"));
        assert_eq!(
            message(r#"{"name":"a","age":1e400}"#),
            "request body is not valid JSON: number out of range in `age` (line 1, column 23)"
        );
    }

    #[test]
    fn empty_body_says_what_is_expected() {
        assert_eq!(message("  \n"), "request body is empty; expected a JSON object with `name`");
    }

    #[test]
    fn invalid_utf8_and_lone_surrogates_are_syntax_errors() {
        let bytes = b"{\"name\":\"\xff\"}";
        let error = decode::<Named>(bytes, "x").expect_err("invalid UTF-8");
        assert!(matches!(error, JsonError::Syntax(_)), "{error}");
        assert!(matches!(decode::<Named>(br#"{"name":"\ud800"}"#, "x"), Err(JsonError::Syntax(_))));
    }

    #[test]
    fn deep_nesting_is_refused_without_exhausting_the_stack() {
        let deep = format!("{{\"name\":\"a\",\"age\":{}{}}}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(decode::<Named>(deep.as_bytes(), "x").is_err());
    }
}
