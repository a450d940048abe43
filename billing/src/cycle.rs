//! Billing periods, anchored on an account's cycle day.
//!
//! Each account bills on a day of the month from 1 to 31. In months too short for that day
//! the period boundary (the *anchor*) falls on the month's last day instead, and it returns
//! to the chosen day as soon as a month is long enough: cycle day 31 gives the periods
//! 31 Jan – 28 Feb, 28 Feb – 31 Mar, 31 Mar – 30 Apr, 30 Apr – 31 May, and so on. Anchoring
//! each month afresh (rather than adding a month to the previous boundary) is what keeps a
//! day-31 account from drifting to the 28th forever after its first February.
//!
//! A [`Period`] is half-open, `[start, end)`: it includes its start date and excludes its
//! end date, which is the next period's start. That makes consecutive periods tile the
//! calendar with no gap or overlap, and makes `end - start` the number of days billed.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

/// Why a cycle day or period was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CycleError {
    /// A cycle day outside 1..=31.
    #[error("billing cycle day must be between 1 and 31, got {0}")]
    InvalidCycleDay(u8),
    /// A period whose end is not after its start.
    #[error("a period must end after it starts (start {start}, end {end})")]
    EmptyPeriod {
        /// The first day given.
        start: NaiveDate,
        /// The (exclusive) end given.
        end: NaiveDate,
    },
}

/// The day of the month an account's billing periods start on, 1 to 31.
///
/// A day beyond a month's length means the last day of that month (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub struct CycleDay(u8);

impl CycleDay {
    /// A cycle day; anything outside 1..=31 is [`CycleError::InvalidCycleDay`].
    pub fn new(day: u8) -> Result<CycleDay, CycleError> {
        if (1..=31).contains(&day) {
            Ok(CycleDay(day))
        } else {
            Err(CycleError::InvalidCycleDay(day))
        }
    }

    /// The day number, 1 to 31.
    pub fn get(self) -> u8 {
        self.0
    }
}

impl TryFrom<u8> for CycleDay {
    type Error = CycleError;

    fn try_from(day: u8) -> Result<Self, Self::Error> {
        CycleDay::new(day)
    }
}

impl From<CycleDay> for u8 {
    fn from(day: CycleDay) -> u8 {
        day.0
    }
}

/// A span of days, half-open: from `start` (included) to `end` (excluded).
///
/// The fields are public for convenience when reading from the database (whose `check`
/// constraint guarantees `end > start`); use [`Period::new`] to validate untrusted input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Period {
    /// The first day of the period.
    pub start: NaiveDate,
    /// The day after the last day of the period (the next period's start).
    pub end: NaiveDate,
}

impl Period {
    /// A period from `start` up to but not including `end`; `end` must be after `start`.
    pub fn new(start: NaiveDate, end: NaiveDate) -> Result<Period, CycleError> {
        if end > start {
            Ok(Period { start, end })
        } else {
            Err(CycleError::EmptyPeriod { start, end })
        }
    }

    /// The number of days in the period (`end - start`).
    pub fn days(&self) -> i64 {
        (self.end - self.start).num_days()
    }

    /// Whether `date` falls in the period: on or after `start` and before `end`.
    pub fn contains(&self, date: NaiveDate) -> bool {
        self.start <= date && date < self.end
    }

    /// The last day included in the period (the day before `end`), as shown on statements
    /// ("31 Jan – 27 Feb").
    pub fn last_day(&self) -> NaiveDate {
        self.end.pred_opt().unwrap_or(self.start).max(self.start)
    }

    /// Whether `other` lies entirely within this period.
    pub fn covers(&self, other: &Period) -> bool {
        self.start <= other.start && other.end <= self.end
    }

    /// The days the two periods share, or `None` when they do not overlap.
    pub fn intersection(&self, other: &Period) -> Option<Period> {
        let start = self.start.max(other.start);
        let end = self.end.min(other.end);
        (end > start).then_some(Period { start, end })
    }

    /// The billing period just before this one for cycle day `day`: the period containing
    /// the day before `start`.
    pub fn previous(&self, day: CycleDay) -> Period {
        match self.start.pred_opt() {
            Some(before) => period_containing(before, day),
            // Nothing precedes chrono's first representable date.
            None => *self,
        }
    }

    /// The billing period just after this one for cycle day `day`: the period containing
    /// `end`.
    pub fn next(&self, day: CycleDay) -> Period {
        period_containing(self.end, day)
    }
}

/// The billing period for cycle day `day` that contains `date`: it starts on the latest
/// anchor on or before `date` and ends on the anchor after that.
///
/// Dates within a month of chrono's limits (around year ±262,000) saturate to
/// `NaiveDate::MIN`/`MAX` rather than panic.
pub fn period_containing(date: NaiveDate, day: CycleDay) -> Period {
    let (year, month) = (date.year(), date.month());
    let this_month = anchor(year, month, day);
    if this_month <= date {
        let (next_year, next_month) = shift_month(year, month, 1);
        Period {
            start: this_month,
            end: anchor(next_year, next_month, day),
        }
    } else {
        let (prev_year, prev_month) = shift_month(year, month, -1);
        Period {
            start: anchor(prev_year, prev_month, day),
            end: this_month,
        }
    }
}

/// The `n` most recent billing periods up to and including the one containing `date`,
/// most recent first (as the statements page lists them).
pub fn last_n_periods(date: NaiveDate, day: CycleDay, n: usize) -> Vec<Period> {
    let mut periods = Vec::with_capacity(n);
    let mut current = period_containing(date, day);
    for _ in 0..n {
        periods.push(current);
        let earlier = current.previous(day);
        if earlier == current {
            break; // reached the start of the calendar
        }
        current = earlier;
    }
    periods
}

/// The anchor (period boundary) in a month: the cycle day, clamped to the month's last day.
///
/// `month` must be 1..=12; callers in this module get it from chrono or [`shift_month`].
fn anchor(year: i32, month: u32, day: CycleDay) -> NaiveDate {
    let day_of_month = u32::from(day.get()).min(days_in_month(year, month));
    NaiveDate::from_ymd_opt(year, month, day_of_month).unwrap_or(if year < 0 {
        NaiveDate::MIN
    } else {
        NaiveDate::MAX
    })
}

/// The number of days in a month of the proleptic Gregorian calendar (chrono's calendar).
fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if is_leap_year(year) => 29,
        2 => 28,
        _ => 31,
    }
}

fn is_leap_year(year: i32) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

/// The (year, month) `delta` months away, for `delta` of ±1.
fn shift_month(year: i32, month: u32, delta: i32) -> (i32, u32) {
    match (month, delta) {
        (12, 1) => (year.saturating_add(1), 1),
        (1, -1) => (year.saturating_sub(1), 12),
        (m, 1) => (year, m + 1),
        (m, _) => (year, m - 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(year: i32, month: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(year, month, day).expect("valid test date")
    }

    fn cd(day: u8) -> CycleDay {
        CycleDay::new(day).expect("valid cycle day")
    }

    fn p(start: NaiveDate, end: NaiveDate) -> Period {
        Period::new(start, end).expect("valid test period")
    }

    #[test]
    fn cycle_day_must_be_between_1_and_31() {
        assert_eq!(CycleDay::new(0), Err(CycleError::InvalidCycleDay(0)));
        assert_eq!(CycleDay::new(32), Err(CycleError::InvalidCycleDay(32)));
        assert_eq!(CycleDay::new(1).map(CycleDay::get), Ok(1));
        assert_eq!(CycleDay::new(31).map(CycleDay::get), Ok(31));
    }

    #[test]
    fn period_must_end_after_it_starts() {
        assert_eq!(
            Period::new(d(2025, 3, 1), d(2025, 3, 1)),
            Err(CycleError::EmptyPeriod {
                start: d(2025, 3, 1),
                end: d(2025, 3, 1)
            })
        );
        assert!(Period::new(d(2025, 3, 2), d(2025, 3, 1)).is_err());
    }

    #[test]
    fn period_is_half_open() {
        let march = p(d(2025, 3, 1), d(2025, 4, 1));
        assert_eq!(march.days(), 31);
        assert!(march.contains(d(2025, 3, 1)));
        assert!(march.contains(d(2025, 3, 31)));
        assert!(!march.contains(d(2025, 4, 1)));
        assert!(!march.contains(d(2025, 2, 28)));
        assert_eq!(march.last_day(), d(2025, 3, 31));
    }

    #[test]
    fn intersection_is_the_shared_days_or_none() {
        let march = p(d(2025, 3, 1), d(2025, 4, 1));
        let straddle = p(d(2025, 3, 25), d(2025, 4, 10));
        assert_eq!(
            march.intersection(&straddle),
            Some(p(d(2025, 3, 25), d(2025, 4, 1)))
        );
        let april = p(d(2025, 4, 1), d(2025, 5, 1));
        assert_eq!(march.intersection(&april), None);
        assert!(march.covers(&p(d(2025, 3, 10), d(2025, 3, 20))));
        assert!(!march.covers(&straddle));
    }

    #[test]
    fn cycle_day_1_gives_calendar_months() {
        let period = period_containing(d(2025, 3, 15), cd(1));
        assert_eq!(period, p(d(2025, 3, 1), d(2025, 4, 1)));
        assert_eq!(period.days(), 31);
        // The anchor day itself starts a new period.
        assert_eq!(
            period_containing(d(2025, 4, 1), cd(1)),
            p(d(2025, 4, 1), d(2025, 5, 1))
        );
    }

    #[test]
    fn date_before_the_cycle_day_belongs_to_the_period_from_last_month() {
        assert_eq!(
            period_containing(d(2025, 3, 14), cd(15)),
            p(d(2025, 2, 15), d(2025, 3, 15))
        );
        assert_eq!(
            period_containing(d(2025, 3, 15), cd(15)),
            p(d(2025, 3, 15), d(2025, 4, 15))
        );
    }

    #[test]
    fn cycle_day_31_falls_on_last_day_of_february() {
        // 2025 is not a leap year: 31 Jan – 28 Feb is 28 days.
        let period = period_containing(d(2025, 2, 10), cd(31));
        assert_eq!(period, p(d(2025, 1, 31), d(2025, 2, 28)));
        assert_eq!(period.days(), 28);
    }

    #[test]
    fn cycle_day_31_returns_to_the_31st_after_february() {
        // 28 Feb – 31 Mar is 31 days; then 31 Mar – 30 Apr is 30.
        let feb = period_containing(d(2025, 2, 28), cd(31));
        assert_eq!(feb, p(d(2025, 2, 28), d(2025, 3, 31)));
        assert_eq!(feb.days(), 31);
        let mar = period_containing(d(2025, 4, 1), cd(31));
        assert_eq!(mar, p(d(2025, 3, 31), d(2025, 4, 30)));
        assert_eq!(mar.days(), 30);
    }

    #[test]
    fn cycle_day_31_falls_on_29_february_in_a_leap_year() {
        assert_eq!(
            period_containing(d(2024, 2, 28), cd(31)),
            p(d(2024, 1, 31), d(2024, 2, 29))
        );
        assert_eq!(
            period_containing(d(2024, 2, 29), cd(31)),
            p(d(2024, 2, 29), d(2024, 3, 31))
        );
    }

    #[test]
    fn cycle_day_31_falls_on_30_april() {
        assert_eq!(
            period_containing(d(2025, 4, 29), cd(31)),
            p(d(2025, 3, 31), d(2025, 4, 30))
        );
        assert_eq!(
            period_containing(d(2025, 4, 30), cd(31)),
            p(d(2025, 4, 30), d(2025, 5, 31))
        );
    }

    #[test]
    fn cycle_day_30_falls_on_last_day_of_february() {
        assert_eq!(
            period_containing(d(2025, 3, 1), cd(30)),
            p(d(2025, 2, 28), d(2025, 3, 30))
        );
        assert_eq!(
            period_containing(d(2024, 3, 1), cd(30)),
            p(d(2024, 2, 29), d(2024, 3, 30))
        );
        // April has 30 days, so day 30 is used as is.
        assert_eq!(
            period_containing(d(2025, 4, 30), cd(30)),
            p(d(2025, 4, 30), d(2025, 5, 30))
        );
    }

    #[test]
    fn cycle_day_29_is_28_february_in_a_non_leap_year() {
        let period = period_containing(d(2025, 2, 28), cd(29));
        assert_eq!(period, p(d(2025, 2, 28), d(2025, 3, 29)));
        assert_eq!(period.days(), 29);
        assert_eq!(
            period_containing(d(2025, 2, 27), cd(29)),
            p(d(2025, 1, 29), d(2025, 2, 28))
        );
    }

    #[test]
    fn cycle_day_29_is_29_february_in_a_leap_year() {
        assert_eq!(
            period_containing(d(2024, 2, 28), cd(29)),
            p(d(2024, 1, 29), d(2024, 2, 29))
        );
        assert_eq!(
            period_containing(d(2024, 2, 29), cd(29)),
            p(d(2024, 2, 29), d(2024, 3, 29))
        );
    }

    #[test]
    fn century_years_are_leap_only_when_divisible_by_400() {
        // 2100 is not a leap year; 2000 was.
        assert_eq!(
            period_containing(d(2100, 3, 1), cd(29)),
            p(d(2100, 2, 28), d(2100, 3, 29))
        );
        assert_eq!(
            period_containing(d(2000, 3, 1), cd(29)),
            p(d(2000, 2, 29), d(2000, 3, 29))
        );
    }

    #[test]
    fn december_period_rolls_over_into_january_of_next_year() {
        assert_eq!(
            period_containing(d(2025, 12, 20), cd(15)),
            p(d(2025, 12, 15), d(2026, 1, 15))
        );
        assert_eq!(
            period_containing(d(2026, 1, 10), cd(15)),
            p(d(2025, 12, 15), d(2026, 1, 15))
        );
        assert_eq!(
            period_containing(d(2025, 12, 31), cd(1)),
            p(d(2025, 12, 1), d(2026, 1, 1))
        );
    }

    #[test]
    fn next_and_previous_step_one_period_across_short_months() {
        let jan = p(d(2025, 1, 31), d(2025, 2, 28));
        let feb = jan.next(cd(31));
        assert_eq!(feb, p(d(2025, 2, 28), d(2025, 3, 31)));
        assert_eq!(feb.next(cd(31)), p(d(2025, 3, 31), d(2025, 4, 30)));
        assert_eq!(feb.previous(cd(31)), jan);
        assert_eq!(jan.previous(cd(31)), p(d(2024, 12, 31), d(2025, 1, 31)));
    }

    #[test]
    fn last_n_periods_lists_most_recent_first_including_current() {
        let periods = last_n_periods(d(2024, 3, 5), cd(31), 4);
        assert_eq!(
            periods,
            vec![
                p(d(2024, 2, 29), d(2024, 3, 31)),
                p(d(2024, 1, 31), d(2024, 2, 29)),
                p(d(2023, 12, 31), d(2024, 1, 31)),
                p(d(2023, 11, 30), d(2023, 12, 31)),
            ]
        );
        assert!(last_n_periods(d(2024, 3, 5), cd(31), 0).is_empty());
    }

    #[test]
    fn consecutive_periods_tile_a_year_without_gaps() {
        // Twelve day-31 periods from 31 Jan 2025 cover exactly to 31 Jan 2026: 365 days.
        let mut period = period_containing(d(2025, 1, 31), cd(31));
        let mut total = 0;
        for _ in 0..12 {
            let next = period.next(cd(31));
            assert_eq!(next.start, period.end);
            total += period.days();
            period = next;
        }
        assert_eq!(period.start, d(2026, 1, 31));
        assert_eq!(total, 365);
    }

    #[test]
    fn periods_near_the_end_of_the_calendar_do_not_panic() {
        let period = period_containing(NaiveDate::MAX, cd(1));
        assert_eq!(
            period,
            Period {
                start: d(NaiveDate::MAX.year(), 12, 1),
                end: NaiveDate::MAX
            }
        );
        let first = period_containing(NaiveDate::MIN, cd(31));
        assert_eq!(first.previous(cd(31)).start, NaiveDate::MIN);
    }
}
