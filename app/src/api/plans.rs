//! Changing plans: the plans page, a change's preview, confirming and cancelling a change.
//!
//! The two that change something are plain form posts (they work without the page's code):
//! on success they redirect to the plans page with a notice; a plain form post that fails
//! is sent back to the preview with the error's code (a call from code gets the error's own
//! status, 409 for a change another tab made first).

use leptos::prelude::*;

use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::server::{
    access::{require_acting, require_viewer},
    plans,
};
use crate::types::plans::{PlanChangePreview, PlansPage};

/// Each service's plan, a change waiting, and the plans it may change to.
#[server(prefix = "/api", endpoint = "plans-page")]
pub async fn load_plans_page() -> Result<PlansPage, AppError> {
    super::respond(
        async move {
            let (portal, access) = require_viewer().await?;
            plans::page(&portal, &access).await
        }
        .await,
    )
}

/// What changing the service to the plan would do, computed by the billing engine.
#[server(prefix = "/api", endpoint = "plan-change-preview")]
pub async fn preview_plan_change(
    service_id: i64,
    plan_id: i64,
) -> Result<PlanChangePreview, AppError> {
    super::respond(
        async move {
            let (portal, access) = require_viewer().await?;
            plans::preview(&portal, &access, service_id, plan_id).await
        }
        .await,
    )
}

/// Confirms a change. `seen_plan_id` is the plan the preview was made from (a change made
/// meanwhile in another tab is a conflict); `accepted_fee` is sent by the ticked box that
/// accepts an early termination fee.
#[server(prefix = "/api", endpoint = "change-plan")]
pub async fn change_plan(
    service_id: i64,
    plan_id: i64,
    seen_plan_id: i64,
    accepted_fee: Option<String>,
) -> Result<(), AppError> {
    let result = async move {
        let (portal, access) = require_acting().await?;
        plans::change(
            &portal,
            &access,
            service_id,
            plan_id,
            seen_plan_id,
            accepted_fee.as_deref(),
        )
        .await
    }
    .await;
    match result {
        Ok(applied) => {
            leptos_axum::redirect(if applied {
                "/plans?changed=applied"
            } else {
                "/plans?changed=scheduled"
            });
            Ok(())
        }
        Err(error) => {
            back_with(&error, &format!("/plans/{service_id}/{plan_id}"));
            super::respond(Err(error))
        }
    }
}

/// Cancels a change waiting for the next billing period.
#[server(prefix = "/api", endpoint = "cancel-plan-change")]
pub async fn cancel_plan_change(change_id: i64) -> Result<(), AppError> {
    let result = async move {
        let (portal, access) = require_acting().await?;
        plans::cancel(&portal, &access, change_id).await
    }
    .await;
    match result {
        Ok(()) => {
            leptos_axum::redirect("/plans?cancelled=1");
            Ok(())
        }
        Err(error) => {
            back_with(&error, "/plans");
            super::respond(Err(error))
        }
    }
}

/// For a plain form post, sends the browser to `page` with the error's code to show.
#[cfg(feature = "ssr")]
pub(crate) fn back_with(error: &AppError, page: &str) {
    let plain_form_post = use_context::<http::request::Parts>()
        .and_then(|p| {
            p.headers
                .get(http::header::ACCEPT)
                .and_then(|v| v.to_str().ok())
                .map(|v| v.contains("text/html"))
        })
        .unwrap_or(false);
    if plain_form_post {
        if *error == AppError::Unauthenticated {
            leptos_axum::redirect("/sign-in?expired=1");
        } else {
            leptos_axum::redirect(&format!("{page}?error={}", error.code()));
        }
    }
}
