// Subscribers of a spec's own, made straight in PostgreSQL, and the real bill run for them.
import { execFileSync } from 'node:child_process';
import { one } from './db';

/** The provider's today (bill runs refuse dates that have not come on its clock). */
export function providerToday(): string {
  const tz = process.env.LASTMILE_TIME_ZONE ?? 'America/Chicago';
  return one(`select (now() at time zone '${tz}')::date::text`);
}

/** The provider's day one month before today (a day the cycle day falls on, or the month's last). */
export function providerMonthAgo(): string {
  return one(`select ('${providerToday()}'::date - interval '1 month')::date::text`);
}

/**
 * A subscriber of our own whose billing cycle day is today and whose service starts on
 * `activatedOn` (today unless given), so that a bill run for that day and for today bills them
 * (the seed's accounts have their cycle days anywhere in the month). Signs in with the demo
 * password. Returns its number and id.
 */
export function freshSubscriber(tag: string, activatedOn?: string): { number: string; id: string } {
  const today = providerToday();
  const start = activatedOn ?? today;
  const number = `9${String(Date.now() % 1e7).padStart(7, '0')}${tag}`;
  const email = `casey.${number}@example.net`;
  const id = one(`
    with a as (
      insert into accounts (account_number, kind, display_name, billing_cycle_day, currency, time_zone)
      values ('${number}', 'residential', 'Casey Tester', extract(day from '${today}'::date), 'USD', 'America/Chicago')
      returning id),
    p as (
      insert into people (account_id, role, first_name, last_name, email)
      select id, 'owner', 'Casey', 'Tester', '${email}' from a returning id, account_id),
    ad as (
      insert into addresses (account_id, line1, city, region, postal_code, country, jurisdiction_id, technologies)
      select a.id, '9 Test Lane', 'Springfield', 'OR', '97477', 'US',
             (select jurisdiction_id from addresses order by id limit 1), '{fibre,cable,dsl}'
        from a returning id, account_id),
    s as (
      insert into services (account_id, address_id, plan_id, status, activated_on)
      select ad.account_id, ad.id,
             (select id from plans where billing_mode = 'postpaid' and currency = 'USD' and available
               order by monthly_price limit 1),
             'active', '${start}'
        from ad returning id),
    l as (
      insert into portal_logins (account_id, person_id, email, password_hash)
      select p.account_id, p.id, '${email}', (select password_hash from portal_logins order by id limit 1)
        from p returning id)
    select a.id from a, s, l`);
  return { number, id };
}

/** Runs the real bill run for one account, for today or the day given. */
export function billRun(number: string, date = providerToday()): string {
  return execFileSync(process.env.E2E_LASTMILE_BIN ?? 'lastmile', ['bill-run', '--date', date, '--account', number], {
    env: { ...process.env, DATABASE_URL: process.env.E2E_DATABASE_URL! },
    encoding: 'utf8',
  });
}
