//! Refunds across the user's apps, and one refund's detail.

use super::charges::owners;
use super::error::AdminResult;
use super::scope::{owned_refund, Params};
use super::session::Admin;
use super::{detail, render};
use crate::state::AppState;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;
use unicharge_domain::ParamError;
use unicharge_store::admin::AdminRefundFilter;

pub async fn list(state: web::Data<AppState>, who: Admin, req: HttpRequest) -> AdminResult<HttpResponse> {
    let p = Params::parse(req.query_string())?;
    let status = match p.str("status") {
        None => None,
        Some(s @ ("pending" | "succeeded" | "failed")) => Some(s.to_owned()),
        Some(_) => return Err(ParamError::unsupported("status", "use pending, succeeded or failed").into()),
    };
    let f = AdminRefundFilter {
        apps: p.apps(&state, &who).await?,
        livemode: p.mode()?.is_live(),
        status,
        charge_id: p.str("charge").map(str::to_owned),
        created: p.created()?,
    };
    let page = p
        .page_within(&f.apps, f.livemode, |id| {
            let st = state.clone();
            async move { st.store.get_refund(&id).await }
        })
        .await?;
    let rows = state.store.list_admin_refunds(&f, page).await?;
    let mut data = Vec::with_capacity(rows.rows.len());
    for r in &rows.rows {
        let c = state.store.get_charge(&r.charge_id).await?;
        let (order_no, channel) =
            c.as_ref().map(|c| (c.order_no.as_str(), Some(c.channel.as_str()))).unwrap_or(("", None));
        data.push(render::refund(r, order_no, channel));
    }
    Ok(HttpResponse::Ok().json(crate::render::list("/admin/api/refunds", rows.has_more, data)))
}

pub async fn retrieve(state: web::Data<AppState>, who: Admin, path: web::Path<String>) -> AdminResult<HttpResponse> {
    let r = owned_refund(&state, &who, &path).await?;
    let c = state
        .store
        .get_charge(&r.charge_id)
        .await?
        .ok_or_else(|| crate::ApiError::internal("refund without its charge"))?;
    let refunds = state.store.all_refunds_of(&c.id).await?;
    let apps = owners(&state, std::iter::once(c.app_id.as_str())).await?;
    let events = state.store.events_for_objects(std::slice::from_ref(&r.id)).await?;
    Ok(HttpResponse::Ok().json(json!({
        "object": "refund_detail",
        "refund": render::refund(&r, &c.order_no, Some(&c.channel)),
        "charge": render::charge(&c, &refunds, apps.get(&c.app_id)),
        "events": detail::events_with_attempts(&state, &events).await?,
    })))
}
