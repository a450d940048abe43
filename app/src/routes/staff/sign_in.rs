//! Staff sign-in: email and password, then a code from the authenticator app.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::staff::{StaffSecondFactor, StaffSignIn};
use crate::i18n::use_i18n;
use crate::routes::sign_in::{field_error, focus_first_problem, form_error};

#[component]
pub fn StaffSignInPage() -> impl IntoView {
    let t = use_i18n().t;
    let s = t.staff();
    let query = use_query_map();
    let (code_step, signed_out, next) = {
        let q = query.read_untracked();
        (
            q.get("step").as_deref() == Some("code"),
            q.get("signed_out").is_some(),
            q.get("next").unwrap_or_default(),
        )
    };
    view! {
        <Title text=s.sign_in_title />
        <main id="content" class="narrow auth-page staff-auth">
            <p class="brand brand-large">{s.console_name}</p>
            {if code_step {
                view! {
                    <h1>{s.code_title}</h1>
                    <SecondFactorForm next />
                    <p><a href="/staff/sign-in">{s.start_again}</a></p>
                }
                    .into_any()
            } else {
                view! {
                    <h1>{s.sign_in_title}</h1>
                    {signed_out.then(|| view! { <p class="notice notice-info" role="status">{s.signed_out}</p> })}
                    <PasswordForm next />
                }
                    .into_any()
            }}
        </main>
    }
}

#[cfg_attr(any(feature = "ssr", feature = "console"), island)]
#[cfg_attr(not(any(feature = "ssr", feature = "console")), component)]
fn PasswordForm(next: String) -> impl IntoView {
    let s = use_i18n().t.staff();
    let action = ServerAction::<StaffSignIn>::new();
    let error = move || action.value().get().and_then(|r| r.err());
    focus_first_problem(move || action.value().get().is_some_and(|r| r.is_err()));
    view! {
        {move || form_error(error()).map(|e| view! { <p class="notice notice-error" role="alert" tabindex="-1" data-testid="form-error">{e}</p> })}
        <ActionForm action=action attr:class="stack" attr:novalidate=true>
            <input type="hidden" name="next" value=next />
            <div class="field">
                <label for="email">{s.email}</label>
                <input id="email" name="email" type="email" autocomplete="username" autocapitalize="none"
                    spellcheck="false" required aria-describedby="email-error"
                    aria-invalid=move || field_error(error(), "email").is_some().to_string() />
                <p id="email-error" class="field-error">{move || field_error(error(), "email")}</p>
            </div>
            <div class="field">
                <label for="password">{s.password}</label>
                <input id="password" name="password" type="password" autocomplete="current-password" required
                    aria-describedby="password-error"
                    aria-invalid=move || field_error(error(), "password").is_some().to_string() />
                <p id="password-error" class="field-error">{move || field_error(error(), "password")}</p>
            </div>
            <button type="submit" class="button button-primary" disabled=move || action.pending().get()>{s.continue_}</button>
        </ActionForm>
    }
}

#[cfg_attr(any(feature = "ssr", feature = "console"), island)]
#[cfg_attr(not(any(feature = "ssr", feature = "console")), component)]
fn SecondFactorForm(next: String) -> impl IntoView {
    let s = use_i18n().t.staff();
    let action = ServerAction::<StaffSecondFactor>::new();
    let error = move || action.value().get().and_then(|r| r.err());
    focus_first_problem(move || action.value().get().is_some_and(|r| r.is_err()));
    view! {
        {move || form_error(error()).map(|e| view! { <p class="notice notice-error" role="alert" tabindex="-1" data-testid="form-error">{e}</p> })}
        <ActionForm action=action attr:class="stack" attr:novalidate=true>
            <input type="hidden" name="next" value=next />
            <div class="field">
                <label for="code">{s.code_label}</label>
                <input id="code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code"
                    autocapitalize="none" spellcheck="false" required autofocus
                    aria-describedby="code-hint code-error"
                    aria-invalid=move || field_error(error(), "code").is_some().to_string() />
                <p id="code-hint" class="hint">{s.code_hint}</p>
                <p id="code-error" class="field-error" data-testid="code-error">{move || field_error(error(), "code")}</p>
            </div>
            <button type="submit" class="button button-primary" disabled=move || action.pending().get()>{s.code_submit}</button>
        </ActionForm>
    }
}
