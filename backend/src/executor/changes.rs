//! Approved changes of restore testing plans and selections, applied exactly once.
//!
//! Before the first call the change's token is stored (and audited), as for restores.
//! Every attempt then reads the current state first: a create whose plan or selection
//! already carries the token as its `CreatorRequestId`, an update whose settings are
//! already those approved, or a delete of what is gone, happened already and is not
//! made again. Update and Delete have no idempotency token in the model; this read is
//! what keeps a retry after a lost answer from acting twice.

use std::collections::HashMap;

use aws_sdk_backup::config::http::HttpResponse;
use aws_sdk_backup::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_backup::types::{
    KeyValue, ProtectedResourceConditions, RestoreTestingPlanForCreate, RestoreTestingPlanForGet,
    RestoreTestingPlanForUpdate, RestoreTestingRecoveryPointSelection, RestoreTestingRecoveryPointSelectionAlgorithm,
    RestoreTestingRecoveryPointType, RestoreTestingSelectionForCreate, RestoreTestingSelectionForGet,
    RestoreTestingSelectionForUpdate,
};
use aws_sdk_backup::Client;
use serde_json::{json, Value};

use super::{classify, Call, Executor};
use crate::aws::found;
use crate::store::{Column, RequestRow, StoreError, Val};

/// `classify`, with the model's meaning of two codes for these operations: a
/// ConflictException ("try again later") is retried; a LimitExceededException is a quota.
fn settle<T, E>(result: Result<T, SdkError<E, HttpResponse>>) -> Call<T>
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let code = result.as_ref().err().and_then(|e| e.code()).map(str::to_string);
    match (classify(result), code.as_deref()) {
        (Call::Refused(e), Some("ConflictException")) => Call::Unknown(e),
        (Call::Unknown(e), Some("LimitExceededException")) => Call::Refused(e),
        (call, _) => call,
    }
}

/// A Get's answer: `Ok(None)` when it does not exist; a failure is retried.
fn read<T>(result: Result<Option<T>, crate::aws::AwsFailure>) -> Result<Option<T>, Call<Option<String>>> {
    result.map_err(|f| Call::Unknown(f.to_string()))
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array().into_iter().flatten().filter_map(|s| s.as_str().map(str::to_string)).collect()
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v.dedup();
    v
}

fn int(v: &Value) -> i32 {
    v.as_i64().and_then(|n| i32::try_from(n).ok()).unwrap_or_default()
}

/// The approved selection's settings on a builder of either SDK type that sends them
/// (RestoreTestingSelectionForCreate and ...ForUpdate take the same setters).
macro_rules! with_selection {
    ($builder:expr, $sel:expr) => {{
        let sel: &Value = $sel;
        $builder
            .iam_role_arn(sel["iam_role_arn"].as_str().unwrap_or_default())
            .set_protected_resource_arns(Some(strings(&sel["resource_arns"])))
            .set_protected_resource_conditions(conditions(sel))
            .validation_window_hours(int(&sel["validation_window_hours"]))
            .set_restore_metadata_overrides(Some(overrides(sel)))
    }};
}

fn point_selection(plan: &Value) -> RestoreTestingRecoveryPointSelection {
    RestoreTestingRecoveryPointSelection::builder()
        .algorithm(RestoreTestingRecoveryPointSelectionAlgorithm::from(plan["algorithm"].as_str().unwrap_or_default()))
        .set_include_vaults(Some(strings(&plan["include_vaults"])))
        .set_exclude_vaults(Some(strings(&plan["exclude_vaults"])))
        .set_recovery_point_types(Some(
            strings(&plan["recovery_point_types"])
                .iter()
                .map(|t| RestoreTestingRecoveryPointType::from(t.as_str()))
                .collect(),
        ))
        .selection_window_days(int(&plan["selection_window_days"]))
        .build()
}

/// Whether AWS's plan has the approved settings already.
fn plan_matches(got: &RestoreTestingPlanForGet, plan: &Value) -> bool {
    let sel = got.recovery_point_selection();
    let tz_ok = plan["schedule_timezone"].as_str().is_none_or(|tz| got.schedule_expression_timezone() == Some(tz));
    got.schedule_expression() == plan["schedule_expression"].as_str().unwrap_or_default()
        && tz_ok
        && got.start_window_hours() == int(&plan["start_window_hours"])
        && sel.is_some_and(|s| {
            s.algorithm().map(|a| a.as_str()) == plan["algorithm"].as_str()
                && sorted(s.include_vaults().to_vec()) == strings(&plan["include_vaults"])
                && sorted(s.exclude_vaults().to_vec()) == strings(&plan["exclude_vaults"])
                && sorted(s.recovery_point_types().iter().map(|t| t.as_str().to_string()).collect())
                    == strings(&plan["recovery_point_types"])
                && s.selection_window_days() == int(&plan["selection_window_days"])
        })
}

fn key_values(list: &Value) -> Option<Vec<KeyValue>> {
    let pairs: Vec<KeyValue> = list
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|kv| {
            KeyValue::builder()
                .key(kv["key"].as_str().unwrap_or_default())
                .value(kv["value"].as_str().unwrap_or_default())
                .build()
                .ok()
        })
        .collect();
    (!pairs.is_empty()).then_some(pairs)
}

fn conditions(sel: &Value) -> Option<ProtectedResourceConditions> {
    let (equals, not_equals) = (key_values(&sel["string_equals"]), key_values(&sel["string_not_equals"]));
    (equals.is_some() || not_equals.is_some()).then(|| {
        ProtectedResourceConditions::builder().set_string_equals(equals).set_string_not_equals(not_equals).build()
    })
}

fn overrides(sel: &Value) -> HashMap<String, String> {
    sel["restore_metadata_overrides"]
        .as_object()
        .map(|m| m.iter().filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string()))).collect())
        .unwrap_or_default()
}

fn pairs(list: &[KeyValue]) -> Vec<String> {
    sorted(list.iter().map(|kv| format!("{}={}", kv.key(), kv.value())).collect())
}

/// Whether AWS's selection has the approved settings already.
fn selection_matches(got: &RestoreTestingSelectionForGet, sel: &Value) -> bool {
    let wanted = |field: &str| {
        sorted(
            sel[field]
                .as_array()
                .into_iter()
                .flatten()
                .map(|kv| {
                    format!("{}={}", kv["key"].as_str().unwrap_or_default(), kv["value"].as_str().unwrap_or_default())
                })
                .collect(),
        )
    };
    let c = got.protected_resource_conditions();
    let got_overrides: HashMap<String, String> = got.restore_metadata_overrides().cloned().unwrap_or_default();
    got.iam_role_arn() == sel["iam_role_arn"].as_str().unwrap_or_default()
        && sorted(got.protected_resource_arns().to_vec()) == strings(&sel["resource_arns"])
        && c.map(|c| pairs(c.string_equals())).unwrap_or_default() == wanted("string_equals")
        && c.map(|c| pairs(c.string_not_equals())).unwrap_or_default() == wanted("string_not_equals")
        && got.validation_window_hours() == int(&sel["validation_window_hours"])
        && got_overrides == overrides(sel)
}

/// The plan and selection a request names.
struct Target<'a> {
    plan_name: &'a str,
    selection_name: &'a str,
    plan: &'a Value,
    selection: &'a Value,
}

impl<'a> Target<'a> {
    fn of(r: &'a RequestRow) -> Self {
        Target {
            plan_name: r.param("plan_name").unwrap_or_default(),
            selection_name: r.param("selection_name").unwrap_or_default(),
            plan: &r.params["plan"],
            selection: &r.params["selection"],
        }
    }

    async fn get_plan(&self, c: &Client) -> Result<Option<RestoreTestingPlanForGet>, Call<Option<String>>> {
        let got = read(found(c.get_restore_testing_plan().restore_testing_plan_name(self.plan_name).send().await))?;
        Ok(got.and_then(|g| g.restore_testing_plan))
    }

    async fn get_selection(&self, c: &Client) -> Result<Option<RestoreTestingSelectionForGet>, Call<Option<String>>> {
        let got = read(found(
            c.get_restore_testing_selection()
                .restore_testing_plan_name(self.plan_name)
                .restore_testing_selection_name(self.selection_name)
                .send()
                .await,
        ))?;
        Ok(got.and_then(|g| g.restore_testing_selection))
    }

    /// CreateRestoreTestingPlan, unless a plan of this name carries the token already.
    async fn create_plan(&self, c: &Client, token: &str) -> Call<Option<String>> {
        match self.get_plan(c).await {
            Err(call) => return call,
            Ok(Some(p)) if p.creator_request_id() == Some(token) => {
                return Call::Done(Some(p.restore_testing_plan_arn))
            }
            Ok(Some(_)) => {
                return Call::Refused(format!(
                    "a plan named {} exists that this request did not create",
                    self.plan_name
                ))
            }
            Ok(None) => {}
        }
        let plan = self.plan;
        let spec = RestoreTestingPlanForCreate::builder()
            .restore_testing_plan_name(self.plan_name)
            .schedule_expression(plan["schedule_expression"].as_str().unwrap_or_default())
            .set_schedule_expression_timezone(plan["schedule_timezone"].as_str().map(str::to_string))
            .start_window_hours(int(&plan["start_window_hours"]))
            .recovery_point_selection(point_selection(plan))
            .build();
        let spec = match spec {
            Ok(s) => s,
            Err(e) => return Call::Refused(e.to_string()),
        };
        let sent = c.create_restore_testing_plan().restore_testing_plan(spec).creator_request_id(token).send().await;
        settle(sent).map(|out| Some(out.restore_testing_plan_arn))
    }

    /// UpdateRestoreTestingPlan with every approved setting, unless AWS has them already.
    async fn update_plan(&self, c: &Client) -> Call<Option<String>> {
        let arn = match self.get_plan(c).await {
            Err(call) => return call,
            Ok(None) => return Call::Refused(format!("AWS knows no plan {}", self.plan_name)),
            Ok(Some(p)) if plan_matches(&p, self.plan) => return Call::Done(Some(p.restore_testing_plan_arn)),
            Ok(Some(p)) => p.restore_testing_plan_arn,
        };
        let plan = self.plan;
        let spec = RestoreTestingPlanForUpdate::builder()
            .schedule_expression(plan["schedule_expression"].as_str().unwrap_or_default())
            .set_schedule_expression_timezone(plan["schedule_timezone"].as_str().map(str::to_string))
            .start_window_hours(int(&plan["start_window_hours"]))
            .recovery_point_selection(point_selection(plan))
            .build();
        let sent = c.update_restore_testing_plan().restore_testing_plan_name(self.plan_name).restore_testing_plan(spec);
        settle(sent.send().await).map(|_| Some(arn))
    }

    /// DeleteRestoreTestingPlan, unless the plan is gone already.
    async fn delete_plan(&self, c: &Client) -> Call<Option<String>> {
        let arn = match self.get_plan(c).await {
            Err(call) => return call,
            Ok(None) => return Call::Done(None),
            Ok(Some(p)) => p.restore_testing_plan_arn,
        };
        settle(c.delete_restore_testing_plan().restore_testing_plan_name(self.plan_name).send().await)
            .map(|_| Some(arn))
    }

    /// CreateRestoreTestingSelection, unless the plan has it with the token already.
    async fn create_selection(&self, c: &Client, token: &str) -> Call<Option<String>> {
        let arn = match self.get_plan(c).await {
            Err(call) => return call,
            Ok(None) => return Call::Refused(format!("AWS knows no plan {}", self.plan_name)),
            Ok(Some(p)) => p.restore_testing_plan_arn,
        };
        match self.get_selection(c).await {
            Err(call) => return call,
            Ok(Some(s)) if s.creator_request_id() == Some(token) => return Call::Done(Some(arn)),
            Ok(Some(_)) => {
                return Call::Refused(format!(
                    "plan {} has a selection {} that this request did not create",
                    self.plan_name, self.selection_name
                ))
            }
            Ok(None) => {}
        }
        let sel = self.selection;
        let spec = with_selection!(
            RestoreTestingSelectionForCreate::builder()
                .restore_testing_selection_name(self.selection_name)
                .protected_resource_type(sel["resource_type"].as_str().unwrap_or_default()),
            sel
        )
        .build();
        let spec = match spec {
            Ok(s) => s,
            Err(e) => return Call::Refused(e.to_string()),
        };
        let sent = c
            .create_restore_testing_selection()
            .restore_testing_plan_name(self.plan_name)
            .restore_testing_selection(spec)
            .creator_request_id(token)
            .send()
            .await;
        settle(sent).map(|_| Some(arn))
    }

    /// UpdateRestoreTestingSelection with every approved setting, unless AWS has them already.
    async fn update_selection(&self, c: &Client) -> Call<Option<String>> {
        match self.get_selection(c).await {
            Err(call) => return call,
            Ok(None) => {
                return Call::Refused(format!("plan {} has no selection {}", self.plan_name, self.selection_name))
            }
            Ok(Some(s)) if selection_matches(&s, self.selection) => return Call::Done(None),
            Ok(Some(_)) => {}
        }
        let spec = with_selection!(RestoreTestingSelectionForUpdate::builder(), self.selection).build();
        let sent = c
            .update_restore_testing_selection()
            .restore_testing_plan_name(self.plan_name)
            .restore_testing_selection_name(self.selection_name)
            .restore_testing_selection(spec)
            .send()
            .await;
        settle(sent).map(|out| Some(out.restore_testing_plan_arn))
    }

    /// DeleteRestoreTestingSelection, unless it is gone already.
    async fn delete_selection(&self, c: &Client) -> Call<Option<String>> {
        match self.get_selection(c).await {
            Err(call) => return call,
            Ok(None) => return Call::Done(None),
            Ok(Some(_)) => {}
        }
        let sent = c
            .delete_restore_testing_selection()
            .restore_testing_plan_name(self.plan_name)
            .restore_testing_selection_name(self.selection_name)
            .send()
            .await;
        settle(sent).map(|_| None)
    }

    async fn apply(&self, c: &Client, kind: &str, token: &str) -> Call<Option<String>> {
        match kind {
            "create_testing_plan" => match self.create_plan(c, token).await {
                Call::Done(arn) if !self.selection.is_null() => {
                    match self.create_selection(c, &format!("{token}-selection")).await {
                        Call::Done(_) => Call::Done(arn),
                        other => other,
                    }
                }
                other => other,
            },
            "update_testing_plan" => self.update_plan(c).await,
            "delete_testing_plan" => self.delete_plan(c).await,
            "create_testing_selection" => self.create_selection(c, token).await,
            "update_testing_selection" => self.update_selection(c).await,
            "delete_testing_selection" => self.delete_selection(c).await,
            other => Call::Refused(format!("{other} is not a restore testing change")),
        }
    }
}

impl Executor {
    /// Moves an approved restore testing change on: store its token, then apply it.
    pub(super) async fn change(&self, r: &RequestRow) -> Result<(), StoreError> {
        let client = match self.client(r, &r.account_id).await {
            Ok(c) => c,
            Err(why) if r.change_token.is_some() => {
                tracing::warn!(request = %r.id, error = %why, "no AWS client for a started change; retrying");
                return Ok(());
            }
            Err(why) => return self.fail(r, &why).await,
        };
        if !self.approved_as_stored(r).await? {
            return self.fail(r, "the stored parameters are not the ones approved; nothing was changed").await;
        }
        let first = r.change_token.is_none();
        let token = match &r.change_token {
            Some(t) => t.clone(),
            None => {
                let t = uuid::Uuid::new_v4().to_string();
                if !self.store.store_token(&r.id, "change", &t, (self.clock)()).await? {
                    return Ok(());
                }
                t
            }
        };
        match Target::of(r).apply(&client, &r.kind, &token).await {
            Call::Done(result) => {
                // The next sync reads the region's plans whole, selections with them.
                self.store.plan_changed(&r.account_id, &r.region).await?;
                let sets = [(Column::ChangeResult, Val::from(result.clone()))];
                let details = json!({"kind": r.kind, "result": result, "creator_request_id": token});
                self.moved(r, "succeeded", &sets, (self.clock)(), "aws.change_applied", details).await?;
                Ok(())
            }
            Call::Refused(why) => self.fail(r, &format!("AWS refused the change: {why}")).await,
            Call::NoRole(why) if first => self.fail(r, &format!("{why}; the change was not sent")).await,
            Call::NoRole(why) => {
                let pending = format!("the change may have been applied (creator request id {token})");
                self.role_unavailable(r, &why, pending).await
            }
            Call::Unknown(why) => {
                tracing::warn!(request = %r.id, error = %why, "change unconfirmed; read again on the next pass");
                Ok(())
            }
        }
    }
}
