//! The operators' reports in the console: billing staff and administrators read one report
//! over a range of days (checked in `server::staff::reports`; the CSV download is a route
//! of its own in the server).

use leptos::prelude::*;

use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::server::{access::require_staff, staff::reports};
use crate::types::reports::ReportPage;

/// One report (`revenue`, `receivables`, `collections`, `card-payments`, `disputes`,
/// `usage`) from `from` to `to` (`YYYY-MM-DD`; by default this month so far).
#[server(prefix = "/api", endpoint = "staff-report")]
pub async fn staff_report(
    report: String,
    #[server(default)] from: Option<String>,
    #[server(default)] to: Option<String>,
) -> Result<ReportPage, AppError> {
    super::respond(
        async move {
            let (portal, staff) = require_staff().await?;
            reports::page(&portal, &staff, &report, from.as_deref(), to.as_deref()).await
        }
        .await,
    )
}
