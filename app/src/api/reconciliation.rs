//! Reconciliation in the console: billing staff and administrators see the runs and
//! resolve mismatches (checked, and audited, in `server::staff::reconciliation`).

use leptos::prelude::*;

use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::server::{access::require_staff, staff::reconciliation};
use crate::types::reconciliation::ReconciliationPage;

/// The latest runs, and the mismatches of `run` (else the latest run).
#[server(prefix = "/api", endpoint = "staff-reconciliation")]
pub async fn staff_reconciliation(
    #[server(default)] run: Option<i64>,
) -> Result<ReconciliationPage, AppError> {
    super::respond(
        async move {
            let (portal, staff) = require_staff().await?;
            reconciliation::page(&portal, &staff, run).await
        }
        .await,
    )
}

/// Marks a mismatch resolved with a note. The console's form is a plain form: it comes
/// back to the run's page.
#[server(prefix = "/api", endpoint = "resolve-mismatch")]
pub async fn resolve_mismatch(id: i64, note: String) -> Result<(), AppError> {
    super::respond(
        async move {
            let (portal, staff) = require_staff().await?;
            let run = reconciliation::resolve(&portal, &staff, id, &note).await?;
            leptos_axum::redirect(&format!("/staff/reconciliation?run={run}#mismatch-{id}"));
            Ok(())
        }
        .await,
    )
}
