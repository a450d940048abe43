//! Sign-in security: the subscriber's opt-in authenticator app and recovery codes
//! (`server::second_factor`), and staff turning it off for a subscriber who lost it.
//!
//! The subscriber's own functions need the subscriber themselves (`require_subscriber`:
//! staff viewing as them are refused); staff's needs a console session and is audited.

use leptos::prelude::*;

use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::server::{
    access::{require_staff, require_subscriber, require_viewer},
    second_factor,
};
#[cfg(feature = "ssr")]
use crate::types::security::AuthenticatorSetup;
use crate::types::security::{AuthenticatorAnswer, SecurityPage};

/// Whether an authenticator is set up, and how many recovery codes are left.
#[server(prefix = "/api", endpoint = "security-page")]
pub async fn load_security_page() -> Result<SecurityPage, AppError> {
    super::respond(
        async move {
            let (portal, access) = require_viewer().await?;
            let status = second_factor::status(&portal.pool, access.login_id()).await?;
            Ok(SecurityPage {
                authenticator: status.enabled,
                recovery_left: status.recovery_left,
            })
        }
        .await,
    )
}

/// The subscriber's authenticator app, one function for the page's three forms (one server
/// function's code in the browser rather than three):
/// - `start`: starts setting up (or again): the key to add to the app, not yet asked;
/// - `confirm` with `code`: a code from the app turns it on; answers the ten recovery codes,
///   shown once;
/// - `off` with `code` (from the app, or a recovery code): turns it off.
#[server(prefix = "/api", endpoint = "authenticator")]
pub async fn authenticator(
    op: String,
    #[server(default)] code: String,
) -> Result<AuthenticatorAnswer, AppError> {
    super::respond(
        async move {
            let (portal, access) = require_subscriber().await?;
            let (pool, keys, login) = (&portal.pool, &portal.config.totp_keys, access.login_id());
            let mut answer = AuthenticatorAnswer::default();
            match op.as_str() {
                "start" => {
                    let setup = second_factor::start(
                        pool,
                        keys,
                        login,
                        &portal.config.billing.provider_name,
                    )
                    .await?;
                    answer.setup = Some(AuthenticatorSetup {
                        secret: setup.secret_base32,
                        uri: setup.uri,
                    });
                }
                "confirm" => {
                    answer.recovery_codes =
                        second_factor::confirm(pool, keys, login, &code).await?;
                    audit(&portal, &access, "second_factor.enabled").await?;
                }
                "off" => {
                    second_factor::turn_off(pool, keys, login, &code).await?;
                    audit(&portal, &access, "second_factor.turned_off").await?;
                    answer.off = true;
                }
                _ => return Err(AppError::BadRequest),
            }
            Ok(answer)
        }
        .await,
    )
}

#[cfg(feature = "ssr")]
async fn audit(
    portal: &crate::server::Portal,
    access: &crate::server::access::AccountAccess,
    action: &'static str,
) -> Result<(), AppError> {
    use crate::server::staff::audit;
    audit::record(
        &portal.pool,
        audit::Entry {
            actor: audit::Actor::Subscriber {
                login_id: access.login_id(),
            },
            subject_account_id: Some(access.account_id()),
            action,
            detail: serde_json::json!({}),
            support_session_id: None,
        },
        &audit::RequestInfo::current(),
    )
    .await
}

/// Staff turn off the authenticator of the account's login (the subscriber lost their phone
/// and their recovery codes): audited, and the subscriber is emailed. The console's button is
/// a plain form: it comes back to the account, which says it is done.
#[server(prefix = "/api", endpoint = "staff-reset-authenticator")]
pub async fn staff_reset_authenticator(account_id: i64, login_id: i64) -> Result<(), AppError> {
    super::respond(
        async move {
            let (portal, staff) = require_staff().await?;
            crate::server::staff::console::reset_authenticator(
                &portal, &staff, account_id, login_id,
            )
            .await?;
            leptos_axum::redirect(&format!(
                "/staff/accounts/{account_id}?authenticator_reset=1"
            ));
            Ok(())
        }
        .await,
    )
}
