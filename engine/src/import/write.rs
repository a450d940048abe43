//! Writing a checked plan: accounts in batches, one transaction each, every row keyed by
//! its legacy id so that a re-run adds what is missing, updates what changed, and never
//! writes anything twice. Each statement below takes a whole batch (arrays through
//! `unnest`), so a batch of a thousand accounts is a few dozen statements.

use std::collections::HashMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use sqlx::{PgConnection, PgPool};

use billing::carried_over::{carry_over, CarriedOver, OpenInvoice, BALANCE_CARRIED_OVER};
use billing::{Currency, Money};

use super::check::{AccountPlan, Ready, ServicePlan};
use super::mapping::ServiceStatus;
use super::report::{Counts, Written};
use crate::EngineError;

/// How a plan is written.
#[derive(Debug, Clone, Copy)]
pub struct WriteOptions {
    /// The provider's today: the import day of the opening statements.
    pub today: NaiveDate,
    /// The provider's time zone, every new account's.
    pub zone: chrono_tz::Tz,
    /// Dates an opening statement with no open invoice.
    pub payment_terms_days: u32,
    /// Accounts per transaction: large enough that a statement's fixed cost is spread
    /// thin, small enough that a killed run loses little ([`WriteOptions::BATCH`]).
    pub batch: usize,
}

impl WriteOptions {
    pub const BATCH: usize = 1000;
}

/// Told after each batch is committed: accounts written so far, of how many.
pub type Progress<'a> = &'a (dyn Fn(usize, usize) + Sync);

/// What `returning` said of an upsert: the ids by legacy id and how many were new.
struct Upserted {
    ids: HashMap<String, i64>,
    inserted: Vec<String>,
    updated: u64,
}

async fn upserted(
    conn: &mut PgConnection,
    table: &str,
    rows: Vec<(i64, String, bool)>,
    legacy_ids: &[String],
) -> Result<Upserted, EngineError> {
    let mut ids: HashMap<String, i64> = HashMap::with_capacity(legacy_ids.len());
    let mut inserted = Vec::new();
    let mut updated = 0;
    for (id, legacy, new) in rows {
        if new {
            inserted.push(legacy.clone());
        } else {
            updated += 1;
        }
        ids.insert(legacy, id);
    }
    if ids.len() < legacy_ids.len() {
        // Rows the upsert left as they were return nothing: read their ids.
        let rest: Vec<(String, i64)> = sqlx::query_as(&format!(
            "select legacy_id, id from {table} where legacy_id = any($1)"
        ))
        .bind(legacy_ids)
        .fetch_all(&mut *conn)
        .await?;
        ids.extend(rest);
    }
    Ok(Upserted {
        ids,
        inserted,
        updated,
    })
}

fn count(c: &mut Counts, field: fn(&mut Counts) -> &mut u64, n: u64) {
    *field(c) += n;
}

/// Writes `ready`, batch by batch, each batch one transaction.
pub async fn write(
    pool: &PgPool,
    ready: &Ready,
    options: WriteOptions,
    progress: Progress<'_>,
) -> Result<Written, EngineError> {
    let WriteOptions {
        today,
        zone,
        payment_terms_days,
        batch: size,
    } = options;
    let mut written = Written::default();
    let total = ready.accounts.len();
    // Numbers the import brings are kept; the sequence that numbers the others is moved
    // past every number in use or given, once, so the two never meet.
    let given: Vec<i64> = ready
        .accounts
        .iter()
        .filter_map(|a| a.number.as_deref()?.parse().ok())
        .collect();
    sqlx::query(
        "select setval('account_number_seq',
                greatest((select max(account_number::bigint) from accounts),
                         (select max(n) from unnest($1::bigint[]) n),
                         (select last_value from account_number_seq)) + 1, false)",
    )
    .bind(&given)
    .execute(pool)
    .await?;
    let mut done = 0;
    for batch in ready.accounts.chunks(size.max(1)) {
        let mut tx = pool.begin().await?;
        write_batch(
            &mut tx,
            batch,
            today,
            zone,
            payment_terms_days,
            &mut written,
        )
        .await?;
        tx.commit().await?;
        done += batch.len();
        progress(done, total);
    }
    Ok(written)
}

async fn write_batch(
    tx: &mut PgConnection,
    batch: &[AccountPlan],
    today: NaiveDate,
    zone: chrono_tz::Tz,
    payment_terms_days: u32,
    w: &mut Written,
) -> Result<(), EngineError> {
    // Accounts: names, kind, language and Stripe customer follow the legacy system until
    // cut-over; the number, cycle, currency and mode are written once.
    let legacy: Vec<String> = batch.iter().map(|a| a.legacy_id.clone()).collect();
    let rows: Vec<(i64, String, bool)> = sqlx::query_as(
        "insert into accounts (legacy_id, account_number, kind, display_name, billing_cycle_day,
                               currency, time_zone, locale, billing_mode, stripe_customer_id)
         select l, coalesce(n, nextval('account_number_seq')::text), k, d, c, cur, $11, loc, m, cus
           from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int2[], $6::text[],
                       $7::text[], $8::text[], $9::text[], $10::int[])
                as t(l, n, k, d, c, cur, loc, m, cus, ord)
          order by ord
         on conflict (legacy_id) do update
            set display_name = excluded.display_name, kind = excluded.kind, locale = excluded.locale,
                stripe_customer_id = coalesce(excluded.stripe_customer_id, accounts.stripe_customer_id)
          where (accounts.display_name, accounts.kind, accounts.locale)
                is distinct from (excluded.display_name, excluded.kind, excluded.locale)
             or excluded.stripe_customer_id is distinct from accounts.stripe_customer_id
                and excluded.stripe_customer_id is not null
         returning id, legacy_id, xmax = 0",
    )
    .bind(&legacy)
    .bind(batch.iter().map(|a| a.number.clone()).collect::<Vec<_>>())
    .bind(batch.iter().map(|a| a.kind.clone()).collect::<Vec<_>>())
    .bind(batch.iter().map(|a| a.name.clone()).collect::<Vec<_>>())
    .bind(batch.iter().map(|a| a.cycle_day).collect::<Vec<_>>())
    .bind(batch.iter().map(|a| a.currency.clone()).collect::<Vec<_>>())
    .bind(batch.iter().map(|a| a.locale.clone()).collect::<Vec<_>>())
    .bind(batch.iter().map(|a| a.billing_mode.clone()).collect::<Vec<_>>())
    .bind(batch.iter().map(|a| a.customer.clone()).collect::<Vec<_>>())
    .bind((0..batch.len() as i32).collect::<Vec<_>>())
    .bind(zone.name())
    .fetch_all(&mut *tx)
    .await?;
    let accounts = upserted(tx, "accounts", rows, &legacy).await?;
    tally(w, |c| &mut c.accounts, batch.len(), &accounts);
    let account_id = |legacy: &str| accounts.ids[legacy];

    // People.
    let mut p = Columns::default();
    for a in batch {
        for person in &a.people {
            p.legacy.push(person.legacy_id.clone());
            p.account.push(account_id(&a.legacy_id));
            p.a.push(person.role.clone());
            p.b.push(person.first_name.clone());
            p.c.push(person.last_name.clone());
            p.d.push(person.email.clone());
            p.e.push(person.phone.clone());
        }
    }
    let rows: Vec<(i64, String, bool)> = sqlx::query_as(
        "insert into people (legacy_id, account_id, role, first_name, last_name, email, phone)
         select * from unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::citext[], $7::text[])
         on conflict (legacy_id) do update
            set first_name = excluded.first_name, last_name = excluded.last_name,
                email = excluded.email, phone = excluded.phone
          where (people.first_name, people.last_name, people.email, people.phone)
                is distinct from (excluded.first_name, excluded.last_name, excluded.email, excluded.phone)
         returning id, legacy_id, xmax = 0",
    )
    .bind(&p.legacy)
    .bind(&p.account)
    .bind(&p.a)
    .bind(&p.b)
    .bind(&p.c)
    .bind(&p.d)
    .bind(&p.e)
    .fetch_all(&mut *tx)
    .await?;
    let people = upserted(tx, "people", rows, &p.legacy).await?;
    tally(w, |c| &mut c.people, p.legacy.len(), &people);

    // Portal logins, without a password: `lastmile import invite` sends each its link.
    let mut login_account = Vec::new();
    let mut login_person = Vec::new();
    let mut login_email = Vec::new();
    let mut login_primary = Vec::new();
    for a in batch {
        for person in &a.people {
            if let (Some(primary), Some(email)) = (person.login, &person.email) {
                login_account.push(account_id(&a.legacy_id));
                login_person.push(people.ids[&person.legacy_id]);
                login_email.push(email.clone());
                login_primary.push(primary);
            }
        }
    }
    let logins = sqlx::query(
        "insert into portal_logins (account_id, person_id, email, password_hash, is_primary)
         select a, p, e, null, pr and not exists (select 1 from portal_logins x where x.account_id = a and x.is_primary)
           from unnest($1::bigint[], $2::bigint[], $3::citext[], $4::bool[]) as t(a, p, e, pr)
         on conflict do nothing",
    )
    .bind(&login_account)
    .bind(&login_person)
    .bind(&login_email)
    .bind(&login_primary)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    w.added.portal_logins += logins;
    w.unchanged.portal_logins += login_account.len() as u64 - logins;

    // Addresses: corrections follow the legacy system; the technologies are written once.
    let mut ad = Columns::default();
    let mut region = Vec::new();
    let mut postal = Vec::new();
    let mut country = Vec::new();
    let mut jurisdiction = Vec::new();
    let mut technologies = Vec::new();
    for a in batch {
        for address in &a.addresses {
            ad.legacy.push(address.legacy_id.clone());
            ad.account.push(account_id(&a.legacy_id));
            ad.a.push(address.line1.clone());
            ad.d.push(address.line2.clone());
            ad.b.push(address.city.clone());
            region.push(address.region.clone());
            postal.push(address.postal_code.clone());
            country.push(address.country.clone());
            jurisdiction.push(address.jurisdiction_id);
            technologies.push(address.technologies.join(","));
        }
    }
    let rows: Vec<(i64, String, bool)> = sqlx::query_as(
        "insert into addresses (legacy_id, account_id, line1, line2, city, region, postal_code, country,
                                jurisdiction_id, technologies)
         select l, a, l1, l2, c, r, pc, co, j, string_to_array(nullif(t, ''), ',')::text[]
           from unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[],
                       $7::text[], $8::text[], $9::bigint[], $10::text[]) as x(l, a, l1, l2, c, r, pc, co, j, t)
         on conflict (legacy_id) do update
            set line1 = excluded.line1, line2 = excluded.line2, city = excluded.city,
                region = excluded.region, postal_code = excluded.postal_code,
                jurisdiction_id = excluded.jurisdiction_id
          where (addresses.line1, addresses.line2, addresses.city, addresses.region,
                 addresses.postal_code, addresses.jurisdiction_id)
                is distinct from (excluded.line1, excluded.line2, excluded.city, excluded.region,
                                  excluded.postal_code, excluded.jurisdiction_id)
         returning id, legacy_id, xmax = 0",
    )
    .bind(&ad.legacy)
    .bind(&ad.account)
    .bind(&ad.a)
    .bind(&ad.d)
    .bind(&ad.b)
    .bind(&region)
    .bind(&postal)
    .bind(&country)
    .bind(&jurisdiction)
    .bind(&technologies)
    .fetch_all(&mut *tx)
    .await?;
    let addresses = upserted(tx, "addresses", rows, &ad.legacy).await?;
    tally(w, |c| &mut c.addresses, ad.legacy.len(), &addresses);

    // Services: a service not yet charged by Lastmile follows the legacy system's plan and
    // paid-through date; its status and days are written once.
    let mut s = ServiceColumns::default();
    for a in batch {
        for service in &a.services {
            s.push(
                account_id(&a.legacy_id),
                addresses.ids[&service.address],
                service,
            );
        }
    }
    let rows: Vec<(i64, String, bool)> = sqlx::query_as(
        "insert into services (legacy_id, account_id, address_id, plan_id, status, suspension_reason,
                               activated_on, cancelled_on, contract_ends_on, legacy_charged_through,
                               upstream_ref)
         select * from unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[], $5::text[], $6::text[],
                              $7::date[], $8::date[], $9::date[], $10::date[], $11::text[])
         on conflict (legacy_id) do update
            set plan_id = case when exists (select 1 from service_charges c where c.service_id = services.id)
                               then services.plan_id else excluded.plan_id end,
                legacy_charged_through = case when exists (select 1 from service_charges c where c.service_id = services.id)
                                              then services.legacy_charged_through else excluded.legacy_charged_through end,
                upstream_ref = coalesce(excluded.upstream_ref, services.upstream_ref)
          where (services.plan_id, services.legacy_charged_through) is distinct from (excluded.plan_id, excluded.legacy_charged_through)
                and not exists (select 1 from service_charges c where c.service_id = services.id)
             or excluded.upstream_ref is distinct from services.upstream_ref and excluded.upstream_ref is not null
         returning id, legacy_id, xmax = 0",
    )
    .bind(&s.legacy)
    .bind(&s.account)
    .bind(&s.address)
    .bind(&s.plan)
    .bind(&s.status)
    .bind(&s.reason)
    .bind(&s.activated)
    .bind(&s.cancelled)
    .bind(&s.contract_end)
    .bind(&s.charged_through)
    .bind(&s.circuit)
    .fetch_all(&mut *tx)
    .await?;
    let services = upserted(tx, "services", rows, &s.legacy).await?;
    tally(w, |c| &mut c.services, s.legacy.len(), &services);
    // A service switched off arrives with its suspension open (the schema checks it).
    let new: std::collections::HashSet<&str> =
        services.inserted.iter().map(String::as_str).collect();
    let mut off_service = Vec::new();
    let mut off_account = Vec::new();
    let mut off_reason = Vec::new();
    let mut off_on = Vec::new();
    for (i, legacy) in s.legacy.iter().enumerate() {
        if let (true, Some(reason), Some(on)) =
            (new.contains(legacy.as_str()), &s.reason[i], s.suspended[i])
        {
            off_service.push(services.ids[legacy]);
            off_account.push(s.account[i]);
            off_reason.push(reason.clone());
            off_on.push(on);
        }
    }
    sqlx::query(
        "insert into service_suspensions (service_id, account_id, reason, suspended_on)
         select * from unnest($1::bigint[], $2::bigint[], $3::text[], $4::date[])",
    )
    .bind(&off_service)
    .bind(&off_account)
    .bind(&off_reason)
    .bind(&off_on)
    .execute(&mut *tx)
    .await?;

    // The opening balance and open invoices, for the accounts new in this batch only: what
    // was carried over once is never carried again.
    let new_accounts: std::collections::HashSet<&str> =
        accounts.inserted.iter().map(String::as_str).collect();
    let opened = carry(
        tx,
        batch,
        &new_accounts,
        &accounts.ids,
        today,
        payment_terms_days,
    )
    .await?;
    w.added.open_invoices += opened;
    w.unchanged.open_invoices += batch
        .iter()
        .filter(|a| !new_accounts.contains(a.legacy_id.as_str()))
        .map(|a| a.invoices.len() as u64)
        .sum::<u64>();

    // Saved cards.
    let mut card_account = Vec::new();
    let mut card = CardColumns::default();
    for a in batch {
        for c in &a.cards {
            card_account.push(account_id(&a.legacy_id));
            card.pm.push(c.payment_method.clone());
            card.brand.push(c.brand.clone());
            card.last4.push(c.last4.clone());
            card.month.push(c.exp_month);
            card.year.push(c.exp_year);
            card.default.push(c.default);
        }
    }
    let added = sqlx::query(
        "insert into payment_methods (account_id, stripe_payment_method_id, brand, last4, exp_month, exp_year, is_default)
         select a, pm, b, l, m, y, d and not exists (select 1 from payment_methods x where x.account_id = a and x.is_default)
           from unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::int2[], $6::int2[], $7::bool[])
                as t(a, pm, b, l, m, y, d)
         on conflict (stripe_payment_method_id) do nothing",
    )
    .bind(&card_account)
    .bind(&card.pm)
    .bind(&card.brand)
    .bind(&card.last4)
    .bind(&card.month)
    .bind(&card.year)
    .bind(&card.default)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    w.added.payment_methods += added;
    w.unchanged.payment_methods += card.pm.len() as u64 - added;

    // Notes.
    let mut n_legacy = Vec::new();
    let mut n_account = Vec::new();
    let mut n_at = Vec::new();
    let mut n_author = Vec::new();
    let mut n_body = Vec::new();
    for a in batch {
        for note in &a.notes {
            n_legacy.push(note.legacy_id.clone());
            n_account.push(account_id(&a.legacy_id));
            n_at.push(note.written_at);
            n_author.push(note.author.clone());
            n_body.push(note.body.clone());
        }
    }
    let rows: Vec<(i64, String, bool)> = sqlx::query_as(
        "insert into notes (legacy_id, account_id, created_at, legacy_author, body)
         select * from unnest($1::text[], $2::bigint[], $3::timestamptz[], $4::text[], $5::text[])
         on conflict (legacy_id) do update set body = excluded.body, legacy_author = excluded.legacy_author
          where (notes.body, notes.legacy_author) is distinct from (excluded.body, excluded.legacy_author)
         returning id, legacy_id, xmax = 0",
    )
    .bind(&n_legacy)
    .bind(&n_account)
    .bind(&n_at)
    .bind(&n_author)
    .bind(&n_body)
    .fetch_all(&mut *tx)
    .await?;
    let notes = upserted(tx, "notes", rows, &n_legacy).await?;
    tally(w, |c| &mut c.notes, n_legacy.len(), &notes);

    // Usage history.
    let mut u_service = Vec::new();
    let mut u_day = Vec::new();
    let mut u_down = Vec::new();
    let mut u_up = Vec::new();
    for a in batch {
        for u in &a.usage {
            u_service.push(services.ids[&u.service]);
            u_day.push(u.day);
            u_down.push(u.download);
            u_up.push(u.upload);
        }
    }
    let rows: Vec<(bool,)> = sqlx::query_as(
        "insert into usage_daily (service_id, day, download_bytes, upload_bytes)
         select * from unnest($1::bigint[], $2::date[], $3::bigint[], $4::bigint[])
         on conflict (service_id, day) do update
            set download_bytes = excluded.download_bytes, upload_bytes = excluded.upload_bytes
          where (usage_daily.download_bytes, usage_daily.upload_bytes)
                is distinct from (excluded.download_bytes, excluded.upload_bytes)
         returning xmax = 0",
    )
    .bind(&u_service)
    .bind(&u_day)
    .bind(&u_down)
    .bind(&u_up)
    .fetch_all(&mut *tx)
    .await?;
    let added = rows.iter().filter(|(new,)| *new).count() as u64;
    w.added.usage_days += added;
    w.updated.usage_days += rows.len() as u64 - added;
    w.unchanged.usage_days += u_service.len() as u64 - rows.len() as u64;
    Ok(())
}

fn tally(w: &mut Written, field: fn(&mut Counts) -> &mut u64, given: usize, u: &Upserted) {
    let added = u.inserted.len() as u64;
    count(&mut w.added, field, added);
    count(&mut w.updated, field, u.updated);
    count(&mut w.unchanged, field, given as u64 - added - u.updated);
}

/// The opening statements, their lines, their one ledger entry each and the legacy
/// invoices they carry, for the accounts just made (`billing::carried_over`). Returns how
/// many invoices were carried.
async fn carry(
    tx: &mut PgConnection,
    batch: &[AccountPlan],
    new_accounts: &std::collections::HashSet<&str>,
    ids: &HashMap<String, i64>,
    today: NaiveDate,
    payment_terms_days: u32,
) -> Result<u64, EngineError> {
    let mut st = StatementColumns::default();
    let mut credit_account = Vec::new();
    let mut credit_currency = Vec::new();
    let mut credit_amount = Vec::new();
    let mut credit_key = Vec::new();
    let mut lines: Vec<(usize, i16, &'static str, String, Decimal)> = Vec::new();
    let mut invoices: Vec<(usize, String, NaiveDate, NaiveDate, Decimal)> = Vec::new();
    for a in batch
        .iter()
        .filter(|a| new_accounts.contains(a.legacy_id.as_str()))
    {
        let currency = Currency::parse(&a.currency)
            .map_err(|e| EngineError::bad_data(&a.legacy_id, e.to_string()))?;
        let open: Vec<OpenInvoice> = a
            .invoices
            .iter()
            .map(|i| OpenInvoice {
                number: i.legacy_id.clone(),
                issued_on: i.issued_on,
                due_on: i.due_on,
                open: Money::new(i.open, currency),
            })
            .collect();
        let carried = carry_over(
            Money::new(a.balance, currency),
            &open,
            today,
            payment_terms_days,
        )
        .map_err(|e| EngineError::bad_data(&a.legacy_id, e.to_string()))?;
        let account_id = ids[&a.legacy_id];
        match carried {
            CarriedOver::Nothing => {}
            CarriedOver::Credit(amount) => {
                credit_account.push(account_id);
                credit_currency.push(a.currency.clone());
                credit_amount.push(amount.amount());
                credit_key.push(format!("import:opening:{}", a.legacy_id));
            }
            CarriedOver::Statement(o) => {
                let index = st.account.len();
                st.account.push(account_id);
                st.currency.push(a.currency.clone());
                st.legacy.push(a.legacy_id.clone());
                st.start.push(o.period_start);
                st.end.push(o.period_end);
                st.issued.push(o.issued_on);
                st.due.push(o.due_on);
                st.charges.push(o.totals.charges.amount());
                st.credits.push(o.totals.credits.amount());
                st.total.push(o.totals.total_due.amount());
                st.entry_kind
                    .push(o.entry.map(|(k, _)| k.as_str().to_string()));
                for (n, line) in o.lines.iter().enumerate() {
                    lines.push((
                        index,
                        n as i16 + 1,
                        line.kind.as_str(),
                        line.description.clone(),
                        line.amount.amount(),
                    ));
                }
                for i in &a.invoices {
                    invoices.push((index, i.legacy_id.clone(), i.issued_on, i.due_on, i.open));
                }
            }
        }
    }
    // Credits with no statement wait for the next one, like any credit.
    sqlx::query(
        "insert into ledger_entries (account_id, currency, kind, amount, description, effective_on, idempotency_key)
         select a, c, 'credit', m, $5, $6, k from unnest($1::bigint[], $2::text[], $3::numeric[], $4::text[]) as t(a, c, m, k)",
    )
    .bind(&credit_account)
    .bind(&credit_currency)
    .bind(&credit_amount)
    .bind(&credit_key)
    .bind(BALANCE_CARRIED_OVER)
    .bind(today)
    .execute(&mut *tx)
    .await?;
    if st.account.is_empty() {
        return Ok(0);
    }
    let statement_ids: Vec<(i64, i64)> = sqlx::query_as(
        "insert into statements (account_id, currency, statement_number, period_start, period_end, issued_on,
                                 due_on, previous_balance, total_charges, total_tax, total_payments,
                                 total_credits, total_due, status, paid_at)
         select a, c, 'O-' || (select account_number from accounts where id = a), s, e, i, d, 0, ch, 0, 0, cr, t,
                case when t > 0 then 'open' else 'paid' end, case when t > 0 then null else now() end
           from unnest($1::bigint[], $2::text[], $3::date[], $4::date[], $5::date[], $6::date[],
                       $7::numeric[], $8::numeric[], $9::numeric[], $10::int[]) as x(a, c, s, e, i, d, ch, cr, t, ord)
          order by ord
         returning account_id, id",
    )
    .bind(&st.account)
    .bind(&st.currency)
    .bind(&st.start)
    .bind(&st.end)
    .bind(&st.issued)
    .bind(&st.due)
    .bind(&st.charges)
    .bind(&st.credits)
    .bind(&st.total)
    .bind((0..st.account.len() as i32).collect::<Vec<_>>())
    .fetch_all(&mut *tx)
    .await?;
    let statement_of: HashMap<i64, i64> = statement_ids.into_iter().collect();
    let sid = |index: usize| statement_of[&st.account[index]];
    sqlx::query(
        "insert into statement_lines (statement_id, line_no, kind, description, amount)
         select * from unnest($1::bigint[], $2::int2[], $3::text[], $4::text[], $5::numeric[])",
    )
    .bind(lines.iter().map(|l| sid(l.0)).collect::<Vec<_>>())
    .bind(lines.iter().map(|l| l.1).collect::<Vec<_>>())
    .bind(lines.iter().map(|l| l.2).collect::<Vec<_>>())
    .bind(lines.iter().map(|l| l.3.clone()).collect::<Vec<_>>())
    .bind(lines.iter().map(|l| l.4).collect::<Vec<_>>())
    .execute(&mut *tx)
    .await?;
    let with_entry: Vec<usize> = (0..st.account.len())
        .filter(|i| st.entry_kind[*i].is_some())
        .collect();
    sqlx::query(
        "insert into ledger_entries (account_id, currency, kind, amount, description, effective_on,
                                     statement_id, idempotency_key)
         select a, c, k, m, $7, $8, s, 'import:opening:' || l
           from unnest($1::bigint[], $2::text[], $3::text[], $4::numeric[], $5::bigint[], $6::text[])
                as t(a, c, k, m, s, l)",
    )
    .bind(with_entry.iter().map(|i| st.account[*i]).collect::<Vec<_>>())
    .bind(with_entry.iter().map(|i| st.currency[*i].clone()).collect::<Vec<_>>())
    .bind(with_entry.iter().map(|i| st.entry_kind[*i].clone()).collect::<Vec<_>>())
    .bind(with_entry.iter().map(|i| st.total[*i]).collect::<Vec<_>>())
    .bind(with_entry.iter().map(|i| sid(*i)).collect::<Vec<_>>())
    .bind(with_entry.iter().map(|i| st.legacy[*i].clone()).collect::<Vec<_>>())
    .bind(BALANCE_CARRIED_OVER)
    .bind(today)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "insert into legacy_invoices (legacy_id, account_id, statement_id, issued_on, due_on, open_amount)
         select * from unnest($1::text[], $2::bigint[], $3::bigint[], $4::date[], $5::date[], $6::numeric[])",
    )
    .bind(invoices.iter().map(|i| i.1.clone()).collect::<Vec<_>>())
    .bind(invoices.iter().map(|i| st.account[i.0]).collect::<Vec<_>>())
    .bind(invoices.iter().map(|i| sid(i.0)).collect::<Vec<_>>())
    .bind(invoices.iter().map(|i| i.2).collect::<Vec<_>>())
    .bind(invoices.iter().map(|i| i.3).collect::<Vec<_>>())
    .bind(invoices.iter().map(|i| i.4).collect::<Vec<_>>())
    .execute(&mut *tx)
    .await?;
    Ok(invoices.len() as u64)
}

#[derive(Default)]
struct Columns {
    legacy: Vec<String>,
    account: Vec<i64>,
    a: Vec<String>,
    b: Vec<String>,
    c: Vec<String>,
    d: Vec<Option<String>>,
    e: Vec<Option<String>>,
}

#[derive(Default)]
struct ServiceColumns {
    legacy: Vec<String>,
    account: Vec<i64>,
    address: Vec<i64>,
    plan: Vec<i64>,
    status: Vec<&'static str>,
    reason: Vec<Option<String>>,
    activated: Vec<Option<NaiveDate>>,
    cancelled: Vec<Option<NaiveDate>>,
    suspended: Vec<Option<NaiveDate>>,
    contract_end: Vec<Option<NaiveDate>>,
    charged_through: Vec<Option<NaiveDate>>,
    circuit: Vec<Option<String>>,
}

impl ServiceColumns {
    fn push(&mut self, account: i64, address: i64, s: &ServicePlan) {
        let (status, reason) = match s.status {
            ServiceStatus::Pending => ("pending", None),
            ServiceStatus::Active => ("active", None),
            ServiceStatus::Suspended => ("suspended", Some("other".to_string())),
            ServiceStatus::SuspendedNonPayment => ("suspended", Some("non_payment".to_string())),
            ServiceStatus::Cancelled => ("cancelled", None),
        };
        self.legacy.push(s.legacy_id.clone());
        self.account.push(account);
        self.address.push(address);
        self.plan.push(s.plan_id);
        self.status.push(status);
        self.reason.push(reason);
        self.activated.push(s.activated_on);
        self.cancelled.push(s.cancelled_on);
        self.suspended.push(s.suspended_on);
        self.contract_end.push(s.contract_ends_on);
        self.charged_through.push(s.charged_through);
        self.circuit.push(s.circuit.clone());
    }
}

#[derive(Default)]
struct CardColumns {
    pm: Vec<String>,
    brand: Vec<String>,
    last4: Vec<String>,
    month: Vec<i16>,
    year: Vec<i16>,
    default: Vec<bool>,
}

#[derive(Default)]
struct StatementColumns {
    account: Vec<i64>,
    currency: Vec<String>,
    legacy: Vec<String>,
    start: Vec<NaiveDate>,
    end: Vec<NaiveDate>,
    issued: Vec<NaiveDate>,
    due: Vec<NaiveDate>,
    charges: Vec<Decimal>,
    credits: Vec<Decimal>,
    total: Vec<Decimal>,
    entry_kind: Vec<Option<String>>,
}
