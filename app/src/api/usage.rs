//! Usage.

use chrono::NaiveDate;
use leptos::prelude::*;

use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::server::{access::require_viewer, usage};
use crate::types::UsageReport;

/// A billing period by day (`offset` periods back, 0 = current), one day of it by hour,
/// and the totals of the last 12 periods.
#[server(prefix = "/api", endpoint = "usage")]
pub async fn load_usage(offset: u32, day: Option<NaiveDate>) -> Result<UsageReport, AppError> {
    super::respond(
        async move {
            let (portal, access) = require_viewer().await?;
            usage::report(&portal.pool, &access, offset, day).await
        }
        .await,
    )
}
