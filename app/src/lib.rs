//! Lastmile's portal, shared by the server (`ssr`) and the browser (`hydrate`).
//!
//! - `routes/`: one page per file; `components/`: pieces the pages share;
//! - `api/`: the server functions, thin adapters over `server/`;
//! - `types`: what crosses the wire; `error`: the one error type that does;
//! - `i18n/`: every user-facing string and every money, date and size format;
//! - three browser bundles are built from this crate (`scripts/build`), so a page downloads
//!   only the code of its own islands: the portal's (`hydrate`), the pages with the larger
//!   forms (`payments`: the card forms, and the connection's password forms on the plans
//!   page) and the staff console's (`console`); `bundle_for_path` says which page loads
//!   which. An island belongs to one bundle, said by the `cfg_attr` pair above it; in the
//!   others it is a plain component that is never hydrated, so its code is left out;
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
    path, SsrMode,
};

/// The subscriber's browser bundle (`lastmile.js` and its WebAssembly): the portal's forms.
pub const PORTAL_BUNDLE: &str = "lastmile";
/// The card payment pages' bundle (the card forms and Stripe.js glue, the largest islands),
/// so that every other page's first load leaves them out. Built with the `payments` feature.
pub const PAYMENTS_BUNDLE: &str = "lastmile-pay";
/// The staff console's bundle: its islands only, so subscribers never download the console.
/// Built with the `console` feature.
pub const CONSOLE_BUNDLE: &str = "lastmile-console";
/// The sign-in security page's bundle (`--features account`).
pub const ACCOUNT_BUNDLE: &str = "lastmile-account";

/// The HTML document around the app, rendered on the server.
pub fn shell(mut options: LeptosOptions) -> impl IntoView {
    options.output_name = bundle_for_this_page().into();
    // The console is in English; the subscriber's pages in their language, which their
    // islands read back from here in the browser (`i18n::page_locale`).
    let lang = if bundle_for_this_page() == CONSOLE_BUNDLE {
        "en-US".to_string()
    } else {
        i18n::page_locale()
    };
    view! {
        <!DOCTYPE html>
        <html lang=lang>
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <HydrationScripts options islands=true />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// Which bundle the page being rendered loads (a staff member viewing as a subscriber gets
/// the subscriber's pages, and so their bundles).
fn bundle_for_this_page() -> &'static str {
    #[cfg(feature = "ssr")]
    if let Some(parts) = use_context::<http::request::Parts>() {
        return bundle_for_path(parts.uri.path());
    }
    PORTAL_BUNDLE
}

/// The bundle a page at `path` loads: the console's under `/staff`, the payments' on the pages
/// with a card form (pay, pay by link, saved cards, a receipt awaiting the bank's check) and on
/// the plans page (the connection's password forms: kept out of the portal's bundle, which
/// every page loads, since the pages are in three languages), the sign-in security page's own
/// on `/security`, the portal's everywhere else. A page whose islands are not in its bundle is not interactive,
/// which the browser suite would catch.
pub fn bundle_for_path(path: &str) -> &'static str {
    let under = |prefix: &str| {
        path.strip_prefix(prefix)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    };
    if under("/staff") {
        CONSOLE_BUNDLE
    } else if under("/pay") || under("/cards") || under("/payments") || under("/plans") {
        PAYMENTS_BUNDLE
    } else if under("/security") {
        ACCOUNT_BUNDLE
    } else {
        PORTAL_BUNDLE
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
        // Pages are rendered whole on the server (data included) before they are sent, so they
        // read without JavaScript and redirects can still be answered.
        <Router>
            <Routes fallback=routes::not_found::NotFound>
                <Route path=path!("/sign-in") view=routes::sign_in::SignInPage ssr=SsrMode::Async />
                <Route path=path!("/forgot-password") view=routes::password_reset::ForgotPasswordPage ssr=SsrMode::Async />
                <Route path=path!("/reset-password") view=routes::password_reset::ResetPasswordPage ssr=SsrMode::Async />
                <Route path=path!("/pay/:token") view=routes::pay_link::PayLinkPage ssr=SsrMode::Async />
                <Route path=path!("/staff/sign-in") view=routes::staff::sign_in::StaffSignInPage ssr=SsrMode::Async />
                <ParentRoute path=path!("/staff") view=components::staff_layout::StaffLayout ssr=SsrMode::Async>
                    <Route path=path!("") view=routes::staff::search::SearchPage ssr=SsrMode::Async />
                    <Route path=path!("accounts/:id") view=routes::staff::account::AccountPage ssr=SsrMode::Async />
                    <Route path=path!("accounts/:id/adjust") view=routes::staff::adjustments::AdjustPage ssr=SsrMode::Async />
                    <Route path=path!("adjustments") view=routes::staff::adjustments::ApprovalsPage ssr=SsrMode::Async />
                    <Route path=path!("tickets") view=routes::staff::tickets::QueuePage ssr=SsrMode::Async />
                    <Route path=path!("tickets/:number") view=routes::staff::tickets::StaffTicketPage ssr=SsrMode::Async />
                    <Route path=path!("integrations") view=routes::staff::integrations::IntegrationsPage ssr=SsrMode::Async />
                    <Route path=path!("outages") view=routes::staff::outages::OutagesPage ssr=SsrMode::Async />
                    <Route path=path!("reconciliation") view=routes::staff::reconciliation::ReconciliationPage ssr=SsrMode::Async />
                    <Route path=path!("reports") view=routes::staff::reports::ReportsPage ssr=SsrMode::Async />
                </ParentRoute>
                <ParentRoute path=path!("") view=components::layout::PortalLayout ssr=SsrMode::Async>
                    <Route path=path!("") view=routes::overview::OverviewPage ssr=SsrMode::Async />
                    <Route path=path!("usage") view=routes::usage::UsagePage ssr=SsrMode::Async />
                    <Route path=path!("statements") view=routes::statements::StatementsPage ssr=SsrMode::Async />
                    <Route path=path!("statements/:id") view=routes::statement::StatementPage ssr=SsrMode::Async />
                    <Route path=path!("statements/:id/lines/:line/dispute") view=routes::dispute::DisputePage ssr=SsrMode::Async />
                    <Route path=path!("history") view=routes::history::HistoryPage ssr=SsrMode::Async />
                    <Route path=path!("support") view=routes::support::SupportPage ssr=SsrMode::Async />
                    <Route path=path!("support/:number") view=routes::support::TicketPage ssr=SsrMode::Async />
                    <Route path=path!("plans") view=routes::plans::PlansPage ssr=SsrMode::Async />
                    <Route path=path!("plans/:service/:plan") view=routes::plans::PlanPreviewPage ssr=SsrMode::Async />
                    <Route path=path!("pay") view=routes::pay::PayPage ssr=SsrMode::Async />
                    <Route path=path!("cards") view=routes::cards::CardsPage ssr=SsrMode::Async />
                    <Route path=path!("security") view=routes::security::SecurityPage ssr=SsrMode::Async />
                    <Route path=path!("payments/:id") view=routes::receipt::ReceiptPage ssr=SsrMode::Async />
                </ParentRoute>
            </Routes>
        </Router>
    }
}

/// Entry point of the WebAssembly bundle. Pages are server-rendered HTML; only the islands
/// (the forms and buttons that need code in the browser) are hydrated, which keeps the
/// bundle a phone downloads small.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // With no client-side router, a server function's redirect (after signing in, say) is a
    // plain page load.
    let _ = leptos::server_fn::redirect::set_redirect_hook(|location: &str| {
        let _ = window().location().set_href(location);
    });
    leptos::mount::hydrate_islands();
    // Lets tests (and curious people) see that the page is interactive.
    if let Some(body) = document().body() {
        let _ = body.set_attribute("data-hydrated", "true");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_page_loads_the_bundle_with_its_islands() {
        assert_eq!(bundle_for_path("/"), PORTAL_BUNDLE);
        assert_eq!(bundle_for_path("/statements/12"), PORTAL_BUNDLE);
        assert_eq!(bundle_for_path("/sign-in"), PORTAL_BUNDLE);
        assert_eq!(bundle_for_path("/payments-history"), PORTAL_BUNDLE);
        assert_eq!(bundle_for_path("/staffing"), PORTAL_BUNDLE);
        assert_eq!(bundle_for_path("/pay"), PAYMENTS_BUNDLE);
        assert_eq!(bundle_for_path("/pay/abc.def"), PAYMENTS_BUNDLE);
        assert_eq!(bundle_for_path("/cards"), PAYMENTS_BUNDLE);
        assert_eq!(bundle_for_path("/payments/7"), PAYMENTS_BUNDLE);
        assert_eq!(bundle_for_path("/plans"), PAYMENTS_BUNDLE);
        assert_eq!(bundle_for_path("/plans/12/preview"), PAYMENTS_BUNDLE);
        assert_eq!(bundle_for_path("/plansx"), PORTAL_BUNDLE);
        assert_eq!(bundle_for_path("/staff"), CONSOLE_BUNDLE);
        assert_eq!(bundle_for_path("/staff/sign-in"), CONSOLE_BUNDLE);
        assert_eq!(bundle_for_path("/staff/accounts/3"), CONSOLE_BUNDLE);
        assert_eq!(bundle_for_path("/security"), ACCOUNT_BUNDLE);
        assert_eq!(bundle_for_path("/securityx"), PORTAL_BUNDLE);
    }
}
