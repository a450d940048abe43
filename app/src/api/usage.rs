//! Usage, and the data cap's one action: buying a data add-on.

use chrono::NaiveDate;
use leptos::prelude::*;

use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::server::{
    access::{require_acting, require_viewer},
    data_cap, usage,
};
use crate::types::UsageReport;

/// A billing period by day (`offset` periods back, 0 = current), one day of it by hour,
/// the totals of the last 12 periods, and the current cycle's data cap.
#[server(prefix = "/api", endpoint = "usage")]
pub async fn load_usage(offset: u32, day: Option<NaiveDate>) -> Result<UsageReport, AppError> {
    super::respond(
        async move {
            let (portal, access) = require_viewer().await?;
            usage::report(&portal.pool, &portal.config.billing, &access, offset, day).await
        }
        .await,
    )
}

/// Buys a data add-on for the service's current cycle, added to the next statement. A
/// plain form post from the usage page or the overview: `seq` is the number the add-on
/// would have in the cycle as the page showed it, so a repeated post buys nothing more.
/// On success it goes back to the usage page with a notice; a plain form post that fails
/// goes back with the error's code.
#[server(prefix = "/api", endpoint = "buy-data-addon")]
pub async fn buy_data_addon(service_id: i64, seq: i16) -> Result<(), AppError> {
    let result = async move {
        let (portal, access) = require_acting().await?;
        data_cap::buy(&portal, &access, service_id, seq).await
    }
    .await;
    match result {
        Ok(_) => {
            leptos_axum::redirect("/usage?addon=bought");
            Ok(())
        }
        Err(error) => {
            super::plans::back_with(&error, "/usage");
            super::respond(Err(error))
        }
    }
}
