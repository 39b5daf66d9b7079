//! How the service's [connection pool](crate::store::connection_pool) opens MySQL
//! connections and checks an idle one before lending it.

use std::time::Duration;

use async_trait::async_trait;
use mysql_async::prelude::Queryable;
use mysql_async::{Conn, Opts};

use crate::store::connection_pool::Connector;

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
