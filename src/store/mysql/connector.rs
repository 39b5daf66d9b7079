//! How the service's [connection pool](crate::store::connection_pool) opens MySQL
//! connections and checks an idle one before lending it, and what the stores' shared
//! operation path does with MySQL errors and timed-out connections.

use std::time::Duration;

use async_trait::async_trait;
use mysql_async::prelude::Queryable;
use mysql_async::{Conn, Opts};

use super::errors;
use crate::store::connection_pool::Connector;
use crate::store::sql_driver::{Failure, SqlDriver};

/// A connection idle at least this long is pinged before it is lent: the server may
/// have closed it (restart, `wait_timeout`). A busy pool skips the round trip.
const PING_AFTER_IDLE: Duration = Duration::from_secs(1);

/// Opens connections with one set of options.
pub(super) struct MySqlConnector {
    pub opts: Opts,
}

#[async_trait]
impl Connector for MySqlConnector {
    type Connection = Conn;
    type Error = mysql_async::Error;

    async fn connect(&self) -> Result<Conn, mysql_async::Error> {
        Conn::new(self.opts.clone()).await
    }

    async fn usable(&self, connection: &mut Conn, idle_for: Duration) -> bool {
        idle_for < PING_AFTER_IDLE || connection.ping().await.is_ok()
    }
}

impl SqlDriver for MySqlConnector {
    fn classify(&self, error: mysql_async::Error) -> Failure {
        errors::classify(error)
    }

    /// Disconnects, then kills the query on a connection of its own, outside the pool
    /// (the pool may be exhausted).
    fn abandon(&self, connection: Conn) {
        let id = connection.id();
        let opts = self.opts.clone();
        tokio::spawn(async move {
            let _ = tokio::time::timeout(Duration::from_secs(1), connection.disconnect()).await;
            let kill = async {
                let mut other = Conn::new(opts).await?;
                other.query_drop(format!("KILL {id}")).await?;
                other.disconnect().await
            };
            match tokio::time::timeout(Duration::from_secs(2), kill).await {
                Ok(Ok(())) => tracing::debug!(connection = id, "killed a timed-out MySQL connection"),
                Ok(Err(error)) => {
                    tracing::debug!(connection = id, %error, "could not kill a timed-out MySQL connection")
                }
                Err(_) => tracing::debug!(connection = id, "timed out killing a timed-out MySQL connection"),
            }
        });
    }
}
