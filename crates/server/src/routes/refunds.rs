use super::charges::owned_charge;
use crate::auth::{now, Authed};
use crate::body::{parse_object, read_limited};
use crate::listing::ListQuery;
use crate::payments::{apply_refund, channel_ctx, refund_ref};
use crate::state::AppState;
use crate::{idempotency, render, ApiError};
use actix_web::{http::StatusCode, web, HttpRequest, HttpResponse};
use serde_json::{Map, Value};
use unicharge_channels::{ChannelError, RefundStatusReport};
use unicharge_domain::{ChannelCode, ParamError, RefundId, RefundRequest};
use unicharge_store::{RefundReservation, RefundRow};

pub async fn create(
    state: web::Data<AppState>,
    who: Authed,
    req: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let body = read_limited(payload, state.settings.body_limit).await?;
    let charge = owned_charge(&state, &who, &path, &req, &body).await?;
    idempotency::run(&state, &who, &req, &body, || async {
        let fields = parse_object(&req, &body)?;
        let refund = create_refund(&state, &who, &charge, fields).await?;
        Ok((StatusCode::OK, render::refund(&refund, &charge.order_no)))
    })
    .await
}

pub(crate) async fn create_refund(
    state: &AppState,
    who: &Authed,
    charge: &unicharge_store::ChargeRow,
    fields: Map<String, Value>,
) -> Result<RefundRow, ApiError> {
    crate::apple_iap::refuse_tenant_refund(charge)?;
    if charge.status != "paid" {
        return Err(ApiError::bad(
            "charge_unpaid",
            format!("Charge {} is {}; only a paid charge can be refunded.", charge.id, charge.status),
            Some("id"),
        ));
    }
    let amount = match fields.get("amount") {
        None | Some(Value::Null) => None,
        Some(v) => Some(
            unicharge_domain::charge::as_int(v).ok_or_else(|| ParamError::invalid("amount", "must be an integer"))?,
        ),
    };
    let description = match fields.get("description") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return Err(ParamError::invalid("description", "must be a string").into()),
    };
    let metadata = match fields.get("metadata") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(m)) => m.clone(),
        Some(Value::Array(a)) if a.is_empty() => Map::new(),
        Some(_) => return Err(ParamError::invalid("metadata", "must be an object").into()),
    };
    let funding_source = match fields.get("funding_source").and_then(Value::as_str) {
        None => None,
        Some(s @ ("unsettled_funds" | "recharge_funds")) => Some(s.to_owned()),
        Some(_) => {
            return Err(ParamError::unsupported("funding_source", "use unsettled_funds or recharge_funds").into())
        }
    };
    let refundable = charge.amount - charge.amount_refunded - charge.amount_refunding;
    let rq = RefundRequest::parse(amount, description, metadata, refundable)?;
    let id = RefundId::generate();
    let row = RefundRow {
        seq: 0,
        order_no: id.as_str().trim_start_matches(RefundId::PREFIX).to_owned(),
        id: id.into_string(),
        charge_id: charge.id.clone(),
        app_id: charge.app_id.clone(),
        livemode: charge.livemode,
        amount: rq.amount.get(),
        currency: charge.currency.clone(),
        status: "pending".into(),
        description: rq.description.clone(),
        metadata: Value::Object(rq.metadata.clone()).to_string(),
        extra: "{}".into(),
        transaction_no: None,
        failure_code: None,
        failure_msg: None,
        funding_source,
        created: now(),
        time_succeed: None,
    };
    let (refund, charge) = match state.store.reserve_refund(&row).await? {
        RefundReservation::Reserved { refund, charge } => (refund, charge),
        RefundReservation::NotRefundable(c) => {
            let left = c.amount - c.amount_refunded - c.amount_refunding;
            return Err(ParamError::out_of_range("amount", format!("at most {left} can still be refunded")).into());
        }
        RefundReservation::NotFound => return Err(ApiError::not_found("charge", charge.id.clone())),
    };
    let channel = ChannelCode::parse(&charge.channel).map_err(ApiError::internal)?;
    let ctx = channel_ctx(state, &charge.app_id, who.mode, channel).await?;
    match state.channels.get(channel).refund(&ctx, &refund_ref(&refund, &charge)?).await {
        Ok(report) => apply_refund(state, &refund, report, now()).await,
        // Refused by the provider, or never sent: the refund certainly failed.
        Err(e @ (ChannelError::Config(_) | ChannelError::Refused { .. })) => {
            let err = ApiError::from(e);
            if let ApiError::Channel { code, message } = &err {
                let failed = RefundStatusReport::Failed { code: code.clone(), message: message.clone() };
                apply_refund(state, &refund, failed, now()).await?;
            }
            Err(err)
        }
        Err(e) => {
            // Unknown outcome: the refund stays pending with its amount
            // reserved; the channel's notification or a refund query settles
            // it, and the same out_request_no prevents a double refund.
            tracing::warn!(refund = %refund.id, error = %e, "refund outcome unknown; left pending");
            Ok(refund)
        }
    }
}

async fn owned_refund(
    state: &AppState,
    who: &Authed,
    req: &HttpRequest,
    charge_id: &str,
    refund_id: &str,
) -> Result<(unicharge_store::ChargeRow, RefundRow), ApiError> {
    let charge = owned_charge(state, who, charge_id, req, b"").await?;
    let missing = || ApiError::not_found("refund", refund_id);
    RefundId::parse(refund_id).ok_or_else(missing)?;
    let r = state.store.get_refund(refund_id).await?.filter(|r| r.charge_id == charge.id).ok_or_else(missing)?;
    Ok((charge, r))
}

pub async fn retrieve(
    state: web::Data<AppState>,
    who: Authed,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (charge, r) = owned_refund(&state, &who, &req, &path.0, &path.1).await?;
    Ok(HttpResponse::Ok().json(render::refund(&r, &charge.order_no)))
}

pub async fn list(
    state: web::Data<AppState>,
    who: Authed,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let charge = owned_charge(&state, &who, &path, &req, b"").await?;
    let q = ListQuery::parse(req.query_string())?;
    let st = state.clone();
    let cid = charge.id.clone();
    let page = q
        .page(|id| {
            let st = st.clone();
            let cid = cid.clone();
            async move { Ok(st.store.get_refund(&id).await?.filter(|r| r.charge_id == cid).map(|r| r.seq)) }
        })
        .await?;
    let rows = state.store.list_refunds(&charge.id, page).await?;
    let data = rows.rows.iter().map(|r| render::refund(r, &charge.order_no)).collect();
    Ok(HttpResponse::Ok().json(render::list(&format!("/v1/charges/{}/refunds", charge.id), rows.has_more, data)))
}
