//! Which language a request's pages are written in, before anyone is known: the one this
//! browser chose with the switcher (a cookie, so it also holds on the sign-in page), else
//! the first offered one its `Accept-Language` asks for. A signed-in subscriber's own
//! choice, kept on their login, comes before both (`access::authorize_page`).

use http::HeaderMap;

use crate::error::AppError;
use crate::i18n::Lang;

/// The cookie the language switcher leaves in the browser: `en`, `es` or `fr`.
pub const COOKIE: &str = "lastmile_lang";

/// How long the browser keeps the choice: a year.
const COOKIE_MAX_AGE_SECS: u32 = 365 * 24 * 60 * 60;

/// The language a request's browser asks for, if it asks for one we offer.
pub fn of_request(headers: &HeaderMap) -> Option<Lang> {
    chosen(headers).or_else(|| {
        headers
            .get_all(http::header::ACCEPT_LANGUAGE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(Lang::from_accept_language)
    })
}

/// The language the switcher's cookie holds.
fn chosen(headers: &HeaderMap) -> Option<Lang> {
    headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .and_then(|(_, value)| Lang::from_tag(value))
}

/// The language of the request being rendered (pages before sign-in).
pub fn of_page() -> Option<Lang> {
    leptos::prelude::use_context::<http::request::Parts>().and_then(|p| of_request(&p.headers))
}

/// Chooses `lang` for this browser (the cookie) and, when a subscriber is signed in, for
/// their login, so that it follows them to another browser and their emails. Staff viewing
/// as the subscriber may not choose for them.
pub async fn choose(lang: Lang) -> Result<(), AppError> {
    let portal = super::portal()?;
    match super::access::require_viewer().await {
        Ok((_, access)) if access.assisted().is_some() => return Err(AppError::ReadOnly),
        Ok((_, access)) => {
            sqlx::query("update portal_logins set language = $3 where id = $1 and account_id = $2")
                .bind(access.login_id())
                .bind(access.account_id())
                .bind(lang.code())
                .execute(&portal.pool)
                .await?;
        }
        Err(AppError::Unauthenticated) => {}
        Err(e) => return Err(e),
    }
    let https = portal.config.public_url.starts_with("https://");
    if let (Some(response), Ok(value)) = (
        leptos::prelude::use_context::<leptos_axum::ResponseOptions>(),
        http::HeaderValue::from_str(&cookie(lang, https)),
    ) {
        response.append_header(http::header::SET_COOKIE, value);
    }
    Ok(())
}

/// The locale a subscriber's pages are written in: their login's language, else the
/// browser's (`browser`, not given for staff viewing as them), else the account's, in the
/// account's region (`es` on an `en-US` account is `es-US`).
pub fn locale_for(
    account_locale: &str,
    login_language: Option<&str>,
    browser: Option<Lang>,
) -> String {
    login_language
        .and_then(Lang::from_tag)
        .or(browser)
        .map_or_else(
            || account_locale.to_string(),
            |lang| lang.in_locale(account_locale),
        )
}

/// The locale of the caller's pages, for a server function that reads what they typed
/// (an amount is read the way their page wrote it).
pub async fn of_caller(
    portal: &super::Portal,
    access: &super::access::AccountAccess,
) -> Result<String, AppError> {
    let (account_locale, language): (String, Option<String>) = sqlx::query_as(
        "select a.locale, l.language from accounts a
           join portal_logins l on l.account_id = a.id
          where a.id = $1 and l.id = $2",
    )
    .bind(access.account_id())
    .bind(access.login_id())
    .fetch_optional(&portal.pool)
    .await?
    .ok_or(AppError::NotFound)?;
    let browser = access.assisted().is_none().then(of_page).flatten();
    Ok(locale_for(&account_locale, language.as_deref(), browser))
}

/// The `Set-Cookie` value that remembers a choice in this browser.
pub fn cookie(lang: Lang, https: bool) -> String {
    format!(
        "{COOKIE}={}; Path=/; Max-Age={COOKIE_MAX_AGE_SECS}; SameSite=Lax{}",
        lang.code(),
        if https { "; Secure" } else { "" }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, value.parse().unwrap());
        }
        map
    }

    #[test]
    fn the_switchers_choice_comes_before_the_browsers_preference() {
        let both = headers(&[
            ("accept-language", "fr-CA,fr;q=0.9"),
            ("cookie", "other=1; lastmile_lang=es"),
        ]);
        assert_eq!(of_request(&both), Some(Lang::Es));
        assert_eq!(
            of_request(&headers(&[("accept-language", "fr-CA,fr;q=0.9")])),
            Some(Lang::Fr)
        );
        // A cookie naming a language not offered is ignored.
        let stale = headers(&[("cookie", "lastmile_lang=de"), ("accept-language", "es")]);
        assert_eq!(of_request(&stale), Some(Lang::Es));
        assert_eq!(of_request(&headers(&[("accept-language", "de-DE")])), None);
    }
}
