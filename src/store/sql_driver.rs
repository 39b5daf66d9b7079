//! What the shared operation path of the SQL stores ([`SqlGuard::run`]) needs from a
//! driver beyond opening connections: what a failed operation means, and how to take
//! a connection whose query ran out of time out of service.
//!
//! [`SqlGuard::run`]: super::sql_guard::SqlGuard::run

use std::future::Future;
use std::pin::Pin;

use super::connection_pool::Connector;
use super::StoreError;

/// A query on a borrowed connection, as the boxed future the run can time out.
pub(crate) type QueryFuture<'c, T, E> = Pin<Box<dyn Future<Output = Result<T, E>> + Send + 'c>>;

/// How a failed operation is reported, and what it says about its connection.
pub(crate) struct Failure {
    /// The error the caller gets.
    pub error: StoreError,
    /// True when the connection or server was lost (mark the database down).
    pub connection_lost: bool,
    /// True when the server answered with an error and the connection may serve the
    /// next request; any other failure may have left an answer half read, so the
    /// connection is closed.
    pub connection_fine: bool,
}

/// A database driver as the SQL stores use it.
pub(crate) trait SqlDriver: Connector {
    /// Sorts the error of a failed connect or query.
    fn classify(&self, error: Self::Error) -> Failure;

    /// Closes a connection whose query timed out (it may still receive that answer)
    /// and stops the query on the server, so it no longer holds locks or a thread.
    fn abandon(&self, connection: Self::Connection);
}
