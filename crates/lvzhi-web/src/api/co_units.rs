//! 主办/协办 units over HTTP (issue 17).
//!
//! * `GET /api/v1/records/{id}/co-units` — the 主办 and 协办 units, the 协办意见,
//!   and whether the caller may set units (`may_set`) or give an opinion (`may_opine`).
//! * `PUT /api/v1/records/{id}/co-units` — `{"units": [id, …]}`: the whole new set
//!   (an empty list removes all); the ledger's `[co_units]` roles, handling the record.
//! * `POST /api/v1/records/{id}/opinions` — `{"text": "…"}`: a 协办 unit's clerk or head
//!   gives its 协办意见 (201).
//!
//! A 协办 unit's users read the record but may not edit or move it: those calls
//! answer 403; a user outside both answers 404, as for a missing record.

use super::{J, parse_id};
use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::Value;

/// `PUT /api/v1/records/{id}/co-units`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CoUnitsBody {
    /// The 协办 units (unit ids), the whole set.
    pub units: Vec<i64>,
}

/// `POST /api/v1/records/{id}/opinions`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpinionBody {
    /// The 协办意见.
    pub text: String,
}

fn to_json<T: serde::Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

/// `GET /api/v1/records/{id}/co-units`.
pub async fn get(State(st): State<AppState>, c: Caller, Path(id): Path<String>) -> Result<Json<Value>, ApiError> {
    let v = st.store.co_units(&c.session.access, parse_id(&id)?).await?;
    Ok(Json(to_json(&v)))
}

/// `PUT /api/v1/records/{id}/co-units`.
pub async fn put(
    State(st): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
    J(b): J<CoUnitsBody>,
) -> Result<Json<Value>, ApiError> {
    let a = &c.session.access;
    let id = parse_id(&id)?;
    st.store.set_co_units(a, id, b.units).await?;
    Ok(Json(to_json(&st.store.co_units(a, id).await?)))
}

/// `POST /api/v1/records/{id}/opinions`.
pub async fn opinion(
    State(st): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
    J(b): J<OpinionBody>,
) -> Result<Response, ApiError> {
    let a = &c.session.access;
    let id = parse_id(&id)?;
    st.store.add_opinion(a, id, &b.text).await?;
    let v = st.store.co_units(a, id).await?;
    Ok((StatusCode::CREATED, Json(to_json(&v))).into_response())
}
