//! Support tickets: the subscriber's requests (`/support`) and the console's queue and
//! conversation (`/staff/tickets`).
//!
//! Reading is for the subscriber and staff viewing as them; opening and answering a request
//! needs the subscriber themselves (a rep viewing the account is refused, read-only). The
//! console's functions need a staff sign-in. Every write is a form post that works without
//! the page's code: on success it sends the browser back to the ticket.

use leptos::prelude::*;

use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::server::{
    access::{require_staff, require_subscriber, require_viewer},
    staff::Right,
    tickets,
};
use crate::types::tickets::{Queue, StaffTicket, SupportPage, SupportTicket};

/// The account's requests, the latest updated first.
#[server(prefix = "/api", endpoint = "support-tickets")]
pub async fn load_support_page() -> Result<SupportPage, AppError> {
    super::respond(
        async move {
            let (portal, access) = require_viewer().await?;
            tickets::list(&portal.pool, &access).await
        }
        .await,
    )
}

/// One of the account's requests and its conversation.
#[server(prefix = "/api", endpoint = "support-ticket")]
pub async fn load_support_ticket(number: String) -> Result<SupportTicket, AppError> {
    super::respond(
        async move {
            let (portal, access) = require_viewer().await?;
            tickets::detail(&portal.pool, &access, &number).await
        }
        .await,
    )
}

/// Opens a request (billing, technical or general). Answers its number.
#[server(prefix = "/api", endpoint = "open-ticket")]
pub async fn open_ticket(
    category: String,
    subject: String,
    message: String,
) -> Result<String, AppError> {
    super::respond(
        async move {
            let (portal, access) = require_subscriber().await?;
            let number = tickets::open(&portal, &access, &category, &subject, &message).await?;
            leptos_axum::redirect(&format!("/support/{number}?sent=opened"));
            Ok(number)
        }
        .await,
    )
}

/// The subscriber answers on one of their requests.
#[server(prefix = "/api", endpoint = "reply-ticket")]
pub async fn reply_to_ticket(number: String, message: String) -> Result<(), AppError> {
    super::respond(
        async move {
            let (portal, access) = require_subscriber().await?;
            tickets::reply(&portal, &access, &number, &message).await?;
            leptos_axum::redirect(&format!("/support/{}?sent=reply#latest", number.trim()));
            Ok(())
        }
        .await,
    )
}

/// The console's queue. `status`: one of `types::tickets::QUEUE_VIEWS` (default: open and
/// pending); `mine`: any value for "assigned to me".
#[server(prefix = "/api", endpoint = "ticket-queue")]
pub async fn load_ticket_queue(
    status: Option<String>,
    mine: Option<String>,
) -> Result<Queue, AppError> {
    super::respond(
        async move {
            let (portal, staff) = require_staff().await?;
            staff.require(Right::Support)?;
            let mine = mine.is_some_and(|m| !m.is_empty() && m != "false");
            tickets::queue(&portal, &staff, status.as_deref(), mine).await
        }
        .await,
    )
}

/// Any ticket with its conversation, for staff.
#[server(prefix = "/api", endpoint = "staff-ticket")]
pub async fn load_staff_ticket(number: String) -> Result<StaffTicket, AppError> {
    super::respond(
        async move {
            let (portal, staff) = require_staff().await?;
            staff.require(Right::Support)?;
            tickets::staff_detail(&portal.pool, &staff, &number).await
        }
        .await,
    )
}

/// Staff answer the subscriber; `status` is what the reply leaves the ticket as (`pending`,
/// the default, `resolved` or `closed`).
#[server(prefix = "/api", endpoint = "staff-reply-ticket")]
pub async fn staff_reply_to_ticket(
    number: String,
    message: String,
    status: Option<String>,
) -> Result<(), AppError> {
    super::respond(
        async move {
            let (portal, staff) = require_staff().await?;
            staff.require(Right::Support)?;
            tickets::staff_reply(&portal, &staff, &number, &message, status.as_deref()).await?;
            leptos_axum::redirect(&format!(
                "/staff/tickets/{}?saved=reply#latest",
                number.trim()
            ));
            Ok(())
        }
        .await,
    )
}

/// Assigns the ticket to the caller (`to` = `me`) or to nobody (`to` = `nobody`).
#[server(prefix = "/api", endpoint = "assign-ticket")]
pub async fn assign_ticket(number: String, to: String) -> Result<(), AppError> {
    super::respond(
        async move {
            let (portal, staff) = require_staff().await?;
            staff.require(Right::Support)?;
            let to_me = match to.as_str() {
                "me" => true,
                "nobody" => false,
                _ => {
                    return Err(AppError::InvalidInput {
                        field: "to".into(),
                        message: "Assign the ticket to yourself or to nobody.".into(),
                    })
                }
            };
            tickets::assign(&portal.pool, &staff, &number, to_me).await?;
            leptos_axum::redirect(&format!("/staff/tickets/{}?saved=assigned", number.trim()));
            Ok(())
        }
        .await,
    )
}

/// Changes a ticket's status without a message.
#[server(prefix = "/api", endpoint = "set-ticket-status")]
pub async fn set_ticket_status(number: String, status: String) -> Result<(), AppError> {
    super::respond(
        async move {
            let (portal, staff) = require_staff().await?;
            staff.require(Right::Support)?;
            tickets::set_status(&portal.pool, &staff, &number, &status).await?;
            leptos_axum::redirect(&format!("/staff/tickets/{}?saved=status", number.trim()));
            Ok(())
        }
        .await,
    )
}

/// Accepts a dispute: the disputed amount is credited (with an optional note to the
/// subscriber), or, beyond the caller's limits, sent for a second person's approval.
#[server(prefix = "/api", endpoint = "accept-dispute")]
pub async fn accept_dispute(number: String, note: Option<String>) -> Result<(), AppError> {
    super::respond(
        async move {
            let (portal, staff) = require_staff().await?;
            staff.require(Right::Support)?;
            let note = note.filter(|n| !n.trim().is_empty());
            let decided = tickets::decide(
                &portal,
                &staff,
                &number,
                engine::disputes::Decision::Accept { note },
            )
            .await?;
            let saved = match decided {
                engine::disputes::Decided::AwaitingApproval { .. } => "approval",
                _ => "decided",
            };
            leptos_axum::redirect(&format!("/staff/tickets/{}?saved={saved}", number.trim()));
            Ok(())
        }
        .await,
    )
}

/// Rejects a dispute: the charge stands, for the explanation the subscriber reads.
#[server(prefix = "/api", endpoint = "reject-dispute")]
pub async fn reject_dispute(number: String, explanation: String) -> Result<(), AppError> {
    super::respond(
        async move {
            let (portal, staff) = require_staff().await?;
            staff.require(Right::Support)?;
            tickets::decide(
                &portal,
                &staff,
                &number,
                engine::disputes::Decision::Reject { explanation },
            )
            .await?;
            leptos_axum::redirect(&format!("/staff/tickets/{}?saved=decided", number.trim()));
            Ok(())
        }
        .await,
    )
}
