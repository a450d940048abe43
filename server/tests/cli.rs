//! The command line: bad input is refused with a plain message and a non-zero exit, and
//! leaves nothing half-written.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use sqlx::PgPool;

fn lastmile(args: &[&str], database_url: Option<&str>, stdin: Option<&str>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_lastmile"));
    command
        .args(args)
        .env_remove("DATABASE_URL")
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

/// The URL of the test's own database (sqlx::test made it; we connect to it by name).
async fn url_of(pool: &PgPool) -> String {
    let name: String = sqlx::query_scalar("select current_database()")
        .fetch_one(pool)
        .await
        .unwrap();
    let base = std::env::var("DATABASE_URL").expect("DATABASE_URL for tests");
    let (server, _) = base.rsplit_once('/').unwrap();
    format!("{server}/{name}")
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
