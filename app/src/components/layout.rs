//! The frame of every signed-in page: header, navigation, sign-out, and the account's locale.

use leptos::prelude::*;
use leptos_router::components::{Outlet, A};

use super::notices::ErrorNotice;
use crate::error::AppError;
use crate::i18n::{provide_i18n, use_i18n, Lang};
use crate::types::Me;

/// The frame around the subscriber's pages. Its facts come with the sign-in check the
/// middleware makes for the request (`server::access::authorize_page`), so nothing here waits:
/// the page in the outlet is rendered once, and loads its data once.
#[component]
pub fn PortalLayout() -> impl IntoView {
    let Some(me) = page_frame::<Me>() else {
        let _ = use_i18n();
        return view! { <main id="content"><ErrorNotice error=AppError::Unauthenticated /></main> }
            .into_any();
    };
    view! { <PortalFrame me><Outlet /></PortalFrame> }.into_any()
}

/// The header, navigation and main region around a subscriber's page (`children`): for the
/// routed pages, and for the page-not-found of a signed-in subscriber, who keeps the menu.
#[component]
pub fn PortalFrame(me: Me, children: Children) -> impl IntoView {
    let i18n = provide_i18n(&me.locale);
    let t = i18n.t;
    let viewed = me.viewed_by.is_some();
    // Staff viewing read-only: the subscriber's buttons are drawn inactive (the server
    // refuses them anyway), so none looks as if it would work until tapped.
    let read_only = me.viewed_by.as_ref().is_some_and(|v| !v.may_act);
    view! {
        <a class="skip-link" href="#content">{t.skip_to_content}</a>
        {me.viewed_by.clone().map(|v| view! { <SupportBanner viewed_by=v /> })}
        <header class="site-header">
            <div class="brand-row">
                <a class="brand" href="/">{t.app_name}</a>
                <span class="who">
                    <span class="who-name" data-testid="display-name">{me.display_name.clone()}</span>
                    <span class="who-number">{t.account_label} " " <span data-testid="account-number">{me.account_number.clone()}</span></span>
                </span>
                // A plain form: signing out needs no code in the browser.
                // (Staff viewing as the subscriber end the view from the banner.)
                {(!viewed).then(|| view! {
                    <form method="post" action="/api/sign-out" class="sign-out">
                        <button type="submit" class="link-button">{t.nav_sign_out}</button>
                    </form>
                })}
            </div>
            <nav class="site-nav" aria-label=t.nav_menu>
                <A href="/" exact=true>{t.nav_overview}</A>
                <A href="/usage">{t.nav_usage}</A>
                <A href="/statements">{t.nav_statements}</A>
                <A href="/history">{t.nav_history}</A>
                <A href="/support">{t.tickets().nav_support}</A>
                <A href="/plans">{t.plans().nav_plans}</A>
                <A href="/pay">{t.pay().nav_pay}</A>
                <A href="/cards">{t.pay().nav_cards}</A>
            </nav>
        </header>
        <main id="content" tabindex="-1" class:read-only=read_only>
            {children()}
        </main>
        // The subscriber's to choose, not staff viewing as them.
        {(!viewed).then(|| view! {
            <footer class="site-footer">
                <p><a href="/security" data-testid="security-link">{t.security().title}</a></p>
                <LanguageSwitcher />
            </footer>
        })}
    }
}

/// The languages of the subscriber's pages, each named in itself, the current one marked:
/// a plain form (no code in the browser) that remembers the choice and comes back to this
/// page ([`crate::api::account::choose_language`]). Its name is in every language offered,
/// so that someone who cannot read the current one still finds it.
#[component]
pub fn LanguageSwitcher() -> impl IntoView {
    let current = use_i18n().t.lang;
    let here = current_path();
    view! {
        <form method="post" action="/api/language" class="language-switcher" data-testid="language-switcher"
            aria-label=Lang::ALL.map(Lang::language_word).join(" · ")>
            <input type="hidden" name="next" value=here />
            {Lang::ALL.into_iter().map(|lang| view! {
                <button type="submit" name="language" value=lang.code() lang=lang.code()
                    class="link-button" aria-current=(lang == current).then_some("true")
                    data-testid=format!("language-{}", lang.code())>
                    {lang.name()}
                </button>
            }).collect_view()}
        </form>
    }
}

/// The path and query of the page being rendered (pages are rendered on the server).
fn current_path() -> String {
    #[cfg(feature = "ssr")]
    if let Some(parts) = use_context::<http::request::Parts>() {
        return parts
            .uri
            .path_and_query()
            .map_or("/".into(), |p| p.as_str().to_string());
    }
    "/".into()
}

/// The facts of a page's frame, as the sign-in middleware left them for the request being
/// rendered. Frames are rendered on the server only (pages are not hydrated, only islands).
pub(crate) fn page_frame<T: Clone + Send + Sync + 'static>() -> Option<T> {
    #[cfg(feature = "ssr")]
    {
        crate::server::access::from_request::<T>()
    }
    #[cfg(not(feature = "ssr"))]
    {
        None
    }
}

/// On every page while a staff member views the account as its subscriber: who, why, for how
/// much longer, and the way out.
#[component]
fn SupportBanner(viewed_by: crate::types::staff::ViewedBy) -> impl IntoView {
    let s = use_i18n().t.staff();
    let minutes_left = {
        #[cfg(feature = "ssr")]
        let now = chrono::Utc::now().timestamp_millis();
        #[cfg(not(feature = "ssr"))]
        let now = viewed_by.expires_at_ms;
        ((viewed_by.expires_at_ms - now).max(0) + 59_999) / 60_000
    };
    view! {
        <div class="support-banner" role="region" aria-label=(s.banner_viewing)(&viewed_by.staff_name) data-testid="support-banner">
            <p class="support-banner-who">
                <strong>{(s.banner_viewing)(&viewed_by.staff_name)}</strong>
                " · " <span data-testid="support-mode">{if viewed_by.may_act { s.banner_may_act } else { s.banner_read_only }}</span>
            </p>
            <p class="support-banner-why">
                {(s.banner_reason)(&viewed_by.reason)}
                {viewed_by.ticket_ref.clone().map(|r| format!(" ({r})"))}
                " · " {(s.banner_ends_in)(minutes_left)}
            </p>
            <form method="post" action="/api/stop-viewing" class="support-banner-end">
                <button type="submit" class="button button-small" data-testid="end-view">{s.banner_end}</button>
            </form>
        </div>
    }
}
