//! Starting a portal for one test, and speaking to it.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use app::server::{Portal, PortalConfig};
use lastmile::documents::Provider;
use lastmile::http::{router, AppState, WebPolicy};
use lastmile::seed::{seed_demo, SeedOptions, DEMO_PASSWORD, DEMO_STAFF, DEMO_TOTP_SECRET};
use leptos::prelude::LeptosOptions;
use reqwest::{Client, Response};
use sqlx::PgPool;

pub use crate::measure::Cost;

pub const ALEX_EMAIL: &str = "alex.morgan@example.net";
pub const ALEX_NUMBER: &str = "10000001";
pub const SAM_EMAIL: &str = "sam.taylor@example.net";
pub const SAM_NUMBER: &str = "10000002";
pub const PASSWORD: &str = DEMO_PASSWORD;
pub const REP_EMAIL: &str = DEMO_STAFF[0].0;
pub const BILLING_EMAIL: &str = DEMO_STAFF[1].0;
pub const ADMIN_EMAIL: &str = DEMO_STAFF[2].0;

/// localstripe, standing in for Stripe's API.
pub fn stripe_url() -> String {
    std::env::var("LASTMILE_TEST_STRIPE_URL").unwrap_or_else(|_| "http://127.0.0.1:8420".into())
}

/// A Stripe client for localstripe with the tests' keys.
pub fn stripe() -> Arc<engine::cards::Stripe> {
    stripe_at(&stripe_url())
}

/// What localstripe holds at `path` (`/v1/…`, with `query`), read with the tests' key.
pub async fn at_stripe(path: &str, query: &[(&str, &str)]) -> serde_json::Value {
    reqwest::Client::new()
        .get(format!("{}{path}", stripe_url()))
        .basic_auth("sk_test_payments", Some(""))
        .query(query)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// A Stripe client with the tests' keys for Stripe's API at `url`.
pub fn stripe_at(url: &str) -> Arc<engine::cards::Stripe> {
    stripe_answering_within(url, engine::cards::ANSWER_WITHIN, "sk_test_payments")
}

/// A Stripe client for Stripe's API at `url` with the secret key `key` (localstripe honours
/// idempotency keys for keys starting `sk_test_idem_`, see scripts/localstripe/serve.py),
/// waiting `within` for each answer.
pub fn stripe_answering_within(
    url: &str,
    within: Duration,
    key: &str,
) -> Arc<engine::cards::Stripe> {
    Arc::new(
        engine::cards::Stripe::new(engine::cards::StripeSettings {
            secret_key: key.into(),
            publishable_key: "pk_test_payments".into(),
            api_url: url.into(),
            js_url: format!("{}/js.stripe.com/v3/", stripe_url()),
            webhook_secrets: vec!["whsec_payments".into()],
            answer_within: within,
        })
        .unwrap(),
    )
}

pub struct TestPortal {
    pub base: String,
    pub pool: PgPool,
}

/// Settings a test may change before the server starts.
pub struct Tweaks {
    pub config: PortalConfig,
    pub provider: Provider,
    /// Served as if behind https (`LASTMILE_PUBLIC_URL` starting `https://`).
    pub https: bool,
    /// The proxies whose `X-Forwarded-For` is believed (`LASTMILE_TRUSTED_PROXIES`).
    pub trusted_proxies: app::server::client::TrustedProxies,
}

/// The five demo accounts and the demo staff, as every test starts with.
pub async fn seed(pool: &PgPool) {
    seed_demo(
        pool,
        &SeedOptions {
            accounts: 5,
            seed: 42,
            today: chrono::Utc::now().date_naive(),
            show_progress: false,
            totp_keys: Arc::new(app::server::staff::totp_keys::TotpKeys::for_tests()),
        },
    )
    .await
    .expect("seeding the test database");
}

pub use crate::common::url_of;

/// A directory of its own under the system's temporary one.
pub fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "lastmile-{name}-{}-{}",
        std::process::id(),
        chrono::Utc::now().timestamp_nanos_opt().unwrap_or_default()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

impl TestPortal {
    /// Seeds five accounts and starts the portal.
    pub async fn start(pool: PgPool) -> TestPortal {
        Self::start_with(pool, |_| {}).await
    }

    pub async fn start_with(pool: PgPool, tweak: impl FnOnce(&mut Tweaks)) -> TestPortal {
        seed(&pool).await;
        Self::serve_with(pool, tweak).await
    }

    /// Another instance on a database a portal already seeded (sessions are in the
    /// database, so a browser signed in on one is signed in on the other).
    pub async fn serve_with(pool: PgPool, tweak: impl FnOnce(&mut Tweaks)) -> TestPortal {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let base = format!("http://{addr}");
        let mut tweaks = Tweaks {
            config: PortalConfig::for_tests(&base),
            provider: Provider {
                name: "Lastmile Broadband".into(),
                address: vec!["1 Exchange Street".into(), "Springfield, OR 97477".into()],
                logo: None,
            },
            https: false,
            trusted_proxies: Default::default(),
        };
        tweak(&mut tweaks);
        let idle = tweaks.config.session_idle;

        let leptos_options = LeptosOptions::builder()
            .output_name("lastmile")
            .site_root("target/site")
            .site_pkg_dir("pkg")
            .site_addr(addr)
            .build();
        let portal = Portal {
            pool: pool.clone(),
            stripe: tweaks.config.billing.stripe.clone(),
            config: Arc::new(tweaks.config),
        };
        let web = Arc::new(WebPolicy {
            https: tweaks.https,
            session_idle: idle,
            stripe_origin: "https://js.stripe.com".into(),
            trusted_proxies: tweaks.trusted_proxies,
        });
        let store = tower_sessions_sqlx_store::PostgresStore::new(pool.clone());
        crate::measure::install_query_counter();
        let app = router(
            AppState {
                leptos_options,
                portal,
                web,
                assets: Default::default(),
                provider: Arc::new(tweaks.provider),
                shutdown: Default::default(),
            },
            store,
        )
        .layer(axum::middleware::from_fn(crate::measure::measure));
        tokio::spawn(async move {
            axum::serve(
                listener,
                app.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .await
            .unwrap();
        });
        TestPortal { base, pool }
    }

    /// A browser of its own: keeps cookies, does not follow redirects (tests look at them).
    pub fn browser(&self) -> Client {
        Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            // A page that never answers fails its test, naming the request, instead of
            // holding the whole suite until CI's time runs out.
            .timeout(std::time::Duration::from_secs(90))
            .build()
            .unwrap()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Calls a server function the way the hydrated page does (a same-origin form post).
    pub async fn call(&self, browser: &Client, endpoint: &str, form: &[(&str, &str)]) -> Response {
        browser
            .post(self.url(&format!("/api/{endpoint}")))
            .header("origin", &self.base)
            .header("accept", "application/json")
            .form(form)
            .send()
            .await
            .unwrap()
    }

    pub async fn sign_in(&self, browser: &Client, identifier: &str, password: &str) -> Response {
        self.call(
            browser,
            "sign-in",
            &[("identifier", identifier), ("password", password)],
        )
        .await
    }

    /// A browser already signed in.
    pub async fn signed_in(&self, identifier: &str) -> Client {
        let browser = self.browser();
        let response = self.sign_in(&browser, identifier, PASSWORD).await;
        assert!(
            response.status().is_success() || response.status().is_redirection(),
            "sign-in failed: {}",
            response.status()
        );
        browser
    }

    /// A browser signed in as a demo staff member: password, then the authenticator's code.
    /// A code is accepted once, so a second sign-in of the same person within one 30-second
    /// step uses the next step's code (accepted within the drift allowed).
    pub async fn staff_signed_in(&self, email: &str) -> Client {
        let now = chrono::Utc::now().timestamp();
        for step in [0, 1] {
            let browser = self.browser();
            let response = self
                .call(
                    &browser,
                    "staff-sign-in",
                    &[("email", email), ("password", PASSWORD)],
                )
                .await;
            assert!(
                response.status().is_success(),
                "staff password step: {}",
                response.status()
            );
            let code = app::server::staff::totp::code_at(DEMO_TOTP_SECRET, now + 30 * step);
            let response = self
                .call(&browser, "staff-second-factor", &[("code", &code)])
                .await;
            if response.status().is_success() {
                return browser;
            }
        }
        panic!("{email} could not sign in: both codes refused");
    }

    /// GET a page and return its status and HTML.
    pub async fn page(&self, browser: &Client, path: &str) -> (u16, String) {
        let response = browser.get(self.url(path)).send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.text().await.unwrap())
    }

    /// GET a page: its status, its HTML, and what serving it cost.
    pub async fn page_cost(&self, browser: &Client, path: &str) -> (u16, String, Cost) {
        let response = browser.get(self.url(path)).send().await.unwrap();
        let status = response.status().as_u16();
        let cost = Cost::of(&response);
        (status, response.text().await.unwrap(), cost)
    }

    pub async fn account_id(&self, number: &str) -> i64 {
        sqlx::query_scalar("select id from accounts where account_number = $1")
            .bind(number)
            .fetch_one(&self.pool)
            .await
            .unwrap()
    }
}

/// The JSON body of an error answer.
pub async fn error_code(response: Response) -> (u16, String) {
    let status = response.status().as_u16();
    let body: serde_json::Value = response.json().await.unwrap_or_default();
    (
        status,
        body["code"].as_str().unwrap_or_default().to_string(),
    )
}

/// Money as the portal writes it for en-US dollars (written out here, not by the code under test).
pub fn dollars(amount: rust_decimal::Decimal) -> String {
    let negative = amount.is_sign_negative() && !amount.is_zero();
    let text = format!("{:.2}", amount.abs());
    let (int, frac) = text.split_once('.').unwrap();
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{}${grouped}.{frac}", if negative { "-" } else { "" })
}

/// The text inside the element marked `data-testid="<id>"` (attributes may come in any order).
pub fn testid_text(html: &str, id: &str) -> Option<String> {
    let after = html.split(&format!("data-testid=\"{id}\"")).nth(1)?;
    let text = after.split_once('>')?.1;
    Some(text.split('<').next()?.to_string())
}

/// Sends the same request `n` times at once and returns the statuses, sorted.
pub async fn at_once(n: usize, send: impl Fn() -> reqwest::RequestBuilder) -> Vec<u16> {
    let mut statuses: Vec<u16> = futures::future::join_all((0..n).map(|_| send().send()))
        .await
        .into_iter()
        .map(|r| r.unwrap().status().as_u16())
        .collect();
    statuses.sort();
    statuses
}

/// An account's latest statement: its id, number and total due.
pub async fn latest_statement(
    portal: &TestPortal,
    number: &str,
) -> (i64, String, rust_decimal::Decimal) {
    let account = portal.account_id(number).await;
    sqlx::query_as(
        "select id, statement_number, total_due from statements
          where account_id = $1 order by period_start desc limit 1",
    )
    .bind(account)
    .fetch_one(&portal.pool)
    .await
    .unwrap()
}

/// Every compressed stream of a PDF, inflated, as bytes: the drawing operators, where text
/// is shown as `(...)` strings written in WinAnsi (one byte a character).
pub fn pdf_streams(pdf: &[u8]) -> Vec<u8> {
    use std::io::Read;
    let mut out = Vec::new();
    let mut rest = pdf;
    while let Some(start) = rest.windows(8).position(|w| w == b"\nstream\n") {
        let after = &rest[start + 8..];
        let end = after
            .windows(10)
            .position(|w| w == b"\nendstream")
            .expect("every stream ends");
        let _ = flate2::read::ZlibDecoder::new(&after[..end]).read_to_end(&mut out);
        rest = &after[end..];
    }
    out
}

/// A PDF's streams as text (plain ASCII text reads as it is).
pub fn inflated(pdf: &[u8]) -> String {
    String::from_utf8_lossy(&pdf_streams(pdf)).into_owned()
}
