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

/// Buys a data add-on for the service's current cycle. A plain form post from the usage
/// page or the overview: `seq` is the number the add-on would have in the cycle as the page
/// showed it, so a repeated post buys nothing more; `pay` is the button pressed, `card`
/// (pay now, the price with its tax) or `statement` (the default: on the next statement).
/// On success it goes where `data_cap::buy` says (the usage page with a notice, the
/// receipt of the card payment, or the pay page); a plain form post that fails goes back
/// with the error's code.
#[server(prefix = "/api", endpoint = "buy-data-addon")]
pub async fn buy_data_addon(
    service_id: i64,
    seq: i16,
    pay: Option<String>,
) -> Result<(), AppError> {
    let result = async move {
        let (portal, access) = require_acting().await?;
        let pay = match pay.as_deref() {
            None | Some("statement") => engine::data_addons::PayBy::NextStatement,
            Some("card") => engine::data_addons::PayBy::Card,
            Some(_) => {
                return Err(AppError::InvalidInput {
                    field: "pay".into(),
                    message: "Choose the next bill or a card.".into(),
                })
            }
        };
        data_cap::buy(&portal, &access, service_id, seq, pay).await
    }
    .await;
    match result {
        Ok(next) => {
            leptos_axum::redirect(&next);
            Ok(())
        }
        Err(error) => {
            super::plans::back_with(&error, "/usage");
            super::respond(Err(error))
        }
    }
}
