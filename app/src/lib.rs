//! Lastmile's portal, shared by the server (`ssr`) and the browser (`hydrate`).
//!
//! - `routes/`: one page per file; `components/`: pieces the pages share;
//! - `api/`: the server functions, thin adapters over `server/`;
//! - `types`: what crosses the wire; `error`: the one error type that does;
//! - `i18n/`: every user-facing string and every money, date and size format;
//! - `server/` (only with `ssr`): who may see what (`access`), sessions, sign-in, email, and
//!   the queries, grouped by aggregate.

#![recursion_limit = "256"]

pub mod api;
pub mod components;
pub mod error;
pub mod i18n;
pub mod routes;
pub mod types;

#[cfg(feature = "ssr")]
pub mod server;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, Link, Meta, MetaTags, Stylesheet, Title};
use leptos_router::{
    components::{ParentRoute, Route, Router, Routes},
    path,
};

/// The HTML document around the app, rendered on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// The portal's routes.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Stylesheet id="leptos" href="/pkg/lastmile.css" />
        <Link rel="icon" href="data:," />
        <Meta name="description" content="Your broadband account: usage, statements and service history." />
        <Title formatter=|text: String| if text.is_empty() { "Lastmile".to_string() } else { format!("{text} · Lastmile") } />
        <Router>
            <Routes fallback=routes::not_found::NotFound>
                <Route path=path!("/sign-in") view=routes::sign_in::SignInPage />
                <Route path=path!("/forgot-password") view=routes::password_reset::ForgotPasswordPage />
                <Route path=path!("/reset-password") view=routes::password_reset::ResetPasswordPage />
                <ParentRoute path=path!("") view=components::layout::PortalLayout>
                    <Route path=path!("") view=routes::overview::OverviewPage />
                    <Route path=path!("usage") view=routes::usage::UsagePage />
                    <Route path=path!("statements") view=routes::statements::StatementsPage />
                    <Route path=path!("statements/:id") view=routes::statement::StatementPage />
                    <Route path=path!("history") view=routes::history::HistoryPage />
                </ParentRoute>
            </Routes>
        </Router>
    }
}

/// Entry point of the WebAssembly bundle: hydrates the server-rendered page.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(App);
}
