//! Adjustments and credits from the console (billing staff and administrators).

use leptos::prelude::*;

use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::server::{access::require_staff, staff::adjustments};
use crate::types::staff::{AdjustOutcome, AdjustPage, AdjustmentRow};

/// The adjust form's page for one account.
#[server(prefix = "/api", endpoint = "adjust-page")]
pub async fn load_adjust_page(account_id: i64) -> Result<AdjustPage, AppError> {
    super::respond(
        async move {
            let (portal, staff) = require_staff().await?;
            adjustments::page(&portal, &staff, account_id).await
        }
        .await,
    )
}

/// Posts a credit or charge within the caller's limit, or asks for a second person's approval.
#[server(prefix = "/api", endpoint = "request-adjustment")]
pub async fn request_adjustment(
    account_id: i64,
    direction: String,
    amount: String,
    reason: String,
) -> Result<AdjustOutcome, AppError> {
    super::respond(
        async move {
            let (portal, staff) = require_staff().await?;
            let outcome =
                adjustments::request(&portal, &staff, account_id, &direction, &amount, &reason)
                    .await?;
            let saved = match outcome {
                AdjustOutcome::Posted => "posted",
                AdjustOutcome::AwaitingApproval => "awaiting_approval",
            };
            leptos_axum::redirect(&format!(
                "/staff/accounts/{account_id}/adjust?saved={saved}"
            ));
            Ok(outcome)
        }
        .await,
    )
}

/// Adjustments waiting for approval, and those decided this week.
#[server(prefix = "/api", endpoint = "adjustments-queue")]
pub async fn adjustments_queue() -> Result<Vec<AdjustmentRow>, AppError> {
    super::respond(
        async move {
            let (portal, staff) = require_staff().await?;
            adjustments::queue(&portal, &staff).await
        }
        .await,
    )
}

/// Approves (and posts) an adjustment someone else asked for.
#[server(prefix = "/api", endpoint = "approve-adjustment")]
pub async fn approve_adjustment(id: i64) -> Result<(), AppError> {
    super::respond(
        async move {
            let (portal, staff) = require_staff().await?;
            adjustments::approve(&portal, &staff, id).await?;
            leptos_axum::redirect("/staff/adjustments?decided=approved");
            Ok(())
        }
        .await,
    )
}

/// Turns down an adjustment someone else asked for, saying why.
#[server(prefix = "/api", endpoint = "reject-adjustment")]
pub async fn reject_adjustment(id: i64, note: String) -> Result<(), AppError> {
    super::respond(
        async move {
            let (portal, staff) = require_staff().await?;
            adjustments::reject(&portal, &staff, id, &note).await?;
            leptos_axum::redirect("/staff/adjustments?decided=rejected");
            Ok(())
        }
        .await,
    )
}
