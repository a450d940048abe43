//! Statements.

use leptos::prelude::*;

use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::server::{
    access::{require_subscriber, require_viewer},
    statements,
};
use crate::types::{DisputeLine, StatementDetail, StatementSummary};

#[server(prefix = "/api", endpoint = "statements")]
pub async fn list_statements() -> Result<Vec<StatementSummary>, AppError> {
    super::respond(
        async move {
            let (portal, access) = require_viewer().await?;
            statements::list(&portal.pool, &access).await
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "statement")]
pub async fn statement(id: i64) -> Result<StatementDetail, AppError> {
    super::respond(
        async move {
            let (portal, access) = require_viewer().await?;
            statements::detail(&portal.pool, &access, id).await
        }
        .await,
    )
}

/// One statement line, for the page where the subscriber questions it.
#[server(prefix = "/api", endpoint = "dispute-line")]
pub async fn load_dispute_line(statement_id: i64, line_id: i64) -> Result<DisputeLine, AppError> {
    super::respond(
        async move {
            let (portal, access) = require_viewer().await?;
            statements::dispute_line(&portal.pool, &access, statement_id, line_id).await
        }
        .await,
    )
}

/// Questions a charge: opens a dispute ticket tied to the line, then shows it. Only the
/// subscriber themselves (staff viewing as them cannot speak for them).
#[server(prefix = "/api", endpoint = "open-dispute")]
pub async fn open_dispute(
    statement_id: i64,
    line_id: i64,
    amount: String,
    message: String,
) -> Result<(), AppError> {
    super::respond(
        async move {
            let (portal, access) = require_subscriber().await?;
            let number = statements::open_dispute(
                &portal,
                &access,
                statement_id,
                line_id,
                &amount,
                &message,
            )
            .await?;
            leptos_axum::redirect(&format!("/support/{number}"));
            Ok(())
        }
        .await,
    )
}
