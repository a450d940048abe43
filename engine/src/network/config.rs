//! The network configuration: which reply attributes set a plan's speed (they differ per
//! NAS vendor), what a plan's RADIUS group is called, and what a suspended subscriber gets.
//!
//! Read from the TOML file named by `LASTMILE_NETWORK_CONFIG`; without it, the built-in
//! defaults below apply. Every key is optional:
//!
//! ```toml
//! # the vendors whose attributes every plan's group carries ([vendors.*] below, or built in)
//! nas_vendors = ["mikrotik", "wispr"]
//! # a plan's group is this prefix followed by the plan's code: "plan:fibre-1000"
//! group_prefix = "plan:"
//!
//! # a vendor's reply attributes; values are templates over the plan's speed:
//! # {down} {up} (Mbit/s), {down_kbps} {up_kbps}, {down_bps} {up_bps}, {plan} (its code)
//! [vendors.mikrotik]
//! Mikrotik-Rate-Limit = "{up}M/{down}M"
//!
//! [vendors.wispr]
//! WISPr-Bandwidth-Max-Down = "{down_bps}"
//! WISPr-Bandwidth-Max-Up = "{up_bps}"
//!
//! # a service suspended for not paying (a postpaid statement, or a prepaid balance):
//! # "walled_garden" puts it in `group`, whose reply attributes send it to the pay page;
//! # "reject" refuses it (radcheck Auth-Type := Reject). Suspended for any other reason:
//! # always refused.
//! [suspension]
//! policy = "walled_garden"
//! group = "walled-garden"
//!
//! [suspension.attributes]
//! Mikrotik-Address-List = "walled-garden"
//! ```
//!
//! Built in: `mikrotik` (Mikrotik-Rate-Limit, rx/tx from the router's side, so upload
//! first) and `wispr` (WISPr-Bandwidth-Max-Down/Up in bit/s), both on; the walled garden
//! as above. A `[vendors.NAME]` table in the file replaces the built-in one of that name.
//! Attribute names must be in FreeRADIUS's dictionary (the package's includes every
//! vendor's): FreeRADIUS refuses the reply otherwise.
//!
//! [`sync_groups`] writes every plan's group (and the walled garden) to
//! `radius.radgroupreply`; the provisioning worker also writes a plan's group when it
//! first puts a subscriber in it, so a configuration change reaches RADIUS at the next
//! `lastmile network sync-groups` (or the next start of `lastmile serve`).

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use sqlx::{PgConnection, PgPool};

use crate::error::EngineError;

/// The environment variable naming the configuration file.
pub const CONFIG_ENV: &str = "LASTMILE_NETWORK_CONFIG";

/// The reply attributes' operator: set the attribute in the reply if it is not there yet.
pub const REPLY_OP: &str = "=";

/// What a suspension for non-payment does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SuspensionPolicy {
    /// Accepted into the walled-garden group (its attributes send it to the pay page).
    WalledGarden,
    /// Refused (Access-Reject).
    Reject,
}

/// The suspension policy and the walled garden.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suspension {
    pub policy: SuspensionPolicy,
    /// The walled garden's group name.
    pub group: String,
    /// The walled garden's reply attributes (name, value).
    pub attributes: Vec<(String, String)>,
}

/// The network configuration (see the module documentation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkConfig {
    /// A plan's group is this followed by the plan's code.
    pub group_prefix: String,
    /// Every plan group's reply attributes: (name, template), in order.
    pub rate_attributes: Vec<(String, Template)>,
    pub suspension: Suspension,
}

/// A plan's speed, for the templates.
#[derive(Debug, Clone, Copy)]
pub struct Speed<'a> {
    pub plan_code: &'a str,
    pub download_mbps: i32,
    pub upload_mbps: i32,
}

impl Default for NetworkConfig {
    fn default() -> Self {
        NetworkConfig::from_toml("").expect("the built-in network configuration is valid")
    }
}

impl NetworkConfig {
    /// The configuration from the file named by `LASTMILE_NETWORK_CONFIG`, or the built-in
    /// one when it is not set. An error names the file and what is wrong in it.
    pub fn from_env() -> Result<NetworkConfig, String> {
        match std::env::var_os(CONFIG_ENV) {
            Some(path) if !path.is_empty() => NetworkConfig::from_file(Path::new(&path)),
            _ => Ok(NetworkConfig::default()),
        }
    }

    /// The configuration in `path`.
    pub fn from_file(path: &Path) -> Result<NetworkConfig, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("{CONFIG_ENV}: cannot read {}: {e}", path.display()))?;
        NetworkConfig::from_toml(&text)
            .map_err(|e| format!("{CONFIG_ENV}: {}: {e}", path.display()))
    }

    /// The configuration written in `text` (TOML), over the built-in defaults.
    pub fn from_toml(text: &str) -> Result<NetworkConfig, String> {
        let raw: RawConfig = toml::from_str(text).map_err(|e| e.to_string())?;
        let mut vendors = builtin_vendors();
        for (name, attributes) in raw.vendors.unwrap_or_default() {
            vendors.insert(name, attributes);
        }
        let chosen = raw
            .nas_vendors
            .unwrap_or_else(|| vec!["mikrotik".into(), "wispr".into()]);
        if chosen.is_empty() {
            return Err("nas_vendors is empty: name at least one vendor".into());
        }
        let mut rate_attributes = Vec::new();
        for vendor in &chosen {
            let Some(attributes) = vendors.get(vendor) else {
                return Err(format!(
                    "nas_vendors names \"{vendor}\", which is neither built in nor a [vendors.{vendor}] table (known: {})",
                    vendors.keys().cloned().collect::<Vec<_>>().join(", ")
                ));
            };
            for (name, template) in attributes {
                check_attribute(name)?;
                if rate_attributes.iter().any(|(n, _)| n == name) {
                    return Err(format!("the attribute {name} is set by two vendors"));
                }
                let template = Template::parse(template)
                    .map_err(|e| format!("[vendors.{vendor}] {name}: {e}"))?;
                rate_attributes.push((name.clone(), template));
            }
        }
        if rate_attributes.is_empty() {
            return Err("the chosen nas_vendors set no attribute".into());
        }
        let group_prefix = raw.group_prefix.unwrap_or_else(|| "plan:".into());
        check_group_name("group_prefix", &format!("{group_prefix}x"))?;

        let raw_suspension = raw.suspension.unwrap_or_default();
        let policy = match raw_suspension.policy.as_deref() {
            None | Some("walled_garden") => SuspensionPolicy::WalledGarden,
            Some("reject") => SuspensionPolicy::Reject,
            Some(other) => {
                return Err(format!(
                    "suspension.policy is \"{other}\": write \"walled_garden\" or \"reject\""
                ))
            }
        };
        let group = raw_suspension
            .group
            .unwrap_or_else(|| "walled-garden".into());
        check_group_name("suspension.group", &group)?;
        if group.starts_with(&group_prefix) {
            return Err(format!(
                "suspension.group \"{group}\" starts with group_prefix \"{group_prefix}\": a plan could have that name"
            ));
        }
        let attributes: Vec<(String, String)> = match raw_suspension.attributes {
            Some(map) => map.into_iter().collect(),
            None => vec![("Mikrotik-Address-List".into(), "walled-garden".into())],
        };
        for (name, value) in &attributes {
            check_attribute(name)?;
            check_value(name, value)?;
        }
        Ok(NetworkConfig {
            group_prefix,
            rate_attributes,
            suspension: Suspension {
                policy,
                group,
                attributes,
            },
        })
    }

    /// The group of the plan with this code.
    pub fn plan_group(&self, plan_code: &str) -> String {
        format!("{}{plan_code}", self.group_prefix)
    }

    /// Whether `group` is a plan's group (as opposed to the walled garden).
    pub fn is_plan_group(&self, group: &str) -> bool {
        group.starts_with(&self.group_prefix) && group != self.suspension.group
    }

    /// A plan group's reply attributes (name, value) for `speed`.
    pub fn rate_attributes(&self, speed: Speed<'_>) -> Vec<(String, String)> {
        self.rate_attributes
            .iter()
            .map(|(name, template)| (name.clone(), template.render(speed)))
            .collect()
    }

    /// What a service suspended for `reason` gets: the configured policy when it is
    /// suspended for not paying, a reject otherwise.
    pub fn policy_for(&self, reason: Option<&str>) -> SuspensionPolicy {
        match reason {
            Some("non_payment" | "prepaid_balance") => self.suspension.policy,
            _ => SuspensionPolicy::Reject,
        }
    }
}

fn builtin_vendors() -> BTreeMap<String, BTreeMap<String, String>> {
    let mut vendors = BTreeMap::new();
    vendors.insert(
        "mikrotik".to_string(),
        BTreeMap::from([(
            "Mikrotik-Rate-Limit".to_string(),
            "{up}M/{down}M".to_string(),
        )]),
    );
    vendors.insert(
        "wispr".to_string(),
        BTreeMap::from([
            (
                "WISPr-Bandwidth-Max-Down".to_string(),
                "{down_bps}".to_string(),
            ),
            ("WISPr-Bandwidth-Max-Up".to_string(), "{up_bps}".to_string()),
        ]),
    );
    vendors
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    nas_vendors: Option<Vec<String>>,
    group_prefix: Option<String>,
    vendors: Option<BTreeMap<String, BTreeMap<String, String>>>,
    suspension: Option<RawSuspension>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawSuspension {
    policy: Option<String>,
    group: Option<String>,
    attributes: Option<BTreeMap<String, String>>,
}

fn check_attribute(name: &str) -> Result<(), String> {
    let ok = (1..=64).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "\"{name}\" is not a RADIUS attribute name (letters, digits and hyphens, as in FreeRADIUS's dictionary)"
        ))
    }
}

fn check_group_name(what: &str, name: &str) -> Result<(), String> {
    if (1..=64).contains(&name.len()) && name.chars().all(|c| c.is_ascii_graphic()) {
        Ok(())
    } else {
        Err(format!(
            "{what} \"{name}\" must be 1 to 64 printable characters without spaces"
        ))
    }
}

fn check_value(name: &str, value: &str) -> Result<(), String> {
    if value.len() <= 253 && !value.chars().any(char::is_control) {
        Ok(())
    } else {
        Err(format!(
            "the value of {name} must be at most 253 characters without control characters"
        ))
    }
}

/// An attribute value with placeholders for the plan's speed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template(Vec<Piece>);

#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Text(String),
    Field(Field),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Down,
    Up,
    DownKbps,
    UpKbps,
    DownBps,
    UpBps,
    Plan,
}

impl Template {
    /// Reads `{down}`, `{up}`, `{down_kbps}`, `{up_kbps}`, `{down_bps}`, `{up_bps}` and
    /// `{plan}` in `text`; any other `{...}` is refused.
    pub fn parse(text: &str) -> Result<Template, String> {
        check_value("a template", text)?;
        let mut pieces = Vec::new();
        let mut rest = text;
        while let Some(open) = rest.find('{') {
            if open > 0 {
                pieces.push(Piece::Text(rest[..open].to_string()));
            }
            let Some(close) = rest[open..].find('}') else {
                return Err(format!("\"{text}\" has a {{ without its }}"));
            };
            let name = &rest[open + 1..open + close];
            let field = match name {
                "down" => Field::Down,
                "up" => Field::Up,
                "down_kbps" => Field::DownKbps,
                "up_kbps" => Field::UpKbps,
                "down_bps" => Field::DownBps,
                "up_bps" => Field::UpBps,
                "plan" => Field::Plan,
                other => {
                    return Err(format!(
                        "unknown placeholder {{{other}}} (known: {{down}} {{up}} {{down_kbps}} {{up_kbps}} {{down_bps}} {{up_bps}} {{plan}})"
                    ))
                }
            };
            pieces.push(Piece::Field(field));
            rest = &rest[open + close + 1..];
        }
        if rest.contains('}') {
            return Err(format!("\"{text}\" has a }} without its {{"));
        }
        if !rest.is_empty() {
            pieces.push(Piece::Text(rest.to_string()));
        }
        Ok(Template(pieces))
    }

    /// The value for `speed`.
    pub fn render(&self, speed: Speed<'_>) -> String {
        let down = i64::from(speed.download_mbps);
        let up = i64::from(speed.upload_mbps);
        self.0
            .iter()
            .map(|piece| match piece {
                Piece::Text(t) => t.clone(),
                Piece::Field(Field::Down) => down.to_string(),
                Piece::Field(Field::Up) => up.to_string(),
                Piece::Field(Field::DownKbps) => (down * 1_000).to_string(),
                Piece::Field(Field::UpKbps) => (up * 1_000).to_string(),
                Piece::Field(Field::DownBps) => (down * 1_000_000).to_string(),
                Piece::Field(Field::UpBps) => (up * 1_000_000).to_string(),
                Piece::Field(Field::Plan) => speed.plan_code.to_string(),
            })
            .collect()
    }
}

/// What [`sync_groups`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncReport {
    /// Groups whose rows were (re)written.
    pub written: Vec<String>,
    /// Groups that already had the right rows.
    pub unchanged: usize,
}

/// Writes every plan's group, and the walled garden when the policy uses it, to
/// `radius.radgroupreply`, in one transaction. Running it again changes nothing.
pub async fn sync_groups(pool: &PgPool, config: &NetworkConfig) -> Result<SyncReport, EngineError> {
    let mut tx = pool.begin().await?;
    let plans: Vec<(String, i32, i32)> =
        sqlx::query_as("select code, download_mbps, upload_mbps from plans order by code")
            .fetch_all(&mut *tx)
            .await?;
    let mut groups: Vec<(String, Vec<(String, String)>)> = plans
        .iter()
        .map(|(code, down, up)| {
            let attributes = config.rate_attributes(Speed {
                plan_code: code,
                download_mbps: *down,
                upload_mbps: *up,
            });
            (config.plan_group(code), attributes)
        })
        .collect();
    if config.suspension.policy == SuspensionPolicy::WalledGarden {
        groups.push((
            config.suspension.group.clone(),
            config.suspension.attributes.clone(),
        ));
    }
    // In order of their names, as the worker writes them (see write_group).
    groups.sort();
    let mut report = SyncReport::default();
    for (group, attributes) in groups {
        if write_group(&mut tx, &group, &attributes).await? {
            report.written.push(group);
        } else {
            report.unchanged += 1;
        }
    }
    tx.commit().await?;
    Ok(report)
}

/// Makes `group`'s rows in `radius.radgroupreply` exactly `attributes` (with [`REPLY_OP`]).
/// Returns whether anything was written. A group already right is only read; one to write
/// is locked first (an advisory lock on its name, held to the end of the transaction), so
/// two transactions never write one group's rows twice. Callers writing several groups
/// do so in order of their names, so that two of them never wait for each other.
pub async fn write_group(
    conn: &mut PgConnection,
    group: &str,
    attributes: &[(String, String)],
) -> Result<bool, EngineError> {
    let mut wanted: Vec<(String, String, String)> = attributes
        .iter()
        .map(|(n, v)| (n.clone(), REPLY_OP.to_string(), v.clone()))
        .collect();
    wanted.sort();
    if group_rows(conn, group).await? == wanted {
        return Ok(false);
    }
    sqlx::query("select pg_advisory_xact_lock(hashtext('radgroupreply:' || $1))")
        .bind(group)
        .execute(&mut *conn)
        .await?;
    if group_rows(conn, group).await? == wanted {
        return Ok(false);
    }
    sqlx::query("delete from radius.radgroupreply where groupname = $1")
        .bind(group)
        .execute(&mut *conn)
        .await?;
    let (names, values): (Vec<String>, Vec<String>) = attributes.iter().cloned().unzip();
    sqlx::query(
        "insert into radius.radgroupreply (groupname, attribute, op, value)
         select $1, a, $2, v from unnest($3::text[], $4::text[]) with ordinality as t(a, v, n)
          order by n",
    )
    .bind(group)
    .bind(REPLY_OP)
    .bind(&names)
    .bind(&values)
    .execute(&mut *conn)
    .await?;
    Ok(true)
}

async fn group_rows(
    conn: &mut PgConnection,
    group: &str,
) -> Result<Vec<(String, String, String)>, EngineError> {
    let mut rows: Vec<(String, String, String)> = sqlx::query_as(
        "select attribute, op, value from radius.radgroupreply where groupname = $1",
    )
    .bind(group)
    .fetch_all(&mut *conn)
    .await?;
    rows.sort();
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn speed() -> Speed<'static> {
        Speed {
            plan_code: "fibre-300",
            download_mbps: 300,
            upload_mbps: 20,
        }
    }

    #[test]
    fn the_defaults_give_mikrotik_and_wispr_rates_and_a_walled_garden() {
        let config = NetworkConfig::default();
        assert_eq!(
            config.rate_attributes(speed()),
            vec![
                ("Mikrotik-Rate-Limit".to_string(), "20M/300M".to_string()),
                (
                    "WISPr-Bandwidth-Max-Down".to_string(),
                    "300000000".to_string()
                ),
                ("WISPr-Bandwidth-Max-Up".to_string(), "20000000".to_string()),
            ]
        );
        assert_eq!(config.plan_group("fibre-300"), "plan:fibre-300");
        assert_eq!(config.suspension.policy, SuspensionPolicy::WalledGarden);
        assert_eq!(
            config.suspension.attributes,
            vec![(
                "Mikrotik-Address-List".to_string(),
                "walled-garden".to_string()
            )]
        );
        assert_eq!(
            config.policy_for(Some("non_payment")),
            SuspensionPolicy::WalledGarden
        );
        assert_eq!(config.policy_for(Some("other")), SuspensionPolicy::Reject);
    }

    #[test]
    fn a_file_chooses_vendors_templates_and_the_reject_policy() {
        let config = NetworkConfig::from_toml(
            r#"
            nas_vendors = ["cisco"]
            group_prefix = "speed/"
            [vendors.cisco]
            Cisco-AVPair = "ip:rate={down_kbps}k/{up_kbps}k ({plan})"
            [suspension]
            policy = "reject"
            "#,
        )
        .unwrap();
        assert_eq!(
            config.rate_attributes(speed()),
            vec![(
                "Cisco-AVPair".to_string(),
                "ip:rate=300000k/20000k (fibre-300)".to_string()
            )]
        );
        assert_eq!(config.plan_group("x"), "speed/x");
        assert_eq!(
            config.policy_for(Some("prepaid_balance")),
            SuspensionPolicy::Reject
        );
    }

    #[test]
    fn mistakes_are_refused_with_what_is_wrong() {
        let cases = [
            ("nas_vendors = [\"juniper\"]", "neither built in"),
            (
                "[vendors.mikrotik]\nMikrotik-Rate-Limit = \"{speed}\"",
                "unknown placeholder {speed}",
            ),
            (
                "[vendors.mikrotik]\nMikrotik-Rate-Limit = \"{up\"",
                "without its }",
            ),
            (
                "[vendors.mikrotik]\n\"Bad Name\" = \"1\"",
                "not a RADIUS attribute name",
            ),
            ("[suspension]\npolicy = \"drop\"", "walled_garden"),
            (
                "[suspension]\ngroup = \"plan:garden\"",
                "starts with group_prefix",
            ),
            ("colour = \"blue\"", "unknown field"),
            ("nas_vendors = []", "empty"),
        ];
        for (text, expected) in cases {
            let error = NetworkConfig::from_toml(text).unwrap_err();
            assert!(error.contains(expected), "{text}: {error}");
        }
    }
}
