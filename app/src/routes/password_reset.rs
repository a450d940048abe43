//! Asking for a reset link, and choosing a new password from one.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::sign_in::{field_error, focus_first_problem, form_error};
use crate::api::auth::{RequestPasswordReset, ResetPassword};
use crate::components::layout::LanguageSwitcher;
use crate::i18n::use_i18n;

#[component]
pub fn ForgotPasswordPage() -> impl IntoView {
    let t = use_i18n().t;
    view! {
        <Title text=t.forgot_title />
        <main id="content" class="narrow auth-page">
            <p class="brand brand-large">{t.app_name}</p>
            <h1>{t.forgot_title}</h1>
            <ForgotPasswordForm />
            <p><a href="/sign-in">{t.back_to_sign_in}</a></p>
        </main>
        <footer class="site-footer"><LanguageSwitcher /></footer>
    }
}

/// An island: sends the request and says what happens next.
#[cfg_attr(
    not(any(feature = "console", feature = "payments", feature = "account")),
    island
)]
#[cfg_attr(
    any(feature = "console", feature = "payments", feature = "account"),
    component
)]
fn ForgotPasswordForm() -> impl IntoView {
    let t = use_i18n().t;
    let action = ServerAction::<RequestPasswordReset>::new();
    let error = move || action.value().get().and_then(|r| r.err());
    focus_first_problem(move || action.value().get().is_some_and(|r| r.is_err()));
    let sent = move || matches!(action.value().get(), Some(Ok(())));
    view! {
        <Show
            when=sent
            fallback=move || view! {
                <p>{t.forgot_intro}</p>
                {move || form_error(error()).map(|e| view! { <p class="notice notice-error" role="alert" tabindex="-1">{e}</p> })}
                <ActionForm action=action attr:class="stack" attr:novalidate=true>
                    <div class="field">
                        <label for="identifier">{t.sign_in_identifier}</label>
                        <input id="identifier" name="identifier" type="text" autocomplete="username" autocapitalize="none"
                            spellcheck="false" required aria-describedby="identifier-error" />
                        <p id="identifier-error" class="field-error">{move || field_error(error(), "identifier")}</p>
                    </div>
                    <button type="submit" class="button button-primary" disabled=move || action.pending().get()>{t.forgot_submit}</button>
                </ActionForm>
            }
        >
            <p class="notice notice-info" role="status" data-testid="reset-sent">{t.forgot_sent}</p>
        </Show>
    }
}

#[component]
pub fn ResetPasswordPage() -> impl IntoView {
    let t = use_i18n().t;
    let token = use_query_map()
        .read_untracked()
        .get("token")
        .unwrap_or_default();
    view! {
        <Title text=t.reset_title />
        <main id="content" class="narrow auth-page">
            <p class="brand brand-large">{t.app_name}</p>
            <h1>{t.reset_title}</h1>
            <ResetPasswordForm token />
            <p><a href="/forgot-password">{t.forgot_title}</a></p>
        </main>
        <footer class="site-footer"><LanguageSwitcher /></footer>
    }
}

/// An island: the new password, with errors beside the fields.
#[cfg_attr(
    not(any(feature = "console", feature = "payments", feature = "account")),
    island
)]
#[cfg_attr(
    any(feature = "console", feature = "payments", feature = "account"),
    component
)]
fn ResetPasswordForm(token: String) -> impl IntoView {
    let t = use_i18n().t;
    let action = ServerAction::<ResetPassword>::new();
    let error = move || action.value().get().and_then(|r| r.err());
    focus_first_problem(move || action.value().get().is_some_and(|r| r.is_err()));
    view! {
        {move || form_error(error()).map(|e| view! { <p class="notice notice-error" role="alert" tabindex="-1" data-testid="form-error">{e}</p> })}
        <ActionForm action=action attr:class="stack" attr:novalidate=true>
            <input type="hidden" name="token" value=token />
            <div class="field">
                <label for="password">{t.reset_new_password}</label>
                <input id="password" name="password" type="password" autocomplete="new-password" minlength="10" required
                    aria-describedby="password-error" />
                <p id="password-error" class="field-error">{move || field_error(error(), "password")}</p>
            </div>
            <div class="field">
                <label for="confirm">{t.reset_confirm_password}</label>
                <input id="confirm" name="confirm" type="password" autocomplete="new-password" required aria-describedby="confirm-error" />
                <p id="confirm-error" class="field-error">{move || field_error(error(), "confirm")}</p>
            </div>
            <button type="submit" class="button button-primary" disabled=move || action.pending().get()>{t.reset_submit}</button>
        </ActionForm>
    }
}
