use crate::auth::{authorize_app, now, verify_request_signature, Authed};
use crate::listing::ListQuery;
use crate::state::AppState;
use crate::{render, ApiError};
use actix_web::{web, HttpRequest, HttpResponse};
use unicharge_domain::{EventId, EventType, ParamError};
use unicharge_store::EventFilter;

/// Loads an event the caller may see (its tenant, its mode); anything else
/// is "no such event", so ids cannot be probed.
pub(crate) async fn owned_event(
    state: &AppState,
    who: &Authed,
    req: &HttpRequest,
    id: &str,
    body: &[u8],
) -> Result<unicharge_store::EventRow, ApiError> {
    let missing = || ApiError::not_found("event", id);
    EventId::parse(id).ok_or_else(missing)?;
    let e = state.store.get_event(id).await?.filter(|e| e.livemode == who.livemode()).ok_or_else(missing)?;
    match authorize_app(state, who, &e.app_id, req, body).await {
        Ok(_) => Ok(e),
        Err(ApiError::NotFound { .. }) => Err(missing()),
        Err(err) => Err(err),
    }
}

pub async fn retrieve(
    state: web::Data<AppState>,
    who: Authed,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let e = owned_event(&state, &who, &req, &path, b"").await?;
    let ds = state.store.deliveries_for_event(&e.id).await?;
    Ok(HttpResponse::Ok().json(render::event(&e, &ds)))
}

pub async fn list(state: web::Data<AppState>, who: Authed, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let q = ListQuery::parse(req.query_string())?;
    let app_ids = match q.app_id() {
        Some(id) => vec![authorize_app(&state, &who, id, &req, b"").await?.id],
        None => {
            let apps = state.store.list_apps(Some(&who.tenant_id)).await?;
            // Without app[id], a signature is still required when any of the
            // tenant's apps demands one; it may be made with any of their keys.
            let keyed: Vec<_> = apps.iter().filter_map(|a| a.rsa_public_key.as_deref()).collect();
            if !keyed.is_empty() {
                let tol = state.settings.signature_tolerance_secs;
                let ok = keyed.iter().any(|pem| verify_request_signature(pem, &req, b"", tol, now()).is_ok());
                if !ok {
                    return Err(ApiError::BadSignature("Pingplusplus-Signature does not verify."));
                }
            }
            apps.into_iter().map(|a| a.id).collect()
        }
    };
    let kind = match q.str("type") {
        None => None,
        Some(t) => Some(
            EventType::parse(t)
                .ok_or_else(|| ParamError::unsupported("type", format!("'{t}' is not an event type")))?
                .as_str()
                .to_owned(),
        ),
    };
    let filter = EventFilter { app_ids: app_ids.clone(), livemode: who.livemode(), kind, created: q.created()? };
    let st = state.clone();
    let live = who.livemode();
    let page = q
        .page(|id| {
            let st = st.clone();
            let app_ids = app_ids.clone();
            async move {
                let e = st.store.get_event(&id).await?;
                Ok(e.filter(|e| e.livemode == live && app_ids.contains(&e.app_id)).map(|e| e.seq))
            }
        })
        .await?;
    let rows = state.store.list_events(&filter, page).await?;
    let ids: Vec<String> = rows.rows.iter().map(|e| e.id.clone()).collect();
    let ds = state.store.deliveries_for_events(&ids).await?;
    let data = rows.rows.iter().map(|e| render::event(e, &ds)).collect();
    Ok(HttpResponse::Ok().json(render::list("/v1/events", rows.has_more, data)))
}
