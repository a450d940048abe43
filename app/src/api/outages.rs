//! Outages in the console: any staff member sees them; those with the network right declare
//! and end them (checked, and audited, in `server::staff::outages`).

use leptos::prelude::*;

use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::server::{access::require_staff, staff::outages};
use crate::types::outages::{DeclaredOutage, OutagesPage};

/// Outages on, and those ended in the last 90 days.
#[server(prefix = "/api", endpoint = "staff-outages")]
pub async fn staff_outages() -> Result<OutagesPage, AppError> {
    super::respond(
        async move {
            let (portal, staff) = require_staff().await?;
            outages::page(&portal, &staff).await
        }
        .await,
    )
}

/// Declares an outage for an area (`scope_kind` `area`: a postal-code prefix), a plan
/// (`plan`: its code) or an access server (`device`: its address). `starts_at` is the
/// provider's local time (`2026-11-10T08:00`), empty for now.
#[server(prefix = "/api", endpoint = "declare-outage")]
pub async fn declare_outage(
    title: String,
    message: String,
    scope_kind: String,
    scope_value: String,
    #[server(default)] starts_at: String,
) -> Result<DeclaredOutage, AppError> {
    super::respond(
        async move {
            let (portal, staff) = require_staff().await?;
            outages::declare(
                &portal,
                &staff,
                &title,
                &message,
                &scope_kind,
                &scope_value,
                &starts_at,
            )
            .await
        }
        .await,
    )
}

/// Ends an outage, now or at `ends_at` (the provider's local time). The console's button is
/// a plain form: it comes back to the outages page.
#[server(prefix = "/api", endpoint = "end-outage")]
pub async fn end_outage(id: i64, #[server(default)] ends_at: String) -> Result<(), AppError> {
    super::respond(
        async move {
            let (portal, staff) = require_staff().await?;
            outages::end(&portal, &staff, id, &ends_at).await?;
            leptos_axum::redirect("/staff/outages");
            Ok(())
        }
        .await,
    )
}
