//! Loading, empty and error states, so every page shows them the same way.

use leptos::prelude::*;

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

/// Nothing to show yet.
#[component]
pub fn Empty(text: &'static str) -> impl IntoView {
    view! { <p class="empty">{text}</p> }
}
