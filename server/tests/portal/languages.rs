//! The subscriber's pages in their language: the browser's until they choose one, their
//! choice remembered on their login (so it follows them), the statement PDF in it too, and
//! staff viewing as the subscriber see the subscriber's language, not their own.

use app::i18n::{Texts, EN, ES, FR};
use sqlx::PgPool;

use crate::helpers::*;

/// The `lang` attribute of a page's `<html>`.
fn html_lang(html: &str) -> &str {
    let after = html.split("<html lang=\"").nth(1).expect("<html lang>");
    after.split('"').next().unwrap()
}

/// A page as a browser asking for `languages` (an `Accept-Language` header) gets it.
async fn page_asking(
    portal: &TestPortal,
    browser: &reqwest::Client,
    path: &str,
    languages: &str,
) -> String {
    browser
        .get(portal.url(path))
        .header("accept-language", languages)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// Chooses a language with the switcher: a plain form post, as a browser without code sends it.
async fn choose(
    portal: &TestPortal,
    browser: &reqwest::Client,
    language: &str,
    next: &str,
) -> reqwest::Response {
    browser
        .post(portal.url("/api/language"))
        .header("origin", portal.url(""))
        .header("accept", "text/html")
        .form(&[("language", language), ("next", next)])
        .send()
        .await
        .unwrap()
}

async fn login_language(portal: &TestPortal, email: &str) -> Option<String> {
    sqlx::query_scalar("select language from portal_logins where email = $1")
        .bind(email)
        .fetch_one(&portal.pool)
        .await
        .unwrap()
}

fn in_language(html: &str, t: &Texts) {
    assert!(
        html.contains(t.overview_title) && html.contains(t.nav_statements),
        "the overview in {:?}",
        t.lang
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn the_sign_in_page_speaks_the_browsers_language_and_the_switcher_changes_it(pool: PgPool) {
    let portal = TestPortal::start(pool).await;
    let browser = portal.browser();
    let french = page_asking(&portal, &browser, "/sign-in", "fr-CA,fr;q=0.9,en;q=0.5").await;
    assert_eq!(html_lang(&french), "fr");
    assert!(french.contains(FR.sign_in_submit));
    // Each language is offered in its own name, the current one marked.
    assert!(french.contains(r#"data-testid="language-switcher""#));
    for name in ["English", "Español", "Français"] {
        assert!(french.contains(name), "{name}");
    }

    // A language nobody offers: English.
    let german = page_asking(&portal, &portal.browser(), "/sign-in", "de-DE").await;
    assert_eq!(html_lang(&german), "en-US");
    assert!(german.contains(EN.sign_in_submit));

    // Choosing Spanish before signing in: the browser remembers it over its own preference.
    let chosen = choose(&portal, &browser, "es", "/sign-in?next=%2Fusage").await;
    assert_eq!(chosen.status().as_u16(), 302);
    assert_eq!(chosen.headers()["location"], "/sign-in?next=%2Fusage");
    let cookie = chosen.headers()["set-cookie"].to_str().unwrap();
    assert!(
        cookie.starts_with("lastmile_lang=es;") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    let spanish = page_asking(&portal, &browser, "/sign-in", "fr-CA,fr;q=0.9").await;
    assert_eq!(html_lang(&spanish), "es");
    assert!(spanish.contains(ES.sign_in_submit));
}

#[sqlx::test(migrations = "../migrations")]
async fn a_subscribers_choice_is_kept_on_their_login_and_follows_them_to_another_browser(
    pool: PgPool,
) {
    let portal = TestPortal::start(pool).await;
    let alex = portal.signed_in(ALEX_EMAIL).await;
    let (_, english) = portal.page(&alex, "/").await;
    assert_eq!(html_lang(&english), "en-US");
    in_language(&english, &EN);

    let chosen = choose(&portal, &alex, "fr", "/usage").await;
    assert_eq!(chosen.status().as_u16(), 302);
    assert_eq!(chosen.headers()["location"], "/usage");
    assert_eq!(
        login_language(&portal, ALEX_EMAIL).await.as_deref(),
        Some("fr")
    );
    assert_eq!(
        login_language(&portal, SAM_EMAIL).await,
        None,
        "only Alex's login"
    );

    // Another browser that prefers Spanish: Alex's own choice comes first, in the account's
    // region (US dollars, French words).
    let elsewhere = portal.browser();
    elsewhere
        .post(portal.url("/api/sign-in"))
        .header("origin", portal.url(""))
        .header("accept", "application/json")
        .header("accept-language", "es-US,es")
        .form(&[("identifier", ALEX_EMAIL), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    let page = page_asking(&portal, &elsewhere, "/", "es-US,es").await;
    assert_eq!(html_lang(&page), "fr-US");
    in_language(&page, &FR);

    // Sam has chosen nothing: his browser's Spanish, with his account's dollars written the
    // way Spanish in the US writes them.
    let sam = portal.browser();
    portal.sign_in(&sam, SAM_EMAIL, PASSWORD).await;
    let page = page_asking(&portal, &sam, "/", "es-US,es;q=0.9,en;q=0.8").await;
    assert_eq!(html_lang(&page), "es-US");
    in_language(&page, &ES);
    let balance = testid_text(&page, "balance").expect("the balance");
    assert!(
        balance.starts_with('$') || balance.starts_with("-$"),
        "{balance}"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn a_language_not_offered_or_a_way_back_to_another_site_is_refused(pool: PgPool) {
    let portal = TestPortal::start(pool).await;
    let alex = portal.signed_in(ALEX_EMAIL).await;
    for refused in ["de", "", "es-ES", "english"] {
        let response = portal
            .call(&alex, "language", &[("language", refused), ("next", "/")])
            .await;
        assert_eq!(response.status().as_u16(), 400, "{refused:?}");
        assert!(response.headers().get("set-cookie").is_none());
    }
    assert_eq!(
        login_language(&portal, ALEX_EMAIL).await,
        None,
        "nothing stored"
    );
    // The way back must be a page of this site.
    for away in [
        "//evil.example/",
        "https://evil.example/",
        "javascript:alert(1)",
    ] {
        let response = choose(&portal, &alex, "es", away).await;
        assert_eq!(response.status().as_u16(), 302);
        assert_eq!(response.headers()["location"], "/", "{away}");
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn staff_viewing_as_the_subscriber_see_their_language_and_cannot_change_it(pool: PgPool) {
    let portal = TestPortal::start(pool).await;
    sqlx::query("update portal_logins set language = 'es' where email = $1")
        .bind(ALEX_EMAIL)
        .execute(&portal.pool)
        .await
        .unwrap();
    let rep = portal.staff_signed_in(REP_EMAIL).await;
    let alex = portal.account_id(ALEX_NUMBER).await;
    let started = portal
        .call(
            &rep,
            "start-viewing",
            &[
                ("account_id", alex.to_string().as_str()),
                ("reason", "Caller asks about a statement"),
            ],
        )
        .await;
    assert!(started.status().is_success() || started.status().is_redirection());
    let page = page_asking(&portal, &rep, "/", "fr").await;
    assert_eq!(html_lang(&page), "es-US");
    in_language(&page, &ES);
    assert!(!page.contains(r#"data-testid="language-switcher""#));
    let response = portal
        .call(&rep, "language", &[("language", "fr"), ("next", "/")])
        .await;
    assert_eq!(error_code(response).await, (403, "read_only".to_string()));
    assert_eq!(
        login_language(&portal, ALEX_EMAIL).await.as_deref(),
        Some("es")
    );
    // The console stays in English.
    let (_, console) = portal.page(&rep, "/staff").await;
    assert_eq!(html_lang(&console), "en-US");
}

#[sqlx::test(migrations = "../migrations")]
async fn the_statement_pdf_is_in_the_subscribers_language(pool: PgPool) {
    let portal = TestPortal::start(pool).await;
    let (id, number, _) = latest_statement(&portal, ALEX_NUMBER).await;
    let alex = portal.signed_in(ALEX_EMAIL).await;
    let pdf = |alex: reqwest::Client| {
        let url = portal.url(&format!("/statements/{id}/pdf"));
        async move { alex.get(url).send().await.unwrap().bytes().await.unwrap() }
    };
    let english = pdf_streams(&pdf(alex.clone()).await);
    choose(&portal, &alex, "es", "/").await;
    let spanish = pdf_streams(&pdf(alex.clone()).await);
    for (streams, t) in [(&english, &EN), (&spanish, &ES)] {
        let title = lastmile::documents::winansi(&(t.statement_title)(&number));
        assert!(
            streams.windows(title.len()).any(|w| w == title),
            "the title in {:?}",
            t.lang
        );
    }
    let english_title = lastmile::documents::winansi(&(EN.statement_title)(&number));
    assert!(!spanish
        .windows(english_title.len())
        .any(|w| w == english_title));
}
