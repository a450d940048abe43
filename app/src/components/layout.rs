//! The frame of every signed-in page: header, navigation, sign-out, and the account's locale.

use leptos::prelude::*;
use leptos_router::components::{Outlet, A};

use super::notices::{ErrorNotice, Loading};
use crate::api::account::current_subscriber;
use crate::i18n::{provide_i18n, use_i18n};

#[component]
pub fn PortalLayout() -> impl IntoView {
    let me = Resource::new(|| (), |_| current_subscriber());
    view! {
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match me.await {
                    Ok(me) => {
                        let i18n = provide_i18n(&me.locale);
                        let t = i18n.t;
                        view! {
                            <a class="skip-link" href="#content">{t.skip_to_content}</a>
                            <header class="site-header">
                                <div class="brand-row">
                                    <a class="brand" href="/">{t.app_name}</a>
                                    <span class="who">
                                        <span class="who-name" data-testid="display-name">{me.display_name.clone()}</span>
                                        <span class="who-number">{t.account_label} " " <span data-testid="account-number">{me.account_number.clone()}</span></span>
                                    </span>
                                    // A plain form: signing out needs no code in the browser.
                                    <form method="post" action="/api/sign-out" class="sign-out">
                                        <button type="submit" class="link-button">{t.nav_sign_out}</button>
                                    </form>
                                </div>
                                <nav class="site-nav" aria-label="Main">
                                    <A href="/" exact=true>{t.nav_overview}</A>
                                    <A href="/usage">{t.nav_usage}</A>
                                    <A href="/statements">{t.nav_statements}</A>
                                    <A href="/history">{t.nav_history}</A>
                                    <A href="/plans">{t.plans().nav_plans}</A>
                                    <A href="/pay">{t.pay().nav_pay}</A>
                                    <A href="/cards">{t.pay().nav_cards}</A>
                                </nav>
                            </header>
                            <main id="content" tabindex="-1">
                                <Outlet />
                            </main>
                        }
                            .into_any()
                    }
                    Err(error) => {
                        let _ = use_i18n();
                        view! { <main id="content"><ErrorNotice error /></main> }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}
