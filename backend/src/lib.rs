//! Recovery Console: the server, its AWS access, and the built-in AWS sandbox.

pub mod actions;
pub mod assurance;
pub mod auth;
pub mod aws;
pub mod config;
pub mod digest;
pub mod notify;
pub mod routes;
pub mod sandbox;
pub mod store;
pub mod sync;
pub mod time;
pub mod zipstream;
