//! Believable data usage for one service: a year of daily totals and, for the last
//! fortnight, hour-by-hour figures.
//!
//! A day's volume is the subscriber's average day scaled by a few per-mille factors: the
//! day of the week (weekends ~25% busier), the season (winter evenings indoors), a slow
//! upward trend over the year, and noise, with the odd huge day (a game download) or
//! near-empty day (away from home). Hours follow an evening-peak profile (19:00–23:00).
//! Everything is integer arithmetic on bytes; there is not a float in sight.
//!
//! Days are local calendar days of the account's time zone, always of 24 hours: the
//! 23- and 25-hour days when clocks change are not modelled by the seed (the schema
//! allows them; the portal handles them).

use chrono::{Datelike, NaiveDate, Weekday};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use billing::usage::BYTES_PER_GB;

pub const HOURS: usize = 24;

/// Relative traffic per local hour on a weekday: quiet nights, a modest working day, a
/// peak from 19:00 to 23:00 (streaming). Only the ratios matter.
const WEEKDAY_SHAPE: [u64; HOURS] = [
    34, 20, 12, 8, 6, 7, 12, 22, 30, 32, 33, 35, 38, 38, 38, 40, 45, 52, 62, 80, 92, 95, 84, 60,
];

/// The same for Saturdays and Sundays: later mornings, busier afternoons.
const WEEKEND_SHAPE: [u64; HOURS] = [
    44, 28, 16, 10, 7, 7, 9, 14, 24, 36, 44, 48, 52, 52, 50, 50, 52, 56, 66, 80, 90, 93, 84, 64,
];

/// Per-mille factor by month, January first: more at home in winter, less in summer.
const SEASON_PERMILLE: [u64; 12] = [
    1080, 1060, 1020, 980, 950, 920, 920, 940, 980, 1010, 1050, 1090,
];

/// Weekend days carry 1,167‰ of an average day and weekdays 933‰: a 25% difference that
/// leaves the weekly total unchanged (5 × 933 + 2 × 1,167 = 7,000).
const WEEKDAY_PERMILLE: u64 = 933;
const WEEKEND_PERMILLE: u64 = 1167;

/// The days for which usage exists, the same for every service: the 365 days before
/// `today` (yesterday included, today not: today's figures are not in yet), with hourly
/// detail for the last `HOURLY_DAYS` of them.
#[derive(Debug, Clone, Copy)]
pub struct Window {
    pub first_day: NaiveDate,
    pub hourly_from: NaiveDate,
    /// The day after the last day with usage: `today`.
    pub end: NaiveDate,
}

pub const DAYS: usize = 365;
pub const HOURLY_DAYS: usize = 14;

impl Window {
    pub fn ending_before(today: NaiveDate) -> Window {
        Window {
            first_day: today - chrono::Days::new(DAYS as u64),
            hourly_from: today - chrono::Days::new(HOURLY_DAYS as u64),
            end: today,
        }
    }

    /// The position of `day` in the window (0 for the first day).
    fn index(&self, day: NaiveDate) -> Option<usize> {
        let offset = (day - self.first_day).num_days();
        usize::try_from(offset).ok().filter(|&i| i < DAYS)
    }
}

/// How much a subscriber uses: the volume of an average month (download plus upload, as
/// allowances count it) and the upload share.
#[derive(Debug, Clone, Copy)]
pub struct Intensity {
    pub monthly_gb: u64,
    /// Upload as per mille of download.
    pub upload_permille: u64,
}

/// A stretch of a local day without service (no traffic in those hours).
#[derive(Debug, Clone, Copy)]
pub struct Gap {
    pub day: NaiveDate,
    pub start_hour: u8,
    pub hours: u8,
}

impl Gap {
    fn covers(&self, hour: usize) -> bool {
        let start = usize::from(self.start_hour);
        hour >= start && hour < start + usize::from(self.hours)
    }
}

/// One day of usage; `hourly` is present for the window's last days.
pub struct Day {
    pub day: NaiveDate,
    pub download: u64,
    pub upload: u64,
    pub hourly: Option<Box<Hourly>>,
}

pub struct Hourly {
    pub download: [u64; HOURS],
    pub upload: [u64; HOURS],
}

/// A service's usage over the window, one entry per day in order.
pub struct ServiceUsage {
    window: Window,
    pub days: Vec<Day>,
}

impl ServiceUsage {
    /// Bytes (download plus upload) used on the days of `[start, end)` that the window
    /// holds, or `None` when part of that span lies outside the window (so the total
    /// would be incomplete).
    pub fn total_between(&self, start: NaiveDate, end: NaiveDate) -> Option<u64> {
        let first = self.window.index(start)?;
        let last = self.window.index(end.pred_opt()?)?;
        Some(
            self.days[first..=last]
                .iter()
                .map(|d| d.download + d.upload)
                .sum(),
        )
    }
}

/// Generates a service's usage. `gaps` are outages (hours without traffic); from
/// `silent_from` on (a suspension) nothing is used at all.
pub fn generate(
    rng: &mut ChaCha8Rng,
    intensity: Intensity,
    window: Window,
    gaps: &[Gap],
    silent_from: Option<NaiveDate>,
) -> ServiceUsage {
    // An average day's download: a month is 365/12 days, and the upload share comes on top.
    let average_day = u128::from(intensity.monthly_gb) * u128::from(BYTES_PER_GB) * 12 * 1000
        / (365 * (1000 + u128::from(intensity.upload_permille)));
    let mut days = Vec::with_capacity(DAYS);
    for (index, day) in window.first_day.iter_days().take(DAYS).enumerate() {
        let target = day_target(rng, average_day, day, index);
        let silent = silent_from.is_some_and(|from| day >= from);
        let gap = gaps.iter().find(|g| g.day == day);
        let entry = if day >= window.hourly_from {
            hourly_day(rng, day, target, intensity.upload_permille, gap, silent)
        } else {
            daily_day(rng, day, target, intensity.upload_permille, gap, silent)
        };
        days.push(entry);
    }
    ServiceUsage { window, days }
}

/// The download volume a day is aiming at, before it is spread over hours.
fn day_target(rng: &mut ChaCha8Rng, average_day: u128, day: NaiveDate, index: usize) -> u128 {
    let weekday = match day.weekday() {
        Weekday::Sat | Weekday::Sun => WEEKEND_PERMILLE,
        _ => WEEKDAY_PERMILLE,
    };
    let season = SEASON_PERMILLE[day.month0() as usize];
    // Use grows ~10% over the year, as it does everywhere.
    let trend = 950 + 100 * index as u64 / DAYS as u64;
    let roll: u32 = rng.gen_range(0..1000);
    let noise: u64 = if roll < 20 {
        rng.gen_range(1800..=3000) // a console or operating-system download
    } else if roll < 50 {
        rng.gen_range(50..=300) // nobody home
    } else {
        rng.gen_range(850..=1150)
    };
    average_day * u128::from(weekday) * u128::from(season) * u128::from(trend) * u128::from(noise)
        / 1_000_000_000_000
}

/// A day known only by its totals.
fn daily_day(
    rng: &mut ChaCha8Rng,
    day: NaiveDate,
    target: u128,
    upload_permille: u64,
    gap: Option<&Gap>,
    silent: bool,
) -> Day {
    let upload_noise: u64 = rng.gen_range(800..=1200);
    if silent {
        return Day {
            day,
            download: 0,
            upload: 0,
            hourly: None,
        };
    }
    // An outage takes its share of the day away (hours counted as equal, near enough).
    let lost_hours = gap.map_or(0, |g| u128::from(g.hours));
    let download = target * (24 - lost_hours.min(24)) / 24;
    let upload = download * u128::from(upload_permille) * u128::from(upload_noise) / 1_000_000;
    Day {
        day,
        download: saturate(download),
        upload: saturate(upload),
        hourly: None,
    }
}

/// A day with hourly detail; its totals are the sums of its hours.
fn hourly_day(
    rng: &mut ChaCha8Rng,
    day: NaiveDate,
    target: u128,
    upload_permille: u64,
    gap: Option<&Gap>,
    silent: bool,
) -> Day {
    let shape = match day.weekday() {
        Weekday::Sat | Weekday::Sun => &WEEKEND_SHAPE,
        _ => &WEEKDAY_SHAPE,
    };
    let mut weights = [0_u64; HOURS];
    for (weight, base) in weights.iter_mut().zip(shape) {
        *weight = base * rng.gen_range(700..=1300);
    }
    let total_weight = u128::from(weights.iter().sum::<u64>().max(1));
    let mut hourly = Hourly {
        download: [0; HOURS],
        upload: [0; HOURS],
    };
    for (hour, weight) in weights.iter().enumerate() {
        let upload_noise: u64 = rng.gen_range(800..=1200);
        if silent || gap.is_some_and(|g| g.covers(hour)) {
            continue;
        }
        let down = target * u128::from(*weight) / total_weight;
        let up = down * u128::from(upload_permille) * u128::from(upload_noise) / 1_000_000;
        hourly.download[hour] = saturate(down);
        hourly.upload[hour] = saturate(up);
    }
    Day {
        day,
        download: hourly.download.iter().sum(),
        upload: hourly.upload.iter().sum(),
        hourly: Some(Box::new(hourly)),
    }
}

/// Byte counts are far below `u64::MAX`; saturating keeps the function total anyway.
fn saturate(value: u128) -> u64 {
    u64::try_from(value).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("valid date")
    }

    fn sample(gaps: &[Gap], silent_from: Option<NaiveDate>) -> ServiceUsage {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let intensity = Intensity {
            monthly_gb: 600,
            upload_permille: 100,
        };
        generate(
            &mut rng,
            intensity,
            Window::ending_before(d(2026, 11, 21)),
            gaps,
            silent_from,
        )
    }

    #[test]
    fn a_year_of_days_ends_yesterday_with_a_fortnight_of_hours() {
        let usage = sample(&[], None);
        assert_eq!(usage.days.len(), 365);
        assert_eq!(usage.days[0].day, d(2025, 11, 21));
        assert_eq!(usage.days[364].day, d(2026, 11, 20));
        assert_eq!(
            usage.days.iter().filter(|day| day.hourly.is_some()).count(),
            14
        );
        assert!(usage.days[350].hourly.is_none() && usage.days[351].hourly.is_some());
    }

    #[test]
    fn daily_totals_are_the_sums_of_their_hours() {
        for day in sample(&[], None)
            .days
            .iter()
            .filter(|day| day.hourly.is_some())
        {
            let hourly = day.hourly.as_ref().expect("hourly day");
            assert_eq!(day.download, hourly.download.iter().sum::<u64>());
            assert_eq!(day.upload, hourly.upload.iter().sum::<u64>());
            assert!(day.download > 0);
        }
    }

    #[test]
    fn evenings_are_busier_than_early_mornings() {
        let usage = sample(&[], None);
        let (mut evening, mut morning) = (0_u64, 0_u64);
        for day in usage.days.iter().filter_map(|day| day.hourly.as_ref()) {
            evening += day.download[19..23].iter().sum::<u64>();
            morning += day.download[3..7].iter().sum::<u64>();
        }
        assert!(
            evening > 5 * morning,
            "evening {evening} vs morning {morning}"
        );
    }

    #[test]
    fn a_month_comes_close_to_the_subscribers_intensity() {
        let usage = sample(&[], None);
        let total = usage
            .total_between(d(2026, 3, 1), d(2026, 4, 1))
            .expect("inside window");
        let gb = total / BYTES_PER_GB;
        // 600 GB, give or take the season and the noise.
        assert!((500..=700).contains(&gb), "March used {gb} GB");
        assert_eq!(usage.total_between(d(2025, 11, 1), d(2025, 12, 1)), None);
    }

    #[test]
    fn outage_hours_and_suspended_days_carry_no_traffic() {
        let outage = Gap {
            day: d(2026, 11, 15),
            start_hour: 18,
            hours: 3,
        };
        let usage = sample(&[outage], Some(d(2026, 11, 19)));
        let day = usage
            .days
            .iter()
            .find(|x| x.day == outage.day)
            .expect("day in window");
        let hourly = day.hourly.as_ref().expect("recent day has hours");
        assert_eq!(&hourly.download[18..21], &[0, 0, 0]);
        assert!(hourly.download[17] > 0 && hourly.download[21] > 0);
        for late in usage.days.iter().filter(|x| x.day >= d(2026, 11, 19)) {
            assert_eq!((late.download, late.upload), (0, 0));
        }
    }
}
