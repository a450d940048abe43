//! "Your connection", under each service on the plans page: how its line signs in to the
//! network, its username (or line identifier), and, for a PPPoE line, the password: shown
//! or changed only after the subscriber types their portal password again.
//!
//! The two password forms are one island, in the payments bundle that the plans page loads
//! (not the portal's, which every page loads): the password comes back in the answer and is
//! shown there, once, never put in the page's HTML or its address.

use leptos::prelude::*;

use crate::api::network::{ChangeConnectionPassword, RevealConnectionPassword};
use crate::i18n::use_i18n;
use crate::routes::sign_in::{field_error, focus_first_problem_in, form_error};
use crate::types::network::Connection;

/// The connection of one service. `viewed_by_staff`: staff viewing as the subscriber see the
/// username only.
#[component]
pub fn ConnectionSection(connection: Connection, viewed_by_staff: bool) -> impl IntoView {
    let n = use_i18n().t.network();
    let heading = format!("connection-{}", connection.service_id);
    let labelled_by = heading.clone();
    let has_password = connection.has_password();
    view! {
        <section class="plan-connection" aria-labelledby=labelled_by data-testid="connection">
            <h3 id=heading>{n.connection_title}</h3>
            <p class="muted">{(n.kind_intro)(&connection.kind)}</p>
            <dl class="plan-facts">
                <dt>{if has_password { n.username_label } else { n.identifier_label }}</dt>
                <dd class="mono" data-testid="connection-username">{connection.username.clone()}</dd>
                {has_password.then(|| view! {
                    <dt>{n.password_label}</dt>
                    <dd class="muted" data-testid="connection-password-hidden">{if viewed_by_staff { n.staff_viewing } else { n.password_hidden }}</dd>
                })}
            </dl>
            {(has_password && !viewed_by_staff).then(|| view! {
                <ConnectionPasswordForms service_id=connection.service_id />
            })}
        </section>
    }
}

/// Showing the password, and choosing a new one (typed twice), each after the portal
/// password; errors beside their fields.
#[cfg_attr(any(feature = "ssr", feature = "payments"), island)]
#[cfg_attr(not(any(feature = "ssr", feature = "payments")), component)]
fn ConnectionPasswordForms(service_id: i64) -> impl IntoView {
    let t = use_i18n().t;
    let n = t.network();
    let reveal = ServerAction::<RevealConnectionPassword>::new();
    let change = ServerAction::<ChangeConnectionPassword>::new();
    let reveal_error = move || reveal.value().get().and_then(|r| r.err());
    let change_error = move || change.value().get().and_then(|r| r.err());
    let id = move |what: &str| format!("connection-{service_id}-{what}");
    // Each form's refusal puts the keyboard on its own first problem.
    focus_first_problem_in(format!("#{}", id("reveal")), move || {
        reveal_error().is_some()
    });
    focus_first_problem_in(format!("#{}", id("change")), move || {
        change_error().is_some()
    });
    view! {
        <div class="connection-forms">
            <div id=id("reveal")>
            {move || form_error(reveal_error()).map(|e| view! { <p class="notice notice-error" role="alert" tabindex="-1" data-testid="form-error">{e}</p> })}
            {move || reveal.value().get().and_then(Result::ok).map(|shown| view! {
                <p class="notice notice-info" role="status">
                    {n.password_label} {t.colon} <code class="mono" data-testid="connection-password">{shown.password}</code>
                </p>
            })}
            <ActionForm action=reveal attr:class="stack" attr:novalidate=true attr:data-testid="reveal-form">
                <input type="hidden" name="service_id" value=service_id.to_string() />
                <div class="field">
                    <label for=id("reveal-current")>{n.current_password_label}</label>
                    <input id=id("reveal-current") name="current_password" type="password" autocomplete="current-password" required
                        aria-describedby=format!("{} {}", id("reveal-current-hint"), id("reveal-current-error"))
                        aria-invalid=move || field_error(reveal_error(), "current_password").is_some().to_string() />
                    <p id=id("reveal-current-hint") class="hint">{n.current_password_hint}</p>
                    <p id=id("reveal-current-error") class="field-error" data-testid="reveal-current_password-error">{move || field_error(reveal_error(), "current_password")}</p>
                </div>
                <button type="submit" class="button" data-testid="reveal-submit" disabled=move || reveal.pending().get()>{n.reveal_submit}</button>
            </ActionForm>
            </div>

            <h4>{n.change_title}</h4>
            <div id=id("change")>
            {move || form_error(change_error()).map(|e| view! { <p class="notice notice-error" role="alert" tabindex="-1" data-testid="form-error">{e}</p> })}
            {move || change.value().get().and_then(Result::ok).map(|saved| view! {
                <div class="notice notice-success" role="status" data-testid="connection-changed">
                    <p>{n.changed_notice}</p>
                    <p>{n.password_label} {t.colon} <code class="mono" data-testid="connection-new-password">{saved.password}</code></p>
                    <p class="small">{n.shown_once}</p>
                </div>
            })}
            <ActionForm action=change attr:class="stack" attr:novalidate=true attr:data-testid="change-form">
                <input type="hidden" name="service_id" value=service_id.to_string() />
                <div class="field">
                    <label for=id("change-current")>{n.current_password_label}</label>
                    <input id=id("change-current") name="current_password" type="password" autocomplete="current-password" required
                        aria-describedby=id("change-current-error")
                        aria-invalid=move || field_error(change_error(), "current_password").is_some().to_string() />
                    <p id=id("change-current-error") class="field-error" data-testid="current_password-error">{move || field_error(change_error(), "current_password")}</p>
                </div>
                <div class="field">
                    <label for=id("change-new")>{n.new_password_label}</label>
                    <input id=id("change-new") name="new_password" type="password" autocomplete="new-password" required
                        autocapitalize="none" spellcheck="false"
                        aria-describedby=format!("{} {}", id("change-new-hint"), id("change-new-error"))
                        aria-invalid=move || field_error(change_error(), "new_password").is_some().to_string() />
                    <p id=id("change-new-hint") class="hint">{n.new_password_hint}</p>
                    <p id=id("change-new-error") class="field-error" data-testid="new_password-error">{move || field_error(change_error(), "new_password")}</p>
                </div>
                <div class="field">
                    <label for=id("change-confirm")>{n.confirm_label}</label>
                    <input id=id("change-confirm") name="confirm" type="password" autocomplete="new-password" required
                        autocapitalize="none" spellcheck="false"
                        aria-describedby=id("change-confirm-error")
                        aria-invalid=move || field_error(change_error(), "confirm").is_some().to_string() />
                    <p id=id("change-confirm-error") class="field-error" data-testid="confirm-error">{move || field_error(change_error(), "confirm")}</p>
                </div>
                <button type="submit" class="button button-primary" data-testid="change-submit" disabled=move || change.pending().get()>{n.change_submit}</button>
            </ActionForm>
            </div>
        </div>
    }
}
