//! SQLite: the default backend, one file in the data folder, WAL so readers never wait for the
//! writer.

use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use super::migrations::{EmbeddedMigration, migrator};
use super::{PoolSettings, StorageResult, queries::sql_storage};

static MIGRATIONS: &[EmbeddedMigration] = &[(
    1,
    "init",
    include_str!("../../../migrations/sqlite/0001_init.sql"),
)];

#[derive(Debug, Clone)]
pub struct SqliteStorage {
    pool: sqlx::SqlitePool,
}

impl SqliteStorage {
    pub async fn connect(url: &str, settings: PoolSettings) -> StorageResult<Self> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // NORMAL is durable across application crashes in WAL mode; only an OS crash may lose
            // the last transactions.
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(settings.max_connections.max(1))
            .acquire_timeout(settings.acquire_timeout)
            .connect_with(options)
            .await?;
        migrator(MIGRATIONS).await?.run(&pool).await?;
        Ok(SqliteStorage { pool })
    }
}

sql_storage!(SqliteStorage);
