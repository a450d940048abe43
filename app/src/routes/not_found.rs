//! The page for an unknown address: inside the subscriber's frame (header and menu) when
//! they are signed in, on its own otherwise.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::layout::{page_frame, PortalFrame};
use crate::i18n::use_i18n;
use crate::types::Me;

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
    match page_frame::<Me>() {
        Some(me) => view! { <PortalFrame me><NotFoundBody /></PortalFrame> }.into_any(),
        None => view! { <main id="content" class="narrow"><NotFoundBody /></main> }.into_any(),
    }
}

#[component]
fn NotFoundBody() -> impl IntoView {
    let t = use_i18n().t;
    view! {
        <Title text=t.not_found_title />
        <h1>{t.not_found_title}</h1>
        <p>{t.not_found_body}</p>
        <p><a href="/">"← " {t.nav_overview}</a></p>
    }
}
