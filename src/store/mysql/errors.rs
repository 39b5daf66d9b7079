//! What a MySQL client error means for the service: a uniqueness conflict (409), a
//! lost or unreachable server (503, and the store stops sending queries until it is
//! back), or anything else (500).

use mysql_async::{DriverError, Error};

use crate::store::sql_driver::Failure;
use crate::store::{Conflict, StoreError};

/// MariaDB/MySQL server error codes this store reacts to.
mod code {
    /// ER_DUP_ENTRY: a unique key was violated.
    pub const DUPLICATE_ENTRY: u16 = 1062;
    /// ER_AUTOINC_READ_FAILED: the AUTO_INCREMENT counter has no value left.
    pub const AUTOINC_READ_FAILED: u16 = 1467;
    /// HA_ERR_AUTOINC_ERANGE surfaced as "out of range value" for the id.
    pub const WARN_DATA_OUT_OF_RANGE: u16 = 1264;
    /// Codes that mean the server is going away or refuses connections.
    pub const UNAVAILABLE: &[u16] = &[
        1040, // ER_CON_COUNT_ERROR: too many connections
        1053, // ER_SERVER_SHUTDOWN
        1152, // ER_ABORTING_CONNECTION
        1158, 1159, 1160, 1161, // network read/write errors and timeouts
        1927, // ER_CONNECTION_KILLED
        2006, 2013, // server gone away / lost connection (client codes some servers send)
    ];
}

/// Sorts `error` from an operation on the `users` table. Only a server error leaves
/// the connection fit for reuse: after an I/O or driver error an answer may be half read.
pub(super) fn classify(error: Error) -> Failure {
    let lost = |error: StoreError| Failure { error, connection_lost: true, connection_fine: false };
    let answered = matches!(error, Error::Server(_));
    let plain = |error: StoreError| Failure { error, connection_lost: false, connection_fine: answered };
    match error {
        Error::Io(io) => lost(StoreError::unavailable("MySQL connection failed", io)),
        Error::Driver(DriverError::ConnectionClosed) => {
            lost(StoreError::unavailable_because("MySQL closed the connection"))
        }
        Error::Driver(DriverError::PoolDisconnected) => {
            lost(StoreError::unavailable_because("the MySQL pool is shut down"))
        }
        Error::Server(server) if server.code == code::DUPLICATE_ENTRY => {
            // "Duplicate entry '…' for key 'PRIMARY'" (MySQL 8: 'users.PRIMARY');
            // the only other unique key is users_email_key.
            let conflict = if server.message.ends_with("PRIMARY'") { Conflict::Id } else { Conflict::Email };
            plain(StoreError::Conflict(conflict))
        }
        Error::Server(server)
            if server.code == code::AUTOINC_READ_FAILED || server.code == code::WARN_DATA_OUT_OF_RANGE =>
        {
            plain(StoreError::Conflict(Conflict::IdsExhausted))
        }
        Error::Server(server) if code::UNAVAILABLE.contains(&server.code) => {
            lost(StoreError::unavailable("MySQL is going away or refuses connections", server))
        }
        other => plain(StoreError::internal("MySQL failed", other)),
    }
}

#[cfg(test)]
mod tests {
    use mysql_async::ServerError;

    use super::*;

    fn server(code: u16, message: &str) -> Error {
        Error::Server(ServerError { code, message: message.to_owned(), state: "23000".to_owned() })
    }

    #[test]
    fn a_duplicate_key_is_a_conflict_on_a_connection_fit_for_reuse() {
        let classified =
            classify(server(code::DUPLICATE_ENTRY, "Duplicate entry 'a@b' for key 'users_email_key'"));
        assert!(matches!(classified.error, StoreError::Conflict(Conflict::Email)));
        assert!(classified.connection_fine && !classified.connection_lost);
        let id = classify(server(code::DUPLICATE_ENTRY, "Duplicate entry '7' for key 'PRIMARY'"));
        assert!(matches!(id.error, StoreError::Conflict(Conflict::Id)));
    }

    #[test]
    fn io_and_driver_failures_close_the_connection() {
        let io = classify(Error::Io(std::io::Error::from(std::io::ErrorKind::ConnectionReset).into()));
        assert!(io.connection_lost && !io.connection_fine);
        assert!(matches!(io.error, StoreError::Unavailable { .. }));
        let driver = classify(Error::Driver(DriverError::UnexpectedPacket { payload: vec![0xff] }));
        assert!(!driver.connection_lost && !driver.connection_fine, "answer may be half read");
        assert!(matches!(driver.error, StoreError::Internal { .. }));
    }

    #[test]
    fn a_server_going_away_marks_the_database_down() {
        let gone = classify(server(1053, "Server shutdown in progress"));
        assert!(gone.connection_lost && !gone.connection_fine);
    }
}
