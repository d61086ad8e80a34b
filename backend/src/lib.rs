//! Recovery Console: the server and its AWS access (the AWS sandbox is the `aws-sandbox` crate).

pub mod actions;
pub mod assurance;
pub mod auth;
pub mod aws;
pub mod config;
pub mod csv_export;
pub mod digest;
pub mod notify;
pub mod routes;
pub mod store;
pub mod sync;
pub mod time;
pub mod zipstream;
