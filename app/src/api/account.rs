//! Who is signed in, the overview and the service history.

use leptos::prelude::*;

use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::server::{
    access::{frame, require_viewer},
    accounts, history,
};
use crate::types::{HistoryPage, Me, Overview};

/// Who is signed in: what the page frame shows (pages get it with the sign-in check).
#[server(prefix = "/api", endpoint = "me")]
pub async fn current_subscriber() -> Result<Me, AppError> {
    super::respond(
        async move {
            let (portal, access) = require_viewer().await?;
            frame(&portal, &access).await
        }
        .await,
    )
}

/// Balance, plan, usage so far, latest statement, last payment, open tickets.
#[server(prefix = "/api", endpoint = "overview")]
pub async fn load_overview() -> Result<Overview, AppError> {
    super::respond(
        async move {
            let (portal, access) = require_viewer().await?;
            accounts::overview(&portal.pool, &portal.config.billing, &access).await
        }
        .await,
    )
}

/// The account's service history, newest first, optionally of one kind.
#[server(prefix = "/api", endpoint = "history")]
pub async fn history(kind: Option<String>, before: Option<i64>) -> Result<HistoryPage, AppError> {
    super::respond(
        async move {
            let (portal, access) = require_viewer().await?;
            history::page(
                &portal.pool,
                &access,
                kind.as_deref().filter(|k| !k.is_empty()),
                before,
            )
            .await
        }
        .await,
    )
}

/// Chooses the language of the subscriber's pages (the switcher at the foot of every page,
/// a plain form: no code in the browser) and goes back to the page it was chosen on.
#[server(prefix = "/api", endpoint = "language")]
pub async fn choose_language(language: String, next: Option<String>) -> Result<(), AppError> {
    super::respond(
        async move {
            let lang = crate::i18n::Lang::from_tag(&language)
                .filter(|lang| lang.code() == language)
                .ok_or(AppError::BadRequest)?;
            crate::server::language::choose(lang).await?;
            let back = next
                .as_deref()
                .and_then(crate::server::auth::local_path)
                .unwrap_or_else(|| "/".into());
            leptos_axum::redirect(&back);
            Ok(())
        }
        .await,
    )
}
