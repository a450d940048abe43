//! The command line: bad input is refused with a plain message and a non-zero exit, and
//! leaves nothing half-written.

mod common;
use common::url_of;
use std::io::Write;
use std::process::{Command, Output, Stdio};

use sqlx::PgPool;

use app::server::staff::totp_keys::{TotpKeys, TEST_KEY};

fn lastmile(args: &[&str], database_url: Option<&str>, stdin: Option<&str>) -> Output {
    lastmile_with(
        args,
        database_url,
        stdin,
        &[("LASTMILE_TOTP_KEY", TEST_KEY)],
    )
}

/// The same with the TOTP keys (and any other variables) given: none are inherited.
fn lastmile_with(
    args: &[&str],
    database_url: Option<&str>,
    stdin: Option<&str>,
    vars: &[(&str, &str)],
) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_lastmile"));
    command
        .args(args)
        .env_remove("DATABASE_URL")
        .env_remove("LASTMILE_TOTP_KEY")
        .env_remove("LASTMILE_TOTP_OLD_KEYS")
        .env_remove("LASTMILE_NETWORK_CONFIG")
        .envs(vars.iter().copied())
        .env("RUST_LOG", "off")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(url) = database_url {
        command.env("DATABASE_URL", url);
    }
    let mut child = command.spawn().expect("the lastmile binary runs");
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    }
    child.wait_with_output().unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).to_string()
}

#[test]
fn an_unknown_flag_is_refused_by_name() {
    let out = lastmile(&["seed", "--demo", "--acounts", "5"], None, None);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--acounts"), "{}", stderr(&out));
}

#[test]
fn a_missing_or_malformed_database_url_is_named() {
    let out = lastmile(&["migrate"], None, None);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("DATABASE_URL is not set"),
        "{}",
        stderr(&out)
    );
    let out = lastmile(&["migrate"], Some("mysql://localhost/x"), None);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("DATABASE_URL must start with postgres://"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_database_that_is_down_is_reported_without_its_password() {
    let out = lastmile(
        &["migrate"],
        Some("postgres://someone:hunter2@127.0.0.1:1/lastmile"),
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    let text = stderr(&out);
    assert!(
        text.contains("cannot reach the database at 127.0.0.1:1"),
        "{text}"
    );
    assert!(!text.contains("hunter2"), "{text}");
}

#[sqlx::test(migrations = "../migrations")]
async fn seeding_a_database_that_has_accounts_is_refused_and_changes_nothing(pool: PgPool) {
    let url = url_of(&pool).await;
    let first = lastmile(
        &[
            "seed",
            "--demo",
            "--accounts",
            "3",
            "--seed",
            "5",
            "--today",
            "2026-11-01",
        ],
        Some(&url),
        None,
    );
    assert!(first.status.success(), "{}", stderr(&first));
    assert!(String::from_utf8_lossy(&first.stdout).contains("alex.morgan@example.net"));
    let before: (i64, i64) = sqlx::query_as(
        "select (select count(*) from accounts), (select count(*) from ledger_entries)",
    )
    .fetch_one(&pool)
    .await
    .unwrap();

    let again = lastmile(&["seed", "--demo", "--accounts", "3"], Some(&url), None);
    assert_eq!(again.status.code(), Some(1));
    assert!(
        stderr(&again).contains("already has accounts"),
        "{}",
        stderr(&again)
    );
    let after: (i64, i64) = sqlx::query_as(
        "select (select count(*) from accounts), (select count(*) from ledger_entries)",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(before, after);
    assert_eq!(before.0, 3);
}

#[sqlx::test(migrations = "../migrations")]
async fn staff_add_creates_an_administrator_and_refuses_bad_input(pool: PgPool) {
    let url = url_of(&pool).await;
    let ok = lastmile(
        &[
            "staff",
            "add",
            "--email",
            "ops@example.net",
            "--name",
            "Ops Lead",
        ],
        Some(&url),
        Some("a long staff password\n"),
    );
    assert!(ok.status.success(), "{}", stderr(&ok));
    let (role, hash): (String, String) = sqlx::query_as(
        "select role, password_hash from staff_users where email = 'ops@example.net'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(role, "admin");
    assert!(hash.starts_with("$argon2id$"));

    let duplicate = lastmile(
        &[
            "staff",
            "add",
            "--email",
            "ops@example.net",
            "--name",
            "Again",
        ],
        Some(&url),
        Some("a long staff password\n"),
    );
    assert_eq!(duplicate.status.code(), Some(1));
    assert!(stderr(&duplicate).contains("already exists"));
    let bad_role = lastmile(
        &[
            "staff",
            "add",
            "--email",
            "x@example.net",
            "--name",
            "X",
            "--role",
            "king",
        ],
        Some(&url),
        Some("a long staff password\n"),
    );
    assert!(stderr(&bad_role).contains("--role must be one of"));
    let short = lastmile(
        &["staff", "add", "--email", "y@example.net", "--name", "Y"],
        Some(&url),
        Some("short\n"),
    );
    assert!(stderr(&short).contains("at least 12 characters"));
    let count: i64 = sqlx::query_scalar("select count(*) from staff_users")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(count, 1);
}

/// The authenticator secret `lastmile staff add` printed.
fn printed_secret(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix("secret:")
                .map(|s| s.trim().to_string())
        })
        .expect("the secret is printed")
}

async fn stored_secret(
    pool: &PgPool,
    email: &str,
) -> (i64, Option<Vec<u8>>, Option<Vec<u8>>, Option<String>) {
    sqlx::query_as(
        "select id, totp_secret, totp_sealed, totp_key_id from staff_users where email = $1",
    )
    .bind(email)
    .fetch_one(pool)
    .await
    .unwrap()
}

#[sqlx::test(migrations = "../migrations")]
async fn staff_secrets_are_written_encrypted_and_rotate_to_a_new_key(pool: PgPool) {
    use app::server::staff::totp::secret_base32;
    let url = url_of(&pool).await;
    let added = lastmile(
        &[
            "staff",
            "add",
            "--email",
            "ops@example.net",
            "--name",
            "Ops Lead",
        ],
        Some(&url),
        Some("a long staff password\n"),
    );
    assert!(added.status.success(), "{}", stderr(&added));
    let shown = printed_secret(&added);
    let (id, clear, sealed, key_id) = stored_secret(&pool, "ops@example.net").await;
    assert_eq!(clear, None, "nothing in clear");
    assert_eq!(key_id.as_deref(), Some("test"));
    let sealed = sealed.expect("sealed");
    let opened = TotpKeys::for_tests().open(id, "test", &sealed).unwrap();
    assert_eq!(secret_base32(&opened), shown);
    assert!(!sealed.windows(opened.len()).any(|w| w == opened.as_slice()));

    // A new current key; the old one is kept for reading while the secrets move over.
    let k2 = "k2:bmV3LWN1cnJlbnQta2V5LWZvci10aGUtdGVzdHMtMzI=";
    let both = [
        ("LASTMILE_TOTP_KEY", k2),
        ("LASTMILE_TOTP_OLD_KEYS", TEST_KEY),
    ];
    // reset-2fa writes an encrypted secret, also over one stored in clear.
    sqlx::query("update staff_users set totp_secret = 'lastmile-demo-totp!!', totp_sealed = null, totp_key_id = null where id = $1")
        .bind(id)
        .execute(&pool)
        .await
        .unwrap();
    let reset = lastmile(
        &["staff", "reset-2fa", "--email", "ops@example.net"],
        Some(&url),
        None,
    );
    assert!(reset.status.success(), "{}", stderr(&reset));
    let reset_secret = printed_secret(&reset);
    let other = lastmile(
        &[
            "staff",
            "add",
            "--email",
            "rep@example.net",
            "--name",
            "Rep",
            "--role",
            "support_rep",
        ],
        Some(&url),
        Some("a long staff password\n"),
    );
    assert!(other.status.success(), "{}", stderr(&other));
    // A secret written in clear before secrets were encrypted moves over too.
    let (rep, _, _, _) = stored_secret(&pool, "rep@example.net").await;
    sqlx::query("update staff_users set totp_secret = 'lastmile-demo-totp!!', totp_sealed = null, totp_key_id = null where id = $1")
        .bind(rep)
        .execute(&pool)
        .await
        .unwrap();

    // A webhook subscription's signing secret is sealed with the same keys.
    let key = lastmile(
        &[
            "api-key",
            "create",
            "--integration",
            "CRM",
            "--name",
            "hooks",
            "--scopes",
            "read",
        ],
        Some(&url),
        None,
    );
    assert!(key.status.success(), "{}", stderr(&key));
    let hook = lastmile(
        &[
            "webhook",
            "create",
            "--integration",
            "CRM",
            "--url",
            "https://crm.example.net/hooks",
            "--events",
            "all",
        ],
        Some(&url),
        None,
    );
    assert!(hook.status.success(), "{}", stderr(&hook));
    let hook_secret = String::from_utf8_lossy(&hook.stdout)
        .lines()
        .last()
        .unwrap_or_default()
        .to_string();
    assert!(hook_secret.starts_with("whsec_"), "{hook_secret}");

    let rotated = lastmile_with(&["staff", "rotate-totp-key"], Some(&url), None, &both);
    assert!(rotated.status.success(), "{}", stderr(&rotated));
    let said = String::from_utf8_lossy(&rotated.stdout).to_string();
    assert!(
        said.contains(
            "under key k2: 1 re-encrypted from old keys, 1 encrypted that were stored in clear; 1 webhook signing secrets re-encrypted; 0 subscribers' authenticator secrets re-encrypted"
        ),
        "{said}"
    );
    let (hook_id, hook_key, hook_sealed): (i64, String, Vec<u8>) =
        sqlx::query_as("select id, secret_key_id, secret_sealed from webhook_subscriptions")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(hook_key, "k2");
    let opened = TotpKeys::parse(k2, None)
        .unwrap()
        .open_for(
            &app::server::staff::integrations::webhook_secret_context(hook_id),
            "k2",
            &hook_sealed,
        )
        .unwrap();
    assert_eq!(Some(opened), engine::webhooks::parse_secret(&hook_secret));
    let keys = TotpKeys::parse(k2, None).unwrap();
    let (_, clear, sealed, key_id) = stored_secret(&pool, "ops@example.net").await;
    assert_eq!((clear, key_id.as_deref()), (None, Some("k2")));
    assert_eq!(
        secret_base32(&keys.open(id, "k2", &sealed.unwrap()).unwrap()),
        reset_secret
    );
    let (_, clear, sealed, _) = stored_secret(&pool, "rep@example.net").await;
    assert_eq!(clear, None);
    assert_eq!(
        keys.open(rep, "k2", &sealed.unwrap()).unwrap(),
        b"lastmile-demo-totp!!"
    );

    // Run again, with the old key gone: nothing left to move.
    let again = lastmile_with(
        &["staff", "rotate-totp-key"],
        Some(&url),
        None,
        &[("LASTMILE_TOTP_KEY", k2)],
    );
    assert!(again.status.success(), "{}", stderr(&again));
    assert!(String::from_utf8_lossy(&again.stdout)
        .contains("0 re-encrypted from old keys, 0 encrypted"));
    // A key that is no longer configured: the secrets it sealed are named, not lost.
    let lost = lastmile(&["staff", "rotate-totp-key"], Some(&url), None);
    assert_eq!(lost.status.code(), Some(1));
    assert!(
        stderr(&lost)
            .contains("ops@example.net: the authenticator secret is sealed under the key \"k2\""),
        "{}",
        stderr(&lost)
    );
    assert!(
        stderr(&lost).contains(&format!(
            "webhook subscription {hook_id}: the signing secret is sealed under the key \"k2\""
        )),
        "{}",
        stderr(&lost)
    );
    assert!(
        stderr(&lost).contains("3 secrets could not be read"),
        "{}",
        stderr(&lost)
    );
}

#[test]
fn a_missing_or_malformed_totp_key_is_named_and_never_printed() {
    let url = Some("postgres://nobody@127.0.0.1:1/none");
    for (args, vars, expected) in [
        (&["serve"][..], &[][..], "LASTMILE_TOTP_KEY is not set"),
        (
            &["staff", "reset-2fa", "--email", "x@example.net"][..],
            &[("LASTMILE_TOTP_KEY", "k1:c2VjcmV0LWJ1dC1zaG9ydA==")][..],
            "LASTMILE_TOTP_KEY: the key \"k1\" is 16 bytes long; it must be exactly 32",
        ),
        (
            &["seed", "--demo"][..],
            &[("LASTMILE_TOTP_KEY", "c2VjcmV0LWJ1dC1ubyBpZA==")][..],
            "LASTMILE_TOTP_KEY: must be a key id, a colon and 32 random bytes in base64",
        ),
        (
            &["serve"][..],
            &[
                ("LASTMILE_TOTP_KEY", TEST_KEY),
                ("LASTMILE_TOTP_OLD_KEYS", "k0:c2VjcmV0IG5vdCBiYXNlNjQ!"),
            ][..],
            "LASTMILE_TOTP_OLD_KEYS: the key \"k0\" is not base64",
        ),
    ] {
        let out = lastmile_with(args, url, None, vars);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let text = stderr(&out);
        assert!(text.contains(expected), "{args:?}: {text}");
        assert!(
            !text.contains("c2VjcmV0"),
            "the key itself is never printed: {text}"
        );
    }
}

#[test]
fn bad_serving_settings_are_named() {
    let url = Some("postgres://nobody@127.0.0.1:1/none");
    for (name, value, expected) in [
        (
            "LASTMILE_METRICS_LISTEN",
            "metrics.example.net",
            "LASTMILE_METRICS_LISTEN must be an address and port like 10.0.0.5:9100, got \"metrics.example.net\"",
        ),
        (
            "LASTMILE_DRAIN_SECONDS",
            "900",
            "LASTMILE_DRAIN_SECONDS must be 0 to 300 seconds, not 900",
        ),
        (
            "LASTMILE_DRAIN_SECONDS",
            "soon",
            "LASTMILE_DRAIN_SECONDS must be a whole number of seconds, got \"soon\"",
        ),
    ] {
        let out = lastmile_with(
            &["serve"],
            url,
            None,
            &[("LASTMILE_TOTP_KEY", TEST_KEY), (name, value)],
        );
        assert_eq!(out.status.code(), Some(1), "{name}={value}");
        let text = stderr(&out);
        assert!(text.contains(expected), "{name}={value}: {text}");
    }
}

#[test]
fn bad_card_payment_settings_are_named() {
    let run = |vars: &[(&str, &str)]| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_lastmile"));
        command
            .args(["dunning", "--date", "2026-11-01"])
            .env("DATABASE_URL", "postgres://nobody@127.0.0.1:1/none")
            .env("RUST_LOG", "off");
        for (name, value) in vars {
            command.env(name, value);
        }
        command.output().unwrap()
    };
    let cases: [(&[(&str, &str)], &str); 5] = [
        (
            &[("LASTMILE_STRIPE_SECRET_KEY", "pk_test_wrong_kind")],
            "LASTMILE_STRIPE_SECRET_KEY must be a secret key",
        ),
        (
            &[("LASTMILE_STRIPE_SECRET_KEY", "sk_test_x")],
            "LASTMILE_STRIPE_PUBLISHABLE_KEY (pk_…) is required",
        ),
        (
            &[
                ("LASTMILE_STRIPE_SECRET_KEY", "sk_test_x"),
                ("LASTMILE_STRIPE_PUBLISHABLE_KEY", "pk_test_x"),
                ("LASTMILE_STRIPE_WEBHOOK_SECRETS", "whsec_a, oops"),
            ],
            "LASTMILE_STRIPE_WEBHOOK_SECRETS must be whsec_",
        ),
        (
            &[("LASTMILE_PAY_LINK_SECRET", "too-short")],
            "LASTMILE_PAY_LINK_SECRET must be at least 32 characters",
        ),
        (
            &[
                ("LASTMILE_CARD_MIN", "10.00"),
                ("LASTMILE_CARD_MAX", "5.00"),
            ],
            "LASTMILE_CARD_MIN (10.00) is more than LASTMILE_CARD_MAX (5.00)",
        ),
    ];
    for (vars, message) in cases {
        let out = run(vars);
        assert_eq!(out.status.code(), Some(1), "{vars:?}");
        assert!(stderr(&out).contains(message), "{vars:?}: {}", stderr(&out));
    }
    // A secret never appears in the message.
    let out = run(&[("LASTMILE_STRIPE_SECRET_KEY", "sk_live_do_not_print_me")]);
    assert!(
        !stderr(&out).contains("do_not_print_me"),
        "{}",
        stderr(&out)
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn network_commands_write_the_groups_apply_the_outbox_and_name_a_bad_config(pool: PgPool) {
    let url = url_of(&pool).await;
    sqlx::query(
        "insert into plans (code, name, technology, download_mbps, upload_mbps, monthly_price, currency)
         values ('cable-300', 'Cable 300', 'cable', 300, 20, 50, 'USD')",
    )
    .execute(&pool)
    .await
    .unwrap();

    let out = lastmile(&["network", "sync-groups"], Some(&url), None);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "RADIUS groups: 2 written (plan:cable-300, walled-garden), 0 already right\n"
    );
    let again = lastmile(&["network", "sync-groups"], Some(&url), None);
    assert_eq!(
        String::from_utf8_lossy(&again.stdout),
        "RADIUS groups: 0 written, 2 already right\n"
    );

    // A service created by another system sharing the database is queued by the trigger.
    sqlx::query(
        "with a as (insert into accounts (account_number, kind, display_name, billing_cycle_day, currency, time_zone)
                    values ('50000001', 'residential', 'Test', 1, 'USD', 'America/Chicago') returning id),
              j as (insert into jurisdictions (code, name) values ('US-CL', 'CLI') returning id),
              ad as (insert into addresses (account_id, line1, city, postal_code, country, jurisdiction_id)
                     select a.id, '1 Test St', 'Springfield', '62701', 'US', j.id from a, j returning id, account_id)
         insert into services (account_id, address_id, plan_id, status, activated_on)
         select ad.account_id, ad.id, (select id from plans), 'active', '2026-10-01' from ad",
    )
    .execute(&pool)
    .await
    .unwrap();
    let out = lastmile(&["network", "provision", "--once"], Some(&url), None);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "provisioning: 1 applied, 0 failed, 0 waiting\n"
    );
    let group: String = sqlx::query_scalar(
        "select groupname from radius.radusergroup where username = '50000001-1'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(group, "plan:cable-300");

    // A bad configuration file stops the command, naming the file and the mistake.
    let dir = std::env::temp_dir().join(format!("lastmile-network-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("network.toml");
    std::fs::write(&file, "[suspension]\npolicy = \"drop\"\n").unwrap();
    let path = file.to_string_lossy().to_string();
    let out = lastmile_with(
        &["network", "sync-groups"],
        Some(&url),
        None,
        &[("LASTMILE_NETWORK_CONFIG", path.as_str())],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains(&path), "{}", stderr(&out));
    assert!(stderr(&out).contains("walled_garden"), "{}", stderr(&out));
    let missing = lastmile_with(
        &["network", "provision", "--once"],
        Some(&url),
        None,
        &[("LASTMILE_NETWORK_CONFIG", "/nonexistent/network.toml")],
    );
    assert_eq!(missing.status.code(), Some(1));
    assert!(stderr(&missing).contains("cannot read /nonexistent/network.toml"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[sqlx::test(migrations = "../migrations")]
async fn api_keys_are_made_shown_once_listed_rotated_and_revoked(pool: PgPool) {
    let url = url_of(&pool).await;
    let made = lastmile(
        &[
            "api-key",
            "create",
            "--integration",
            "CRM",
            "--name",
            "production",
            "--scopes",
            "read,write:accounts",
            "--money-limit",
            "250.00",
            "--rate",
            "120",
        ],
        Some(&url),
        None,
    );
    assert!(made.status.success(), "{}", stderr(&made));
    let out = String::from_utf8_lossy(&made.stdout).to_string();
    let token = out
        .lines()
        .find(|l| l.starts_with("lmk_"))
        .expect("the token is printed")
        .to_string();
    assert_eq!(token.len(), 44);
    // Only its hash is stored.
    let stored: Vec<u8> = sqlx::query_scalar("select token_sha256 from api_key_secrets")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(stored.len(), 32);
    let scopes: (Vec<String>, Option<rust_decimal::Decimal>, i32) =
        sqlx::query_as("select scopes, money_limit, rate_per_minute from api_keys")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(
        scopes,
        (
            vec!["read".to_string(), "write:accounts".to_string()],
            Some(rust_decimal_macros::dec!(250.00)),
            120
        )
    );

    // The list names the key by its prefix, never its token.
    let list = lastmile(&["api-key", "list"], Some(&url), None);
    let listed = String::from_utf8_lossy(&list.stdout).to_string();
    assert!(
        listed.contains("CRM\tproduction\tread,write:accounts"),
        "{listed}"
    );
    assert!(listed.contains(&token[..12]), "{listed}");
    assert!(!listed.contains(&token), "{listed}");

    // A second key of the same name, a scope that does not exist, a key that does not.
    let again = lastmile(
        &[
            "api-key",
            "create",
            "--integration",
            "CRM",
            "--name",
            "production",
            "--scopes",
            "read",
        ],
        Some(&url),
        None,
    );
    assert_eq!(again.status.code(), Some(1));
    assert!(
        stderr(&again).contains("already has a key named"),
        "{}",
        stderr(&again)
    );
    let bad = lastmile(
        &[
            "api-key",
            "create",
            "--integration",
            "CRM",
            "--name",
            "x",
            "--scopes",
            "read,admin",
        ],
        Some(&url),
        None,
    );
    assert_eq!(bad.status.code(), Some(1));
    assert!(
        stderr(&bad).contains("\"admin\" is not one of"),
        "{}",
        stderr(&bad)
    );
    let missing = lastmile(&["api-key", "rotate", "999"], Some(&url), None);
    assert_eq!(missing.status.code(), Some(1));
    assert!(
        stderr(&missing).contains("no API key has the id 999"),
        "{}",
        stderr(&missing)
    );
    let keys: i64 = sqlx::query_scalar("select count(*) from api_keys")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(keys, 1, "nothing half-made");

    // Rotate: a second token; revoke: none works.
    let id: i64 = sqlx::query_scalar("select id from api_keys")
        .fetch_one(&pool)
        .await
        .unwrap();
    let rotated = lastmile(&["api-key", "rotate", &id.to_string()], Some(&url), None);
    assert!(rotated.status.success(), "{}", stderr(&rotated));
    let new_token = String::from_utf8_lossy(&rotated.stdout)
        .lines()
        .find(|l| l.starts_with("lmk_"))
        .expect("the new token")
        .to_string();
    assert_ne!(new_token, token);
    for t in [&token, &new_token] {
        assert!(engine::integrations::authenticate(&pool, t)
            .await
            .unwrap()
            .is_some());
    }
    let revoked = lastmile(&["api-key", "revoke", &id.to_string()], Some(&url), None);
    assert!(revoked.status.success(), "{}", stderr(&revoked));
    for t in [&token, &new_token] {
        assert!(engine::integrations::authenticate(&pool, t)
            .await
            .unwrap()
            .is_none());
    }
}

#[test]
fn the_openapi_document_is_printed_without_a_database() {
    let out = lastmile(&["api", "openapi"], None, None);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        lastmile::api::document_json()
    );
}

/// The plans and taxes `docs/import-example/mapping.toml` maps to.
async fn import_catalogue(pool: &PgPool) {
    sqlx::raw_sql(
        "insert into jurisdictions (code, name) values ('US-TX', 'Texas'), ('US-OR', 'Oregon');
         insert into tax_rates (jurisdiction_id, name, rate, inclusive, valid_from)
              select id, case code when 'US-TX' then 'Texas sales tax' else 'Oregon' end,
                     case code when 'US-TX' then 0.0825 else 0 end, false, '2020-01-01'
                from jurisdictions;
         insert into plans (code, name, technology, download_mbps, upload_mbps, allowance_gb,
                            monthly_price, currency, overage_per_gb, contract_months, early_termination_fee)
         values ('fibre-300', 'Fibre 300', 'fibre', 300, 300, null, 50.00, 'USD', null, 0, null),
                ('fibre-500', 'Fibre 500', 'fibre', 500, 500, null, 65.00, 'USD', null, 12, 150.00),
                ('cable-300', 'Cable 300', 'cable', 300, 20, 1000, 55.00, 'USD', 0.50, 0, null)",
    )
    .execute(pool)
    .await
    .unwrap();
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).to_string()
}

#[sqlx::test(migrations = "../migrations")]
async fn import_checks_writes_once_compares_the_shadow_bill_and_invites(pool: PgPool) {
    import_catalogue(&pool).await;
    let url = url_of(&pool).await;
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/import-example");
    let mapping = format!("{example}/mapping.toml");
    let vars = [
        ("LASTMILE_TOTP_KEY", TEST_KEY),
        ("LASTMILE_TIME_ZONE", "America/Chicago"),
    ];

    // Bad input: a mapping that is not TOML, an export with a rejected row.
    let bad = std::env::temp_dir().join(format!("lastmile-cli-import-{}", std::process::id()));
    std::fs::create_dir_all(&bad).unwrap();
    std::fs::write(bad.join("mapping.toml"), "[plans\n").unwrap();
    let out = lastmile_with(
        &[
            "import",
            example,
            "--mapping",
            bad.join("mapping.toml").to_str().unwrap(),
        ],
        Some(&url),
        None,
        &vars,
    );
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("mapping.toml: TOML parse error"),
        "{}",
        stderr(&out)
    );
    std::fs::write(
        bad.join("accounts.csv"),
        "legacy_id,kind,name,status,cycle_day,currency,opening_balance\nX1,residential,Ann Bell,A,40,USD,0.00\n",
    )
    .unwrap();
    let out = lastmile_with(
        &[
            "import",
            bad.to_str().unwrap(),
            "--mapping",
            &mapping,
            "--dry-run",
        ],
        Some(&url),
        None,
        &vars,
    );
    assert!(!out.status.success());
    assert!(
        stdout(&out)
            .contains("  accounts.csv:2:cycle_day: \"40\" is not a whole number from 1 to 31\n"),
        "{}",
        stdout(&out)
    );
    assert!(
        stdout(&out).ends_with("dry run: nothing was written\n"),
        "{}",
        stdout(&out)
    );
    assert_eq!(
        stderr(&out),
        "error: 1 row rejected (2 faults), 1 account held back (listed above); the import would leave them out\n"
    );
    let accounts: i64 = sqlx::query_scalar("select count(*) from accounts")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(accounts, 0);

    // The example: a dry run, the import, and a second run that finds everything there.
    let out = lastmile_with(
        &["import", example, "--mapping", &mapping, "--dry-run"],
        Some(&url),
        None,
        &vars,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("ready to import: 3 accounts, 4 people (3 portal logins), 3 addresses, 3 services, 1 open invoices"), "{}", stdout(&out));
    let out = lastmile_with(
        &["import", example, "--mapping", &mapping],
        Some(&url),
        None,
        &vars,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("added: 3 accounts, 4 people (3 portal logins)"),
        "{}",
        stdout(&out)
    );
    let out = lastmile_with(
        &["import", example, "--mapping", &mapping],
        Some(&url),
        None,
        &vars,
    );
    assert!(stdout(&out).contains("added: 0 accounts, 0 people (0 portal logins), 0 addresses, 0 services, 0 open invoices, 0 payment methods, 0 notes, 0 usage days\n"), "{}", stdout(&out));
    assert!(
        stdout(&out).contains("already there: 3 accounts"),
        "{}",
        stdout(&out)
    );
    let runs: Vec<String> = sqlx::query_scalar("select outcome from import_runs order by id")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(runs, ["imported", "imported"], "a dry run is not recorded");

    let out = lastmile_with(
        &[
            "import",
            "shadow-bill",
            "--legacy-invoices",
            &format!("{example}/legacy-next-invoices.csv"),
        ],
        Some(&url),
        None,
        &vars,
    );
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert!(
        stdout(&out)
            .ends_with("shadow bill: 2 accounts compared, 2 the same, 0 different (over a cent)\n"),
        "{}",
        stdout(&out)
    );

    let out = lastmile_with(&["import", "invite"], Some(&url), None, &vars);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "invitations: 3 queued in the email outbox (a set-your-password link each, valid 14 days); 0 imported logins still to invite\n"
    );
    let out = lastmile_with(&["import", "invite"], Some(&url), None, &vars);
    assert!(
        stdout(&out).starts_with("invitations: 0 queued"),
        "each login once"
    );
    let emails: Vec<(String, String)> = sqlx::query_as(
        "select to_address::text, subject from outbound_emails where kind = 'invitation' order by to_address",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        emails,
        [
            (
                "jordan.avery@example.com".to_string(),
                "Your Lastmile Broadband account is ready: choose your password".to_string()
            ),
            (
                "robin@northwind.example.com".into(),
                "Your Lastmile Broadband account is ready: choose your password".into()
            ),
            (
                "sam.rivera@example.com".into(),
                "Su cuenta de Lastmile Broadband está lista: elija su contraseña".into()
            ),
        ]
    );
    let _ = std::fs::remove_dir_all(bad);
}

#[sqlx::test(migrations = "../migrations")]
async fn reconcile_runs_a_month_and_names_bad_input(pool: PgPool) {
    let url = url_of(&pool).await;
    let out = lastmile(&["reconcile", "--period", "2026-13"], Some(&url), None);
    assert!(!out.status.success());
    assert_eq!(
        stderr(&out),
        "error: '2026-13' is not a month written YYYY-MM\n"
    );
    let bad =
        std::env::temp_dir().join(format!("lastmile-cli-upstream-{}.csv", std::process::id()));
    std::fs::write(
        &bad,
        "circuit,period_start,period_end,amount\nC-1,2026-11-01,2026-10-31,40.00\n",
    )
    .unwrap();
    let out = lastmile(
        &[
            "reconcile",
            "--period",
            "2026-11",
            "--upstream",
            bad.to_str().unwrap(),
        ],
        Some(&url),
        None,
    );
    assert!(!out.status.success());
    let name = bad.file_name().unwrap().to_str().unwrap();
    assert_eq!(
        stderr(&out),
        format!("{name}:2:period_end: 2026-10-31 is before the period's start 2026-11-01\nerror: 1 row of the upstream invoice is wrong; nothing was reconciled\n")
    );
    let runs: i64 = sqlx::query_scalar("select count(*) from reconciliation_runs")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(runs, 0, "nothing half-written");
    let out = lastmile(&["reconcile", "--period", "2026-11"], Some(&url), None);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "reconciliation run 1: 2026-11-01 to 2026-11-30, without an upstream invoice\n  used while switched off or cancelled: 0\n  billed but never online: 0\n  invoiced upstream but cancelled here: 0\n  invoiced upstream, unknown here: 0\n  in service here but not invoiced upstream: 0\n  plan speed differs (network or upstream): 0\n"
    );
    let _ = std::fs::remove_file(bad);
}
