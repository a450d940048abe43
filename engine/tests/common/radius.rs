//! FreeRADIUS's stock PostgreSQL accounting queries (mods-config/sql/main/postgresql/
//! queries.conf, FreeRADIUS 3.2), as it runs them: the same statements with the packet's
//! values bound instead of interpolated, and the same fallbacks (when the first query of
//! a type changes no row, the next one runs). FreeRADIUS's role finds the tables through
//! its search_path (radius); here they are named with their schema. `t` is the packet's Event-Timestamp (epoch
//! seconds), counters are given as RADIUS carries them: Gigawords and 32-bit Octets.

#![allow(dead_code)]

use sqlx::PgPool;

/// One accounting packet's fields that the queries use.
#[derive(Clone, Debug)]
pub struct Packet<'a> {
    pub unique_id: &'a str,
    pub session_id: &'a str,
    pub username: &'a str,
    pub nas: &'a str,
    pub t: i64,
    pub session_time: Option<i64>,
    pub in_gigawords: i64,
    pub in_octets: i64,
    pub out_gigawords: i64,
    pub out_octets: i64,
}

impl<'a> Packet<'a> {
    pub fn new(unique_id: &'a str, username: &'a str, nas: &'a str, t: i64) -> Self {
        Packet {
            unique_id,
            session_id: unique_id,
            username,
            nas,
            t,
            session_time: None,
            in_gigawords: 0,
            in_octets: 0,
            out_gigawords: 0,
            out_octets: 0,
        }
    }

    /// The same packet with cumulative counters (split into Gigawords and Octets as a NAS
    /// sends them) at time `t`.
    pub fn counters(&self, t: i64, input: u64, output: u64) -> Self {
        let mut p = self.clone();
        p.t = t;
        p.in_gigawords = i64::try_from(input >> 32).expect("gigawords");
        p.in_octets = i64::try_from(input & 0xffff_ffff).expect("octets");
        p.out_gigawords = i64::try_from(output >> 32).expect("gigawords");
        p.out_octets = i64::try_from(output & 0xffff_ffff).expect("octets");
        p
    }
}

/// Acct-Status-Type = Start.
pub async fn start(pool: &PgPool, p: &Packet<'_>) {
    sqlx::query(
        "INSERT INTO radius.radacct (AcctSessionId, AcctUniqueId, UserName, Realm, NASIPAddress,
            NASPortId, NASPortType, AcctStartTime, AcctUpdateTime, AcctStopTime, AcctSessionTime,
            AcctAuthentic, ConnectInfo_start, ConnectInfo_Stop, AcctInputOctets, AcctOutputOctets,
            CalledStationId, CallingStationId, AcctTerminateCause, ServiceType, FramedProtocol,
            FramedIpAddress, FramedIpv6Address, FramedIpv6Prefix, FramedInterfaceId,
            DelegatedIpv6Prefix)
         VALUES ($1, $2, $3, NULLIF('', ''), $4::inet, NULLIF('', ''), 'Ethernet',
            TO_TIMESTAMP($5::bigint), TO_TIMESTAMP($5::bigint), NULL, 0, 'RADIUS', '', NULL, 0, 0,
            '', '', NULL, 'Framed-User', 'PPP', NULLIF('', '')::inet, NULLIF('', '')::inet,
            NULLIF('', '')::inet, NULLIF('', ''), NULLIF('', '')::inet)
         ON CONFLICT (AcctUniqueId) DO UPDATE
         SET AcctStartTime = TO_TIMESTAMP($5::bigint), AcctUpdateTime = TO_TIMESTAMP($5::bigint),
             ConnectInfo_start = ''
         WHERE radacct.AcctUniqueId = $2 AND radacct.AcctStopTime IS NULL",
    )
    .bind(p.session_id)
    .bind(p.unique_id)
    .bind(p.username)
    .bind(p.nas)
    .bind(p.t)
    .execute(pool)
    .await
    .expect("accounting start");
}

/// Acct-Status-Type = Interim-Update.
pub async fn interim(pool: &PgPool, p: &Packet<'_>) {
    let updated = sqlx::query(
        "UPDATE radius.radacct SET
            FramedIPAddress = NULLIF('', '')::inet, FramedIPv6Address = NULLIF('', '')::inet,
            FramedIPv6Prefix = NULLIF('', '')::inet, FramedInterfaceId = NULLIF('', ''),
            DelegatedIPv6Prefix = NULLIF('', '')::inet,
            AcctSessionTime = $2,
            AcctInterval = ($3::bigint - EXTRACT(EPOCH FROM (COALESCE(AcctUpdateTime, AcctStartTime)))),
            AcctUpdateTime = TO_TIMESTAMP($3::bigint),
            AcctInputOctets = (($4::bigint << 32) + $5::bigint),
            AcctOutputOctets = (($6::bigint << 32) + $7::bigint)
         WHERE AcctUniqueId = $1 AND AcctStopTime IS NULL",
    )
    .bind(p.unique_id)
    .bind(p.session_time)
    .bind(p.t)
    .bind(p.in_gigawords)
    .bind(p.in_octets)
    .bind(p.out_gigawords)
    .bind(p.out_octets)
    .execute(pool)
    .await
    .expect("interim update")
    .rows_affected();
    if updated == 0 {
        sqlx::query(
            "INSERT INTO radius.radacct (AcctSessionId, AcctUniqueId, UserName, Realm, NASIPAddress,
                NASPortId, NASPortType, AcctStartTime, AcctUpdateTime, AcctStopTime,
                AcctSessionTime, AcctAuthentic, ConnectInfo_start, ConnectInfo_Stop,
                AcctInputOctets, AcctOutputOctets, CalledStationId, CallingStationId,
                AcctTerminateCause, ServiceType, FramedProtocol, FramedIpAddress)
             VALUES ($1, $2, $3, NULLIF('', ''), $4::inet, NULLIF('', ''), 'Ethernet',
                TO_TIMESTAMP($5::bigint), TO_TIMESTAMP($5::bigint), NULL, $6, 'RADIUS', '', NULL,
                (($7::bigint << 32) + $8::bigint), (($9::bigint << 32) + $10::bigint),
                '', '', NULL, 'Framed-User', 'PPP', NULLIF('', '')::inet)
             ON CONFLICT (AcctUniqueId) DO NOTHING",
        )
        .bind(p.session_id)
        .bind(p.unique_id)
        .bind(p.username)
        .bind(p.nas)
        .bind(p.t)
        .bind(p.session_time)
        .bind(p.in_gigawords)
        .bind(p.in_octets)
        .bind(p.out_gigawords)
        .bind(p.out_octets)
        .execute(pool)
        .await
        .expect("interim insert");
    }
}

/// Acct-Status-Type = Stop.
pub async fn stop(pool: &PgPool, p: &Packet<'_>) {
    let updated = sqlx::query(
        "UPDATE radius.radacct SET
            AcctStopTime = TO_TIMESTAMP($2::bigint), AcctUpdateTime = TO_TIMESTAMP($2::bigint),
            AcctSessionTime = COALESCE($3, ($2::bigint - EXTRACT(EPOCH FROM(AcctStartTime)))),
            AcctInputOctets = (($4::bigint << 32) + $5::bigint),
            AcctOutputOctets = (($6::bigint << 32) + $7::bigint),
            AcctTerminateCause = 'User-Request',
            FramedIPAddress = NULLIF('', '')::inet, FramedIPv6Address = NULLIF('', '')::inet,
            FramedIPv6Prefix = NULLIF('', '')::inet, FramedInterfaceId = NULLIF('', ''),
            DelegatedIPv6Prefix = NULLIF('', '')::inet, ConnectInfo_stop = ''
         WHERE AcctUniqueId = $1 AND AcctStopTime IS NULL",
    )
    .bind(p.unique_id)
    .bind(p.t)
    .bind(p.session_time)
    .bind(p.in_gigawords)
    .bind(p.in_octets)
    .bind(p.out_gigawords)
    .bind(p.out_octets)
    .execute(pool)
    .await
    .expect("stop update")
    .rows_affected();
    if updated == 0 {
        sqlx::query(
            "INSERT INTO radius.radacct (AcctSessionId, AcctUniqueId, UserName, Realm, NASIPAddress,
                NASPortId, NASPortType, AcctStartTime, AcctUpdateTime, AcctStopTime,
                AcctSessionTime, AcctAuthentic, ConnectInfo_start, ConnectInfo_Stop,
                AcctInputOctets, AcctOutputOctets, CalledStationId, CallingStationId,
                AcctTerminateCause, ServiceType, FramedProtocol, FramedIpAddress)
             VALUES ($1, $2, $3, NULLIF('', ''), $4::inet, NULLIF('', ''), 'Ethernet',
                TO_TIMESTAMP($5::bigint - COALESCE($6, 0)), TO_TIMESTAMP($5::bigint),
                TO_TIMESTAMP($5::bigint), $6, 'RADIUS', '', NULL,
                (($7::bigint << 32) + $8::bigint), (($9::bigint << 32) + $10::bigint),
                '', '', 'User-Request', 'Framed-User', 'PPP', NULLIF('', '')::inet)
             ON CONFLICT (AcctUniqueId) DO NOTHING",
        )
        .bind(p.session_id)
        .bind(p.unique_id)
        .bind(p.username)
        .bind(p.nas)
        .bind(p.t)
        .bind(p.session_time)
        .bind(p.in_gigawords)
        .bind(p.in_octets)
        .bind(p.out_gigawords)
        .bind(p.out_octets)
        .execute(pool)
        .await
        .expect("stop insert");
    }
}

/// Acct-Status-Type = Accounting-On (or -Off): the NAS rebooted; its open sessions close.
pub async fn accounting_on(pool: &PgPool, nas: &str, t: i64) {
    sqlx::query(
        "UPDATE radius.radacct SET
            AcctStopTime = TO_TIMESTAMP($2::bigint), AcctUpdateTime = TO_TIMESTAMP($2::bigint),
            AcctSessionTime = ($2::bigint - EXTRACT(EPOCH FROM(AcctStartTime))),
            AcctTerminateCause = 'NAS-Reboot'
         WHERE AcctStopTime IS NULL AND NASIPAddress = $1::inet
           AND AcctStartTime <= TO_TIMESTAMP($2::bigint)",
    )
    .bind(nas)
    .bind(t)
    .execute(pool)
    .await
    .expect("accounting-on");
}
