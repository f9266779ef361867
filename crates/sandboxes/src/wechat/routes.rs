use super::trades::TradeType;
use super::v2_methods::{dispatch, Method};
use super::{cashier, v3, WechatSandbox};
use actix_web::{web, HttpRequest, HttpResponse};

/// Mounts the sandbox under `/sandbox/wechat`:
/// - APIv3: `POST /v3/pay/transactions/{native|jsapi|app|h5}`,
///   `GET /v3/pay/transactions/out-trade-no/{no}?mchid=`,
///   `GET /v3/pay/transactions/id/{transaction_id}?mchid=`,
///   `POST /v3/pay/transactions/out-trade-no/{no}/close`,
///   `POST /v3/refund/domestic/refunds`,
///   `GET /v3/refund/domestic/refunds/{out_refund_no}`, `GET /v3/certificates`;
/// - APIv2: `POST /pay/unifiedorder`, `/pay/orderquery`, `/pay/closeorder`,
///   `/pay/micropay`, `/secapi/pay/reverse`, `/secapi/pay/refund`,
///   `/pay/refundquery`;
/// - buyer: `GET /scan?code_url=…`, `GET /checkmweb?prepay_id=…`,
///   `GET /cashier?mchid=…&out_trade_no=…`, `GET /cashier/{id}`,
///   `POST /cashier/{id}/pay|cancel`.
pub fn configure(cfg: &mut web::ServiceConfig, sandbox: web::Data<WechatSandbox>) {
    let v2 = |m: Method| {
        web::post()
            .to(move |sb: web::Data<WechatSandbox>, req: HttpRequest, body: web::Bytes| dispatch(sb, req, body, m))
    };
    let prepay = |k: TradeType| {
        web::post()
            .to(move |sb: web::Data<WechatSandbox>, req: HttpRequest, body: web::Bytes| v3::prepay(sb, req, body, k))
    };
    cfg.service(
        web::scope("/sandbox/wechat")
            .app_data(sandbox)
            .route("/v3/pay/transactions/native", prepay(TradeType::Native))
            .route("/v3/pay/transactions/jsapi", prepay(TradeType::Jsapi))
            .route("/v3/pay/transactions/app", prepay(TradeType::App))
            .route("/v3/pay/transactions/h5", prepay(TradeType::Mweb))
            .route("/v3/pay/transactions/out-trade-no/{no}", web::get().to(v3::query))
            .route("/v3/pay/transactions/id/{id}", web::get().to(v3::query_by_id))
            .route("/v3/pay/transactions/out-trade-no/{no}/close", web::post().to(v3::close))
            .route("/v3/refund/domestic/refunds", web::post().to(v3::refund))
            .route("/v3/refund/domestic/refunds/{no}", web::get().to(v3::refund_query))
            .route("/v3/certificates", web::get().to(v3::certificates))
            .route("/pay/unifiedorder", v2(Method::UnifiedOrder))
            .route("/pay/orderquery", v2(Method::OrderQuery))
            .route("/pay/closeorder", v2(Method::CloseOrder))
            .route("/pay/micropay", v2(Method::Micropay))
            .route("/secapi/pay/reverse", v2(Method::Reverse))
            .route("/secapi/pay/refund", v2(Method::Refund))
            .route("/pay/refundquery", v2(Method::RefundQuery))
            .route("/scan", web::get().to(cashier::scan))
            .route("/checkmweb", web::get().to(cashier::checkmweb))
            .route("/cashier", web::get().to(cashier::find))
            .route("/cashier/{id}", web::get().to(cashier::view))
            .route("/cashier/{id}/pay", web::post().to(cashier::pay))
            .route("/cashier/{id}/cancel", web::post().to(cashier::cancel))
            .default_service(web::to(not_found)),
    );
}

async fn not_found() -> HttpResponse {
    HttpResponse::NotFound().json(serde_json::json!({"code": "RESOURCE_NOT_EXISTS", "message": "请求的资源不存在"}))
}

pub fn origin(sb: &WechatSandbox, req: &HttpRequest) -> String {
    match &sb.public_base {
        Some(b) => b.clone(),
        None => {
            let ci = req.connection_info();
            format!("{}://{}", ci.scheme(), ci.host())
        }
    }
}
