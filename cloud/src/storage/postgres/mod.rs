//! PostgreSQL: for production and scale-out. Several instances may share one database; every piece
//! of shared state (sessions, bindings, rate limits, audit) lives here.

use std::time::Duration;

use sqlx::postgres::PgPoolOptions;

use super::migrations::{EmbeddedMigration, migrator};
use super::{StorageResult, queries::sql_storage};

static MIGRATIONS: &[EmbeddedMigration] = &[(
    1,
    "init",
    include_str!("../../../migrations/postgres/0001_init.sql"),
)];

#[derive(Debug, Clone)]
pub struct PostgresStorage {
    pool: sqlx::PgPool,
}

impl PostgresStorage {
    pub async fn connect(url: &str, max_connections: u32) -> StorageResult<Self> {
        let pool = PgPoolOptions::new()
            .max_connections(max_connections.max(1))
            .acquire_timeout(Duration::from_secs(10))
            .connect(url)
            .await?;
        // The migrator takes an advisory lock, so instances starting together migrate once.
        migrator(MIGRATIONS).await?.run(&pool).await?;
        Ok(PostgresStorage { pool })
    }
}

sql_storage!(PostgresStorage);
