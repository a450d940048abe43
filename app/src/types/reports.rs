//! The console's reports: one table (what the CSV holds too) and one chart per report, for
//! a range of days. The figures are computed by `engine::reports`.

use billing::Money;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// The reports, in the order the console lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Report {
    /// Monthly recurring revenue by plan, and its movement.
    Revenue,
    /// Receivables ageing on the range's last day.
    Receivables,
    /// What each dunning step led to.
    Collections,
    /// Card and autopay payments by outcome.
    CardPayments,
    /// Disputes and adjustments by outcome.
    Disputes,
    /// Usage by plan against its allowance.
    Usage,
}

impl Report {
    pub const ALL: [Report; 6] = [
        Report::Revenue,
        Report::Receivables,
        Report::Collections,
        Report::CardPayments,
        Report::Disputes,
        Report::Usage,
    ];

    /// Its name in URLs and file names.
    pub fn slug(self) -> &'static str {
        match self {
            Report::Revenue => "revenue",
            Report::Receivables => "receivables",
            Report::Collections => "collections",
            Report::CardPayments => "card-payments",
            Report::Disputes => "disputes",
            Report::Usage => "usage",
        }
    }

    pub fn from_slug(slug: &str) -> Option<Report> {
        Report::ALL.into_iter().find(|r| r.slug() == slug)
    }
}

/// One figure of a table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Cell {
    /// Words as they are (a plan's name).
    Text(String),
    /// A code the page names in words and the CSV keeps as it is (`over-90`, `card_declined`).
    Code(String),
    Count(i64),
    Money(Money),
    /// Data, in bytes (shown in GB).
    Bytes(i64),
    /// A share in tenths of a percent (625: 62.5%); `None` when there is nothing to share.
    Permille(Option<i64>),
    Date(NaiveDate),
}

/// A report's figures: each column named by a key (the CSV's header; the page names it in
/// words), the rows, and a total row where adding up makes sense.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Table {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
    pub total: Option<Vec<Cell>>,
}

/// What a chart's bars measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Unit {
    /// Money in minor units (cents) of one currency.
    Money(billing::Currency),
    Count,
    /// Tenths of a percent.
    Permille,
    Bytes,
}

/// A bar chart of one series: a bar per label.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Chart {
    /// What is drawn, in words ("Monthly recurring revenue by plan on Nov 30").
    pub caption: String,
    pub unit: Unit,
    pub bars: Vec<(String, i64)>,
}

/// One report over a range of days.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportPage {
    pub report: Report,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub table: Table,
    pub chart: Option<Chart>,
}
