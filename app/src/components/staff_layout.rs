//! The frame of every console page: who is signed in, their role, the search, sign-out, and
//! a way back to an account being viewed as its subscriber.

use leptos::prelude::*;
use leptos_router::components::{Outlet, A};

use super::notices::{ErrorNotice, Loading};
use crate::api::staff::current_staff;
use crate::i18n::{provide_i18n, use_i18n};

#[component]
pub fn StaffLayout() -> impl IntoView {
    let me = Resource::new(|| (), |_| current_staff());
    view! {
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                let i18n = provide_i18n("en-US");
                let t = i18n.t;
                let s = t.staff();
                match me.await {
                    Ok(me) => view! {
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
                        .into_any(),
                    Err(error) => {
                        let _ = use_i18n();
                        view! { <main id="content"><ErrorNotice error /></main> }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}
