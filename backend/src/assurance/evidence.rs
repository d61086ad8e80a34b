//! The auditor's evidence pack (issue 6, part 6).
