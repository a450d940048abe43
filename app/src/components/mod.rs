//! Pieces the pages share.

pub mod charts;
pub mod layout;
pub mod meter;
pub mod notices;
