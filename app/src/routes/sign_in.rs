//! Signing in.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::auth::SignIn;
use crate::components::layout::LanguageSwitcher;
use crate::error::AppError;
use crate::i18n::use_i18n;

/// The message for one field of a form, if the last error was about it.
pub(crate) fn field_error(error: Option<AppError>, field: &'static str) -> Option<String> {
    let t = use_i18n().t;
    error
        .filter(|e| e.field() == Some(field))
        .map(|e| (t.error)(&e))
}

/// An error that is not about one field, for the top of a form.
pub(crate) fn form_error(error: Option<AppError>) -> Option<String> {
    let t = use_i18n().t;
    error.filter(|e| e.field().is_none()).map(|e| (t.error)(&e))
}

/// After a refused form, puts the keyboard on the first problem: the first field marked
/// invalid, else the form's error message (`tabindex="-1"`, so it can take focus). `refused`
/// tracks the form's last answer; it runs in the browser only.
pub(crate) fn focus_first_problem(refused: impl Fn() -> bool + Send + Sync + 'static) {
    focus_first_problem_in(String::new(), refused)
}

/// The same for one of several forms on a page (showing a password and changing it, approving
/// and rejecting): only the problems inside `scope` (a CSS selector, `#connection-7-change`),
/// so that another form's earlier error never takes the keyboard.
pub(crate) fn focus_first_problem_in(
    scope: String,
    refused: impl Fn() -> bool + Send + Sync + 'static,
) {
    Effect::new(move |_| {
        if refused() {
            let selector = format!(
                "{scope} [aria-invalid=\"true\"], {scope} .notice-error[role=\"alert\"][tabindex]"
            );
            request_animation_frame(move || {
                use leptos::wasm_bindgen::JsCast;
                let first = document()
                    .query_selector(&selector)
                    .ok()
                    .flatten()
                    .and_then(|e| e.dyn_into::<leptos::web_sys::HtmlElement>().ok());
                if let Some(element) = first {
                    let _ = element.focus();
                }
            });
        }
    });
}

#[component]
pub fn SignInPage() -> impl IntoView {
    let t = use_i18n().t;
    let query = use_query_map();
    let (notice, next, code_step) = {
        let q = query.read_untracked();
        let code_step = q.get("step").as_deref() == Some("code");
        let notice = if q.get("signed_out").is_some() {
            Some(t.signed_out)
        } else if q.get("reset").is_some() {
            Some(t.reset_done)
        } else if q.get("expired").is_some() {
            Some(t.sign_in_session_ended)
        } else {
            None
        };
        (notice, q.get("next").unwrap_or_default(), code_step)
    };
    let step = if code_step {
        view! {
            <h1>{t.security().code_title}</h1>
            <SignInForm next code_step=true />
            <p><a href="/sign-in">{t.security().start_again}</a></p>
        }
        .into_any()
    } else {
        view! {
            <h1>{t.sign_in_title}</h1>
            {notice.map(|n| view! { <p class="notice notice-info" role="status">{n}</p> })}
            <SignInForm next code_step=false />
            <p><a href="/forgot-password">{t.sign_in_forgot}</a></p>
        }
        .into_any()
    };
    view! {
        <Title text=if code_step { t.security().code_title } else { t.sign_in_title } />
        <main id="content" class="narrow auth-page">
            <p class="brand brand-large">{t.app_name}</p>
            {step}
        </main>
        <footer class="site-footer"><LanguageSwitcher /></footer>
    }
}

/// The sign-in form: an island, hydrated in the browser to show errors beside the fields.
/// With `code_step`, the second step: an authenticator app's code (or a recovery code).
#[cfg_attr(
    not(any(feature = "console", feature = "payments", feature = "account")),
    island
)]
#[cfg_attr(
    any(feature = "console", feature = "payments", feature = "account"),
    component
)]
fn SignInForm(next: String, code_step: bool) -> impl IntoView {
    let t = use_i18n().t;
    let action = ServerAction::<SignIn>::new();
    let error = move || action.value().get().and_then(|r| r.err());
    focus_first_problem(move || action.value().get().is_some_and(|r| r.is_err()));
    let invalid =
        move |field: &'static str| move || field_error(error(), field).is_some().to_string();
    let fields = if code_step {
        let x = t.security();
        view! {
            <input type="hidden" name="step" value="code" />
            <div class="field">
                <label for="code">{x.code_label}</label>
                <input id="code" name="code" type="text" autocomplete="one-time-code" autocapitalize="none"
                    spellcheck="false" required autofocus aria-describedby="code-hint code-error"
                    aria-invalid=invalid("code") />
                <p id="code-hint" class="hint">{x.code_hint}</p>
                <p id="code-error" class="field-error" data-testid="code-error">{move || field_error(error(), "code")}</p>
            </div>
        }
        .into_any()
    } else {
        view! {
            <div class="field">
                <label for="identifier">{t.sign_in_identifier}</label>
                <input id="identifier" name="identifier" type="text" autocomplete="username" autocapitalize="none"
                    spellcheck="false" required aria-describedby="identifier-hint identifier-error"
                    aria-invalid=invalid("identifier") />
                <p id="identifier-hint" class="hint">{t.sign_in_identifier_hint}</p>
                <p id="identifier-error" class="field-error">{move || field_error(error(), "identifier")}</p>
            </div>
            <div class="field">
                <label for="password">{t.sign_in_password}</label>
                <input id="password" name="password" type="password" autocomplete="current-password" required
                    aria-describedby="password-error" aria-invalid=invalid("password") />
                <p id="password-error" class="field-error">{move || field_error(error(), "password")}</p>
            </div>
        }
        .into_any()
    };
    view! {
        {move || form_error(error()).map(|e| view! { <p class="notice notice-error" role="alert" tabindex="-1" data-testid="form-error">{e}</p> })}
        <ActionForm action=action attr:class="stack" attr:novalidate=true>
            <input type="hidden" name="next" value=next />
            {fields}
            <button type="submit" class="button button-primary" disabled=move || action.pending().get()>{t.sign_in_submit}</button>
        </ActionForm>
    }
}
