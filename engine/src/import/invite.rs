//! Inviting imported subscribers to the portal, at cut-over (`lastmile import invite`):
//! each login made by the import without a password gets one email with a set-your-password
//! link (a password-reset token that lasts [`INVITATION_DAYS`]), once. The import itself
//! invites nobody, so an operator can import, re-import and prove the shadow bill first.

use base64::Engine as _;
use rand::Rng;
use sha2::{Digest, Sha256};
use sqlx::PgPool;

use crate::config::EngineConfig;
use crate::mail::{self, Notice, LOCALE_SQL};
use crate::EngineError;

/// How long an invitation's link works.
pub const INVITATION_DAYS: u32 = 14;
/// Invitations per transaction.
const BATCH: i64 = 500;

/// What a run sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Invited {
    pub sent: u64,
    /// Imported logins still without a password and not yet invited (beyond `limit`).
    pub waiting: u64,
}

#[derive(sqlx::FromRow)]
struct Invitee {
    login_id: i64,
    account_id: i64,
    account_number: String,
    email: String,
    first_name: String,
    locale: String,
}

/// Queues at most `limit` invitations (all when `None`) in the email outbox.
pub async fn invite(
    pool: &PgPool,
    config: &EngineConfig,
    limit: Option<u64>,
) -> Result<Invited, EngineError> {
    let mut sent = 0u64;
    loop {
        let take = match limit {
            Some(limit) if sent >= limit => break,
            Some(limit) => BATCH.min((limit - sent) as i64),
            None => BATCH,
        };
        let mut tx = pool.begin().await?;
        let invitees: Vec<Invitee> = sqlx::query_as(&format!(
            "select l.id as login_id, a.id as account_id, a.account_number, l.email::text as email,
                    p.first_name, {LOCALE_SQL} as locale
               from portal_logins l
               join accounts a on a.id = l.account_id
               join people p on p.id = l.person_id
              where l.password_hash is null and l.invited_at is null and l.disabled_at is null
                and a.status <> 'closed'
              order by l.id
              limit $1
                for update of l skip locked"
        ))
        .bind(take)
        .fetch_all(&mut *tx)
        .await?;
        if invitees.is_empty() {
            break;
        }
        let mut emails = Vec::with_capacity(invitees.len());
        let mut hashes = Vec::with_capacity(invitees.len());
        let mut ids = Vec::with_capacity(invitees.len());
        for i in &invitees {
            let raw: [u8; 32] = rand::thread_rng().gen();
            let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw);
            hashes.push(Sha256::digest(token.as_bytes()).to_vec());
            ids.push(i.login_id);
            let words = mail::words(&i.locale);
            emails.push(
                Notice {
                    kind: "invitation",
                    account_id: i.account_id,
                    to: &i.email,
                    first_name: &i.first_name,
                    words,
                    subject: (words.invitation_subject)(&config.provider_name),
                    paragraphs: vec![
                        (words.invitation)(&config.provider_name, &i.account_number),
                        (words.invitation_within)(INVITATION_DAYS),
                    ],
                    link: Some((
                        words.invitation_button,
                        format!("{}/reset-password?token={token}", config.public_url),
                    )),
                }
                .render(config)?,
            );
        }
        sqlx::query(
            "insert into password_reset_tokens (token_hash, login_id, expires_at)
             select h, l, now() + make_interval(days => $3) from unnest($1::bytea[], $2::bigint[]) as t(h, l)",
        )
        .bind(&hashes)
        .bind(&ids)
        .bind(INVITATION_DAYS as i32)
        .execute(&mut *tx)
        .await?;
        sqlx::query("update portal_logins set invited_at = now() where id = any($1)")
            .bind(&ids)
            .execute(&mut *tx)
            .await?;
        mail::enqueue_all(&mut tx, &emails).await?;
        tx.commit().await?;
        sent += invitees.len() as u64;
    }
    let waiting: i64 = sqlx::query_scalar(
        "select count(*) from portal_logins l join accounts a on a.id = l.account_id
          where l.password_hash is null and l.invited_at is null and l.disabled_at is null
            and a.status <> 'closed'",
    )
    .fetch_one(pool)
    .await?;
    Ok(Invited {
        sent,
        waiting: waiting as u64,
    })
}
