//! REPORTS for billing staff and administrators: each one SQL statement over a date range,
//! read through an index on its date column, returning typed rows that the console's table,
//! its chart and its CSV all show (`app/src/server/staff/reports.rs`). No figure is worked
//! out twice: where a report touches money its definition is written in
//! [`billing::bill`]'s policy ("What the operators' reports count"), and where it needs
//! an allocation of what is owed it calls [`billing::ledger::allocate`], as dunning does.
//!
//! * [`mrr`]: monthly recurring revenue by plan, and its movement over the range (new,
//!   upgrades, downgrades, churn);
//! * [`ageing`]: receivables on the range's last day, by days past due;
//! * [`dunning`]: what each dunning step taken in the range led to;
//! * [`card_payments`]: card and autopay payments started in the range, by outcome;
//! * [`disputes`]: disputes opened and adjustments requested in the range, by outcome;
//! * [`usage`]: usage by plan against its allowance, calendar month by calendar month.
//!
//! Every report's statement is sent unprepared (`persistent(false)`), so PostgreSQL plans
//! it with the range's dates on each call. A prepared statement may switch to a generic
//! plan after five calls on one connection, and a generic plan guesses each date bound at
//! a third of the table: receivables on 100,000 accounts took 1,183 ms that way against
//! 429 ms planned with its dates (`bench/README.md`). A report is asked for rarely, and
//! planning costs a millisecond or two.

pub mod ageing;
pub mod card_payments;
pub mod disputes;
pub mod dunning;
pub mod mrr;
pub mod usage;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

use crate::clock::day_bounds;
use crate::EngineError;

/// The longest range a report covers: a little over three years.
pub const LONGEST_RANGE_DAYS: i64 = 3 * 366;

/// The days a report covers, both included, in the provider's calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Range {
    /// The first day.
    pub from: NaiveDate,
    /// The last day.
    pub to: NaiveDate,
}

impl Range {
    /// A range of days, the first no later than the last, at most [`LONGEST_RANGE_DAYS`].
    pub fn new(from: NaiveDate, to: NaiveDate) -> Result<Range, EngineError> {
        if from > to {
            return Err(EngineError::InvalidField {
                field: "from",
                message: "The first day is after the last.".into(),
            });
        }
        if (to - from).num_days() >= LONGEST_RANGE_DAYS {
            return Err(EngineError::InvalidField {
                field: "from",
                message: "A report covers at most three years.".into(),
            });
        }
        Ok(Range { from, to })
    }

    /// The number of days covered.
    pub fn days(&self) -> i64 {
        (self.to - self.from).num_days() + 1
    }

    /// The instants the range covers in the provider's time zone: from the first day's
    /// midnight to the midnight after the last day (excluded).
    pub fn instants(&self, tz: Tz) -> (DateTime<Utc>, DateTime<Utc>) {
        (day_bounds(tz, self.from).0, day_bounds(tz, self.to).1)
    }
}
