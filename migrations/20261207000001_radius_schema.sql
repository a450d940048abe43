-- FreeRADIUS's own tables, in a schema of their own, and the role FreeRADIUS connects as.
--
-- The tables follow FreeRADIUS 3.2's PostgreSQL schema (Debian's freeradius-postgresql,
-- mods-config/sql/main/postgresql/schema.sql) column for column, so the package's stock
-- queries.conf works unchanged once the role's search_path points here. Lastmile writes
-- the check/reply/group tables (from the provisioning outbox) and reads the accounting
-- table; FreeRADIUS reads the first and writes the second.

create schema radius;

-- Sessions as the NAS reported them: one row per session, counters overwritten in place by
-- each Interim-Update (already widened to 64 bits with the Gigawords by FreeRADIUS's query).
create table radius.radacct (
    radacctid           bigserial primary key,
    acctsessionid       text not null,
    acctuniqueid        text not null unique,
    username            text,
    realm               text,
    nasipaddress        inet not null,
    nasportid           text,
    nasporttype         text,
    acctstarttime       timestamptz,
    acctupdatetime      timestamptz,
    acctstoptime        timestamptz,
    acctinterval        bigint,
    acctsessiontime     bigint,
    acctauthentic       text,
    connectinfo_start   text,
    connectinfo_stop    text,
    acctinputoctets     bigint,
    acctoutputoctets    bigint,
    calledstationid     text,
    callingstationid    text,
    acctterminatecause  text,
    servicetype         text,
    framedprotocol      text,
    framedipaddress     inet,
    framedipv6address   inet,
    framedipv6prefix    inet,
    framedinterfaceid   text,
    delegatedipv6prefix inet,
    class               text
);
create index radacct_active_session_idx on radius.radacct (acctuniqueid) where acctstoptime is null;
create index radacct_bulk_close on radius.radacct (nasipaddress, acctstarttime) where acctstoptime is null;
create index radacct_start_user_idx on radius.radacct (acctstarttime, username);
create index radacct_class_idx on radius.radacct (class);
-- Lastmile's own: the open sessions of one user (where to send a CoA or Disconnect).
create index radacct_open_by_user on radius.radacct (username) where acctstoptime is null;

-- Per-user check items (the password) and reply items.
create table radius.radcheck (
    id        serial primary key,
    username  text not null default '',
    attribute text not null default '',
    op        varchar(2) not null default '==',
    value     text not null default ''
);
create index radcheck_username on radius.radcheck (username, attribute);

create table radius.radreply (
    id        serial primary key,
    username  text not null default '',
    attribute text not null default '',
    op        varchar(2) not null default '=',
    value     text not null default ''
);
create index radreply_username on radius.radreply (username, attribute);

-- Groups: one per plan (its speed), and the ones for suspended service.
create table radius.radgroupcheck (
    id        serial primary key,
    groupname text not null default '',
    attribute text not null default '',
    op        varchar(2) not null default '==',
    value     text not null default ''
);
create index radgroupcheck_groupname on radius.radgroupcheck (groupname, attribute);

create table radius.radgroupreply (
    id        serial primary key,
    groupname text not null default '',
    attribute text not null default '',
    op        varchar(2) not null default '=',
    value     text not null default ''
);
create index radgroupreply_groupname on radius.radgroupreply (groupname, attribute);

create table radius.radusergroup (
    id        serial primary key,
    username  text not null default '',
    groupname text not null default '',
    priority  integer not null default 0
);
create index radusergroup_username on radius.radusergroup (username);

create table radius.radpostauth (
    id               bigserial primary key,
    username         text not null,
    pass             text,
    reply            text,
    calledstationid  text,
    callingstationid text,
    authdate         timestamptz not null default now(),
    class            text
);
create index radpostauth_username_idx on radius.radpostauth (username);
create index radpostauth_class_idx on radius.radpostauth (class);

-- The network's access servers: where accounting comes from and where CoA goes.
create table radius.nas (
    id          serial primary key,
    nasname     text not null,
    shortname   text not null,
    type        text not null default 'other',
    ports       integer,
    secret      text not null,
    server      text,
    community   text,
    description text
);
create index nas_nasname on radius.nas (nasname);

create table radius.nasreload (
    nasipaddress inet primary key,
    reloadtime   timestamptz not null
);

-- The role FreeRADIUS connects as. Roles belong to the whole PostgreSQL server, so it is
-- created only when missing, without a password: the operator gives it one
-- (`alter role lastmile_radius login password '...'`, see the README). It reads the
-- check/reply/group/nas tables, writes accounting and post-auth, and has no right on any
-- table outside this schema (PostgreSQL grants none by default).
do $$
begin
    if not exists (select 1 from pg_roles where rolname = 'lastmile_radius') then
        begin
            create role lastmile_radius nologin;
        exception when duplicate_object or unique_violation then
            null; -- created meanwhile by a migration of another database on this server
        end;
    end if;
    execute format('grant connect on database %I to lastmile_radius', current_database());
    execute format('alter role lastmile_radius in database %I set search_path = radius', current_database());
end
$$;
revoke all on schema public from lastmile_radius;
grant usage on schema radius to lastmile_radius;
grant select on radius.radcheck, radius.radreply, radius.radgroupcheck, radius.radgroupreply,
                radius.radusergroup, radius.nas
   to lastmile_radius;
grant select, insert, update on radius.radacct, radius.nasreload to lastmile_radius;
grant insert on radius.radpostauth to lastmile_radius;
grant usage on sequence radius.radacct_radacctid_seq, radius.radpostauth_id_seq to lastmile_radius;

-- Each service's network credentials: what the subscriber's router (PPPoE) or the access
-- network (IPoE: the circuit id or MAC the NAS sends as User-Name) presents to RADIUS.
-- The PPPoE password is kept readable: CHAP and MS-CHAP, which PPPoE uses, need the
-- cleartext at the RADIUS server (radcheck's Cleartext-Password), and staff read it out to a
-- subscriber setting up a router. The provisioning worker copies these to radius.radcheck.
create table network_credentials (
    service_id  bigint primary key,
    account_id  bigint not null,
    kind        text not null check (kind in ('pppoe', 'ipoe')),
    -- printable ASCII without spaces, as NAS vendors send it
    username    text not null unique check (username ~ '^[!-~]{3,253}$'),
    password    text check (password ~ '^[!-~]{8,64}$'),
    changed_at  timestamptz not null default now(),
    foreign key (service_id, account_id) references services (id, account_id),
    check ((kind = 'pppoe') = (password is not null))
);
create index network_credentials_account on network_credentials (account_id);
