//! Validated domain types. A value of one of these types has already been checked,
//! so handlers and stores never validate again (parse, don't validate).

mod email;
mod user;
mod user_id;
mod user_name;

pub use email::{Email, EmailError};
pub use user::{NewUser, User, UserChanges};
pub use user_id::{UserId, UserIdError};
pub use user_name::{UserName, UserNameError};
