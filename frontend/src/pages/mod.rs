//! The console's pages, one module per URL.

pub mod accounts;
pub mod audit;
pub mod jobs;
pub mod overview;
pub mod recovery_points;
pub mod requests;
pub mod resources;
pub mod restore_tests;
