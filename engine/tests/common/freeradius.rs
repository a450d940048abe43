//! A real FreeRADIUS for one test: its own directory (from `radiusd.conf.in`), its own UDP
//! ports, the test's own database as the role `lastmile_radius`; `radclient` (a real
//! process) sends it packets. Stopped when dropped; a failing test keeps its directory and
//! prints the end of the server's log.
//!
//! Needs Debian's `freeradius`, `freeradius-postgresql` and `freeradius-utils`
//! (`scripts/test` installs them) and the package's PostgreSQL queries
//! (`$LASTMILE_FREERADIUS_RADDB`, default `/etc/freeradius/3.0`). PostgreSQL must let
//! `lastmile_radius` in without a password from where the tests connect (trust on
//! 127.0.0.1, as on the project's machines); the role is allowed to log in here.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use sqlx::PgPool;

/// The shared secret of the test's NAS (127.0.0.1).
pub const SECRET: &str = "lastmile-test-secret";

static STARTED: AtomicU32 = AtomicU32::new(0);

/// A running FreeRADIUS.
pub struct FreeRadius {
    child: std::process::Child,
    pub dir: PathBuf,
    pub auth_port: u16,
    pub acct_port: u16,
}

/// What FreeRADIUS answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// `Access-Accept`, `Access-Reject`, `Accounting-Response`, or `no reply`.
    pub code: String,
    /// The reply's attributes (name, value without quotes), in order.
    pub attributes: Vec<(String, String)>,
}

impl Reply {
    pub fn accepted(&self) -> bool {
        self.code == "Access-Accept"
    }

    pub fn rejected(&self) -> bool {
        self.code == "Access-Reject"
    }

    /// The value of the attribute `name`, if the reply has it.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Lets `lastmile_radius` log in (the migration creates it without login: the operator
/// gives it a password). Roles belong to the server, so tests running at once may race
/// here; the check is repeated.
pub async fn allow_radius_login(pool: &PgPool) {
    for _ in 0..20 {
        let can: bool = sqlx::query_scalar(
            "select rolcanlogin from pg_roles where rolname = 'lastmile_radius'",
        )
        .fetch_one(pool)
        .await
        .expect("the role lastmile_radius exists");
        if can {
            return;
        }
        let _ = sqlx::query("alter role lastmile_radius login")
            .execute(pool)
            .await;
    }
    panic!("could not let lastmile_radius log in");
}

/// Where the pool's server is, as FreeRADIUS should reach it.
async fn database(pool: &PgPool) -> (String, u16, String) {
    let (host, port, name): (Option<String>, Option<i32>, String) =
        sqlx::query_as("select host(inet_server_addr()), inet_server_port(), current_database()")
            .fetch_one(pool)
            .await
            .expect("database address");
    (
        host.unwrap_or_else(|| "127.0.0.1".into()),
        port.and_then(|p| u16::try_from(p).ok()).unwrap_or(5432),
        name,
    )
}

/// Two UDP ports free on 127.0.0.1 (held together while chosen, so they differ).
fn free_ports() -> (u16, u16) {
    let a = std::net::UdpSocket::bind("127.0.0.1:0").expect("a free port");
    let b = std::net::UdpSocket::bind("127.0.0.1:0").expect("a free port");
    (
        a.local_addr().expect("port").port(),
        b.local_addr().expect("port").port(),
    )
}

impl FreeRadius {
    /// Starts FreeRADIUS on the pool's database and waits until it is ready.
    pub async fn start(pool: &PgPool) -> FreeRadius {
        allow_radius_login(pool).await;
        let (db_host, db_port, db_name) = database(pool).await;
        let raddb = std::env::var("LASTMILE_FREERADIUS_RADDB")
            .unwrap_or_else(|_| "/etc/freeradius/3.0".into());
        let queries = Path::new(&raddb).join("mods-config/sql/main/postgresql/queries.conf");

        let dir = std::env::temp_dir().join(format!(
            "lastmile-radius-{}-{}",
            std::process::id(),
            STARTED.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        let sql_dir = dir.join("mods-config/sql/main/postgresql");
        for d in [dir.join("log"), dir.join("run"), sql_dir.clone()] {
            std::fs::create_dir_all(&d).expect("the test's FreeRADIUS directory");
        }
        std::fs::copy(&queries, sql_dir.join("queries.conf")).unwrap_or_else(|e| {
            panic!(
                "cannot read FreeRADIUS's PostgreSQL queries at {} ({e}): install freeradius-postgresql (scripts/test does), or set LASTMILE_FREERADIUS_RADDB",
                queries.display()
            )
        });
        std::fs::write(
            dir.join("dictionary"),
            "# the package's dictionaries only\n",
        )
        .expect("dictionary");
        let (auth_port, acct_port) = free_ports();
        let conf = include_str!("radiusd.conf.in")
            .replace("@DIR@", &dir.to_string_lossy())
            .replace("@SECRET@", SECRET)
            .replace("@DB_HOST@", &db_host)
            .replace("@DB_PORT@", &db_port.to_string())
            .replace("@DB_NAME@", &db_name)
            .replace("@AUTH_PORT@", &auth_port.to_string())
            .replace("@ACCT_PORT@", &acct_port.to_string());
        std::fs::write(dir.join("radiusd.conf"), conf).expect("radiusd.conf");

        let out = std::fs::File::create(dir.join("log/stdout.log")).expect("stdout log");
        let child = std::process::Command::new("freeradius")
            .arg("-f")
            .arg("-d")
            .arg(&dir)
            .stdin(Stdio::null())
            .stdout(out.try_clone().expect("log"))
            .stderr(out)
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start freeradius ({e}): install freeradius (scripts/test does)")
            });
        let mut radius = FreeRadius {
            child,
            dir,
            auth_port,
            acct_port,
        };
        radius.wait_ready().await;
        radius
    }

    async fn wait_ready(&mut self) {
        let started = Instant::now();
        loop {
            if std::fs::read_to_string(self.dir.join("log/radius.log"))
                .unwrap_or_default()
                .contains("Ready to process requests")
            {
                return;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "freeradius exited ({status}) before it was ready:\n{}",
                    self.log()
                );
            }
            if started.elapsed() > Duration::from_secs(30) {
                panic!("freeradius was not ready within 30 s:\n{}", self.log());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The server's logs.
    pub fn log(&self) -> String {
        let read = |name: &str| {
            std::fs::read_to_string(self.dir.join("log").join(name)).unwrap_or_default()
        };
        format!("{}{}", read("stdout.log"), read("radius.log"))
    }

    /// An Access-Request with a PAP password.
    pub async fn pap(&self, username: &str, password: &str) -> Reply {
        self.send(
            "auth",
            &format!("User-Name = \"{username}\", User-Password = \"{password}\""),
        )
        .await
    }

    /// An Access-Request with a CHAP password (as PPPoE sends it; radclient does the MD5).
    pub async fn chap(&self, username: &str, password: &str) -> Reply {
        self.send(
            "auth",
            &format!("User-Name = \"{username}\", CHAP-Password = \"{password}\""),
        )
        .await
    }

    /// Sends one packet (`auth` or `acct`) with `attributes` (radclient's syntax) through
    /// `radclient`, and reads the answer.
    pub async fn send(&self, kind: &str, attributes: &str) -> Reply {
        let port = if kind == "acct" {
            self.acct_port
        } else {
            self.auth_port
        };
        let dir = self.dir.clone();
        let input = format!("{attributes}\n");
        let kind = kind.to_string();
        let output = tokio::task::spawn_blocking(move || {
            let mut child = std::process::Command::new("radclient")
                .arg("-x")
                .args(["-r", "2", "-t", "3"])
                .arg("-d")
                .arg(&dir)
                .arg(format!("127.0.0.1:{port}"))
                .arg(&kind)
                .arg(SECRET)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("radclient (install freeradius-utils)");
            child
                .stdin
                .take()
                .expect("stdin")
                .write_all(input.as_bytes())
                .expect("radclient input");
            child.wait_with_output().expect("radclient ran")
        })
        .await
        .expect("radclient thread");
        parse_reply(&String::from_utf8_lossy(&output.stdout))
    }
}

/// Reads radclient's `-x` output: the `Received <code> ...` line and the tab-indented
/// attributes after it.
pub fn parse_reply(text: &str) -> Reply {
    let mut reply = Reply {
        code: "no reply".into(),
        attributes: Vec::new(),
    };
    let mut in_reply = false;
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("Received ") {
            reply.code = rest.split_whitespace().next().unwrap_or("").to_string();
            reply.attributes.clear();
            in_reply = true;
        } else if line.starts_with("Sent ") {
            in_reply = false;
        } else if in_reply && line.starts_with('\t') {
            if let Some((name, value)) = line.trim().split_once(" = ") {
                reply
                    .attributes
                    .push((name.to_string(), value.trim_matches('"').to_string()));
            }
        }
    }
    reply
}

impl Drop for FreeRadius {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!(
                "FreeRADIUS's directory kept at {}; its log:\n{}",
                self.dir.display(),
                self.log()
            );
        } else {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}
