//! Recovery Console: the server, its AWS access, and the built-in AWS sandbox.

pub mod sandbox;
