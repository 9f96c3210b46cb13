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
];

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
        owner_only(options.get_filename())?;
        let pool = SqlitePoolOptions::new()
            .max_connections(settings.max_connections.max(1))
            .acquire_timeout(settings.acquire_timeout)
            .connect_with(options)
            .await?;
        migrator(MIGRATIONS).await?.run(&pool).await?;
        Ok(SqliteStorage { pool })
    }
}

/// The database holds e-mails, password hashes and client addresses: it and its `-wal` and `-shm`
/// files are readable by their owner only. SQLite creates the `-wal` and `-shm` files with the
/// permissions of the database file, so the database is created here first, owner-only; files
/// an older version left readable to others are narrowed.
fn owner_only(path: &std::path::Path) -> StorageResult<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        let name = path.to_string_lossy();
        // In-memory databases have no file (sqlx names them `file:sqlx-in-memory-N`).
        if name.is_empty() || name == ":memory:" || name.starts_with("file:") {
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

sql_storage!(SqliteStorage);
