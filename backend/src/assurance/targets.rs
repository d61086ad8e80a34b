//! The RPO/RTO policy: the config's defaults and per-type targets, overridden by
//! what admins set in the console, per resource type or per resource (the most
//! specific wins).

use std::collections::HashMap;

use shared::{TargetPolicy, TargetRule, TargetScope};

use crate::config::AssuranceConfig;
use crate::store::{Store, StoreError};

/// The effective targets of every resource, resolved in memory.
#[derive(Debug, Clone)]
pub struct Targets {
    default: (i64, i64),
    by_type: HashMap<String, (i64, i64)>,
    by_resource: HashMap<String, (i64, i64)>,
    rules: Vec<TargetRule>,
}

impl Targets {
    pub async fn load(cfg: &AssuranceConfig, store: &Store) -> Result<Self, StoreError> {
        let mut rules: Vec<TargetRule> = cfg
            .targets
            .iter()
            .map(|t| TargetRule {
                scope_kind: TargetScope::ResourceType,
                scope: t.resource_type.clone(),
                rpo_hours: t.rpo_hours,
                rto_minutes: t.rto_minutes,
                source: "config".into(),
                updated_by: None,
                updated_at: None,
            })
            .collect();
        let console = store.console_targets().await?;
        // A console rule replaces the file's rule of the same scope.
        rules.retain(|r| !console.iter().any(|c| c.scope_kind == r.scope_kind && c.scope == r.scope));
        rules.extend(console);
        let pick = |kind: TargetScope| -> HashMap<String, (i64, i64)> {
            rules
                .iter()
                .filter(|r| r.scope_kind == kind)
                .map(|r| (r.scope.clone(), (r.rpo_hours, r.rto_minutes)))
                .collect()
        };
        Ok(Self {
            default: (cfg.rpo_hours, cfg.rto_minutes),
            by_type: pick(TargetScope::ResourceType),
            by_resource: pick(TargetScope::Resource),
            rules,
        })
    }

    /// (RPO hours, RTO minutes) of one resource.
    pub fn of(&self, resource_type: &str, resource_arn: &str) -> (i64, i64) {
        self.by_resource.get(resource_arn).or_else(|| self.by_type.get(resource_type)).copied().unwrap_or(self.default)
    }

    pub fn policy(&self) -> TargetPolicy {
        TargetPolicy {
            default_rpo_hours: self.default.0,
            default_rto_minutes: self.default.1,
            rules: self.rules.clone(),
        }
    }

    /// SQL expressions for the RPO hours and RTO minutes of the row aliased `p`
    /// (columns `arn` and `resource_type`), with their bound values, in order.
    pub fn sql(&self, sql: &mut crate::store::Sql, which: Which) {
        let pick = |t: &(i64, i64)| match which {
            Which::Rpo => t.0,
            Which::Rto => t.1,
        };
        if self.by_resource.is_empty() && self.by_type.is_empty() {
            sql.arg(pick(&self.default));
            return;
        }
        sql.push("(CASE");
        let mut resources: Vec<_> = self.by_resource.iter().collect();
        resources.sort();
        for (arn, t) in resources {
            sql.push(" WHEN p.arn = ").arg(arn.as_str()).push(" THEN ").arg(pick(t));
        }
        let mut types: Vec<_> = self.by_type.iter().collect();
        types.sort();
        for (ty, t) in types {
            sql.push(" WHEN p.resource_type = ").arg(ty.as_str()).push(" THEN ").arg(pick(t));
        }
        sql.push(" ELSE ").arg(pick(&self.default)).push(" END)");
    }
}

#[derive(Debug, Clone, Copy)]
pub enum Which {
    Rpo,
    Rto,
}
