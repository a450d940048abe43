//! Statements.

use leptos::prelude::*;

use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::server::{access::require_viewer, statements};
use crate::types::{StatementDetail, StatementSummary};

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
