//! Integration tests of the recovery-console crate: real servers on loopback,
//! driven by real clients (the AWS SDK, reqwest).

mod cli;
mod common;
mod console;
mod console_alerts;
mod console_api;
mod console_assurance;
mod console_auth;
mod console_authz;
mod console_choices;
mod console_concurrency;
mod console_contention;
mod console_digests;
mod console_plans;
mod console_posture;
mod console_replicas;
mod console_requests;
mod console_restores;
mod console_sync;
mod console_throttling;
mod console_validator;
mod sandbox_backup;
mod sandbox_cloudcontrol;
mod sandbox_dynamodb;
mod sandbox_faults;
mod sandbox_identity;
mod sandbox_jobs;
mod sandbox_plans;
mod sandbox_s3;
