use super::trades::{Trade, TradeStatus};
use super::{now, page, Fields, SandboxProvider};
use actix_web::{http::header, web, HttpRequest, HttpResponse};

/// Mounts the provider under `/sandbox`.
pub fn configure(cfg: &mut web::ServiceConfig, provider: web::Data<SandboxProvider>) {
    cfg.service(
        web::scope("/sandbox")
            .app_data(provider)
            .route("/pay", web::get().to(pay_page))
            .route("/pay", web::post().to(pay_submit))
            .route("/api/{op}", web::post().to(api)),
    );
}

/// Checks the signed order in the pay URL and registers the trade.
fn open_trade(p: &SandboxProvider, q: &Fields) -> Result<(String, String, Trade), String> {
    p.verify(q).map_err(|e| format!("INVALID_SIGNATURE: {e}"))?;
    let get = |k: &str| q.get(k).filter(|s| !s.is_empty()).cloned().ok_or(format!("MISSING_PARAM: {k}"));
    let mch_id = get("mch_id")?;
    let out_trade_no = get("out_trade_no")?;
    let amount: i64 = get("amount")?.parse().map_err(|_| "INVALID_PARAM: amount".to_owned())?;
    let time_expire: i64 = get("time_expire")?.parse().map_err(|_| "INVALID_PARAM: time_expire".to_owned())?;
    let trade = Trade {
        trade_no: format!("{}{}", now(), super::random_digits(10)),
        amount,
        currency: get("currency")?,
        subject: get("subject")?,
        notify_url: get("notify_url")?,
        return_url: q.get("return_url").cloned(),
        time_expire,
        status: TradeStatus::NotPaid,
        paid_at: None,
        refunds: Vec::new(),
    };
    let t = p.trades.open(&mch_id, &out_trade_no, trade).map_err(str::to_owned)?;
    Ok((mch_id, out_trade_no, t))
}

fn query_fields(req: &HttpRequest) -> Fields {
    serde_urlencoded::from_str(req.query_string()).unwrap_or_default()
}

fn wants_json(req: &HttpRequest) -> bool {
    req.headers().get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains("application/json"))
}

async fn pay_page(p: web::Data<SandboxProvider>, req: HttpRequest) -> HttpResponse {
    match open_trade(&p, &query_fields(&req)) {
        Ok((mch_id, out_trade_no, t)) => page::html(200, page::checkout(&mch_id, &out_trade_no, &t)),
        Err(e) => page::html(400, page::error(&e)),
    }
}

async fn pay_submit(p: web::Data<SandboxProvider>, req: HttpRequest, form: web::Form<Fields>) -> HttpResponse {
    let (mch_id, out_trade_no, trade) = match open_trade(&p, &query_fields(&req)) {
        Ok(v) => v,
        Err(e) => return respond(&req, 400, serde_json::json!({"error": e}), page::error(&e)),
    };
    let target = match form.get("result").map(String::as_str) {
        Some("paid") => TradeStatus::Paid,
        Some("failed") => TradeStatus::Failed,
        _ => {
            let e = "INVALID_PARAM: result must be paid or failed";
            return respond(&req, 400, serde_json::json!({"error": e}), page::error(e));
        }
    };
    if trade.status == TradeStatus::NotPaid && now() > trade.time_expire {
        let e = "TRADE_EXPIRED: the order has expired";
        return respond(&req, 409, serde_json::json!({"error": e}), page::error(e));
    }
    let Some((t, _moved)) = p.trades.settle(&mch_id, &out_trade_no, target, now()) else {
        let e = "TRADE_NOT_EXIST";
        return respond(&req, 404, serde_json::json!({"error": e}), page::error(e));
    };
    if t.status != target {
        let e = format!("TRADE_STATUS_ERROR: the trade is already {}", t.status.wire());
        return respond(&req, 409, serde_json::json!({"error": e}), page::error(&e));
    }
    // A repeated submit re-sends the notification, as providers re-send
    // until acknowledged: receivers must treat it as a duplicate.
    let body = trade_notification(&p, &mch_id, &out_trade_no, &t);
    let notified = p.notifier.deliver(t.notify_url.clone(), body).await;
    let status = match target {
        TradeStatus::Paid => "paid",
        TradeStatus::Failed | TradeStatus::NotPaid | TradeStatus::Closed => "failed",
    };
    respond(
        &req,
        200,
        serde_json::json!({"status": status, "trade_no": t.trade_no, "notified": notified}),
        page::done(status, notified, t.return_url.as_deref()),
    )
}

fn trade_notification(p: &SandboxProvider, mch_id: &str, out_trade_no: &str, t: &Trade) -> String {
    let key = p.merchant_key(mch_id);
    let mut f = Fields::new();
    f.insert("notify_type".into(), "trade".into());
    f.insert("notify_id".into(), format!("N{}{}", now(), super::random_digits(12)));
    f.insert("notify_time".into(), now().to_string());
    f.insert("mch_id".into(), mch_id.to_owned());
    f.insert("out_trade_no".into(), out_trade_no.to_owned());
    f.insert("trade_no".into(), t.trade_no.clone());
    f.insert("amount".into(), t.amount.to_string());
    f.insert("currency".into(), t.currency.clone());
    f.insert("trade_status".into(), t.status.wire().into());
    if let Some(at) = t.paid_at {
        f.insert("paid_at".into(), at.to_string());
    }
    if t.status == TradeStatus::Failed {
        f.insert("fail_code".into(), "BUYER_DECLINED".into());
        f.insert("fail_msg".into(), "the buyer chose Fail on the sandbox pay page".into());
    }
    let s = p.sign(&f, &key);
    f.insert("sign".into(), s);
    serde_urlencoded::to_string(&f).unwrap_or_default()
}

fn respond(req: &HttpRequest, status: u16, json: serde_json::Value, html: String) -> HttpResponse {
    if wants_json(req) {
        let code = actix_web::http::StatusCode::from_u16(status).unwrap_or(actix_web::http::StatusCode::OK);
        HttpResponse::build(code).json(json)
    } else {
        page::html(status, html)
    }
}

/// The provider's server-to-server API: query, close, refund, refund_query.
async fn api(p: web::Data<SandboxProvider>, op: web::Path<String>, form: web::Form<Fields>) -> HttpResponse {
    let req = form.into_inner();
    let key = match p.verify(&req) {
        Ok(k) => k,
        Err(e) => {
            tracing::warn!(reason = e, "sandbox provider refused a request signature");
            // Signed with the key the claimed merchant would hold, so a
            // caller with the right key can still read the refusal.
            let key = req.get("mch_id").map(|m| p.merchant_key(m)).unwrap_or_default();
            return answer(&p, &key, error_fields("INVALID_SIGNATURE", e));
        }
    };
    let mch_id = req.get("mch_id").cloned().unwrap_or_default();
    let out_trade_no = req.get("out_trade_no").cloned().unwrap_or_default();
    let fields = match op.as_str() {
        "query" => match p.trades.get(&mch_id, &out_trade_no) {
            Some(t) => trade_fields(&t),
            None => error_fields("TRADE_NOT_EXIST", "no such trade"),
        },
        "close" => match p.trades.close(&mch_id, &out_trade_no) {
            TradeStatus::Closed => {
                let mut f = Fields::new();
                f.insert("code".into(), "SUCCESS".into());
                f.insert("trade_status".into(), "CLOSED".into());
                f
            }
            TradeStatus::NotPaid | TradeStatus::Paid | TradeStatus::Failed => {
                error_fields("TRADE_STATUS_ERROR", "only an unpaid trade can be closed")
            }
        },
        "refund" => {
            let out_refund_no = req.get("out_refund_no").cloned().unwrap_or_default();
            let amount: i64 = req.get("refund_amount").and_then(|a| a.parse().ok()).unwrap_or(0);
            if out_refund_no.is_empty() {
                error_fields("MISSING_PARAM", "out_refund_no")
            } else {
                match p.trades.refund(&mch_id, &out_trade_no, &out_refund_no, amount, now()) {
                    Ok(r) => refund_fields(&out_refund_no, r),
                    Err(code) => error_fields(code, "refund refused"),
                }
            }
        }
        "refund_query" => {
            let out_refund_no = req.get("out_refund_no").cloned().unwrap_or_default();
            match p.trades.find_refund(&mch_id, &out_trade_no, &out_refund_no) {
                Some(r) => refund_fields(&out_refund_no, r),
                None => error_fields("REFUND_NOT_EXIST", "no such refund"),
            }
        }
        _ => error_fields("INVALID_METHOD", "unknown API"),
    };
    answer(&p, &key, fields)
}

fn trade_fields(t: &Trade) -> Fields {
    let mut f = Fields::new();
    f.insert("code".into(), "SUCCESS".into());
    f.insert("trade_status".into(), t.status.wire().into());
    f.insert("trade_no".into(), t.trade_no.clone());
    f.insert("amount".into(), t.amount.to_string());
    if let Some(at) = t.paid_at {
        f.insert("paid_at".into(), at.to_string());
    }
    f
}

fn refund_fields(out_refund_no: &str, (amount, refund_no, at): (i64, String, i64)) -> Fields {
    let mut f = Fields::new();
    f.insert("code".into(), "SUCCESS".into());
    f.insert("refund_status".into(), "SUCCESS".into());
    f.insert("out_refund_no".into(), out_refund_no.to_owned());
    f.insert("refund_amount".into(), amount.to_string());
    f.insert("refund_no".into(), refund_no);
    f.insert("refunded_at".into(), at.to_string());
    f
}

fn error_fields(code: &str, message: &str) -> Fields {
    let mut f = Fields::new();
    f.insert("code".into(), code.to_owned());
    f.insert("message".into(), message.to_owned());
    f
}

fn answer(p: &SandboxProvider, key: &str, mut f: Fields) -> HttpResponse {
    f.insert("nonce_str".into(), super::random_digits(16));
    let s = p.sign(&f, key);
    f.insert("sign".into(), s);
    HttpResponse::Ok().json(f)
}
