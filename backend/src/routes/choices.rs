//! What the web console's typeahead fields offer: a page of one list's choices
//! whose name starts with what was typed.

use axum::extract::{Path, State};
use axum::Json;
use serde::Deserialize;
use shared::{Choice, Page};
use utoipa::IntoParams;

use super::params::{cursor_param, Params};
use super::{AppError, AppState};
use crate::store::{ChoiceList, ChoiceQuery};

/// The longest prefix looked for.
const MAX_PREFIX: usize = 100;
/// The longest value looked up (an ARN is at most 2,048 characters).
const MAX_VALUE: usize = 2048;

/// What to look for in a list of choices.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ChoiceParams {
    /// The start of the name to look for, in any case (accounts and vault ARNs: or
    /// of the account id; plans and resources: or of the ARN, as written); up to 100
    /// characters. None: every choice.
    q: Option<String>,
    /// Only the choice whose value is exactly this (the words to show for a value a
    /// link carries); up to 2,048 characters.
    value: Option<String>,
    /// Choices per page, 1 to 50 (default 20).
    #[param(minimum = 1, maximum = 50)]
    limit: Option<i64>,
    /// `next_cursor` of the previous page.
    #[param(pattern = "^v1\\.-?[0-9]{1,18}\\.([0-9a-f]{2}){1,2048}$")]
    cursor: Option<String>,
    /// 12-digit AWS account id: only this account's vaults, plans or resources.
    #[param(pattern = "^[0-9]{12}$")]
    account_id: Option<String>,
    /// AWS region: only the vaults, plans or resources there.
    #[param(pattern = "^[a-z0-9]+(-[a-z0-9]+)+-[0-9]+$")]
    region: Option<String>,
}

/// A page of choices of `list` (accounts, regions, vault names, vault ARNs, plans or
/// resources), ordered by value: the value a filter or a form takes and the words to show.
#[utoipa::path(get, path = "/api/v1/choices/{list}",
    params(("list" = String, Path, description = "accounts, regions, vaults (names), vault_arns, plans or resources"), ChoiceParams),
    responses((status = 200, body = Page<Choice>)))]
pub async fn choices(
    State(s): State<AppState>,
    Path(list): Path<String>,
    Params(q): Params<ChoiceParams>,
) -> Result<Json<Page<Choice>>, AppError> {
    let Some(list) = ChoiceList::parse(&list) else {
        let names = ChoiceList::NAMES.join(", ");
        return Err(AppError::NotFound(format!("no list of choices named {list:?}; one of {names}")));
    };
    let prefix = q.q.unwrap_or_default();
    if prefix.chars().count() > MAX_PREFIX {
        return Err(AppError::bad("invalid_parameter", format!("q: at most {MAX_PREFIX} characters")));
    }
    if q.value.as_ref().is_some_and(|v| v.chars().count() > MAX_VALUE) {
        return Err(AppError::bad("invalid_parameter", format!("value: at most {MAX_VALUE} characters")));
    }
    let query = ChoiceQuery {
        prefix,
        value: q.value,
        account_id: q.account_id,
        region: q.region,
        after: q.cursor.as_deref().map(cursor_param).transpose()?.map(|c| c.key),
        limit: q.limit.unwrap_or(20),
    };
    let (items, next_cursor) = s.store.choices(list, &query).await?;
    Ok(Json(Page { items, next_cursor }))
}
