//! The console's pages, one module per URL.

pub mod accounts;
pub mod assurance;
pub mod audit;
pub mod drills;
pub mod evidence;
pub mod jobs;
pub mod overview;
pub mod recovery_points;
pub mod requests;
pub mod resources;
pub mod restore_tests;
pub mod testing_request;
pub mod validation_checks;
