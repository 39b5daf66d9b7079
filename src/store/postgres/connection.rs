//! A PostgreSQL connection as the pool holds it: the `tokio_postgres` client (its
//! connection task runs on the runtime) with the statements it has prepared; how the
//! pool opens one; and what the stores' shared operation path does with PostgreSQL
//! errors and timed-out connections.

use std::collections::HashMap;
use std::time::Duration;

use async_trait::async_trait;
use tokio_postgres::{Client, Config, NoTls, Statement};

use super::errors;
use crate::store::connection_pool::Connector;
use crate::store::sql_driver::{Failure, SqlDriver};

/// A connection with the statements it has prepared, so each query is parsed once
/// per connection rather than once per request.
pub(super) struct PgConnection {
    /// The driver's client.
    pub client: Client,
    statements: HashMap<&'static str, Statement>,
}

impl PgConnection {
    /// The prepared statement for `sql`, preparing it on first use.
    pub async fn statement(&mut self, sql: &'static str) -> Result<Statement, tokio_postgres::Error> {
        if let Some(statement) = self.statements.get(sql) {
            return Ok(statement.clone());
        }
        let statement = self.client.prepare(sql).await?;
        self.statements.insert(sql, statement.clone());
        Ok(statement)
    }
}

/// Opens connections with one configuration.
pub(super) struct PgConnector {
    pub config: Config,
}

#[async_trait]
impl Connector for PgConnector {
    type Connection = PgConnection;
    type Error = tokio_postgres::Error;

    async fn connect(&self) -> Result<PgConnection, tokio_postgres::Error> {
        let (client, connection) = self.config.connect(NoTls).await?;
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%error, "PostgreSQL connection ended");
            }
        });
        Ok(PgConnection { client, statements: HashMap::new() })
    }

    /// The connection task notices a closed connection by itself: no round trip.
    async fn usable(&self, connection: &mut PgConnection, _idle_for: Duration) -> bool {
        !connection.client.is_closed()
    }
}

impl SqlDriver for PgConnector {
    fn classify(&self, error: tokio_postgres::Error) -> Failure {
        errors::classify(error)
    }

    /// Drops the client (closing the connection) and asks the server to cancel the
    /// query it was running.
    fn abandon(&self, connection: PgConnection) {
        let cancel = connection.client.cancel_token();
        drop(connection);
        tokio::spawn(async move {
            if let Err(error) = cancel.cancel_query(NoTls).await {
                tracing::debug!(%error, "could not cancel a timed-out PostgreSQL query");
            }
        });
    }
}
