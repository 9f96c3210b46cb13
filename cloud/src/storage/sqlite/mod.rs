//! SQLite: the default backend, one file in the data folder, WAL so readers never wait for the
//! writer.

use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use super::migrations::{EmbeddedMigration, migrator};
use super::{PoolSettings, StorageResult, queries::sql_storage};

static MIGRATIONS: &[EmbeddedMigration] = &[
    (
        1,
        "init",
        include_str!("../../../migrations/sqlite/0001_init.sql"),
    ),
    (
        2,
        "abuse",
        include_str!("../../../migrations/sqlite/0002_abuse.sql"),
    ),
    (
        3,
        "owner audit",
        include_str!("../../../migrations/sqlite/0003_owner_audit.sql"),
    ),
    (
        4,
        "scale",
        include_str!("../../../migrations/sqlite/0004_scale.sql"),
    ),
    (
        5,
        "feed",
        include_str!("../../../migrations/sqlite/0005_feed.sql"),
    ),
    (
        6,
        "transfer",
        include_str!("../../../migrations/sqlite/0006_transfer.sql"),
    ),
    (
        7,
        "mail",
        include_str!("../../../migrations/sqlite/0007_mail.sql"),
    ),
];

#[derive(Debug, Clone)]
pub struct SqliteStorage {
    /// Readers: WAL lets them run beside the writer.
    pool: sqlx::SqlitePool,
    /// The one connection that writes (see `queries`).
    writer: sqlx::SqlitePool,
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
        let in_memory = is_in_memory(options.get_filename());
        owner_only(options.get_filename())?;
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .acquire_timeout(settings.acquire_timeout)
            .connect_with(options.clone())
            .await?;
        migrator(MIGRATIONS).await?.run(&writer).await?;
        // Every connection to an in-memory database is a database of its own: there the writer
        // reads too.
        let pool = if in_memory {
            writer.clone()
        } else {
            SqlitePoolOptions::new()
                .max_connections(settings.max_connections.max(1))
                .acquire_timeout(settings.acquire_timeout)
                .connect_with(options)
                .await?
        };
        Ok(SqliteStorage { pool, writer })
    }
}

/// In-memory databases have no file (sqlx names them `file:sqlx-in-memory-N`).
fn is_in_memory(path: &std::path::Path) -> bool {
    let name = path.to_string_lossy();
    name.is_empty() || name == ":memory:" || name.starts_with("file:")
}

/// The database holds e-mails, password hashes and client addresses: it and its `-wal` and `-shm`
/// files are readable by their owner only. SQLite creates the `-wal` and `-shm` files with the
/// permissions of the database file, so the database is created here first, owner-only; files
/// an older version left readable to others are narrowed.
fn owner_only(path: &std::path::Path) -> StorageResult<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        if is_in_memory(path) {
            return Ok(());
        }
        std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(path)
            .map_err(sqlx::Error::Io)?;
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let mut file = path.as_os_str().to_owned();
            file.push(suffix);
            match std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(sqlx::Error::Io(e).into()),
            }
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

impl SqliteStorage {
    /// How the outbox claim passes over rows another instance is claiming right now.
    const SKIP_LOCKED: &'static str = "";
}

sql_storage!(SqliteStorage, sqlx::Sqlite);
