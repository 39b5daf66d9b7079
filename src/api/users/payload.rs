//! The JSON bodies of `POST /api/users` and `PUT /api/users/{id}`, as sent, and
//! their validation into domain values. Unknown fields are refused (a misspelt
//! `emial` must not silently create a user without the intended address).

use std::fmt;

use serde::de::{self, Deserializer, Unexpected, Visitor};
use serde::Deserialize;

use crate::api::error::ApiError;
use crate::domain::{Email, NewUser, UserChanges, UserId, UserName};

/// What a create body looks like, for the empty-body message.
pub const CREATE_EXPECTED: &str = "a JSON object with `name` and `email`, and optionally `id`";
/// What an update body looks like, for the empty-body message.
pub const UPDATE_EXPECTED: &str = "a JSON object with `name` and `email`";

/// `POST /api/users` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a JSON object with `name` and `email`, and optionally `id`")]
pub struct CreateUser {
    #[serde(default)]
    id: Option<IdField>,
    name: String,
    email: String,
}

impl CreateUser {
    /// Validates the fields into a [`NewUser`].
    pub fn validate(self) -> Result<NewUser, ApiError> {
        Ok(NewUser {
            id: self.id.map(|IdField(id)| id),
            name: UserName::parse(&self.name).map_err(|e| ApiError::invalid("name", e))?,
            email: Email::parse(&self.email).map_err(|e| ApiError::invalid("email", e))?,
        })
    }
}

/// `PUT /api/users/{id}` body. An `id` may be included (clients often send the whole
/// resource back) but must then equal the id in the path.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a JSON object with `name` and `email`")]
pub struct UpdateUser {
    #[serde(default)]
    id: Option<IdField>,
    name: String,
    email: String,
}

impl UpdateUser {
    /// Validates the fields into [`UserChanges`] for user `path_id`.
    pub fn validate(self, path_id: UserId) -> Result<UserChanges, ApiError> {
        if let Some(IdField(id)) = self.id {
            if id != path_id {
                return Err(ApiError::invalid(
                    "id",
                    format_args!("is {id} but the path names user {path_id}"),
                ));
            }
        }
        Ok(UserChanges {
            name: UserName::parse(&self.name).map_err(|e| ApiError::invalid("name", e))?,
            email: Email::parse(&self.email).map_err(|e| ApiError::invalid("email", e))?,
        })
    }
}

/// A user id in a JSON body: an integer in `1..=i64::MAX`, with messages that say so
/// (instead of serde's "expected u64").
#[derive(Debug, Clone, Copy)]
struct IdField(UserId);

impl<'de> Deserialize<'de> for IdField {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_u64(IdVisitor)
    }
}

struct IdVisitor;

impl Visitor<'_> for IdVisitor {
    type Value = IdField;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a user id: an integer from 1 to {}", UserId::MAX)
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<IdField, E> {
        UserId::new(value).map(IdField).map_err(|_| E::invalid_value(Unexpected::Unsigned(value), &self))
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<IdField, E> {
        match u64::try_from(value) {
            Ok(value) => self.visit_u64(value),
            Err(_) => Err(E::invalid_value(Unexpected::Signed(value), &self)),
        }
    }

    /// JSON has one number type: `7.0` and `7e0` are the integer 7 (as JSON Schema
    /// says), as long as the value is exact in a double (up to 2^53).
    fn visit_f64<E: de::Error>(self, value: f64) -> Result<IdField, E> {
        const EXACT_LIMIT: f64 = 9_007_199_254_740_992.0; // 2^53
        if value.fract() == 0.0 && (1.0..=EXACT_LIMIT).contains(&value) {
            // In range and integral, so the conversion is exact.
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            return self.visit_u64(value as u64);
        }
        Err(E::invalid_type(Unexpected::Float(value), &self))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::json::decode;

    fn create(body: &str) -> Result<NewUser, String> {
        decode::<CreateUser>(body.as_bytes(), CREATE_EXPECTED)
            .map_err(|e| e.to_string())
            .and_then(|payload| payload.validate().map_err(|e| e.to_string()))
    }

    #[test]
    fn a_valid_body_becomes_a_new_user_with_a_trimmed_name() {
        let user = create(r#"{"name":"  Ada ","email":"ada@example.org"}"#).expect("valid");
        assert_eq!((user.id, user.name.as_str(), user.email.as_str()), (None, "Ada", "ada@example.org"));
        let user = create(r#"{"id":7,"name":"Ada","email":"a@b"}"#).expect("valid");
        assert_eq!(user.id.map(UserId::get), Some(7));
        assert!(create(r#"{"id":null,"name":"Ada","email":"a@b"}"#).expect("null id").id.is_none());
    }

    #[test]
    fn field_rules_name_the_field() {
        assert_eq!(create(r#"{"name":"  ","email":"a@b"}"#), Err("`name` must not be empty".into()));
        let long = format!(r#"{{"name":"{}","email":"a@b"}}"#, "n".repeat(101));
        assert_eq!(create(&long), Err("`name` must be at most 100 characters".into()));
        assert_eq!(
            create(r#"{"name":"A","email":"ab"}"#),
            Err("`email` must contain exactly one '@'".into())
        );
        assert_eq!(
            create(r#"{"name":"A","email":"a @b"}"#),
            Err("`email` must not contain spaces or control characters".into())
        );
        assert_eq!(
            create(r#"{"name":"A","email":"@b"}"#),
            Err("`email` must have a non-empty part before and after '@'".into())
        );
    }

    #[test]
    fn ids_out_of_range_or_not_integers_are_explained() {
        let range = "expected a user id: an integer from 1 to 9223372036854775807";
        for (id, got) in [
            ("0", "integer `0`"),
            ("-5", "integer `-5`"),
            ("9223372036854775808", "integer `9223372036854775808`"),
        ] {
            let body = format!(r#"{{"id":{id},"name":"A","email":"a@b"}}"#);
            assert_eq!(create(&body), Err(format!("`id`: invalid value: {got}, {range}")), "{id}");
        }
        let error = create(r#"{"id":1e400,"name":"A","email":"a@b"}"#).expect_err("huge");
        assert!(error.contains("number out of range"), "{error}");
        let error = create(r#"{"id":"5","name":"A","email":"a@b"}"#).expect_err("string");
        assert_eq!(error, format!("`id`: invalid type: string \"5\", {range}"));
        let error = create(r#"{"id":1.5,"name":"A","email":"a@b"}"#).expect_err("float");
        assert_eq!(error, format!("`id`: invalid type: floating point `1.5`, {range}"));
        let error = create(r#"{"id":100000000000000000000,"name":"A","email":"a@b"}"#).expect_err("float");
        assert!(error.starts_with("`id`: invalid type: floating point"), "{error}");
        let error = create(r#"{"id":1e16,"name":"A","email":"a@b"}"#).expect_err("beyond 2^53");
        assert!(error.starts_with("`id`: invalid type: floating point"), "{error}");
    }

    #[test]
    fn integral_numbers_written_as_floats_are_ids() {
        for written in ["7.0", "7e0", "0.7e1"] {
            let body = format!(r#"{{"id":{written},"name":"A","email":"a@b"}}"#);
            assert_eq!(create(&body).expect(written).id.map(UserId::get), Some(7), "{written}");
        }
        assert!(create(r#"{"id":0.0,"name":"A","email":"a@b"}"#).is_err());
    }

    #[test]
    fn update_accepts_the_same_id_only() {
        let path = UserId::new(5).expect("id");
        let decode_update = |body: &str| {
            decode::<UpdateUser>(body.as_bytes(), UPDATE_EXPECTED).expect("shape").validate(path)
        };
        assert!(decode_update(r#"{"id":5,"name":"A","email":"a@b"}"#).is_ok());
        let error = decode_update(r#"{"id":6,"name":"A","email":"a@b"}"#).expect_err("other id");
        assert_eq!(error.to_string(), "`id` is 6 but the path names user 5");
    }
}
