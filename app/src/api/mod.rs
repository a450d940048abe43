//! Server functions: the browser's only way in. Each one first establishes who is calling
//! (`server::access`), then calls the server code and returns wire types.

pub mod account;
pub mod auth;
pub mod statements;
pub mod usage;
