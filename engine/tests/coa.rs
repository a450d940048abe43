//! Changes sent to subscribers already online (RFC 5176), against PostgreSQL and a NAS
//! written here: a UDP socket that decodes what arrives with the `radius` crate, keeps it
//! for the test to inspect, and answers as told (ACK, NAK with an Error-Cause, nothing, or
//! an answer signed with the wrong secret). Sessions and NASes are rows inserted as
//! FreeRADIUS writes them (radius.radacct, radius.nas).
//!
//! Timing decides nothing here: the NAS counts the packets it gets, and the short per-attempt
//! waits only make an unanswered request end sooner.

mod common;

use std::net::Ipv4Addr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use engine::network::coa::{self, Change, CoaSettings, Queued};
use hmac::{Hmac, Mac};
use radius::core::code::Code;
use radius::core::packet::Packet;
use radius::core::{rfc2865, rfc2866, rfc3576};
use rust_decimal_macros::dec;
use sqlx::PgPool;
use tokio::net::UdpSocket;

const SECRET: &str = "nas-shared-secret-1";

#[derive(Clone, Copy)]
enum Answer {
    Ack,
    Nak(u32),
    Silent,
    WrongSecret,
}

/// The fake NAS: where it listens, and every datagram it received.
struct FakeNas {
    port: u16,
    received: Arc<Mutex<Vec<Vec<u8>>>>,
}

impl FakeNas {
    async fn start(answer: Answer) -> FakeNas {
        let socket = UdpSocket::bind("127.0.0.1:0").await.expect("bind fake NAS");
        let port = socket.local_addr().expect("address").port();
        let received = Arc::new(Mutex::new(Vec::new()));
        let log = received.clone();
        tokio::spawn(async move {
            let mut buffer = vec![0u8; 4096];
            loop {
                let Ok((length, peer)) = socket.recv_from(&mut buffer).await else {
                    return;
                };
                let bytes = buffer[..length].to_vec();
                log.lock().expect("log").push(bytes.clone());
                let secret = match answer {
                    Answer::WrongSecret => "not-the-secret",
                    _ => SECRET,
                };
                let Ok(request) = Packet::decode(&bytes, secret.as_bytes()) else {
                    continue;
                };
                let (ack, nak) = match request.get_code() {
                    Code::CoARequest => (Code::CoAACK, Code::CoANAK),
                    _ => (Code::DisconnectACK, Code::DisconnectNAK),
                };
                let reply = match answer {
                    Answer::Silent => continue,
                    Answer::Ack | Answer::WrongSecret => request.make_response_packet(ack),
                    Answer::Nak(cause) => {
                        let mut reply = request.make_response_packet(nak);
                        rfc3576::add_error_cause(&mut reply, cause);
                        reply
                    }
                };
                let encoded = reply.encode().expect("encode reply");
                let _ = socket.send_to(&encoded, peer).await;
            }
        });
        FakeNas { port, received }
    }

    fn packets(&self) -> Vec<Vec<u8>> {
        self.received.lock().expect("log").clone()
    }
}

fn settings() -> CoaSettings {
    CoaSettings {
        attempts: 3,
        timeout: Duration::from_millis(150),
        ..CoaSettings::default()
    }
}

/// A service with an outbox event; returns (service id, outbox id).
async fn service_with_event(pool: &PgPool, number: &str) -> (i64, i64) {
    let jurisdiction = common::jurisdiction(pool, "US-TX", "Tax", dec!(0), false).await;
    let plan = common::plan(pool, "fibre-100", dec!(50.00), None, None).await;
    let (account, service) = common::account(
        pool,
        number,
        "postpaid",
        1,
        jurisdiction,
        plan,
        common::d(2026, 11, 1),
    )
    .await;
    let outbox = outbox(pool, account, service, plan).await;
    (service, outbox)
}

async fn outbox(pool: &PgPool, account: i64, service: i64, plan: i64) -> i64 {
    sqlx::query_scalar(
        "insert into provisioning_outbox (account_id, service_id, action, plan_id, plan_code,
                                          download_mbps, upload_mbps, effective_on, service_status)
         values ($1, $2, 'change_plan', $3, 'fibre-100', 100, 20, '2026-12-07', 'active') returning id",
    )
    .bind(account)
    .bind(service)
    .bind(plan)
    .fetch_one(pool)
    .await
    .expect("outbox")
}

/// Another outbox event for the same service.
async fn next_event(pool: &PgPool, service: i64) -> i64 {
    let (account, plan): (i64, i64) =
        sqlx::query_as("select account_id, plan_id from services where id = $1")
            .bind(service)
            .fetch_one(pool)
            .await
            .expect("service");
    outbox(pool, account, service, plan).await
}

/// The fake NAS as radius.nas knows it: its address, its CoA port, the shared secret.
async fn nas(pool: &PgPool, port: u16) {
    sqlx::query(
        "insert into radius.nas (nasname, shortname, type, ports, secret)
         values ('127.0.0.1', 'fake-nas', 'other', $1, $2)",
    )
    .bind(i32::from(port))
    .bind(SECRET)
    .execute(pool)
    .await
    .expect("nas");
}

/// A session as FreeRADIUS's accounting query writes it (open: no stop time).
async fn session(pool: &PgPool, user: &str, session_id: &str, nas: &str, framed: &str, open: bool) {
    sqlx::query(
        "insert into radius.radacct (acctsessionid, acctuniqueid, username, nasipaddress,
                                     nasportid, acctstarttime, acctupdatetime, acctstoptime,
                                     acctinputoctets, acctoutputoctets, framedipaddress,
                                     framedprotocol, acctterminatecause)
         values ($1, md5($2 || $1 || $3), $2, $3::inet, 'ether1', now() - interval '1 hour',
                 now(), case when $5 then null else now() end, 1000, 2000, $4::inet, 'PPP',
                 case when $5 then '' else 'User-Request' end)",
    )
    .bind(session_id)
    .bind(user)
    .bind(nas)
    .bind(framed)
    .bind(open)
    .execute(pool)
    .await
    .expect("radacct");
}

async fn queue(pool: &PgPool, outbox_id: i64, service_id: i64, user: &str, change: Change) {
    let mut tx = pool.begin().await.expect("begin");
    coa::queue(
        &mut tx,
        Queued {
            outbox_id,
            service_id,
            username: user.into(),
            change,
        },
    )
    .await
    .expect("queue");
    tx.commit().await.expect("commit");
}

fn rate() -> Change {
    Change::Rate(vec![
        ("Mikrotik-Rate-Limit".into(), "20M/100M".into()),
        ("WISPr-Bandwidth-Max-Down".into(), "100000000".into()),
        ("WISPr-Bandwidth-Max-Up".into(), "20000000".into()),
    ])
}

#[derive(Debug, sqlx::FromRow, PartialEq)]
struct Row {
    acct_session_id: String,
    kind: String,
    status: String,
    attempts: i32,
    error_cause: Option<i64>,
    last_error: Option<String>,
    sent: bool,
    finished: bool,
}

async fn rows(pool: &PgPool) -> Vec<Row> {
    sqlx::query_as(
        "select acct_session_id, kind, status, attempts, error_cause, last_error,
                sent_at is not null as sent, finished_at is not null as finished
           from network_coa_requests order by id",
    )
    .fetch_all(pool)
    .await
    .expect("rows")
}

/// The vendor-specific attributes of a packet: (vendor, type, value).
fn vendor_attributes(packet: &Packet) -> Vec<(u32, u8, Vec<u8>)> {
    packet
        .lookup_all(26)
        .into_iter()
        .map(|avp| {
            let bytes = avp.encode_bytes();
            let vendor = u32::from_be_bytes(bytes[..4].try_into().expect("vendor id"));
            assert_eq!(usize::from(bytes[5]), bytes.len() - 4, "vendor length");
            (vendor, bytes[4], bytes[6..].to_vec())
        })
        .collect()
}

/// Checks a received request the way a NAS does: the Request Authenticator against the
/// shared secret (and not against another), and the Message-Authenticator (HMAC-MD5 of the
/// packet with both zeroed), computed here independently of the sender's code.
fn check_signed(bytes: &[u8]) {
    assert!(Packet::is_authentic_request(bytes, SECRET.as_bytes()));
    assert!(!Packet::is_authentic_request(bytes, b"another-secret"));
    let mut zeroed = bytes.to_vec();
    zeroed[4..20].fill(0);
    let mut offset = 20;
    let mut found = None;
    while offset < zeroed.len() {
        let length = usize::from(zeroed[offset + 1]);
        if zeroed[offset] == 80 {
            assert_eq!(length, 18);
            found = Some(bytes[offset + 2..offset + 18].to_vec());
            zeroed[offset + 2..offset + 18].fill(0);
        }
        offset += length;
    }
    let received = found.expect("a Message-Authenticator");
    let mut mac = Hmac::<md5::Md5>::new_from_slice(SECRET.as_bytes()).expect("key");
    mac.update(&zeroed);
    assert_eq!(mac.finalize().into_bytes().to_vec(), received);
}

#[sqlx::test(migrations = "../migrations")]
async fn an_online_subscriber_gets_the_new_rate_and_the_ack_is_recorded(pool: PgPool) {
    let fake = FakeNas::start(Answer::Ack).await;
    nas(&pool, fake.port).await;
    let (service, event) = service_with_event(&pool, "900001").await;
    session(&pool, "alice", "S-OLD", "127.0.0.1", "100.64.0.6", false).await; // ended
    session(&pool, "alice", "S-1", "127.0.0.1", "100.64.0.7", true).await;
    session(&pool, "bob", "S-2", "127.0.0.1", "100.64.0.8", true).await; // someone else

    queue(&pool, event, service, "alice", rate()).await;
    // Recorded in the transaction, sent only by the sender.
    assert_eq!(rows(&pool).await.len(), 1);
    assert!(fake.packets().is_empty());

    assert_eq!(
        coa::send_pending(&pool, &settings()).await.expect("send"),
        1
    );
    let packets = fake.packets();
    assert_eq!(
        packets.len(),
        1,
        "one CoA-Request, for the one open session"
    );
    check_signed(&packets[0]);
    let packet = Packet::decode(&packets[0], SECRET.as_bytes()).expect("decode");
    assert_eq!(packet.get_code(), Code::CoARequest);
    assert_eq!(
        rfc2865::lookup_user_name(&packet)
            .expect("User-Name")
            .expect("text"),
        "alice"
    );
    assert_eq!(
        rfc2866::lookup_acct_session_id(&packet)
            .expect("Acct-Session-Id")
            .expect("text"),
        "S-1"
    );
    assert_eq!(
        rfc2865::lookup_framed_ip_address(&packet)
            .expect("Framed-IP")
            .expect("ip"),
        Ipv4Addr::new(100, 64, 0, 7)
    );
    assert_eq!(
        rfc2865::lookup_nas_ip_address(&packet)
            .expect("NAS-IP")
            .expect("ip"),
        Ipv4Addr::new(127, 0, 0, 1)
    );
    // Mikrotik (14988) Rate-Limit (8) as text; WISPr (14122) Bandwidth-Max-Down (8) and
    // -Up (7) as 32-bit numbers: 100,000,000 = 0x05F5E100, 20,000,000 = 0x01312D00.
    assert_eq!(
        vendor_attributes(&packet),
        vec![
            (14988, 8, b"20M/100M".to_vec()),
            (14122, 8, vec![0x05, 0xF5, 0xE1, 0x00]),
            (14122, 7, vec![0x01, 0x31, 0x2D, 0x00]),
        ]
    );

    assert_eq!(
        rows(&pool).await,
        vec![Row {
            acct_session_id: "S-1".into(),
            kind: "coa".into(),
            status: "ack".into(),
            attempts: 1,
            error_cause: None,
            last_error: None,
            sent: true,
            finished: true,
        }]
    );
    // Nothing is sent twice.
    assert_eq!(
        coa::send_pending(&pool, &settings()).await.expect("send"),
        0
    );
    assert_eq!(fake.packets().len(), 1);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_suspension_disconnects_and_a_nak_is_recorded_with_its_error_cause(pool: PgPool) {
    let fake = FakeNas::start(Answer::Nak(503)).await;
    nas(&pool, fake.port).await;
    let (service, event) = service_with_event(&pool, "900002").await;
    session(&pool, "carol", "S-3", "127.0.0.1", "100.64.0.9", true).await;

    queue(&pool, event, service, "carol", Change::Disconnect).await;
    assert_eq!(
        coa::send_pending(&pool, &settings()).await.expect("send"),
        1
    );

    let packets = fake.packets();
    assert_eq!(packets.len(), 1);
    check_signed(&packets[0]);
    let packet = Packet::decode(&packets[0], SECRET.as_bytes()).expect("decode");
    assert_eq!(packet.get_code(), Code::DisconnectRequest);
    assert_eq!(
        rfc2865::lookup_user_name(&packet)
            .expect("User-Name")
            .expect("text"),
        "carol"
    );
    assert_eq!(
        rfc2866::lookup_acct_session_id(&packet)
            .expect("Acct-Session-Id")
            .expect("text"),
        "S-3"
    );
    assert!(
        vendor_attributes(&packet).is_empty(),
        "a Disconnect sets nothing"
    );

    let recorded = rows(&pool).await;
    assert_eq!(recorded.len(), 1);
    assert_eq!(
        (
            recorded[0].kind.as_str(),
            recorded[0].status.as_str(),
            recorded[0].attempts
        ),
        ("disconnect", "nak", 1)
    );
    assert_eq!(recorded[0].error_cause, Some(503));
    assert_eq!(
        recorded[0].last_error.as_deref(),
        Some("NAK: Error-Cause 503 (Session-Context-Not-Found)")
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn an_unanswered_request_is_sent_again_then_recorded_as_a_timeout(pool: PgPool) {
    let fake = FakeNas::start(Answer::Silent).await;
    nas(&pool, fake.port).await;
    let (service, event) = service_with_event(&pool, "900003").await;
    session(&pool, "dave", "S-4", "127.0.0.1", "100.64.0.10", true).await;

    queue(&pool, event, service, "dave", rate()).await;
    assert_eq!(
        coa::send_pending(&pool, &settings()).await.expect("send"),
        1
    );

    let packets = fake.packets();
    assert_eq!(packets.len(), 3, "three attempts");
    // A retransmission is the same packet: same Identifier, same authenticator.
    assert!(packets.iter().all(|p| p == &packets[0]));
    let recorded = rows(&pool).await;
    assert_eq!(
        (
            recorded[0].status.as_str(),
            recorded[0].attempts,
            recorded[0].sent
        ),
        ("timeout", 3, true)
    );
    assert_eq!(
        recorded[0].last_error.as_deref(),
        Some(format!("no answer from 127.0.0.1:{} after 3 attempts", fake.port).as_str())
    );
    // Recorded, not retried for ever.
    assert_eq!(
        coa::send_pending(&pool, &settings()).await.expect("send"),
        0
    );
    assert_eq!(fake.packets().len(), 3);
}

#[sqlx::test(migrations = "../migrations")]
async fn an_answer_signed_with_another_secret_is_not_an_ack(pool: PgPool) {
    let fake = FakeNas::start(Answer::WrongSecret).await;
    nas(&pool, fake.port).await;
    let (service, event) = service_with_event(&pool, "900004").await;
    session(&pool, "erin", "S-5", "127.0.0.1", "100.64.0.11", true).await;

    queue(&pool, event, service, "erin", Change::Disconnect).await;
    let two = CoaSettings {
        attempts: 2,
        ..settings()
    };
    assert_eq!(coa::send_pending(&pool, &two).await.expect("send"), 1);

    assert_eq!(fake.packets().len(), 2);
    let recorded = rows(&pool).await;
    assert_eq!(
        (recorded[0].status.as_str(), recorded[0].attempts),
        ("timeout", 2)
    );
    let why = recorded[0].last_error.clone().expect("why");
    assert!(why.contains("failed the authenticator check"), "{why}");
}

#[sqlx::test(migrations = "../migrations")]
async fn two_senders_at_once_send_each_request_once(pool: PgPool) {
    let fake = FakeNas::start(Answer::Ack).await;
    nas(&pool, fake.port).await;
    let (service, event) = service_with_event(&pool, "900005").await;
    for n in 1..=12 {
        session(
            &pool,
            "frank",
            &format!("S-F{n}"),
            "127.0.0.1",
            &format!("100.64.1.{n}"),
            true,
        )
        .await;
    }
    queue(&pool, event, service, "frank", rate()).await;
    assert_eq!(rows(&pool).await.len(), 12);

    let small = CoaSettings {
        batch: 3,
        ..settings()
    };
    let (a, b) = tokio::join!(coa::run_once(&pool, &small), coa::run_once(&pool, &small));
    assert_eq!(a.expect("sender a") + b.expect("sender b"), 12);

    let mut sessions: Vec<String> = fake
        .packets()
        .iter()
        .map(|bytes| {
            let packet = Packet::decode(bytes, SECRET.as_bytes()).expect("decode");
            rfc2866::lookup_acct_session_id(&packet)
                .expect("id")
                .expect("text")
        })
        .collect();
    sessions.sort();
    let mut expected: Vec<String> = (1..=12).map(|n| format!("S-F{n}")).collect();
    expected.sort();
    assert_eq!(sessions, expected, "each session's request exactly once");
    assert!(rows(&pool)
        .await
        .iter()
        .all(|r| r.status == "ack" && r.attempts == 1));
}

#[sqlx::test(migrations = "../migrations")]
async fn a_session_on_a_nas_without_a_secret_is_recorded_as_failed(pool: PgPool) {
    let fake = FakeNas::start(Answer::Ack).await;
    nas(&pool, fake.port).await;
    let (service, event) = service_with_event(&pool, "900006").await;
    session(&pool, "gina", "S-6", "10.255.0.9", "100.64.0.12", true).await; // unknown NAS
    session(&pool, "gina", "S-7", "127.0.0.1", "100.64.0.13", true).await;

    queue(&pool, event, service, "gina", Change::Disconnect).await;
    let recorded = rows(&pool).await;
    assert_eq!(recorded.len(), 2, "both sessions recorded, none dropped");
    assert_eq!(
        recorded[0],
        Row {
            acct_session_id: "S-6".into(),
            kind: "disconnect".into(),
            status: "failed".into(),
            attempts: 0,
            error_cause: None,
            last_error: Some(
                "no radius.nas row for NAS 10.255.0.9: add one (nasname = its address, secret) \
                 so the request can be signed"
                    .into()
            ),
            sent: false,
            finished: true,
        }
    );
    assert_eq!(
        coa::send_pending(&pool, &settings()).await.expect("send"),
        1
    );
    assert_eq!(fake.packets().len(), 1, "only the session on the known NAS");
    assert_eq!(rows(&pool).await[1].status, "ack");
}

#[sqlx::test(migrations = "../migrations")]
async fn a_newer_change_replaces_one_not_yet_sent_and_an_event_is_queued_once(pool: PgPool) {
    let fake = FakeNas::start(Answer::Ack).await;
    nas(&pool, fake.port).await;
    let (service, first) = service_with_event(&pool, "900007").await;
    let second = next_event(&pool, service).await;
    session(&pool, "hugo", "S-8", "127.0.0.1", "100.64.0.14", true).await;

    queue(&pool, first, service, "hugo", rate()).await;
    queue(&pool, second, service, "hugo", Change::Disconnect).await;
    queue(&pool, second, service, "hugo", Change::Disconnect).await; // the worker retried
    let recorded = rows(&pool).await;
    assert_eq!(
        recorded
            .iter()
            .map(|r| (r.kind.as_str(), r.status.as_str()))
            .collect::<Vec<_>>(),
        vec![("coa", "superseded"), ("disconnect", "pending")]
    );
    assert!(recorded[0]
        .last_error
        .as_deref()
        .unwrap_or("")
        .contains("replaced"));

    assert_eq!(
        coa::send_pending(&pool, &settings()).await.expect("send"),
        1
    );
    let packets = fake.packets();
    assert_eq!(packets.len(), 1);
    let packet = Packet::decode(&packets[0], SECRET.as_bytes()).expect("decode");
    assert_eq!(
        packet.get_code(),
        Code::DisconnectRequest,
        "the last decision wins"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn an_attribute_the_dictionary_does_not_know_fails_with_its_name(pool: PgPool) {
    let fake = FakeNas::start(Answer::Ack).await;
    nas(&pool, fake.port).await;
    let (service, event) = service_with_event(&pool, "900008").await;
    session(&pool, "ivy", "S-9", "127.0.0.1", "100.64.0.15", true).await;

    queue(
        &pool,
        event,
        service,
        "ivy",
        Change::Rate(vec![("Acme-Turbo".into(), "on".into())]),
    )
    .await;
    assert_eq!(
        coa::send_pending(&pool, &settings()).await.expect("send"),
        1
    );
    assert!(fake.packets().is_empty());
    let recorded = rows(&pool).await;
    assert_eq!(
        (recorded[0].status.as_str(), recorded[0].sent),
        ("failed", false)
    );
    assert_eq!(
        recorded[0].last_error.as_deref(),
        Some("attribute Acme-Turbo is not in the RADIUS dictionary")
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn the_schema_refuses_a_status_its_times_contradict(pool: PgPool) {
    let fake = FakeNas::start(Answer::Ack).await;
    nas(&pool, fake.port).await;
    let (service, event) = service_with_event(&pool, "900009").await;
    session(&pool, "jack", "S-10", "127.0.0.1", "100.64.0.16", true).await;
    queue(&pool, event, service, "jack", rate()).await;

    for bad in [
        // answered without a packet sent
        "update network_coa_requests set status = 'ack', finished_at = now()",
        // finished but still pending
        "update network_coa_requests set finished_at = now()",
        // a timeout that does not say why
        "update network_coa_requests set status = 'timeout', attempts = 3, sent_at = now(), finished_at = now()",
        // an Error-Cause on an ACK
        "update network_coa_requests set status = 'ack', attempts = 1, sent_at = now(), finished_at = now(), error_cause = 503",
    ] {
        assert!(sqlx::query(bad).execute(&pool).await.is_err(), "{bad}");
    }
    assert_eq!(rows(&pool).await[0].status, "pending");
}
