//! Printable documents: what the portal hands out as files rather than pages.
//!
//! - [`render_statement_pdf`] (`pdf.rs`): a statement as a PDF, drawn in Rust on the server
//!   with the same words, amounts and groups as the statement page;
//! - `helvetica.rs`: the two built-in fonts it writes with, their widths and text encoding;
//! - [`Provider`] and [`Logo`] (`logo.rs`): the letterhead, from configuration.

mod helvetica;
mod logo;
mod pdf;

#[cfg(test)]
mod tests;

pub use helvetica::encode as winansi;
pub use logo::{Logo, LogoError};
pub use pdf::render_statement_pdf;

/// Who issues the documents: the provider's letterhead (`LASTMILE_PROVIDER_*` settings).
#[derive(Clone, Debug)]
pub struct Provider {
    pub name: String,
    /// Postal address and contact lines, printed under the name.
    pub address: Vec<String>,
    pub logo: Option<Logo>,
}

/// Address lines written on one line (`|` between them, as an environment variable allows)
/// or on several; blank lines are dropped.
pub fn address_lines(text: &str) -> Vec<String> {
    text.split(['|', '\n'])
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(String::from)
        .collect()
}
