//! The frame of every console page: who is signed in, their role, the search, sign-out, and
//! a way back to an account being viewed as its subscriber.

use leptos::prelude::*;
use leptos_router::components::{Outlet, A};

use super::layout::page_frame;
use super::notices::ErrorNotice;
use crate::error::AppError;
use crate::i18n::provide_i18n;
use crate::types::staff::StaffMe;

/// The frame around the console's pages. As with the subscriber's frame, its facts come with
/// the middleware's staff check (`server::access::authorize_staff_page`): nothing here waits,
/// so the page in the outlet is rendered, and loads its data, once.
#[component]
pub fn StaffLayout() -> impl IntoView {
    let i18n = provide_i18n("en-US");
    let t = i18n.t;
    let s = t.staff();
    let Some(me) = page_frame::<StaffMe>() else {
        return view! { <main id="content"><ErrorNotice error=AppError::Unauthenticated /></main> }
            .into_any();
    };
    view! {
        <a class="skip-link" href="#content">{t.skip_to_content}</a>
        <header class="site-header staff-header">
            <div class="brand-row">
                <a class="brand" href="/staff">{s.console_name}</a>
                <span class="who">
                    <span class="who-name" data-testid="staff-name">{me.name.clone()}</span>
                    <span class="who-number" data-testid="staff-role">{(s.role)(me.role)}</span>
                </span>
                <form method="post" action="/api/staff-sign-out" class="sign-out">
                    <button type="submit" class="link-button">{s.sign_out}</button>
                </form>
            </div>
            <nav class="site-nav" aria-label="Console">
                <A href="/staff" exact=true>{s.nav_search}</A>
                <A href="/staff/adjustments">{s.nav_approvals}</A>
                <A href="/staff/tickets">{t.tickets().nav_tickets}</A>
                <A href="/staff/outages">{t.outages().nav}</A>
                {matches!(me.role, crate::types::staff::Role::Billing | crate::types::staff::Role::Admin).then(|| view! {
                    <A href="/staff/reconciliation">{t.reconciliation().nav}</A>
                    <A href="/staff/reports">{t.reports().nav}</A>
                })}
                {(me.role == crate::types::staff::Role::Admin).then(|| view! {
                    <A href="/staff/integrations">{t.integrations().nav}</A>
                })}
            </nav>
        </header>
        {me.viewing.map(|(_, number)| view! {
            <p class="notice notice-info staff-viewing" role="status">
                {(s.viewing_now)(&number)} " " <a href="/">{s.return_to_view}</a>
            </p>
        })}
        <main id="content" tabindex="-1">
            <Outlet />
        </main>
    }
    .into_any()
}
