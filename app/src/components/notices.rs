//! Loading, empty and error states, so every page shows them the same way.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::error::AppError;
use crate::i18n::use_i18n;

/// Shown while a page's data is on its way.
#[component]
pub fn Loading() -> impl IntoView {
    let t = use_i18n().t;
    view! { <p class="loading" role="status" aria-live="polite">{t.loading}</p> }
}

/// A failure, in words; a signed-out caller is offered the sign-in page.
#[component]
pub fn ErrorNotice(error: AppError) -> impl IntoView {
    let t = use_i18n().t;
    let signed_out = error == AppError::Unauthenticated;
    view! {
        <div class="notice notice-error" role="alert" data-code=error.code()>
            <p>{(t.error)(&error)}</p>
            {signed_out.then(|| view! { <p><a href="/sign-in">{t.sign_in_title}</a></p> })}
        </div>
    }
}

/// A page that cannot be shown (another account's statement, a ticket that is not there):
/// a page title and a heading that say so, the reason, and the way back. The answer's status
/// says it too (404, 403).
#[component]
pub fn PageError(error: AppError, back_href: String, back_label: &'static str) -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        match error {
            AppError::NotFound => response.set_status(http::StatusCode::NOT_FOUND),
            AppError::Forbidden | AppError::ReadOnly => {
                response.set_status(http::StatusCode::FORBIDDEN)
            }
            _ => {}
        }
    }
    let t = use_i18n().t;
    let heading = (t.error_heading)(&error);
    view! {
        <Title text=heading />
        <h1>{heading}</h1>
        <ErrorNotice error />
        <p><a href=back_href>"← " {back_label}</a></p>
    }
}

/// Nothing to show yet.
#[component]
pub fn Empty(text: &'static str) -> impl IntoView {
    view! { <p class="empty">{text}</p> }
}
