//! Rows encoded for PostgreSQL's `COPY ... FROM STDIN`, the fastest way to load millions of
//! rows: one round trip per table and chunk instead of one per row.
//!
//! Most tables use COPY's text format (tab-separated, `\N` for null). The two usage tables,
//! which hold ~95% of the rows, use the binary format: nothing has to be formatted in Rust
//! or parsed by the server, only fixed-width integers copied.

use std::io::Write;

use chrono::{Datelike, NaiveDate, NaiveDateTime};
use rust_decimal::Decimal;
use sqlx::PgConnection;

/// At most this much is handed to the connection at a time, so that a large chunk streams
/// to the server instead of being queued whole in the driver's buffers.
const SEND_SIZE: usize = 4 << 20;

/// A table and the columns the seed fills, in the order rows are written.
pub struct Table {
    pub name: &'static str,
    pub columns: &'static str,
}

impl Table {
    fn column_count(&self) -> usize {
        self.columns.split(',').count()
    }
}

/// Rows of one table in COPY's text format.
pub struct TextRows {
    table: &'static Table,
    buf: Vec<u8>,
}

impl TextRows {
    pub fn new(table: &'static Table) -> TextRows {
        TextRows {
            table,
            buf: Vec::new(),
        }
    }

    /// Starts a row; add its fields in column order and finish with [`TextRow::end`].
    pub fn row(&mut self) -> TextRow<'_> {
        TextRow {
            columns: self.table.column_count(),
            buf: &mut self.buf,
            fields: 0,
        }
    }

    pub fn into_copy(self) -> CopyData {
        CopyData {
            statement: format!(
                "COPY {} ({}) FROM STDIN",
                self.table.name, self.table.columns
            ),
            bytes: self.buf,
        }
    }
}

/// One row being written; fields are separated by tabs, the row ends with a newline.
pub struct TextRow<'a> {
    columns: usize,
    buf: &'a mut Vec<u8>,
    fields: usize,
}

// Writing to a Vec<u8> cannot fail, hence the ignored `write!` results below.
impl TextRow<'_> {
    fn next_field(&mut self) -> &mut Vec<u8> {
        if self.fields > 0 {
            self.buf.push(b'\t');
        }
        self.fields += 1;
        self.buf
    }

    pub fn int(mut self, value: i64) -> Self {
        let _ = write!(self.next_field(), "{value}");
        self
    }

    pub fn opt_int(self, value: Option<i64>) -> Self {
        match value {
            Some(v) => self.int(v),
            None => self.null(),
        }
    }

    /// Text, escaped as COPY's text format requires (backslash, tab, newline, return).
    pub fn text(mut self, value: &str) -> Self {
        let buf = self.next_field();
        for byte in value.bytes() {
            match byte {
                b'\\' => buf.extend_from_slice(b"\\\\"),
                b'\t' => buf.extend_from_slice(b"\\t"),
                b'\n' => buf.extend_from_slice(b"\\n"),
                b'\r' => buf.extend_from_slice(b"\\r"),
                other => buf.push(other),
            }
        }
        self
    }

    pub fn opt_text(self, value: Option<&str>) -> Self {
        match value {
            Some(v) => self.text(v),
            None => self.null(),
        }
    }

    pub fn null(mut self) -> Self {
        self.next_field().extend_from_slice(b"\\N");
        self
    }

    pub fn bool(mut self, value: bool) -> Self {
        self.next_field().push(if value { b't' } else { b'f' });
        self
    }

    pub fn date(mut self, value: NaiveDate) -> Self {
        let _ = write!(self.next_field(), "{value}");
        self
    }

    pub fn opt_date(self, value: Option<NaiveDate>) -> Self {
        match value {
            Some(v) => self.date(v),
            None => self.null(),
        }
    }

    /// A `timestamptz` from a UTC date and time.
    pub fn utc(mut self, value: NaiveDateTime) -> Self {
        let _ = write!(self.next_field(), "{value}+00");
        self
    }

    pub fn opt_utc(self, value: Option<NaiveDateTime>) -> Self {
        match value {
            Some(v) => self.utc(v),
            None => self.null(),
        }
    }

    pub fn dec(mut self, value: Decimal) -> Self {
        let _ = write!(self.next_field(), "{value}");
        self
    }

    pub fn opt_dec(self, value: Option<Decimal>) -> Self {
        match value {
            Some(v) => self.dec(v),
            None => self.null(),
        }
    }

    pub fn end(self) {
        debug_assert_eq!(
            self.fields, self.columns,
            "a seed row has the wrong number of fields"
        );
        self.buf.push(b'\n');
    }
}

/// Rows of one table in COPY's binary format.
pub struct BinaryRows {
    table: &'static Table,
    buf: Vec<u8>,
    rows: u64,
}

/// 2000-01-01 (PostgreSQL's date epoch) counted as chrono's `num_days_from_ce` counts.
const PG_EPOCH_DAYS_FROM_CE: i32 = 730_120;

/// The element type of a `bigint[]` (`int8`) in binary array encoding.
const INT8_OID: i32 = 20;

impl BinaryRows {
    pub fn new(table: &'static Table, capacity_rows: usize, bytes_per_row: usize) -> BinaryRows {
        let mut buf = Vec::with_capacity(19 + capacity_rows * bytes_per_row + 2);
        // Signature, flags (no OIDs), header extension length.
        buf.extend_from_slice(b"PGCOPY\n\xff\r\n\0");
        buf.extend_from_slice(&0_i32.to_be_bytes());
        buf.extend_from_slice(&0_i32.to_be_bytes());
        BinaryRows {
            table,
            buf,
            rows: 0,
        }
    }

    pub fn row(&mut self) -> BinaryRow<'_> {
        self.rows += 1;
        let columns = self.table.column_count();
        // Tables here have a handful of columns, well within a 16-bit count.
        let count = i16::try_from(columns).unwrap_or(i16::MAX);
        self.buf.extend_from_slice(&count.to_be_bytes());
        BinaryRow {
            columns,
            buf: &mut self.buf,
            fields: 0,
        }
    }

    pub fn into_copy(mut self) -> CopyData {
        self.buf.extend_from_slice(&(-1_i16).to_be_bytes());
        CopyData {
            statement: format!(
                "COPY {} ({}) FROM STDIN (FORMAT binary)",
                self.table.name, self.table.columns
            ),
            bytes: if self.rows == 0 { Vec::new() } else { self.buf },
        }
    }
}

/// One row in binary format: each field is its byte length then its value, big-endian.
pub struct BinaryRow<'a> {
    columns: usize,
    buf: &'a mut Vec<u8>,
    fields: usize,
}

impl BinaryRow<'_> {
    pub fn bigint(self, value: i64) -> Self {
        self.field(&value.to_be_bytes())
    }

    pub fn date(self, value: NaiveDate) -> Self {
        self.field(&(value.num_days_from_ce() - PG_EPOCH_DAYS_FROM_CE).to_be_bytes())
    }

    /// A one-dimensional `bigint[]` without nulls.
    pub fn bigint_array(mut self, values: &[i64]) -> Self {
        let len = i32::try_from(values.len()).unwrap_or(i32::MAX);
        let size = 20 + len * 12;
        let buf = &mut *self.buf;
        buf.extend_from_slice(&size.to_be_bytes());
        for header in [1_i32, 0, INT8_OID, len, 1] {
            // dimensions, has-nulls flag, element type, length, lower bound
            buf.extend_from_slice(&header.to_be_bytes());
        }
        for value in values {
            buf.extend_from_slice(&8_i32.to_be_bytes());
            buf.extend_from_slice(&value.to_be_bytes());
        }
        self.fields += 1;
        self
    }

    fn field(mut self, bytes: &[u8]) -> Self {
        let len = i32::try_from(bytes.len()).unwrap_or(i32::MAX);
        self.buf.extend_from_slice(&len.to_be_bytes());
        self.buf.extend_from_slice(bytes);
        self.fields += 1;
        self
    }

    pub fn end(self) {
        debug_assert_eq!(
            self.fields, self.columns,
            "a seed row has the wrong number of fields"
        );
    }
}

/// One table's rows for one chunk, ready to send.
pub struct CopyData {
    statement: String,
    bytes: Vec<u8>,
}

impl CopyData {
    /// Streams the rows to the server with one `COPY`; nothing is sent for no rows.
    pub async fn send(self, conn: &mut PgConnection) -> anyhow::Result<()> {
        if self.bytes.is_empty() {
            return Ok(());
        }
        let mut copy = conn.copy_in_raw(&self.statement).await?;
        for piece in self.bytes.chunks(SEND_SIZE) {
            if let Err(e) = copy.send(piece).await {
                // Tell the server to drop what it has so far; the error that matters is `e`.
                let _ = copy.abort("seed failed while sending rows").await;
                return Err(e.into());
            }
        }
        copy.finish().await?;
        Ok(())
    }
}
