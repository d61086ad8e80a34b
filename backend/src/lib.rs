//! Recovery Console: the server and its AWS access (the AWS sandbox is the `aws-sandbox` crate).
//!
//! The modules in layers, each using only those above it (a unit test,
//! `layering::modules_import_only_lower_layers`, keeps it so; docs/architecture.md
//! draws it): `time`, `digest`, `csv_export` and `domain` are leaves; `config`; `store` (all
//! SQL); `aws` and `sync`; `notify` and `executor`; `app` (the `Console` and its
//! error); `actions`, `auth`, `zipstream` and `assurance`; `routes` (HTTP only);
//! `startup` (the composition root).

pub mod actions;
pub mod app;
pub mod assurance;
pub mod auth;
pub mod aws;
pub mod config;
pub mod csv_export;
pub mod digest;
pub mod domain;
pub mod executor;
pub mod notify;
pub mod routes;
pub mod startup;
pub mod store;
pub mod sync;
pub mod time;
pub mod zipstream;

#[cfg(test)]
mod layering;
