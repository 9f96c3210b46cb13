//! PostgreSQL: for production and scale-out. Several instances may share one database; every piece
//! of shared state (sessions, bindings, rate limits, audit) lives here.

use sqlx::postgres::PgPoolOptions;

use super::migrations::{EmbeddedMigration, migrator};
use super::{PoolSettings, StorageResult, queries::sql_storage};

static MIGRATIONS: &[EmbeddedMigration] = &[
    (
        1,
        "init",
        include_str!("../../../migrations/postgres/0001_init.sql"),
    ),
    (
        2,
        "abuse",
        include_str!("../../../migrations/postgres/0002_abuse.sql"),
    ),
    (
        3,
        "owner audit",
        include_str!("../../../migrations/postgres/0003_owner_audit.sql"),
    ),
    (
        4,
        "scale",
        include_str!("../../../migrations/postgres/0004_scale.sql"),
    ),
    (
        5,
        "feed",
        include_str!("../../../migrations/postgres/0005_feed.sql"),
    ),
    (
        6,
        "transfer",
        include_str!("../../../migrations/postgres/0006_transfer.sql"),
    ),
    (
        7,
        "mail",
        include_str!("../../../migrations/postgres/0007_mail.sql"),
    ),
];

#[derive(Debug, Clone)]
pub struct PostgresStorage {
    pool: sqlx::PgPool,
    /// The same pool: PostgreSQL runs writers side by side.
    writer: sqlx::PgPool,
}

impl PostgresStorage {
    pub async fn connect(url: &str, settings: PoolSettings) -> StorageResult<Self> {
        let pool = PgPoolOptions::new()
            .max_connections(settings.max_connections.max(1))
            // Waiting for a connection includes reconnecting while the server restarts (sqlx
            // retries a refused connection until this deadline): a short restart makes requests
            // slower, not failed. Past it the request is answered 503 (`StorageError::is_unavailable`).
            .acquire_timeout(settings.acquire_timeout)
            // Pooled connections die with a server restart; each is checked before it is handed
            // out, so a request never runs on a dead one.
            .test_before_acquire(true)
            .connect(url)
            .await?;
        // The migrator takes an advisory lock, so instances starting together migrate once.
        migrator(MIGRATIONS).await?.run(&pool).await?;
        Ok(PostgresStorage {
            writer: pool.clone(),
            pool,
        })
    }
}

impl PostgresStorage {
    /// How the outbox claim passes over rows another instance is claiming right now.
    const SKIP_LOCKED: &'static str = " FOR UPDATE SKIP LOCKED";
}

sql_storage!(PostgresStorage, sqlx::Postgres);
