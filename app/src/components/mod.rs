//! Pieces the pages share.

pub mod card_form;
pub mod charts;
pub mod connection;
pub mod data_cap;
pub mod layout;
pub mod meter;
pub mod notices;
pub mod staff_layout;
