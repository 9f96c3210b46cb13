//! The queries, written once for both backends. Both sqlx drivers take `$N` parameters and both
//! databases understand `ON CONFLICT` and `RETURNING`, so one text serves SQLite and PostgreSQL; the
//! macro expands it for each pool type (sqlx's generic executor bounds would be far noisier).
//!
//! Each backend has two pool handles: `pool` for reads and `writer` for every write. On
//! PostgreSQL they are the same pool; SQLite has one writer at a time anyway, so its `writer` is a
//! pool of one connection and writers queue there (first come, first served) instead of in
//! SQLite's busy handler, which sleeps up to 100 ms between tries.

/// One page of an account's audit, newest first: `$1` the account, `$2` the exclusive upper bound
/// of the ids (the `before` cursor), `$3` the page size. Two key-ordered index range scans, one
/// per half (`audit_events_by_account` for the account's own requests,
/// `audit_events_by_device_owner` for other accounts' on its devices), each cut at the page size,
/// then merged: the cost is the page's, however long the log (docs/benchmarks.md, "audit listing
/// plan"). The halves are disjoint: a row names another owner only when that owner is not its
/// requester. The requester's e-mail is joined for the other accounts' rows only, to be masked.
pub const AUDIT_PAGE: &str =
    "SELECT page.id, page.account_id, page.at, page.serial, page.nonce, page.outcome,
        page.client_addr, page.count, requester.email AS requester_email
 FROM (
     SELECT * FROM (
         SELECT id, account_id, at, serial, nonce, outcome, client_addr, count
         FROM audit_events WHERE account_id = $1 AND id < $2
         ORDER BY id DESC LIMIT $3
     ) AS own
     UNION ALL
     SELECT * FROM (
         SELECT id, account_id, at, serial, nonce, outcome, client_addr, count
         FROM audit_events WHERE device_owner_id = $1 AND id < $2
         ORDER BY id DESC LIMIT $3
     ) AS others
 ) AS page
 LEFT JOIN accounts requester ON requester.id = page.account_id AND page.account_id <> $1
 ORDER BY page.id DESC LIMIT $3";

/// The lease of up to `$4` due rows of an outbox table (`push_outbox`, `mail_outbox`): `$1` now,
/// `$2` the lease's end, `$3` its token; the rows' `returning` columns. The outer conditions
/// repeat the inner ones: on PostgreSQL (`skip_locked`) a row another instance claimed meanwhile
/// is re-checked after its lock and skipped.
pub fn outbox_claim(table: &str, returning: &str, skip_locked: &str) -> String {
    format!(
        "UPDATE {table} SET lease_until_ms = $2, lease = $3
         WHERE id IN (
             SELECT id FROM {table}
             WHERE state = 'pending' AND due_at_ms <= $1
               AND (lease_until_ms IS NULL OR lease_until_ms <= $1)
             ORDER BY due_at_ms, id LIMIT $4{skip_locked}
         ) AND state = 'pending' AND (lease_until_ms IS NULL OR lease_until_ms <= $1)
         RETURNING {returning}"
    )
}

macro_rules! sql_storage {
    ($storage:ty, $db:ty) => {
        impl $storage {
            /// Counts one hit in a fixed-window bucket; the hits so far in that window. One
            /// atomic upsert: instances sharing the database never lose a hit.
            async fn hit<'e, E>(
                executor: E,
                bucket: &str,
                window_start: i64,
            ) -> $crate::storage::StorageResult<u64>
            where
                E: sqlx::Executor<'e, Database = $db>,
            {
                use sqlx::Row;
                let hits: i64 = sqlx::query(
                    "INSERT INTO rate_limit_hits (bucket, window_start, hits) VALUES ($1, $2, 1)
                     ON CONFLICT (bucket, window_start) DO UPDATE SET hits = rate_limit_hits.hits + 1
                     RETURNING hits",
                )
                .bind(bucket)
                .bind(window_start)
                .fetch_one(executor)
                .await?
                .try_get("hits")?;
                Ok(u64::try_from(hits).unwrap_or(0))
            }

            async fn insert_audit<'e, E>(
                executor: E,
                event: &$crate::storage::NewAuditEvent,
            ) -> $crate::storage::StorageResult<()>
            where
                E: sqlx::Executor<'e, Database = $db>,
            {
                // NULL keys never conflict (both databases treat NULLs as distinct in a unique
                // index): every event without a key is a row of its own.
                sqlx::query(
                    "INSERT INTO audit_events (account_id, at, serial, nonce, outcome, client_addr, aggregate_key, device_owner_id, count)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1)
                     ON CONFLICT (account_id, aggregate_key) DO UPDATE SET count = audit_events.count + 1",
                )
                .bind(event.account_id)
                .bind(event.at)
                .bind(&event.serial)
                .bind(&event.nonce)
                .bind(event.outcome.as_str())
                .bind(&event.client_addr)
                .bind(&event.aggregate_key)
                .bind(event.device_owner_id)
                .execute(executor)
                .await?;
                Ok(())
            }

            /// Writes feed events and one outbox row per push endpoint of each event's account.
            async fn insert_feed(
                tx: &mut sqlx::Transaction<'_, $db>,
                events: &[$crate::storage::NewFeedEvent],
            ) -> $crate::storage::StorageResult<()> {
                use sqlx::Row;
                for event in events {
                    let id: i64 = sqlx::query(
                        "INSERT INTO feed_events (account_id, at, kind, serial, other_account_id, outcome, client, transfer_id)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
                    )
                    .bind(event.account_id)
                    .bind(event.at)
                    .bind(event.kind.as_str())
                    .bind(&event.serial)
                    .bind(event.other_account_id)
                    .bind(&event.outcome)
                    .bind(&event.client)
                    .bind(event.transfer_id)
                    .fetch_one(&mut **tx)
                    .await?
                    .try_get("id")?;
                    sqlx::query(
                        "INSERT INTO push_outbox (event_id, endpoint_id, state, attempts, due_at_ms)
                         SELECT $1, id, 'pending', 0, $2 FROM push_endpoints WHERE account_id = $3",
                    )
                    .bind(id)
                    .bind(event.at.saturating_mul(1000))
                    .bind(event.account_id)
                    .execute(&mut **tx)
                    .await?;
                }
                Ok(())
            }

            /// Stores a code for the account `account_id` if it has the address `email`,
            /// replacing its live code of the same purpose. Whether it has.
            async fn upsert_code(
                tx: &mut sqlx::Transaction<'_, $db>,
                account_id: i64,
                email: &str,
                code: &$crate::storage::NewCode,
                code_hash: &[u8],
            ) -> $crate::storage::StorageResult<bool> {
                let written = sqlx::query(
                    "INSERT INTO account_codes (account_id, purpose, code_hash, created_at, expires_at, tries_left)
                     SELECT id, $3, $4, $5, $6, $7 FROM accounts WHERE id = $1 AND email = $2
                     ON CONFLICT (account_id, purpose) DO UPDATE SET code_hash = excluded.code_hash,
                         created_at = excluded.created_at, expires_at = excluded.expires_at,
                         tries_left = excluded.tries_left",
                )
                .bind(account_id)
                .bind(email)
                .bind(code.purpose.as_str())
                .bind(code_hash)
                .bind(code.now)
                .bind(code.expires_at)
                .bind(i64::from(code.tries))
                .execute(&mut **tx)
                .await?;
                Ok(written.rows_affected() == 1)
            }

            /// Queues a mail to the address of the account `account_id`, if it has the
            /// address `email` (so an unknown address queues none, after the same statement).
            async fn insert_mail(
                tx: &mut sqlx::Transaction<'_, $db>,
                account_id: i64,
                email: &str,
                mail: &$crate::storage::NewMail,
            ) -> $crate::storage::StorageResult<()> {
                sqlx::query(
                    "INSERT INTO mail_outbox (recipient, kind, message, created_at, state, attempts, due_at_ms)
                     SELECT $3, $4, $5, $6, 'pending', 0, $6 FROM accounts WHERE id = $1 AND email = $2",
                )
                .bind(account_id)
                .bind(email)
                .bind(&mail.recipient)
                .bind(mail.kind)
                .bind(&mail.message)
                .bind(mail.now_ms)
                .execute(&mut **tx)
                .await?;
                Ok(())
            }

            /// Deletes the account's code of `purpose` if its hash is `code_hash`: used once.
            async fn use_code(
                tx: &mut sqlx::Transaction<'_, $db>,
                account_id: i64,
                purpose: hc_protocol::account_code::AccountCodePurpose,
                code_hash: &[u8],
            ) -> $crate::storage::StorageResult<bool> {
                let used = sqlx::query(
                    "DELETE FROM account_codes WHERE account_id = $1 AND purpose = $2 AND code_hash = $3",
                )
                .bind(account_id)
                .bind(purpose.as_str())
                .bind(code_hash)
                .execute(&mut **tx)
                .await?;
                Ok(used.rows_affected() == 1)
            }

            /// A feed event from `feed_events` columns and the other account's e-mail
            /// (`other_email`), masked as the audit masks it.
            fn feed_event(
                row: &<$db as sqlx::Database>::Row,
            ) -> $crate::storage::StorageResult<hc_protocol::api::FeedEvent> {
                use sqlx::Row;
                let kind: String = row.try_get("kind")?;
                let other: Option<String> = row.try_get("other_email")?;
                let other_id: Option<i64> = row.try_get("other_account_id")?;
                Ok(hc_protocol::api::FeedEvent {
                    id: row.try_get("id")?,
                    kind: hc_protocol::api::FeedEventKind::parse(&kind).ok_or_else(|| {
                        $crate::storage::StorageError::Corrupt(format!("feed kind {kind:?}"))
                    })?,
                    at: row.try_get("at")?,
                    serial: row.try_get("serial")?,
                    // An account deleted since is still another account.
                    other_account: other_id.map(|_| {
                        $crate::email::mask_email(other.as_deref().unwrap_or_default())
                    }),
                    outcome: row.try_get("outcome")?,
                    client: row.try_get("client")?,
                    transfer_id: row.try_get("transfer_id")?,
                })
            }

            /// The same transfer event for both of its accounts, each naming the other.
            fn transfer_events(
                kind: hc_protocol::api::FeedEventKind,
                transfer_id: i64,
                serial: &str,
                from: i64,
                to: i64,
                now: i64,
            ) -> Vec<$crate::storage::NewFeedEvent> {
                [(from, to), (to, from)]
                    .into_iter()
                    .map(|(account, other)| $crate::storage::NewFeedEvent {
                        serial: Some(serial.to_owned()),
                        other_account_id: Some(other),
                        transfer_id: Some(transfer_id),
                        ..$crate::storage::NewFeedEvent::new(account, now, kind)
                    })
                    .collect()
            }

            /// Ends an open request (of `owner` when given); `None` when it is not open (or not
            /// theirs). The transfer and its serial.
            async fn settle_transfer(
                tx: &mut sqlx::Transaction<'_, $db>,
                id: i64,
                owner: Option<i64>,
                state: &str,
                now: i64,
            ) -> $crate::storage::StorageResult<Option<($crate::storage::SettledTransfer, String)>> {
                use sqlx::Row;
                let row = sqlx::query(
                    "UPDATE transfers SET state = $3, settled_at = $4
                     WHERE id = $1 AND state = 'open' AND ($2 IS NULL OR from_account_id = $2)
                     RETURNING serial, from_account_id, to_account_id",
                )
                .bind(id)
                .bind(owner)
                .bind(state)
                .bind(now)
                .fetch_optional(&mut **tx)
                .await?;
                let Some(row) = row else { return Ok(None) };
                Ok(Some((
                    $crate::storage::SettledTransfer {
                        id,
                        from_account_id: row.try_get("from_account_id")?,
                        to_account_id: row.try_get("to_account_id")?,
                    },
                    row.try_get("serial")?,
                )))
            }

            /// Moves the device to the requester if it is still the owner's; else the request
            /// is cancelled. Named by its serial for the new owner (the old owner's name stays
            /// the old owner's).
            async fn move_device(
                tx: &mut sqlx::Transaction<'_, $db>,
                settled: &($crate::storage::SettledTransfer, String),
                now: i64,
            ) -> $crate::storage::StorageResult<bool> {
                let (transfer, serial) = settled;
                let moved = sqlx::query(
                    "UPDATE devices SET owner_account_id = $2, name = $1, added_at = $4
                     WHERE serial = $1 AND owner_account_id = $3",
                )
                .bind(serial)
                .bind(transfer.to_account_id)
                .bind(transfer.from_account_id)
                .bind(now)
                .execute(&mut **tx)
                .await?;
                if moved.rows_affected() == 0 {
                    sqlx::query("UPDATE transfers SET state = 'cancelled' WHERE id = $1")
                        .bind(transfer.id)
                        .execute(&mut **tx)
                        .await?;
                }
                Ok(moved.rows_affected() == 1)
            }

            /// A registry row from the columns of `devices` (the serial read by the caller).
            fn device_row(
                serial: String,
                row: &<$db as sqlx::Database>::Row,
            ) -> $crate::storage::StorageResult<$crate::storage::DeviceRow> {
                use sqlx::Row;
                Ok($crate::storage::DeviceRow {
                    serial,
                    model: row.try_get("model")?,
                    firmware: row.try_get("firmware")?,
                    sealed_key: row.try_get("sealed_key")?,
                    label_hash: row.try_get("label_hash")?,
                    owner_account_id: row.try_get("owner_account_id")?,
                    name: row.try_get("name")?,
                    added_at: row.try_get("added_at")?,
                })
            }
        }

        #[async_trait::async_trait]
        impl $crate::storage::Storage for $storage {
            async fn create_account(
                &self,
                email: &str,
                password_hash: &str,
                code: &$crate::storage::NewCode,
                code_hash: $crate::storage::CodeHasher<'_>,
                mail: Option<&$crate::storage::NewMail>,
            ) -> $crate::storage::StorageResult<Option<i64>> {
                use sqlx::Row;
                let mut tx = self.writer.begin().await?;
                let row = sqlx::query(
                    "INSERT INTO accounts (email, password_hash, created_at) VALUES ($1, $2, $3)
                     ON CONFLICT (email) DO NOTHING RETURNING id",
                )
                .bind(email)
                .bind(password_hash)
                .bind(code.now)
                .fetch_optional(&mut *tx)
                .await?;
                // Taken: nothing written, no mail.
                let Some(row) = row else { return Ok(None) };
                let id: i64 = row.try_get("id")?;
                Self::upsert_code(&mut tx, id, email, code, &code_hash(id)).await?;
                if let Some(mail) = mail {
                    Self::insert_mail(&mut tx, id, email, mail).await?;
                }
                tx.commit().await?;
                Ok(Some(id))
            }

            async fn account_info(
                &self,
                account_id: i64,
            ) -> $crate::storage::StorageResult<Option<(String, bool)>> {
                use sqlx::Row;
                let row = sqlx::query("SELECT email, email_verified_at FROM accounts WHERE id = $1")
                    .bind(account_id)
                    .fetch_optional(&self.pool)
                    .await?;
                match row {
                    Some(row) => Ok(Some((
                        row.try_get("email")?,
                        row.try_get::<Option<i64>, _>("email_verified_at")?.is_some(),
                    ))),
                    None => Ok(None),
                }
            }

            async fn verified_account_for_access_token(
                &self,
                access_hash: &[u8],
                now: i64,
            ) -> $crate::storage::StorageResult<Option<(i64, bool)>> {
                use sqlx::Row;
                let row = sqlx::query(
                    "SELECT t.account_id, a.email_verified_at
                     FROM access_tokens t JOIN sessions s ON s.id = t.session_id
                     JOIN accounts a ON a.id = t.account_id
                     WHERE t.token_hash = $1 AND t.expires_at > $2 AND s.revoked_at IS NULL",
                )
                .bind(access_hash)
                .bind(now)
                .fetch_optional(&self.pool)
                .await?;
                match row {
                    Some(row) => Ok(Some((
                        row.try_get("account_id")?,
                        row.try_get::<Option<i64>, _>("email_verified_at")?.is_some(),
                    ))),
                    None => Ok(None),
                }
            }

            async fn issue_code(
                &self,
                account_id: i64,
                email: &str,
                code: &$crate::storage::NewCode,
                code_hash: &[u8],
                mail: Option<&$crate::storage::NewMail>,
            ) -> $crate::storage::StorageResult<bool> {
                let mut tx = self.writer.begin().await?;
                let found = Self::upsert_code(&mut tx, account_id, email, code, code_hash).await?;
                if let Some(mail) = mail {
                    Self::insert_mail(&mut tx, account_id, email, mail).await?;
                }
                tx.commit().await?;
                Ok(found)
            }

            async fn take_code_try(
                &self,
                owner: $crate::storage::CodeOwner<'_>,
                purpose: hc_protocol::account_code::AccountCodePurpose,
                now: i64,
            ) -> $crate::storage::StorageResult<Option<$crate::storage::TakenTry>> {
                use $crate::storage::CodeOwner;
                use sqlx::Row;
                let (id, email) = match owner {
                    CodeOwner::Account(id) => (Some(id), None),
                    CodeOwner::Email(email) => (None, Some(email)),
                };
                let row = sqlx::query(
                    "UPDATE account_codes SET tries_left = tries_left - 1
                     WHERE purpose = $1 AND expires_at > $2 AND tries_left > 0
                       AND account_id = (SELECT id FROM accounts WHERE id = $3 OR email = $4)
                     RETURNING account_id, code_hash, tries_left",
                )
                .bind(purpose.as_str())
                .bind(now)
                .bind(id)
                .bind(email)
                .fetch_optional(&self.writer)
                .await?;
                let Some(row) = row else { return Ok(None) };
                Ok(Some($crate::storage::TakenTry {
                    account_id: row.try_get("account_id")?,
                    code_hash: row.try_get("code_hash")?,
                    tries_left: u32::try_from(row.try_get::<i64, _>("tries_left")?).unwrap_or(0),
                }))
            }

            async fn verify_email(
                &self,
                account_id: i64,
                code_hash: &[u8],
                now: i64,
            ) -> $crate::storage::StorageResult<bool> {
                use hc_protocol::account_code::AccountCodePurpose;
                let mut tx = self.writer.begin().await?;
                if !Self::use_code(&mut tx, account_id, AccountCodePurpose::VerifyEmail, code_hash).await? {
                    return Ok(false);
                }
                sqlx::query("UPDATE accounts SET email_verified_at = COALESCE(email_verified_at, $2) WHERE id = $1")
                    .bind(account_id)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(true)
            }

            async fn reset_password(
                &self,
                account_id: i64,
                code_hash: &[u8],
                password_hash: &str,
                event: &$crate::storage::NewFeedEvent,
            ) -> $crate::storage::StorageResult<bool> {
                use hc_protocol::account_code::AccountCodePurpose;
                let now = event.at;
                let mut tx = self.writer.begin().await?;
                if !Self::use_code(&mut tx, account_id, AccountCodePurpose::ResetPassword, code_hash).await? {
                    return Ok(false);
                }
                // The code reached the address: it is proven, and a pending verify code is moot.
                sqlx::query(
                    "UPDATE accounts SET password_hash = $2, email_verified_at = COALESCE(email_verified_at, $3)
                     WHERE id = $1",
                )
                .bind(account_id)
                .bind(password_hash)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                sqlx::query("DELETE FROM account_codes WHERE account_id = $1")
                    .bind(account_id)
                    .execute(&mut *tx)
                    .await?;
                // Whoever knew the old password is signed out everywhere, as by logout-all.
                sqlx::query(
                    "UPDATE sessions SET revoked_at = $1 WHERE account_id = $2 AND revoked_at IS NULL",
                )
                .bind(now)
                .bind(account_id)
                .execute(&mut *tx)
                .await?;
                // And so are its push endpoints: whoever held the account (a squatter on an
                // address it never verified, a thief of the password) may have added a webhook
                // that would go on hearing the owner's feed. The owner adds theirs again.
                sqlx::query(
                    "DELETE FROM push_outbox WHERE endpoint_id IN
                     (SELECT id FROM push_endpoints WHERE account_id = $1)",
                )
                .bind(account_id)
                .execute(&mut *tx)
                .await?;
                sqlx::query("DELETE FROM push_endpoints WHERE account_id = $1")
                    .bind(account_id)
                    .execute(&mut *tx)
                    .await?;
                Self::insert_feed(&mut tx, std::slice::from_ref(event)).await?;
                tx.commit().await?;
                Ok(true)
            }

            async fn claim_mails(
                &self,
                now_ms: i64,
                lease_until_ms: i64,
                lease: &str,
                limit: u32,
            ) -> $crate::storage::StorageResult<Vec<$crate::storage::ClaimedMail>> {
                use sqlx::Row;
                let claim = $crate::storage::queries::outbox_claim(
                    "mail_outbox",
                    "id, attempts, recipient, message",
                    Self::SKIP_LOCKED,
                );
                let rows = sqlx::query(&claim)
                    .bind(now_ms)
                    .bind(lease_until_ms)
                    .bind(lease)
                    .bind(i64::from(limit))
                    .fetch_all(&self.writer)
                    .await?;
                let mut claimed = Vec::with_capacity(rows.len());
                for row in rows {
                    let message: Option<Vec<u8>> = row.try_get("message")?;
                    claimed.push($crate::storage::ClaimedMail {
                        outbox_id: row.try_get("id")?,
                        attempts: u32::try_from(row.try_get::<i64, _>("attempts")?).unwrap_or(u32::MAX),
                        recipient: row.try_get("recipient")?,
                        message: message.unwrap_or_default(),
                    });
                }
                Ok(claimed)
            }

            async fn settle_mail(
                &self,
                outbox_id: i64,
                lease: &str,
                settlement: &$crate::storage::Settlement,
            ) -> $crate::storage::StorageResult<()> {
                use $crate::storage::Settlement;
                let (state, due, error) = match settlement {
                    Settlement::Delivered => ("sent", None, None),
                    Settlement::Retry { due_at_ms, error } => ("pending", Some(*due_at_ms), Some(error.as_str())),
                    Settlement::Dead { error } => ("dead", None, Some(error.as_str())),
                };
                sqlx::query(
                    "UPDATE mail_outbox SET state = $3, attempts = attempts + 1,
                            due_at_ms = COALESCE($4, due_at_ms), last_error = $5,
                            message = CASE WHEN $3 = 'pending' THEN message ELSE NULL END,
                            lease_until_ms = NULL, lease = NULL
                     WHERE id = $1 AND lease = $2",
                )
                .bind(outbox_id)
                .bind(lease)
                .bind(state)
                .bind(due)
                .bind(error)
                .execute(&self.writer)
                .await?;
                Ok(())
            }

            async fn mail_rows(&self) -> $crate::storage::StorageResult<Vec<$crate::storage::MailRow>> {
                use sqlx::Row;
                let rows = sqlx::query(
                    "SELECT id, recipient, kind, state, attempts, message IS NOT NULL AS has_message, last_error
                     FROM mail_outbox ORDER BY id",
                )
                .fetch_all(&self.pool)
                .await?;
                rows.iter()
                    .map(|row| {
                        Ok($crate::storage::MailRow {
                            id: row.try_get("id")?,
                            recipient: row.try_get("recipient")?,
                            kind: row.try_get("kind")?,
                            state: row.try_get("state")?,
                            attempts: u32::try_from(row.try_get::<i64, _>("attempts")?).unwrap_or(u32::MAX),
                            has_message: row.try_get("has_message")?,
                            last_error: row.try_get("last_error")?,
                        })
                    })
                    .collect()
            }

            async fn account_by_email(
                &self,
                email: &str,
            ) -> $crate::storage::StorageResult<Option<(i64, String)>> {
                use sqlx::Row;
                let row = sqlx::query("SELECT id, password_hash FROM accounts WHERE email = $1")
                    .bind(email)
                    .fetch_optional(&self.pool)
                    .await?;
                match row {
                    Some(row) => Ok(Some((row.try_get("id")?, row.try_get("password_hash")?))),
                    None => Ok(None),
                }
            }

            async fn start_session(
                &self,
                account_id: i64,
                tokens: &$crate::storage::TokenHashes,
                now: i64,
                login_event: Option<&$crate::storage::NewFeedEvent>,
            ) -> $crate::storage::StorageResult<()> {
                use sqlx::Row;
                let mut tx = self.writer.begin().await?;
                if let Some(event) = login_event {
                    Self::insert_feed(&mut tx, std::slice::from_ref(event)).await?;
                }
                let session_id: i64 = sqlx::query(
                    "INSERT INTO sessions (account_id, created_at) VALUES ($1, $2) RETURNING id",
                )
                .bind(account_id)
                .bind(now)
                .fetch_one(&mut *tx)
                .await?
                .try_get("id")?;
                sqlx::query(
                    "INSERT INTO access_tokens (token_hash, session_id, account_id, expires_at)
                     VALUES ($1, $2, $3, $4)",
                )
                .bind(&tokens.access_hash)
                .bind(session_id)
                .bind(account_id)
                .bind(tokens.access_expires_at)
                .execute(&mut *tx)
                .await?;
                sqlx::query(
                    "INSERT INTO refresh_tokens (token_hash, session_id, expires_at) VALUES ($1, $2, $3)",
                )
                .bind(&tokens.refresh_hash)
                .bind(session_id)
                .bind(tokens.refresh_expires_at)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(())
            }

            async fn rotate_refresh_token(
                &self,
                refresh_hash: &[u8],
                next: &$crate::storage::TokenHashes,
                now: i64,
            ) -> $crate::storage::StorageResult<$crate::storage::RefreshOutcome> {
                use $crate::storage::RefreshOutcome;
                use sqlx::Row;
                let mut tx = self.writer.begin().await?;
                // Writing first takes the write lock at once (SQLite) or the row lock (PostgreSQL):
                // of two requests with the same token, exactly one sees `used_at IS NULL`.
                let used = sqlx::query(
                    "UPDATE refresh_tokens SET used_at = $1
                     WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1
                     RETURNING session_id",
                )
                .bind(now)
                .bind(refresh_hash)
                .fetch_optional(&mut *tx)
                .await?;
                let Some(used) = used else {
                    let reused = sqlx::query(
                        "SELECT session_id FROM refresh_tokens
                         WHERE token_hash = $1 AND used_at IS NOT NULL",
                    )
                    .bind(refresh_hash)
                    .fetch_optional(&mut *tx)
                    .await?;
                    let outcome = match reused {
                        Some(row) => {
                            let session_id: i64 = row.try_get("session_id")?;
                            sqlx::query(
                                "UPDATE sessions SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
                            )
                            .bind(now)
                            .bind(session_id)
                            .execute(&mut *tx)
                            .await?;
                            RefreshOutcome::ReusedSessionRevoked
                        }
                        None => RefreshOutcome::Invalid,
                    };
                    tx.commit().await?;
                    return Ok(outcome);
                };
                let session_id: i64 = used.try_get("session_id")?;
                let live = sqlx::query(
                    "SELECT account_id FROM sessions WHERE id = $1 AND revoked_at IS NULL",
                )
                .bind(session_id)
                .fetch_optional(&mut *tx)
                .await?;
                let Some(live) = live else {
                    tx.commit().await?;
                    return Ok(RefreshOutcome::Invalid);
                };
                let account_id: i64 = live.try_get("account_id")?;
                sqlx::query(
                    "INSERT INTO access_tokens (token_hash, session_id, account_id, expires_at)
                     VALUES ($1, $2, $3, $4)",
                )
                .bind(&next.access_hash)
                .bind(session_id)
                .bind(account_id)
                .bind(next.access_expires_at)
                .execute(&mut *tx)
                .await?;
                sqlx::query(
                    "INSERT INTO refresh_tokens (token_hash, session_id, expires_at) VALUES ($1, $2, $3)",
                )
                .bind(&next.refresh_hash)
                .bind(session_id)
                .bind(next.refresh_expires_at)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(RefreshOutcome::Rotated { account_id })
            }

            async fn revoke_session(
                &self,
                refresh_hash: &[u8],
                now: i64,
            ) -> $crate::storage::StorageResult<bool> {
                let result = sqlx::query(
                    "UPDATE sessions SET revoked_at = $1
                     WHERE revoked_at IS NULL
                       AND id = (SELECT session_id FROM refresh_tokens WHERE token_hash = $2)",
                )
                .bind(now)
                .bind(refresh_hash)
                .execute(&self.writer)
                .await?;
                Ok(result.rows_affected() > 0)
            }

            async fn account_for_access_token(
                &self,
                access_hash: &[u8],
                now: i64,
            ) -> $crate::storage::StorageResult<Option<i64>> {
                use sqlx::Row;
                let row = sqlx::query(
                    "SELECT t.account_id FROM access_tokens t JOIN sessions s ON s.id = t.session_id
                     WHERE t.token_hash = $1 AND t.expires_at > $2 AND s.revoked_at IS NULL",
                )
                .bind(access_hash)
                .bind(now)
                .fetch_optional(&self.pool)
                .await?;
                match row {
                    Some(row) => Ok(Some(row.try_get("account_id")?)),
                    None => Ok(None),
                }
            }

            async fn session_for_access_token(
                &self,
                access_hash: &[u8],
                now: i64,
            ) -> $crate::storage::StorageResult<Option<(i64, i64)>> {
                use sqlx::Row;
                let row = sqlx::query(
                    "SELECT t.account_id, t.session_id FROM access_tokens t JOIN sessions s ON s.id = t.session_id
                     WHERE t.token_hash = $1 AND t.expires_at > $2 AND s.revoked_at IS NULL",
                )
                .bind(access_hash)
                .bind(now)
                .fetch_optional(&self.pool)
                .await?;
                match row {
                    Some(row) => Ok(Some((row.try_get("account_id")?, row.try_get("session_id")?))),
                    None => Ok(None),
                }
            }

            async fn password_hash_of(
                &self,
                account_id: i64,
            ) -> $crate::storage::StorageResult<Option<String>> {
                use sqlx::Row;
                let row = sqlx::query("SELECT password_hash FROM accounts WHERE id = $1")
                    .bind(account_id)
                    .fetch_optional(&self.pool)
                    .await?;
                match row {
                    Some(row) => Ok(Some(row.try_get("password_hash")?)),
                    None => Ok(None),
                }
            }

            async fn change_password(
                &self,
                account_id: i64,
                password_hash: &str,
                keep_session: i64,
                now: i64,
            ) -> $crate::storage::StorageResult<()> {
                let mut tx = self.writer.begin().await?;
                sqlx::query("UPDATE accounts SET password_hash = $1 WHERE id = $2")
                    .bind(password_hash)
                    .bind(account_id)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(
                    "UPDATE sessions SET revoked_at = $1
                     WHERE account_id = $2 AND id <> $3 AND revoked_at IS NULL",
                )
                .bind(now)
                .bind(account_id)
                .bind(keep_session)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(())
            }

            async fn revoke_all_sessions(
                &self,
                account_id: i64,
                now: i64,
            ) -> $crate::storage::StorageResult<()> {
                sqlx::query(
                    "UPDATE sessions SET revoked_at = $1 WHERE account_id = $2 AND revoked_at IS NULL",
                )
                .bind(now)
                .bind(account_id)
                .execute(&self.writer)
                .await?;
                Ok(())
            }

            async fn insert_device(
                &self,
                device: &$crate::storage::NewDevice,
            ) -> $crate::storage::StorageResult<bool> {
                let result = sqlx::query(
                    "INSERT INTO devices (serial, model, firmware, sealed_key, label_hash, provisioned_at)
                     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (serial) DO NOTHING",
                )
                .bind(&device.serial)
                .bind(&device.model)
                .bind(&device.firmware)
                .bind(&device.sealed_key)
                .bind(&device.label_hash)
                .bind(device.provisioned_at)
                .execute(&self.writer)
                .await?;
                Ok(result.rows_affected() == 1)
            }

            async fn device(
                &self,
                serial: &str,
            ) -> $crate::storage::StorageResult<Option<$crate::storage::DeviceRow>> {
                use sqlx::Row;
                let row = sqlx::query(
                    "SELECT serial, model, firmware, sealed_key, label_hash, owner_account_id, name, added_at
                     FROM devices WHERE serial = $1",
                )
                .bind(serial)
                .fetch_optional(&self.pool)
                .await?;
                let Some(row) = row else { return Ok(None) };
                let serial = row.try_get("serial")?;
                Ok(Some(Self::device_row(serial, &row)?))
            }

            async fn bind_device(
                &self,
                serial: &str,
                account_id: i64,
                name: &str,
                now: i64,
            ) -> $crate::storage::StorageResult<$crate::storage::BindOutcome> {
                use $crate::storage::BindOutcome;
                use sqlx::Row;
                // A few rounds only matter if the device is unbound between our two statements.
                for _ in 0..3 {
                    // The condition is the lock: of two accounts racing, one update matches.
                    let bound = sqlx::query(
                        "UPDATE devices SET owner_account_id = $1, name = $2, added_at = $3
                         WHERE serial = $4 AND owner_account_id IS NULL
                         RETURNING serial, name, model, added_at",
                    )
                    .bind(account_id)
                    .bind(name)
                    .bind(now)
                    .bind(serial)
                    .fetch_optional(&self.writer)
                    .await?;
                    if let Some(row) = bound {
                        return Ok(BindOutcome::Bound(hc_protocol::api::Device {
                            serial: row.try_get("serial")?,
                            name: row.try_get("name")?,
                            model: row.try_get("model")?,
                            added_at: row.try_get("added_at")?,
                        }));
                    }
                    let owner = sqlx::query("SELECT owner_account_id FROM devices WHERE serial = $1")
                        .bind(serial)
                        .fetch_optional(&self.writer)
                        .await?;
                    let Some(owner) = owner else {
                        return Ok(BindOutcome::UnknownDevice);
                    };
                    match owner.try_get::<Option<i64>, _>("owner_account_id")? {
                        Some(owner) if owner == account_id => return Ok(BindOutcome::AlreadyYours),
                        Some(_) => return Ok(BindOutcome::BoundToOtherAccount),
                        None => continue,
                    }
                }
                Ok(BindOutcome::BoundToOtherAccount)
            }

            async fn unbind_device(
                &self,
                serial: &str,
                account_id: i64,
            ) -> $crate::storage::StorageResult<bool> {
                let result = sqlx::query(
                    "UPDATE devices SET owner_account_id = NULL, name = NULL, added_at = NULL
                     WHERE serial = $1 AND owner_account_id = $2",
                )
                .bind(serial)
                .bind(account_id)
                .execute(&self.writer)
                .await?;
                Ok(result.rows_affected() == 1)
            }

            async fn devices_of(
                &self,
                account_id: i64,
            ) -> $crate::storage::StorageResult<Vec<hc_protocol::api::Device>> {
                use sqlx::Row;
                let rows = sqlx::query(
                    "SELECT serial, name, model, added_at FROM devices
                     WHERE owner_account_id = $1 ORDER BY added_at, serial",
                )
                .bind(account_id)
                .fetch_all(&self.pool)
                .await?;
                rows.iter()
                    .map(|row| {
                        Ok(hc_protocol::api::Device {
                            serial: row.try_get("serial")?,
                            name: row.try_get::<Option<String>, _>("name")?.unwrap_or_default(),
                            model: row.try_get("model")?,
                            added_at: row.try_get::<Option<i64>, _>("added_at")?.unwrap_or_default(),
                        })
                    })
                    .collect()
            }

            async fn count_hit(
                &self,
                bucket: &str,
                window_start: i64,
            ) -> $crate::storage::StorageResult<u64> {
                Self::hit(&self.writer, bucket, window_start).await
            }

            async fn hits(
                &self,
                bucket: &str,
                window_start: i64,
            ) -> $crate::storage::StorageResult<u64> {
                let hits: Option<i64> = sqlx::query_scalar(
                    "SELECT hits FROM rate_limit_hits WHERE bucket = $1 AND window_start = $2",
                )
                .bind(bucket)
                .bind(window_start)
                .fetch_optional(&self.pool)
                .await?;
                Ok(hits.map_or(0, |h| u64::try_from(h).unwrap_or(0)))
            }

            async fn reset_code_context(
                &self,
                access_hash: &[u8],
                serial: Option<&str>,
                now: i64,
            ) -> $crate::storage::StorageResult<Option<(i64, bool, Option<$crate::storage::DeviceRow>)>> {
                use sqlx::Row;
                // The token and the device in one read. A NULL serial matches no device.
                let row = sqlx::query(
                    "SELECT t.account_id, a.email_verified_at, d.serial, d.model, d.firmware,
                            d.sealed_key, d.label_hash, d.owner_account_id, d.name, d.added_at
                     FROM access_tokens t JOIN sessions s ON s.id = t.session_id
                     JOIN accounts a ON a.id = t.account_id
                     LEFT JOIN devices d ON d.serial = $3
                     WHERE t.token_hash = $1 AND t.expires_at > $2 AND s.revoked_at IS NULL",
                )
                .bind(access_hash)
                .bind(now)
                .bind(serial)
                .fetch_optional(&self.pool)
                .await?;
                let Some(row) = row else { return Ok(None) };
                let account_id: i64 = row.try_get("account_id")?;
                let verified = row.try_get::<Option<i64>, _>("email_verified_at")?.is_some();
                let device = match row.try_get::<Option<String>, _>("serial")? {
                    None => None,
                    Some(serial) => Some(Self::device_row(serial, &row)?),
                };
                Ok(Some((account_id, verified, device)))
            }

            async fn count_and_audit(
                &self,
                window_start: i64,
                limits: &[$crate::storage::Limit<'_>],
                allowed: &$crate::storage::NewAuditEvent,
                feed: &[$crate::storage::NewFeedEvent],
            ) -> $crate::storage::StorageResult<bool> {
                let mut tx = self.writer.begin().await?;
                let mut refused_by = None;
                for limit in limits {
                    let hits = Self::hit(&mut *tx, limit.bucket, window_start).await?;
                    if hits > u64::from(limit.allowed) {
                        refused_by = Some(limit);
                        break;
                    }
                }
                Self::insert_audit(&mut *tx, refused_by.map_or(allowed, |limit| limit.refusal))
                    .await?;
                // A refused request tells the owner nothing new: its audit row is aggregated per
                // window, so a flood cannot flood the owner's phone either.
                if refused_by.is_none() {
                    Self::insert_feed(&mut tx, feed).await?;
                }
                tx.commit().await?;
                Ok(refused_by.is_none())
            }

            async fn feed_after(
                &self,
                account_id: i64,
                after: i64,
                limit: u32,
            ) -> $crate::storage::StorageResult<Vec<hc_protocol::api::FeedEvent>> {
                let rows = sqlx::query(
                    "SELECT e.id, e.kind, e.at, e.serial, e.other_account_id, e.outcome, e.client,
                            e.transfer_id, o.email AS other_email
                     FROM feed_events e LEFT JOIN accounts o ON o.id = e.other_account_id
                     WHERE e.account_id = $1 AND e.id > $2 ORDER BY e.id LIMIT $3",
                )
                .bind(account_id)
                .bind(after)
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await?;
                rows.iter().map(Self::feed_event).collect()
            }

            async fn add_push_endpoint(
                &self,
                account_id: i64,
                kind: &str,
                url: &str,
                sealed_secret: &[u8],
                now: i64,
                max: usize,
            ) -> $crate::storage::StorageResult<Option<hc_protocol::api::PushEndpoint>> {
                use sqlx::Row;
                let row = sqlx::query(
                    "INSERT INTO push_endpoints (account_id, kind, url, sealed_secret, created_at)
                     SELECT $1, $2, $3, $4, $5
                     WHERE (SELECT COUNT(*) FROM push_endpoints WHERE account_id = $1) < $6
                     RETURNING id",
                )
                .bind(account_id)
                .bind(kind)
                .bind(url)
                .bind(sealed_secret)
                .bind(now)
                .bind(i64::try_from(max).unwrap_or(i64::MAX))
                .fetch_optional(&self.writer)
                .await?;
                match row {
                    None => Ok(None),
                    Some(row) => Ok(Some(hc_protocol::api::PushEndpoint {
                        id: row.try_get("id")?,
                        kind: kind.to_owned(),
                        url: url.to_owned(),
                        created_at: now,
                    })),
                }
            }

            async fn push_endpoints_of(
                &self,
                account_id: i64,
            ) -> $crate::storage::StorageResult<Vec<hc_protocol::api::PushEndpoint>> {
                use sqlx::Row;
                let rows = sqlx::query(
                    "SELECT id, kind, url, created_at FROM push_endpoints WHERE account_id = $1 ORDER BY id",
                )
                .bind(account_id)
                .fetch_all(&self.pool)
                .await?;
                rows.iter()
                    .map(|row| {
                        Ok(hc_protocol::api::PushEndpoint {
                            id: row.try_get("id")?,
                            kind: row.try_get("kind")?,
                            url: row.try_get("url")?,
                            created_at: row.try_get("created_at")?,
                        })
                    })
                    .collect()
            }

            async fn delete_push_endpoint(
                &self,
                account_id: i64,
                endpoint_id: i64,
            ) -> $crate::storage::StorageResult<bool> {
                let mut tx = self.writer.begin().await?;
                sqlx::query(
                    "DELETE FROM push_outbox WHERE endpoint_id IN
                     (SELECT id FROM push_endpoints WHERE id = $1 AND account_id = $2)",
                )
                .bind(endpoint_id)
                .bind(account_id)
                .execute(&mut *tx)
                .await?;
                let result = sqlx::query("DELETE FROM push_endpoints WHERE id = $1 AND account_id = $2")
                    .bind(endpoint_id)
                    .bind(account_id)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(result.rows_affected() == 1)
            }

            async fn claim_deliveries(
                &self,
                now_ms: i64,
                lease_until_ms: i64,
                lease: &str,
                limit: u32,
            ) -> $crate::storage::StorageResult<Vec<$crate::storage::ClaimedDelivery>> {
                use sqlx::Row;
                let claim =
                    $crate::storage::queries::outbox_claim("push_outbox", "id", Self::SKIP_LOCKED);
                let ids: Vec<i64> = sqlx::query(&claim)
                    .bind(now_ms)
                    .bind(lease_until_ms)
                    .bind(lease)
                    .bind(i64::from(limit))
                    .fetch_all(&self.writer)
                    .await?
                    .iter()
                    .map(|row| row.try_get("id"))
                    .collect::<Result<_, _>>()?;
                let mut claimed = Vec::with_capacity(ids.len());
                for id in ids {
                    let row = sqlx::query(
                        "SELECT x.attempts, p.id AS endpoint_id, p.account_id AS endpoint_account,
                                p.kind AS endpoint_kind, p.url, p.sealed_secret,
                                e.id, e.kind, e.at, e.serial, e.other_account_id, e.outcome,
                                e.client, e.transfer_id, o.email AS other_email
                         FROM push_outbox x
                         JOIN push_endpoints p ON p.id = x.endpoint_id
                         JOIN feed_events e ON e.id = x.event_id
                         LEFT JOIN accounts o ON o.id = e.other_account_id
                         WHERE x.id = $1",
                    )
                    .bind(id)
                    .fetch_optional(&self.writer)
                    .await?;
                    // Deleted with its endpoint meanwhile.
                    let Some(row) = row else { continue };
                    claimed.push($crate::storage::ClaimedDelivery {
                        outbox_id: id,
                        attempts: u32::try_from(row.try_get::<i64, _>("attempts")?).unwrap_or(u32::MAX),
                        target: $crate::storage::PushTarget {
                            endpoint_id: row.try_get("endpoint_id")?,
                            account_id: row.try_get("endpoint_account")?,
                            kind: row.try_get("endpoint_kind")?,
                            url: row.try_get("url")?,
                            sealed_secret: row.try_get("sealed_secret")?,
                        },
                        event: Self::feed_event(&row)?,
                    });
                }
                Ok(claimed)
            }

            async fn settle_delivery(
                &self,
                outbox_id: i64,
                lease: &str,
                settlement: &$crate::storage::Settlement,
            ) -> $crate::storage::StorageResult<()> {
                use $crate::storage::Settlement;
                let (state, due, error) = match settlement {
                    Settlement::Delivered => ("delivered", None, None),
                    Settlement::Retry { due_at_ms, error } => ("pending", Some(*due_at_ms), Some(error.as_str())),
                    Settlement::Dead { error } => ("dead", None, Some(error.as_str())),
                };
                sqlx::query(
                    "UPDATE push_outbox SET state = $3, attempts = attempts + 1,
                            due_at_ms = COALESCE($4, due_at_ms), last_error = $5,
                            lease_until_ms = NULL, lease = NULL
                     WHERE id = $1 AND lease = $2",
                )
                .bind(outbox_id)
                .bind(lease)
                .bind(state)
                .bind(due)
                .bind(error)
                .execute(&self.writer)
                .await?;
                Ok(())
            }

            async fn create_transfer(
                &self,
                transfer: &$crate::storage::NewTransfer,
            ) -> $crate::storage::StorageResult<Result<i64, $crate::storage::TransferRefusal>> {
                use $crate::storage::TransferRefusal;
                use hc_protocol::api::FeedEventKind;
                use sqlx::Row;
                let mut tx = self.writer.begin().await?;
                let used = sqlx::query(
                    "SELECT 1 AS used FROM audit_events WHERE serial = $1 AND nonce = $2
                     UNION ALL SELECT 1 AS used FROM transfers WHERE serial = $1 AND nonce = $2",
                )
                .bind(&transfer.serial)
                .bind(&transfer.nonce)
                .fetch_optional(&mut *tx)
                .await?;
                if used.is_some() {
                    return Ok(Err(TransferRefusal::NonceUsed));
                }
                let owner: Option<i64> = sqlx::query("SELECT owner_account_id FROM devices WHERE serial = $1")
                    .bind(&transfer.serial)
                    .fetch_optional(&mut *tx)
                    .await?
                    .map(|row| row.try_get("owner_account_id"))
                    .transpose()?
                    .flatten();
                if owner != Some(transfer.from_account_id) {
                    return Ok(Err(TransferRefusal::OwnerChanged));
                }
                let refused = sqlx::query(
                    "SELECT 1 AS refused FROM transfers WHERE serial = $1 AND to_account_id = $2
                     AND state = 'refused' AND settled_at > $3",
                )
                .bind(&transfer.serial)
                .bind(transfer.to_account_id)
                .bind(transfer.refused_since)
                .fetch_optional(&mut *tx)
                .await?;
                if refused.is_some() {
                    return Ok(Err(TransferRefusal::RefusedRecently));
                }
                // The unique indexes settle a race: one open request per device, one per nonce.
                let id = sqlx::query(
                    "INSERT INTO transfers (serial, from_account_id, to_account_id, nonce, state, requested_at, completes_at)
                     VALUES ($1, $2, $3, $4, 'open', $5, $6) ON CONFLICT DO NOTHING RETURNING id",
                )
                .bind(&transfer.serial)
                .bind(transfer.from_account_id)
                .bind(transfer.to_account_id)
                .bind(&transfer.nonce)
                .bind(transfer.now)
                .bind(transfer.completes_at)
                .fetch_optional(&mut *tx)
                .await?;
                let Some(id) = id else {
                    return Ok(Err(TransferRefusal::Pending));
                };
                let id: i64 = id.try_get("id")?;
                let events = Self::transfer_events(
                    FeedEventKind::TransferRequested,
                    id,
                    &transfer.serial,
                    transfer.from_account_id,
                    transfer.to_account_id,
                    transfer.now,
                );
                Self::insert_feed(&mut tx, &events).await?;
                tx.commit().await?;
                Ok(Ok(id))
            }

            async fn qr_nonce_used(
                &self,
                serial: &str,
                nonce: &str,
            ) -> $crate::storage::StorageResult<bool> {
                let used = sqlx::query(
                    "SELECT 1 AS used FROM audit_events WHERE serial = $1 AND nonce = $2
                     UNION ALL SELECT 1 AS used FROM transfers WHERE serial = $1 AND nonce = $2",
                )
                .bind(serial)
                .bind(nonce)
                .fetch_optional(&self.pool)
                .await?;
                Ok(used.is_some())
            }

            async fn transfers_of(
                &self,
                account_id: i64,
                limit: u32,
            ) -> $crate::storage::StorageResult<Vec<hc_protocol::api::Transfer>> {
                use sqlx::Row;
                let rows = sqlx::query(
                    "SELECT t.id, t.serial, t.from_account_id, t.state, t.requested_at, t.completes_at,
                            a.email AS other_email
                     FROM transfers t
                     LEFT JOIN accounts a ON a.id = CASE WHEN t.from_account_id = $1
                         THEN t.to_account_id ELSE t.from_account_id END
                     WHERE t.from_account_id = $1 OR t.to_account_id = $1
                     ORDER BY t.id DESC LIMIT $2",
                )
                .bind(account_id)
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await?;
                rows.iter()
                    .map(|row| {
                        let state: String = row.try_get("state")?;
                        let from: i64 = row.try_get("from_account_id")?;
                        let other: Option<String> = row.try_get("other_email")?;
                        Ok(hc_protocol::api::Transfer {
                            id: row.try_get("id")?,
                            serial: row.try_get("serial")?,
                            role: if from == account_id { "owner" } else { "requester" }.to_owned(),
                            state: hc_protocol::api::TransferState::parse(&state).ok_or_else(|| {
                                $crate::storage::StorageError::Corrupt(format!("transfer state {state:?}"))
                            })?,
                            other_account: $crate::email::mask_email(other.as_deref().unwrap_or_default()),
                            requested_at: row.try_get("requested_at")?,
                            completes_at: row.try_get("completes_at")?,
                        })
                    })
                    .collect()
            }

            async fn decide_transfer(
                &self,
                transfer_id: i64,
                owner_account_id: i64,
                decision: $crate::storage::TransferDecision,
                now: i64,
            ) -> $crate::storage::StorageResult<Option<$crate::storage::SettledTransfer>> {
                use $crate::storage::TransferDecision;
                use hc_protocol::api::FeedEventKind;
                let (state, kind) = match decision {
                    TransferDecision::Approve => ("approved", FeedEventKind::TransferApproved),
                    TransferDecision::Refuse => ("refused", FeedEventKind::TransferRefused),
                };
                let mut tx = self.writer.begin().await?;
                let Some(settled) = Self::settle_transfer(&mut tx, transfer_id, Some(owner_account_id), state, now).await? else {
                    return Ok(None);
                };
                let moved = decision == TransferDecision::Refuse
                    || Self::move_device(&mut tx, &settled, now).await?;
                if moved {
                    let events = Self::transfer_events(kind, settled.0.id, &settled.1, settled.0.from_account_id, settled.0.to_account_id, now);
                    Self::insert_feed(&mut tx, &events).await?;
                }
                tx.commit().await?;
                Ok(Some(settled.0))
            }

            async fn complete_due_transfers(
                &self,
                now: i64,
            ) -> $crate::storage::StorageResult<Vec<$crate::storage::SettledTransfer>> {
                use hc_protocol::api::FeedEventKind;
                use sqlx::Row;
                let due: Vec<i64> = sqlx::query(
                    "SELECT id FROM transfers WHERE state = 'open' AND completes_at <= $1 ORDER BY id LIMIT 100",
                )
                .bind(now)
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map(|row| row.try_get("id"))
                .collect::<Result<_, _>>()?;
                let mut completed = Vec::new();
                for id in due {
                    let mut tx = self.writer.begin().await?;
                    // Conditional on `open`: of several instances, one completes it.
                    let Some(settled) = Self::settle_transfer(&mut tx, id, None, "completed", now).await? else {
                        continue;
                    };
                    if Self::move_device(&mut tx, &settled, now).await? {
                        let events = Self::transfer_events(FeedEventKind::TransferCompleted, id, &settled.1, settled.0.from_account_id, settled.0.to_account_id, now);
                        Self::insert_feed(&mut tx, &events).await?;
                        completed.push(settled.0);
                    }
                    tx.commit().await?;
                }
                Ok(completed)
            }

            async fn delivery_state(
                &self,
                event_id: i64,
                endpoint_id: i64,
            ) -> $crate::storage::StorageResult<Option<$crate::storage::DeliveryState>> {
                use sqlx::Row;
                let row = sqlx::query(
                    "SELECT state, attempts FROM push_outbox WHERE event_id = $1 AND endpoint_id = $2",
                )
                .bind(event_id)
                .bind(endpoint_id)
                .fetch_optional(&self.pool)
                .await?;
                match row {
                    None => Ok(None),
                    Some(row) => Ok(Some($crate::storage::DeliveryState {
                        state: row.try_get("state")?,
                        attempts: u32::try_from(row.try_get::<i64, _>("attempts")?).unwrap_or(u32::MAX),
                    })),
                }
            }

            async fn record_audit(
                &self,
                event: &$crate::storage::NewAuditEvent,
            ) -> $crate::storage::StorageResult<()> {
                Self::insert_audit(&self.writer, event).await
            }

            async fn audit_of(
                &self,
                account_id: i64,
                before: Option<i64>,
                limit: u32,
            ) -> $crate::storage::StorageResult<Vec<hc_protocol::api::AuditEvent>> {
                use sqlx::Row;
                let rows = sqlx::query($crate::storage::queries::AUDIT_PAGE)
                .bind(account_id)
                .bind(before.unwrap_or(i64::MAX))
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await?;
                rows.iter()
                    .map(|row| {
                        let outcome: String = row.try_get("outcome")?;
                        let requester: i64 = row.try_get("account_id")?;
                        let theirs = requester != account_id;
                        Ok(hc_protocol::api::AuditEvent {
                            id: row.try_get("id")?,
                            at: row.try_get("at")?,
                            serial: row.try_get("serial")?,
                            nonce: row.try_get("nonce")?,
                            outcome: hc_protocol::api::AuditOutcome::parse(&outcome).ok_or_else(
                                || $crate::storage::StorageError::Corrupt(format!("audit outcome {outcome:?}")),
                            )?,
                            // Another account's address is its own business.
                            client_addr: if theirs { None } else { row.try_get("client_addr")? },
                            actor: if theirs {
                                let email: Option<String> = row.try_get("requester_email")?;
                                hc_protocol::api::AuditActor::OtherAccount {
                                    masked_email: $crate::email::mask_email(email.as_deref().unwrap_or_default()),
                                }
                            } else {
                                hc_protocol::api::AuditActor::You
                            },
                            count: u64::try_from(row.try_get::<i64, _>("count")?).unwrap_or(1),
                        })
                    })
                    .collect()
            }

            async fn purge_expired(
                &self,
                now: i64,
                window_cutoff: i64,
            ) -> $crate::storage::StorageResult<()> {
                sqlx::query("DELETE FROM access_tokens WHERE expires_at <= $1")
                    .bind(now)
                    .execute(&self.writer)
                    .await?;
                sqlx::query("DELETE FROM refresh_tokens WHERE expires_at <= $1")
                    .bind(now)
                    .execute(&self.writer)
                    .await?;
                sqlx::query("DELETE FROM rate_limit_hits WHERE window_start < $1")
                    .bind(window_cutoff)
                    .execute(&self.writer)
                    .await?;
                sqlx::query("DELETE FROM account_codes WHERE expires_at <= $1")
                    .bind(now)
                    .execute(&self.writer)
                    .await?;
                // Sent mail is kept a week for operators (its message is gone already).
                sqlx::query("DELETE FROM mail_outbox WHERE state = 'sent' AND created_at < $1")
                    .bind(now.saturating_sub(7 * 24 * 3600).saturating_mul(1000))
                    .execute(&self.writer)
                    .await?;
                Ok(())
            }

            async fn purge_audit(&self, cutoff: i64) -> $crate::storage::StorageResult<u64> {
                let result = sqlx::query("DELETE FROM audit_events WHERE at < $1")
                    .bind(cutoff)
                    .execute(&self.writer)
                    .await?;
                Ok(result.rows_affected())
            }

            async fn ping(&self) -> $crate::storage::StorageResult<()> {
                sqlx::query("SELECT 1").execute(&self.pool).await?;
                Ok(())
            }

            async fn close(&self) {
                self.pool.close().await;
                self.writer.close().await;
            }

            fn pool_use(&self) -> $crate::storage::PoolUse {
                $crate::storage::PoolUse {
                    open: self.pool.size(),
                    idle: u32::try_from(self.pool.num_idle()).unwrap_or(u32::MAX),
                }
            }
        }
    };
}

pub(crate) use sql_storage;
