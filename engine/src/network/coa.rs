//! Telling a subscriber's NAS about a change while they are online (RFC 5176).
//!
//! FreeRADIUS hands out a plan's rate only when a session starts; a subscriber already
//! online keeps the old rate until they reconnect. So when the provisioning worker applies
//! an outbox event (a plan change, a suspension, a restoration), it calls [`queue`] in its
//! own transaction: one row of `network_coa_requests` per open session of that username in
//! `radius.radacct`, with the session's identifiers and the `radius.nas` row whose secret
//! signs the request. A session whose NAS has no `radius.nas` row is recorded `failed` with
//! the reason, never dropped. A newer change for a session replaces an older one not yet
//! sent (`superseded`): the last decision wins.
//!
//! After commit, [`send_pending`] (run every two seconds by `lastmile serve`) claims pending
//! rows with `for update skip locked`, so two server instances never send one request
//! twice, and sends each as a CoA-Request (the new rate attributes) or a Disconnect-Request
//! (a suspension), through the `radius` crate's packet codec:
//!
//! * the session is named by User-Name, Acct-Session-Id, Framed-IP-Address and
//!   NAS-IP-Address (RFC 5176 section 3), with an Event-Timestamp against replay;
//! * the Request Authenticator is MD5 over the packet and the shared secret (section 2.3),
//!   and a Message-Authenticator (HMAC-MD5, section 3.3) is included, which many NASes
//!   require;
//! * a request unanswered within [`CoaSettings::timeout`] is sent again, byte for byte (same
//!   Identifier), with the wait doubled each time, up to [`CoaSettings::attempts`] packets;
//! * an answer counts only if its Identifier matches and its Response Authenticator (and
//!   Message-Authenticator, when present) check out against the secret; anything else is
//!   discarded and mentioned in `last_error` if no valid answer comes;
//! * the outcome is recorded: `ack`, `nak` with the NAK's Error-Cause, `timeout` (no valid
//!   answer after every attempt), or `failed` (could not be sent: no NAS secret, an attribute
//!   the dictionary does not know, a value that does not fit).
//!
//! A request is claimed only when no older pending request for the same session exists, so
//! changes reach a session in the order they were decided. The claiming transaction stays
//! open while the batch is in flight (at most `timeout * (2^attempts - 1)`): if the process
//! dies meanwhile, the rows stay pending and are sent again by the next sender, which is
//! safe (a CoA sets an absolute rate; a repeated Disconnect is NAKed with
//! Session-Context-Not-Found).
//!
//! Attribute names are turned into RADIUS types through a [`Dictionary`]: a small built-in
//! table (the RFC attributes a plan group sets, Mikrotik and WISPr rates) extended by
//! FreeRADIUS dictionary files the operator names, so a NAS vendor's attribute set is
//! configuration, not code.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hmac::{Hmac, Mac};
use radius::core::avp::AVP;
use radius::core::code::Code;
use radius::core::packet::Packet;
use radius::core::{rfc2865, rfc2866, rfc2869, rfc3162, rfc3576};
use sqlx::{PgConnection, PgPool};
use tokio::net::UdpSocket;

use crate::error::EngineError;

/// A change for the sessions of one username, queued by the provisioning worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Queued {
    /// The outbox event that decided it.
    pub outbox_id: i64,
    /// The service whose sessions change.
    pub service_id: i64,
    /// The RADIUS User-Name of the service's sessions.
    pub username: String,
    /// What to tell the NAS.
    pub change: Change,
}

/// What the NAS is told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// A CoA-Request setting these attributes (name and value as in
    /// `radius.radgroupreply`, e.g. `("Mikrotik-Rate-Limit", "20M/100M")`).
    Rate(Vec<(String, String)>),
    /// A Disconnect-Request: the session ends; the subscriber's router reconnects and is
    /// authorised afresh (a walled garden, or a reject).
    Disconnect,
}

/// The CoA port RFC 5176 assigns, used when `radius.nas.ports` is not set.
pub const DEFAULT_COA_PORT: u16 = 3799;

/// Records one request per open session of `req.username`, in the caller's transaction.
///
/// Open sessions are the `radius.radacct` rows without a stop time; each is matched to the
/// `radius.nas` row whose `nasname` is the session's NAS-IP-Address (or a CIDR range holding
/// it; an exact address wins). Sessions without one are recorded `failed` with the reason.
/// Older pending requests of this username's sessions from earlier outbox events are marked
/// `superseded`. A `Change::Rate` with no attributes has nothing to send and records
/// nothing. Queuing the same outbox event twice records its requests once.
pub async fn queue(tx: &mut PgConnection, req: Queued) -> Result<(), EngineError> {
    let (kind, attributes) = match &req.change {
        Change::Rate(attributes) if attributes.is_empty() => return Ok(()),
        Change::Rate(attributes) => ("coa", serde_json::json!(attributes)),
        Change::Disconnect => ("disconnect", serde_json::json!([])),
    };
    sqlx::query(
        r#"
        with sessions as (
            select a.radacctid, a.acctsessionid, a.nasipaddress, a.framedipaddress,
                   n.id as nas_id, n.ports
              from radius.radacct a
              left join lateral (
                  select n.id, n.ports
                    from radius.nas n
                   where n.nasname = host(a.nasipaddress)
                      or (n.nasname ~ '^[0-9A-Fa-f.:]+/[0-9]{1,3}$'
                          and a.nasipaddress <<= (case when n.nasname ~ '^[0-9A-Fa-f.:]+/[0-9]{1,3}$'
                                                       then n.nasname::inet end))
                   order by n.nasname = host(a.nasipaddress) desc, n.id
                   limit 1
              ) n on true
             where a.username = $1 and a.acctstoptime is null
        ),
        replaced as (
            update network_coa_requests o
               set status = 'superseded', finished_at = now(),
                   last_error = 'replaced by a newer change for this session (outbox event ' || $2 || ')'
             where o.id in (select p.id
                              from network_coa_requests p
                              join sessions s on p.nas_ip_address = s.nasipaddress
                                             and p.acct_session_id = s.acctsessionid
                             where p.status = 'pending' and p.outbox_id < $2
                               for update of p skip locked)
        )
        insert into network_coa_requests
               (outbox_id, service_id, kind, attributes, radacctid, username, acct_session_id,
                nas_ip_address, framed_ip_address, nas_id, coa_port, status, last_error, finished_at)
        select $2, $3, $4, $5, s.radacctid, $1, s.acctsessionid, s.nasipaddress, s.framedipaddress,
               s.nas_id,
               case when s.ports between 1 and 65535 then s.ports else $6 end,
               case when s.nas_id is null then 'failed' else 'pending' end,
               case when s.nas_id is null
                    then 'no radius.nas row for NAS ' || host(s.nasipaddress)
                         || ': add one (nasname = its address, secret) so the request can be signed'
               end,
               case when s.nas_id is null then now() end
          from sessions s
        on conflict (outbox_id, radacctid) do nothing
        "#,
    )
    .bind(&req.username)
    .bind(req.outbox_id)
    .bind(req.service_id)
    .bind(kind)
    .bind(attributes)
    .bind(i32::from(DEFAULT_COA_PORT))
    .execute(&mut *tx)
    .await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------
// The dictionary: attribute names to RADIUS types
// ---------------------------------------------------------------------------------------

/// How an attribute's value is written on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttributeKind {
    /// Text, as is.
    String,
    /// Bytes: written `0x...` in hex, or text taken as its bytes.
    Octets,
    /// A 32-bit unsigned number (or the name of one of the attribute's VALUEs).
    Integer,
    /// An IPv4 address.
    IpAddr,
}

/// One attribute: its number, its vendor (for a Vendor-Specific one) and its kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttributeDef {
    /// The SMI vendor number (None: a standard attribute).
    pub vendor: Option<u32>,
    /// The attribute (or vendor sub-attribute) number.
    pub number: u8,
    /// Its wire kind.
    pub kind: AttributeKind,
}

/// Attribute names (as FreeRADIUS spells them, case-insensitive) to their definitions, and
/// the named values of integer attributes.
#[derive(Debug, Clone, Default)]
pub struct Dictionary {
    attributes: HashMap<String, AttributeDef>,
    values: HashMap<(String, String), u32>,
}

/// The built-in table: attributes a plan's group commonly sets, by the numbers of RFC 2865,
/// RFC 2869 and RFC 4679's vendor layout, and the two rate vocabularies the README's
/// examples use (MikroTik, vendor 14988; WISPr, vendor 14122, as in FreeRADIUS's
/// dictionary.mikrotik and dictionary.wispr). Anything else comes from dictionary files.
const BUILT_IN: &[(&str, Option<u32>, u8, AttributeKind)] = &[
    ("Filter-Id", None, 11, AttributeKind::String),
    ("Reply-Message", None, 18, AttributeKind::String),
    ("Class", None, 25, AttributeKind::Octets),
    ("Session-Timeout", None, 27, AttributeKind::Integer),
    ("Idle-Timeout", None, 28, AttributeKind::Integer),
    ("Acct-Interim-Interval", None, 85, AttributeKind::Integer),
    ("Framed-Pool", None, 88, AttributeKind::String),
    (
        "Mikrotik-Recv-Limit",
        Some(14988),
        1,
        AttributeKind::Integer,
    ),
    (
        "Mikrotik-Xmit-Limit",
        Some(14988),
        2,
        AttributeKind::Integer,
    ),
    ("Mikrotik-Group", Some(14988), 3, AttributeKind::String),
    ("Mikrotik-Rate-Limit", Some(14988), 8, AttributeKind::String),
    (
        "Mikrotik-Address-List",
        Some(14988),
        19,
        AttributeKind::String,
    ),
    (
        "WISPr-Redirection-URL",
        Some(14122),
        4,
        AttributeKind::String,
    ),
    (
        "WISPr-Bandwidth-Min-Up",
        Some(14122),
        5,
        AttributeKind::Integer,
    ),
    (
        "WISPr-Bandwidth-Min-Down",
        Some(14122),
        6,
        AttributeKind::Integer,
    ),
    (
        "WISPr-Bandwidth-Max-Up",
        Some(14122),
        7,
        AttributeKind::Integer,
    ),
    (
        "WISPr-Bandwidth-Max-Down",
        Some(14122),
        8,
        AttributeKind::Integer,
    ),
];

impl Dictionary {
    /// The built-in table alone (see the module documentation).
    pub fn built_in() -> Dictionary {
        let mut dictionary = Dictionary::default();
        for (name, vendor, number, kind) in BUILT_IN {
            dictionary.attributes.insert(
                name.to_ascii_lowercase(),
                AttributeDef {
                    vendor: *vendor,
                    number: *number,
                    kind: *kind,
                },
            );
        }
        dictionary
    }

    /// The built-in table extended (and overridden) by FreeRADIUS dictionary files, e.g.
    /// `/usr/share/freeradius/dictionary.mikrotik`. A file that cannot be read or parsed is
    /// an error naming it and the line.
    pub fn with_files(paths: &[impl AsRef<Path>]) -> Result<Dictionary, String> {
        let mut dictionary = Dictionary::built_in();
        for path in paths {
            let path = path.as_ref();
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("reading RADIUS dictionary {}: {e}", path.display()))?;
            dictionary
                .add_freeradius(&text)
                .map_err(|e| format!("RADIUS dictionary {}: {e}", path.display()))?;
        }
        Ok(dictionary)
    }

    /// Reads FreeRADIUS dictionary text: `VENDOR`, `BEGIN-VENDOR`/`END-VENDOR`, `ATTRIBUTE`
    /// (string, octets, integer, ipaddr; the older trailing-vendor form too) and `VALUE`.
    /// Kinds and layouts this sender does not encode (tlv, extended numbers like `241.1`,
    /// vendors with a `format=` other than 1,1) are skipped, so whole vendor files load.
    pub fn add_freeradius(&mut self, text: &str) -> Result<(), String> {
        let mut vendors: HashMap<String, Option<u32>> = HashMap::new();
        let mut current: Option<Option<u32>> = None;
        for (index, raw) in text.lines().enumerate() {
            let line = raw.split('#').next().unwrap_or("").trim();
            let words: Vec<&str> = line.split_whitespace().collect();
            let bad = |what: &str| format!("line {}: {what}: {raw}", index + 1);
            match words.as_slice() {
                [] => {}
                ["VENDOR", name, number, rest @ ..] => {
                    let number: u32 = number.parse().map_err(|_| bad("vendor number"))?;
                    // Only the usual one-octet type, one-octet length layout is encoded.
                    let usual = rest
                        .iter()
                        .all(|option| !option.starts_with("format=") || *option == "format=1,1");
                    vendors.insert(name.to_ascii_lowercase(), usual.then_some(number));
                }
                ["BEGIN-VENDOR", name, ..] => {
                    let vendor = vendors
                        .get(&name.to_ascii_lowercase())
                        .copied()
                        .ok_or_else(|| bad("BEGIN-VENDOR before its VENDOR line"))?;
                    current = Some(vendor);
                }
                ["END-VENDOR", ..] => current = None,
                ["ATTRIBUTE", name, number, kind, rest @ ..] => {
                    // The older form names the vendor after the kind.
                    // (a word that names no vendor is flags: has_tag, encrypt=2...).
                    let vendor = match (current, rest.first()) {
                        (Some(vendor), _) => Some(vendor),
                        (None, Some(word)) => vendors.get(&word.to_ascii_lowercase()).copied(),
                        (None, None) => None,
                    };
                    let kind = match *kind {
                        "string" => AttributeKind::String,
                        "octets" => AttributeKind::Octets,
                        "integer" => AttributeKind::Integer,
                        "ipaddr" => AttributeKind::IpAddr,
                        _ => continue,
                    };
                    let Ok(number) = number.parse::<u8>() else {
                        continue; // extended or nested numbering
                    };
                    let vendor = match vendor {
                        Some(None) => continue, // a vendor layout not encoded here
                        Some(Some(id)) => Some(id),
                        None => None,
                    };
                    self.attributes.insert(
                        name.to_ascii_lowercase(),
                        AttributeDef {
                            vendor,
                            number,
                            kind,
                        },
                    );
                }
                ["VALUE", attribute, name, number, ..] => {
                    if let Ok(number) = number.parse::<u32>() {
                        self.values.insert(
                            (attribute.to_ascii_lowercase(), name.to_ascii_lowercase()),
                            number,
                        );
                    }
                }
                // $INCLUDE, FLAGS, PROTOCOL...: whole files are named one by one instead.
                _ => {}
            }
        }
        Ok(())
    }

    /// The definition of `name`, if known.
    pub fn get(&self, name: &str) -> Option<&AttributeDef> {
        self.attributes.get(&name.to_ascii_lowercase())
    }

    /// The attribute as it goes in a packet, or why it cannot.
    pub fn encode(&self, name: &str, value: &str) -> Result<AVP, String> {
        let def = self
            .get(name)
            .ok_or_else(|| format!("attribute {name} is not in the RADIUS dictionary"))?;
        let bytes = match def.kind {
            AttributeKind::String => value.as_bytes().to_vec(),
            AttributeKind::Octets => match value.strip_prefix("0x") {
                Some(hex_digits) => hex::decode(hex_digits)
                    .map_err(|_| format!("{name} = {value}: not hexadecimal octets"))?,
                None => value.as_bytes().to_vec(),
            },
            AttributeKind::Integer => {
                let number = match value.trim().parse::<u32>() {
                    Ok(number) => number,
                    Err(_) => *self
                        .values
                        .get(&(name.to_ascii_lowercase(), value.trim().to_ascii_lowercase()))
                        .ok_or_else(|| format!("{name} = {value}: not a 32-bit number"))?,
                };
                number.to_be_bytes().to_vec()
            }
            AttributeKind::IpAddr => value
                .trim()
                .parse::<std::net::Ipv4Addr>()
                .map_err(|_| format!("{name} = {value}: not an IPv4 address"))?
                .octets()
                .to_vec(),
        };
        match def.vendor {
            None if bytes.len() <= 253 => Ok(AVP::from_bytes(def.number, &bytes)),
            // RFC 2865 section 5.26: vendor id, then type, length and value.
            Some(vendor) if bytes.len() <= 247 => {
                let mut vsa = Vec::with_capacity(bytes.len() + 6);
                vsa.extend_from_slice(&vendor.to_be_bytes());
                vsa.push(def.number);
                vsa.push(u8::try_from(bytes.len() + 2).unwrap_or(u8::MAX));
                vsa.extend_from_slice(&bytes);
                Ok(AVP::from_bytes(VENDOR_SPECIFIC, &vsa))
            }
            _ => Err(format!("{name}: value too long for one attribute")),
        }
    }
}

const VENDOR_SPECIFIC: u8 = 26;

// ---------------------------------------------------------------------------------------
// The sender
// ---------------------------------------------------------------------------------------

/// How requests are sent.
#[derive(Debug, Clone)]
pub struct CoaSettings {
    /// Packets sent per request before it is recorded `timeout` (at least 1).
    pub attempts: u32,
    /// How long the first packet waits for an answer; each retransmission waits twice as
    /// long as the one before.
    pub timeout: Duration,
    /// Requests claimed (and in flight at once) per call of [`send_pending`].
    pub batch: i64,
    /// The local address requests leave from (the NAS accepts CoA from known addresses);
    /// None: any.
    pub bind: Option<IpAddr>,
    /// Attribute names to RADIUS types.
    pub dictionary: Arc<Dictionary>,
}

impl Default for CoaSettings {
    fn default() -> Self {
        CoaSettings {
            attempts: 3,
            timeout: Duration::from_secs(1),
            batch: 64,
            bind: None,
            dictionary: Arc::new(Dictionary::built_in()),
        }
    }
}

/// One claimed request.
#[derive(sqlx::FromRow)]
struct Claimed {
    id: i64,
    kind: String,
    attributes: serde_json::Value,
    username: String,
    acct_session_id: String,
    nas_ip: String,
    framed_ip: Option<String>,
    coa_port: i32,
    secret: Option<String>,
}

/// What became of one request.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Outcome {
    Ack {
        attempts: u32,
        elapsed: Duration,
    },
    Nak {
        attempts: u32,
        elapsed: Duration,
        cause: Option<u32>,
    },
    Timeout {
        attempts: u32,
        elapsed: Duration,
        why: String,
    },
    Failed(String),
}

/// Sends pending requests, up to [`CoaSettings::batch`] of them at once, and records each
/// outcome. Returns how many were recorded (zero: nothing was pending, or every pending
/// request is being sent by another instance or waits for an older one of its session).
pub async fn send_pending(pool: &PgPool, settings: &CoaSettings) -> Result<usize, EngineError> {
    let mut tx = pool.begin().await?;
    let claimed: Vec<Claimed> = sqlx::query_as(
        "select r.id, r.kind, r.attributes, r.username, r.acct_session_id,
                host(r.nas_ip_address) as nas_ip, host(r.framed_ip_address) as framed_ip,
                r.coa_port, n.secret
           from network_coa_requests r
           left join radius.nas n on n.id = r.nas_id
          where r.status = 'pending'
            and not exists (select 1 from network_coa_requests o
                             where o.status = 'pending' and o.id < r.id
                               and o.nas_ip_address = r.nas_ip_address
                               and o.acct_session_id = r.acct_session_id)
          order by r.id
          limit $1
            for update of r skip locked",
    )
    .bind(settings.batch.max(1))
    .fetch_all(&mut *tx)
    .await?;
    if claimed.is_empty() {
        return Ok(0);
    }
    let outcomes =
        futures::future::join_all(claimed.iter().map(|request| send_one(request, settings))).await;
    for (request, outcome) in claimed.iter().zip(outcomes) {
        record(&mut tx, request, &outcome).await?;
    }
    tx.commit().await?;
    Ok(claimed.len())
}

async fn record(
    tx: &mut PgConnection,
    request: &Claimed,
    outcome: &Outcome,
) -> Result<(), EngineError> {
    let (status, attempts, elapsed, cause, error) = match outcome {
        Outcome::Ack { attempts, elapsed } => ("ack", *attempts, *elapsed, None, None),
        Outcome::Nak {
            attempts,
            elapsed,
            cause,
        } => (
            "nak",
            *attempts,
            *elapsed,
            *cause,
            Some(match cause {
                Some(code) => format!(
                    "NAK: Error-Cause {code} ({})",
                    error_cause_name(*code).unwrap_or("unknown")
                ),
                None => "NAK without an Error-Cause".to_string(),
            }),
        ),
        Outcome::Timeout {
            attempts,
            elapsed,
            why,
        } => ("timeout", *attempts, *elapsed, None, Some(why.clone())),
        Outcome::Failed(why) => ("failed", 0, Duration::ZERO, None, Some(why.clone())),
    };
    tracing::info!(request = request.id, kind = %request.kind, nas = %request.nas_ip,
                   session = %request.acct_session_id, status, attempts, error = ?error,
                   "network change sent");
    // Times from the database's clock: finished now, sent `elapsed` before.
    sqlx::query(
        "update network_coa_requests
            set status = $2, attempts = $3, error_cause = $4, last_error = $5,
                sent_at = case when $3 > 0
                               then clock_timestamp() - make_interval(secs => $6) end,
                finished_at = clock_timestamp()
          where id = $1 and status = 'pending'",
    )
    .bind(request.id)
    .bind(status)
    .bind(i32::try_from(attempts).unwrap_or(i32::MAX))
    .bind(cause.map(i64::from))
    .bind(error)
    .bind(elapsed.as_secs_f64())
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Builds the request's packet, or says why it cannot be built.
fn build(request: &Claimed, secret: &[u8], dictionary: &Dictionary) -> Result<Vec<u8>, String> {
    let code = match request.kind.as_str() {
        "coa" => Code::CoARequest,
        _ => Code::DisconnectRequest,
    };
    let mut packet = Packet::new(code, secret);
    rfc2865::add_user_name(&mut packet, &request.username);
    rfc2866::add_acct_session_id(&mut packet, &request.acct_session_id);
    match request.nas_ip.parse::<IpAddr>() {
        Ok(IpAddr::V4(address)) => rfc2865::add_nas_ip_address(&mut packet, &address),
        Ok(IpAddr::V6(address)) => rfc3162::add_nas_ipv6_address(&mut packet, &address),
        Err(_) => return Err(format!("NAS address {} unreadable", request.nas_ip)),
    }
    if let Some(Ok(IpAddr::V4(address))) = request.framed_ip.as_deref().map(str::parse) {
        rfc2865::add_framed_ip_address(&mut packet, &address);
    }
    if request.kind == "coa" {
        let pairs: Vec<(String, String)> = serde_json::from_value(request.attributes.clone())
            .map_err(|e| format!("stored attributes unreadable: {e}"))?;
        for (name, value) in &pairs {
            packet.add(dictionary.encode(name, value)?);
        }
    }
    rfc2869::add_event_timestamp(&mut packet, &chrono::Utc::now());
    sign(packet)
}

/// Adds the Message-Authenticator (RFC 5176 section 3.3: HMAC-MD5 over the packet with the
/// Request Authenticator and the Message-Authenticator zeroed) and encodes the packet, whose
/// Request Authenticator the crate then computes over it (section 2.3).
fn sign(mut packet: Packet) -> Result<Vec<u8>, String> {
    rfc2869::add_message_authenticator(&mut packet, &[0; 16]);
    let mut zeroed = packet.encode().map_err(|e| e.to_string())?;
    zeroed[4..20].fill(0);
    let mut mac = Hmac::<md5::Md5>::new_from_slice(packet.get_secret())
        .map_err(|e| format!("HMAC key: {e}"))?;
    mac.update(&zeroed);
    let digest = mac.finalize().into_bytes();
    rfc2869::delete_message_authenticator(&mut packet);
    rfc2869::add_message_authenticator(&mut packet, &digest);
    packet.encode().map_err(|e| e.to_string())
}

/// Whether a reply's Message-Authenticator (if it has one) is right: HMAC-MD5 over the reply
/// with the request's authenticator in place of its own and the attribute zeroed.
fn reply_message_authenticator_ok(reply: &[u8], request: &[u8], secret: &[u8]) -> bool {
    let Some((offset, length)) = find_attribute(reply, 80) else {
        return true;
    };
    if length != 18 {
        return false;
    }
    let mut copy = reply.to_vec();
    copy[4..20].copy_from_slice(&request[4..20]);
    let received = copy[offset + 2..offset + 18].to_vec();
    copy[offset + 2..offset + 18].fill(0);
    let Ok(mut mac) = Hmac::<md5::Md5>::new_from_slice(secret) else {
        return false;
    };
    mac.update(&copy);
    mac.verify_slice(&received).is_ok()
}

/// The offset and length of the first attribute of `typ` in an encoded packet.
fn find_attribute(packet: &[u8], typ: u8) -> Option<(usize, usize)> {
    let mut offset = 20;
    while offset + 2 <= packet.len() {
        let length = usize::from(packet[offset + 1]);
        if length < 2 || offset + length > packet.len() {
            return None;
        }
        if packet[offset] == typ {
            return Some((offset, length));
        }
        offset += length;
    }
    None
}

async fn send_one(request: &Claimed, settings: &CoaSettings) -> Outcome {
    let Some(secret) = request.secret.as_deref() else {
        return Outcome::Failed(format!(
            "the radius.nas row for NAS {} is gone: no secret to sign with",
            request.nas_ip
        ));
    };
    let bytes = match build(request, secret.as_bytes(), &settings.dictionary) {
        Ok(bytes) => bytes,
        Err(why) => return Outcome::Failed(why),
    };
    let Ok(nas_ip) = request.nas_ip.parse::<IpAddr>() else {
        return Outcome::Failed(format!("NAS address {} unreadable", request.nas_ip));
    };
    let port = u16::try_from(request.coa_port).unwrap_or(DEFAULT_COA_PORT);
    let nas = SocketAddr::new(nas_ip, port);
    let local = match (settings.bind, nas_ip) {
        (Some(address), _) => SocketAddr::new(address, 0),
        (None, IpAddr::V4(_)) => SocketAddr::from(([0, 0, 0, 0], 0)),
        (None, IpAddr::V6(_)) => SocketAddr::from(([0u16; 8], 0)),
    };
    let socket = match UdpSocket::bind(local).await {
        Ok(socket) => socket,
        Err(e) => return Outcome::Failed(format!("binding a UDP socket on {local}: {e}")),
    };
    if let Err(e) = socket.connect(nas).await {
        return Outcome::Failed(format!("reaching {nas}: {e}"));
    }
    exchange(&socket, nas, &bytes, secret.as_bytes(), request, settings).await
}

/// Sends `bytes` up to `settings.attempts` times and waits for a valid answer.
async fn exchange(
    socket: &UdpSocket,
    nas: SocketAddr,
    bytes: &[u8],
    secret: &[u8],
    request: &Claimed,
    settings: &CoaSettings,
) -> Outcome {
    let (ack, nak) = match request.kind.as_str() {
        "coa" => (Code::CoAACK, Code::CoANAK),
        _ => (Code::DisconnectACK, Code::DisconnectNAK),
    };
    let started = Instant::now();
    let mut discarded: Vec<String> = Vec::new();
    let mut wait = settings.timeout;
    let attempts = settings.attempts.max(1);
    let mut buffer = vec![0u8; 4096];
    for attempt in 1..=attempts {
        if let Err(e) = socket.send(bytes).await {
            discarded.push(format!("sending to {nas}: {e}"));
        }
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let received = match tokio::time::timeout_at(deadline, socket.recv(&mut buffer)).await {
                Err(_) => break, // this attempt's wait is over
                Ok(Err(e)) => {
                    // e.g. ICMP port unreachable: nothing listens on the CoA port
                    discarded.push(format!("{nas}: {e}"));
                    tokio::time::sleep_until(deadline).await;
                    break;
                }
                Ok(Ok(length)) => &buffer[..length],
            };
            if received.len() < 20 || received[1] != bytes[1] {
                discarded.push("an answer with another Identifier".into());
                continue;
            }
            if !Packet::is_authentic_response(received, bytes, secret)
                || !reply_message_authenticator_ok(received, bytes, secret)
            {
                discarded.push(
                    "an answer that failed the authenticator check (is the shared secret the NAS's?)"
                        .into(),
                );
                continue;
            }
            let Ok(reply) = Packet::decode(received, secret) else {
                discarded.push("an answer that could not be decoded".into());
                continue;
            };
            let code = reply.get_code();
            if code == ack {
                return Outcome::Ack {
                    attempts: attempt,
                    elapsed: started.elapsed(),
                };
            }
            if code == nak {
                let cause = rfc3576::lookup_error_cause(&reply).and_then(Result::ok);
                return Outcome::Nak {
                    attempts: attempt,
                    elapsed: started.elapsed(),
                    cause,
                };
            }
            discarded.push(format!("an unexpected {} answer", code.string()));
        }
        wait = wait.saturating_mul(2);
    }
    discarded.dedup();
    let mut why = format!("no answer from {nas} after {attempts} attempts");
    if !discarded.is_empty() {
        why.push_str("; discarded: ");
        why.push_str(&discarded.join("; "));
    }
    Outcome::Timeout {
        attempts,
        elapsed: started.elapsed(),
        why,
    }
}

/// The name RFC 5176 section 3.5 gives an Error-Cause value.
pub fn error_cause_name(code: u32) -> Option<&'static str> {
    Some(match code {
        201 => "Residual-Session-Context-Removed",
        202 => "Invalid-EAP-Packet",
        401 => "Unsupported-Attribute",
        402 => "Missing-Attribute",
        403 => "NAS-Identification-Mismatch",
        404 => "Invalid-Request",
        405 => "Unsupported-Service",
        406 => "Unsupported-Extension",
        407 => "Invalid-Attribute-Value",
        501 => "Administratively-Prohibited",
        502 => "Request-Not-Routable",
        503 => "Session-Context-Not-Found",
        504 => "Session-Context-Not-Removable",
        505 => "Other-Proxy-Processing-Error",
        506 => "Resources-Unavailable",
        507 => "Request-Initiated",
        508 => "Multiple-Session-Selection-Unsupported",
        _ => return None,
    })
}

/// The background run: sends what is pending until nothing is left (or an error), then
/// returns how many requests were recorded. `lastmile serve` calls it every two seconds.
pub async fn run_once(pool: &PgPool, settings: &CoaSettings) -> Result<usize, EngineError> {
    let mut total = 0;
    loop {
        let sent = send_pending(pool, settings).await?;
        total += sent;
        if sent == 0 || i64::try_from(sent).unwrap_or(i64::MAX) < settings.batch {
            return Ok(total);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn freeradius_vendor_files_are_read() {
        let mut dictionary = Dictionary::default();
        dictionary
            .add_freeradius(
                "VENDOR Acme 9999\nBEGIN-VENDOR Acme\n\
                 ATTRIBUTE Acme-Speed 7 integer\nATTRIBUTE Acme-Tree 8 tlv\n\
                 ATTRIBUTE Acme-Ext 241.1 string\nVALUE Acme-Speed Fast 3\nEND-VENDOR Acme\n\
                 VENDOR Old 77\nATTRIBUTE Old-Name 2 string Old\n\
                 VENDOR Wide 88 format=2,1\nATTRIBUTE Wide-Thing 2 string Wide\n",
            )
            .expect("parses");
        assert_eq!(
            dictionary.get("acme-speed"),
            Some(&AttributeDef {
                vendor: Some(9999),
                number: 7,
                kind: AttributeKind::Integer
            })
        );
        assert_eq!(dictionary.get("Acme-Tree"), None);
        assert_eq!(dictionary.get("Acme-Ext"), None);
        assert_eq!(dictionary.get("Old-Name").map(|d| d.vendor), Some(Some(77)));
        assert_eq!(dictionary.get("Wide-Thing"), None);
        // A named value, and the vendor layout: 26, length, vendor, type, length, value.
        let avp = dictionary.encode("Acme-Speed", "Fast").expect("encodes");
        let mut packet = Packet::new(Code::CoARequest, b"s");
        packet.add(avp);
        let bytes = packet.encode().expect("packet");
        assert_eq!(&bytes[20..], &[26, 12, 0, 0, 0x27, 0x0f, 7, 6, 0, 0, 0, 3]);
        assert!(dictionary.encode("Acme-Speed", "warp").is_err());
        assert!(dictionary.encode("Nope", "1").is_err());
        assert!(Dictionary::default()
            .add_freeradius("BEGIN-VENDOR Ghost")
            .is_err());
    }

    #[test]
    fn the_installed_freeradius_dictionaries_agree_with_the_built_in_table() {
        let dir = Path::new("/usr/share/freeradius");
        if !dir.join("dictionary.mikrotik").exists() {
            return; // FreeRADIUS is installed by the test set-up; nothing to compare here
        }
        let files = Dictionary::with_files(&[
            dir.join("dictionary.mikrotik"),
            dir.join("dictionary.wispr"),
        ])
        .expect("loads");
        for (name, ..) in BUILT_IN.iter().filter(|(_, vendor, ..)| vendor.is_some()) {
            assert_eq!(files.get(name), Dictionary::built_in().get(name), "{name}");
        }
    }

    #[test]
    fn error_causes_have_their_rfc_names() {
        assert_eq!(error_cause_name(503), Some("Session-Context-Not-Found"));
        assert_eq!(error_cause_name(999), None);
    }
}
