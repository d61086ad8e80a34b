//! The RPO/RTO policy resolved for every resource: the configured default, per
//! resource type, and per resource (the most specific wins).

use std::collections::HashMap;

use shared::{TargetPolicy, TargetRule, TargetScope};

/// Per-resource targets admins may set in the console, at most (each names a
/// protected resource of the inventory); a new one beyond answers 422.
pub const MAX_RESOURCE_TARGETS: i64 = 1000;

/// How recent the newest recovery point must be, and how fast a restore must finish.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target {
    pub rpo_hours: i64,
    pub rto_minutes: i64,
}

/// The effective targets of every resource, from the default and the rules.
#[derive(Debug, Clone)]
pub struct Targets {
    default: Target,
    by_type: HashMap<String, Target>,
    by_resource: HashMap<String, Target>,
    rules: Vec<TargetRule>,
}

impl Targets {
    /// `rules`: the file's and the console's rules; a console rule replaces the file's rule of the same scope.
    pub fn new(default: Target, file_rules: Vec<TargetRule>, console_rules: Vec<TargetRule>) -> Self {
        let mut rules = file_rules;
        rules.retain(|r| !console_rules.iter().any(|c| c.scope_kind == r.scope_kind && c.scope == r.scope));
        rules.extend(console_rules);
        let pick = |kind: TargetScope| -> HashMap<String, Target> {
            rules
                .iter()
                .filter(|r| r.scope_kind == kind)
                .map(|r| (r.scope.clone(), Target { rpo_hours: r.rpo_hours, rto_minutes: r.rto_minutes }))
                .collect()
        };
        let (by_type, by_resource) = (pick(TargetScope::ResourceType), pick(TargetScope::Resource));
        Targets { default, by_type, by_resource, rules }
    }

    /// The target of one resource.
    pub fn of(&self, resource_type: &str, resource_arn: &str) -> Target {
        self.by_resource.get(resource_arn).or_else(|| self.by_type.get(resource_type)).copied().unwrap_or(self.default)
    }

    pub fn default_target(&self) -> Target {
        self.default
    }

    /// Per-resource targets, sorted by ARN.
    pub fn by_resource(&self) -> Vec<(&str, Target)> {
        let mut v: Vec<_> = self.by_resource.iter().map(|(k, t)| (k.as_str(), *t)).collect();
        v.sort_by(|a, b| a.0.cmp(b.0));
        v
    }

    /// The configuration's per-type targets that no console target replaces, sorted by type.
    pub fn configured_by_type(&self) -> Vec<(&str, Target)> {
        let mut v: Vec<_> = self
            .rules
            .iter()
            .filter(|r| r.scope_kind == TargetScope::ResourceType && r.source == "config")
            .map(|r| (r.scope.as_str(), Target { rpo_hours: r.rpo_hours, rto_minutes: r.rto_minutes }))
            .collect();
        v.sort_by(|a, b| a.0.cmp(b.0));
        v
    }

    /// Per-type targets, sorted by type.
    pub fn by_type(&self) -> Vec<(&str, Target)> {
        let mut v: Vec<_> = self.by_type.iter().map(|(k, t)| (k.as_str(), *t)).collect();
        v.sort_by(|a, b| a.0.cmp(b.0));
        v
    }

    pub fn policy(&self) -> TargetPolicy {
        TargetPolicy {
            default_rpo_hours: self.default.rpo_hours,
            default_rto_minutes: self.default.rto_minutes,
            rules: self.rules.clone(),
        }
    }
}
