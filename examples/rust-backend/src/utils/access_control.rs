//! Who may see, use and change a workspace model: the one place that decides.
//!
//! Admins may do everything (upstream's default, `BYPASS_ADMIN_ACCESS_CONTROL`).
//! Anyone else may read a model they own or one an `access_grant` row shares with
//! them, with every user, or with a group they are in, and may change one they own or
//! hold a write grant on. A model without a `model` row is the admins' alone.

use std::collections::{HashMap, HashSet};

use serde_json::Value;

use crate::errors::ApiError;
use crate::internal::db::Db;
use crate::models::access_grants::{Grant, Principal, accessible_ids, normalize};
use crate::models::config;
use crate::models::groups::group_ids_of;
use crate::models::models::{self as workspace, Model, RESOURCE};
use crate::models::users::UserModel;
use crate::utils::auth::has_permission;

// --8<-- [start:allowed]
/// The grants of a create form that the user may give, normalised.
///
/// Models are never shared with anonymous readers. A user who may not share
/// models gives none; one who may gives only to the audiences allowed to them.
///
/// # Errors
/// The database failed.
pub async fn allowed_grants(
    db: &Db,
    user: &UserModel,
    grants: &[Value],
) -> Result<Vec<Grant>, ApiError> {
    let mut grants = normalize(grants);
    grants.retain(|grant| grant.principal_type != "anyone");
    if user.role == "admin" || grants.is_empty() {
        return Ok(grants);
    }
    let permissions = config::get(db, "user.permissions").await?;
    let may = |permission| has_permission(permissions.as_ref(), permission);
    if !may("sharing.models") {
        return Ok(Vec::new());
    }
    grants.retain(|grant| {
        may(match grant.principal_type.as_str() {
            _ if grant.is_public() => "sharing.public_models",
            "group" => "access_grants.allow_groups",
            _ => "access_grants.allow_users",
        })
    });
    Ok(grants)
}
// --8<-- [end:allowed]

// --8<-- [start:check]
/// The user as grants name principals, with the groups Open WebUI put them in.
async fn principal(db: &Db, user: &UserModel) -> Result<Principal, ApiError> {
    Ok(Principal {
        user_id: user.id.clone(),
        group_ids: group_ids_of(db, &user.id).await?,
    })
}

/// Those of `model_ids` that a grant gives the user `permission` on.
///
/// # Errors
/// The database failed.
pub async fn granted_ids(
    db: &Db,
    user: &UserModel,
    model_ids: &[&str],
    permission: &str,
) -> Result<HashSet<String>, ApiError> {
    let principal = principal(db, user).await?;
    Ok(accessible_ids(db, &principal, RESOURCE, model_ids, permission).await?)
}

/// Whether `user` may change, toggle or delete the model of `row`.
///
/// # Errors
/// The database failed.
pub async fn may_write(
    db: &Db,
    user: &UserModel,
    row: &Model,
) -> Result<bool, ApiError> {
    Ok(user.role == "admin"
        || row.user_id.as_deref() == Some(user.id.as_str())
        || granted_ids(db, user, &[&row.id], "write")
            .await?
            .contains(&row.id))
}

/// Whether `principal` owns `row` or a read grant shares it with them.
async fn reads(db: &Db, principal: &Principal, row: &Model) -> Result<bool, ApiError> {
    Ok(row.user_id.as_deref() == Some(principal.user_id.as_str())
        || accessible_ids(db, principal, RESOURCE, &[&row.id], "read")
            .await?
            .contains(&row.id))
}

/// Whether `user` may read the workspace model of `row`, without its base models.
///
/// # Errors
/// The database failed.
pub async fn may_read(
    db: &Db,
    user: &UserModel,
    row: &Model,
) -> Result<bool, ApiError> {
    Ok(user.role == "admin" || reads(db, &principal(db, user).await?, row).await?)
}

/// Whether `user` may chat with the model of `row`.
///
/// Anyone but an admin must be able to read the model and each base model along
/// its chain, each of which needs a row: a shared model cannot lend a user a base
/// model they could not use directly.
///
/// # Errors
/// The database failed.
pub async fn may_use(
    db: &Db,
    user: &UserModel,
    row: Option<&Model>,
) -> Result<bool, ApiError> {
    if user.role == "admin" {
        return Ok(true);
    }
    let Some(first) = row else {
        return Ok(false);
    };
    let principal = principal(db, user).await?;
    let mut seen = HashSet::new();
    let mut row = first.clone();
    loop {
        seen.insert(row.id.clone());
        if !reads(db, &principal, &row).await? {
            return Ok(false);
        }
        let Some(base_id) = row
            .base_model_id
            .filter(|id| !id.is_empty() && !seen.contains(id))
        else {
            return Ok(true);
        };
        match workspace::get_model(db, &base_id).await? {
            Some(base) => row = base,
            None => return Ok(false),
        }
    }
}
// --8<-- [end:check]

// --8<-- [start:filter]
/// The entries of the chat model list that `user` sees.
///
/// Admins see all. Others see an entry with a `model` row (its `info`) that they
/// own or that a read grant gives them; not a provider's model without a row.
///
/// # Errors
/// The database failed.
pub async fn visible(
    db: &Db,
    user: &UserModel,
    models: Vec<Value>,
) -> Result<Vec<Value>, ApiError> {
    if user.role == "admin" {
        return Ok(models);
    }
    let owners: HashMap<String, Option<String>> = models
        .iter()
        .filter_map(|model| {
            let info = model.get("info").filter(|info| !info.is_null())?;
            let id = model.get("id")?.as_str()?.to_owned();
            let owner = info
                .get("user_id")
                .and_then(Value::as_str)
                .map(str::to_owned);
            Some((id, owner))
        })
        .collect();
    let ids: Vec<&str> = owners.keys().map(String::as_str).collect();
    let shared = granted_ids(db, user, &ids, "read").await?;
    Ok(models
        .into_iter()
        .filter(|model| {
            let Some(id) = model.get("id").and_then(Value::as_str) else {
                return false;
            };
            owners.get(id).is_some_and(|owner| {
                owner.as_deref() == Some(user.id.as_str()) || shared.contains(id)
            })
        })
        .collect())
}

/// For a query over `model` rows: who reads them, to be matched against owners and
/// grants; `None` for an admin, who reads all.
///
/// # Errors
/// The database failed.
pub async fn readable(
    db: &Db,
    user: &UserModel,
) -> Result<Option<Principal>, ApiError> {
    if user.role == "admin" {
        return Ok(None);
    }
    Ok(Some(principal(db, user).await?))
}

/// Those of `model_ids` that have a `model` row `user` may read.
///
/// # Errors
/// The database failed.
pub async fn readable_ids(
    db: &Db,
    user: &UserModel,
    model_ids: &[&str],
) -> Result<HashSet<String>, ApiError> {
    let reader = readable(db, user).await?;
    Ok(workspace::readable_model_ids(db, model_ids, reader.as_ref()).await?)
}
// --8<-- [end:filter]
