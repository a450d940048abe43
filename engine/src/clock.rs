//! The provider's calendar. Bill runs and dunning happen on provider-local days, and a job
//! "at 02:00" means 02:00 on the provider's clock, whatever daylight-saving time does.

use chrono::{DateTime, Duration, LocalResult, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

/// The provider-local date at instant `now`.
pub fn today(tz: Tz, now: DateTime<Utc>) -> NaiveDate {
    now.with_timezone(&tz).date_naive()
}

/// The instant the provider's clock shows `time` on `date`.
///
/// When clocks go back and the time happens twice, the first; when they go forward and it
/// never happens (02:30 on a spring-forward night), the first instant after the gap, so a
/// job set for that time still runs that night, as soon as it can.
pub fn at_local(tz: Tz, date: NaiveDate, time: NaiveTime) -> DateTime<Utc> {
    let local = date.and_time(time);
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => t.with_timezone(&Utc),
        LocalResult::Ambiguous(first, _) => first.with_timezone(&Utc),
        LocalResult::None => {
            // Gaps are whole minutes long (at most a few hours): step to the end of it.
            let mut probe = local;
            for _ in 0..(24 * 60) {
                probe += Duration::minutes(1);
                if let Some(t) = tz.from_local_datetime(&probe).earliest() {
                    return t.with_timezone(&Utc);
                }
            }
            // No time zone has a gap of a day; fall back to reading the time as UTC.
            Utc.from_utc_datetime(&local)
        }
    }
}

/// The instants a provider-local day starts and ends (the end is the next day's start): 23,
/// 24 or 25 hours apart.
pub fn day_bounds(tz: Tz, date: NaiveDate) -> (DateTime<Utc>, DateTime<Utc>) {
    let next = date.succ_opt().unwrap_or(date);
    (
        at_local(tz, date, NaiveTime::MIN),
        at_local(tz, next, NaiveTime::MIN),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("date")
    }

    fn t(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).expect("time")
    }

    fn utc(y: i32, mo: u32, day: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, day, h, mi, 0)
            .single()
            .expect("instant")
    }

    const NY: Tz = chrono_tz::America::New_York;

    #[test]
    fn the_provider_day_is_its_own_not_utc() {
        // 03:30 UTC on Nov 22 is 22:30 on Nov 21 in New York (EST, UTC−5).
        assert_eq!(today(NY, utc(2026, 11, 22, 3, 30)), d(2026, 11, 21));
        assert_eq!(today(NY, utc(2026, 11, 22, 5, 0)), d(2026, 11, 22));
        // In summer (EDT, UTC−4) the day turns at 04:00 UTC.
        assert_eq!(today(NY, utc(2026, 7, 1, 3, 59)), d(2026, 6, 30));
        assert_eq!(today(NY, utc(2026, 7, 1, 4, 0)), d(2026, 7, 1));
    }

    #[test]
    fn local_times_convert_through_daylight_saving_changes() {
        // An ordinary winter night: 02:00 EST = 07:00 UTC; summer: 02:00 EDT = 06:00 UTC.
        assert_eq!(
            at_local(NY, d(2026, 1, 15), t(2, 0)),
            utc(2026, 1, 15, 7, 0)
        );
        assert_eq!(
            at_local(NY, d(2026, 7, 15), t(2, 0)),
            utc(2026, 7, 15, 6, 0)
        );
        // 8 March 2026: 02:00–02:59 does not exist; 02:30 runs at 03:00 EDT = 07:00 UTC.
        assert_eq!(at_local(NY, d(2026, 3, 8), t(2, 30)), utc(2026, 3, 8, 7, 0));
        // 1 November 2026: 01:30 happens twice; the first is 01:30 EDT = 05:30 UTC.
        assert_eq!(
            at_local(NY, d(2026, 11, 1), t(1, 30)),
            utc(2026, 11, 1, 5, 30)
        );
        // That day is 25 hours long: 02:00 EST = 07:00 UTC.
        assert_eq!(
            at_local(NY, d(2026, 11, 1), t(2, 0)),
            utc(2026, 11, 1, 7, 0)
        );
    }

    #[test]
    fn a_provider_day_runs_from_its_midnight_to_the_next() {
        // An ordinary winter day in New York: 05:00 UTC to 05:00 UTC.
        assert_eq!(
            day_bounds(NY, d(2026, 1, 15)),
            (utc(2026, 1, 15, 5, 0), utc(2026, 1, 16, 5, 0))
        );
        // 1 November 2026 has 25 hours (EDT midnight to EST midnight).
        assert_eq!(
            day_bounds(NY, d(2026, 11, 1)),
            (utc(2026, 11, 1, 4, 0), utc(2026, 11, 2, 5, 0))
        );
    }
}
