//! The console's pages, one module per URL.

pub mod accounts;
pub mod jobs;
pub mod overview;
pub mod recovery_points;
pub mod resources;
pub mod restore_tests;
