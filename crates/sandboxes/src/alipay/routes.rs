use super::gateway::{answer_refusal, authenticate, json, merge_params, signed_body, Method, Refusal};
use super::{cashier, clock, methods, refunds, AlipaySandbox};
use actix_web::{web, HttpRequest, HttpResponse};

/// Mounts the sandbox under `/sandbox/alipay`:
/// - `GET|POST /gateway.do`: the OpenAPI gateway; wap/page orders render
///   the cashier;
/// - `POST /app_pay` (form `order_info`): the Alipay app opening an order;
/// - `GET /qr/{id}`: scanning a precreated QR code;
/// - `GET /cashier/{trade_no}`, `POST /cashier/{trade_no}/pay|cancel`.
pub fn configure(cfg: &mut web::ServiceConfig, sandbox: web::Data<AlipaySandbox>) {
    cfg.service(
        web::scope("/sandbox/alipay")
            .app_data(sandbox)
            .route("/gateway.do", web::get().to(gateway))
            .route("/gateway.do", web::post().to(gateway))
            .route("/app_pay", web::post().to(cashier::app_pay))
            .route("/qr/{id}", web::get().to(cashier::scan))
            .route("/cashier/{trade_no}", web::get().to(cashier::view))
            .route("/cashier/{trade_no}/pay", web::post().to(cashier::pay))
            .route("/cashier/{trade_no}/cancel", web::post().to(cashier::cancel)),
    );
}

fn origin(sb: &AlipaySandbox, req: &HttpRequest) -> String {
    match &sb.public_base {
        Some(b) => b.clone(),
        None => {
            let ci = req.connection_info();
            format!("{}://{}", ci.scheme(), ci.host())
        }
    }
}

async fn gateway(sb: web::Data<AlipaySandbox>, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    let params = match merge_params(req.query_string(), &body) {
        Ok(p) => p,
        Err(r) => return answer_refusal(&sb, None, &r),
    };
    let to_cashier = params.get("method").and_then(|m| Method::parse(m)).is_some_and(Method::is_cashier);
    let call = match authenticate(&sb, params, !to_cashier).await {
        Ok(c) => c,
        Err((_, r)) if to_cashier => return cashier::refused(&req, &r),
        Err((m, r)) => return answer_refusal(&sb, m, &r),
    };
    let now = clock::now();
    let result = match call.method {
        Method::AppPay | Method::WapPay | Method::PagePay => return cashier::open_order(&sb, &req, call),
        Method::Precreate => methods::precreate(&sb, &call, &origin(&sb, &req), now),
        Method::Create => methods::create(&sb, &call, now),
        Method::Pay => methods::pay(&sb, &call, now),
        Method::Query => methods::query(&sb, &call),
        Method::Close => methods::close(&sb, &call, now),
        Method::Cancel => methods::cancel(&sb, &call, now),
        Method::Refund => refunds::refund(&sb, &call, now),
        Method::RefundQuery => refunds::refund_query(&sb, &call),
    };
    match result {
        Ok(reply) => json(signed_body(&sb, Some(call.method), &reply.into_object(), true)),
        Err(e) => answer_refusal(&sb, Some(call.method), &Refusal::business(&e)),
    }
}
