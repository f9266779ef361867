//! The gateway endpoints: request checks, and each transaction type.

use super::{
    digits, page, Back, Fields, State, Trade, UnionpaySandbox, SILENT_REFUND_AMOUNT, TXN_TIME_WINDOW_SECS,
    UNKNOWN_REFUND_AMOUNT,
};
use actix_web::{web, HttpResponse};
use unicharge_crypto::{
    certificate_der, certificate_serial_decimal, gmt8, unionpay_request_content, unionpay_verify, RsaPublicKey,
};

/// Mounts the sandbox under `/sandbox/unionpay`: `POST /gateway/api/
/// {frontTransReq,appTransReq,backTransReq,queryTrans}.do`, and the cashier
/// `GET /cashier/{tn}`, `POST /cashier/{tn}/pay|cancel`.
pub fn configure(cfg: &mut web::ServiceConfig, sandbox: web::Data<UnionpaySandbox>) {
    cfg.service(
        web::scope("/sandbox/unionpay")
            .app_data(sandbox)
            .route("/gateway/api/frontTransReq.do", web::post().to(front))
            .route("/gateway/api/appTransReq.do", web::post().to(app))
            .route("/gateway/api/backTransReq.do", web::post().to(back))
            .route("/gateway/api/queryTrans.do", web::post().to(query))
            .route("/cashier/{tn}", web::get().to(page::view))
            .route("/cashier/{tn}/pay", web::post().to(page::pay))
            .route("/cashier/{tn}/cancel", web::post().to(page::cancel)),
    );
}

/// A refusal: (respCode, respMsg).
type Refusal = (&'static str, String);

fn text(body: String) -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain;charset=UTF-8").body(body)
}

/// The answer echoing the request's identifying fields.
fn answer(sb: &UnionpaySandbox, req: &Fields, code: &str, msg: &str, extra: &[(&str, String)]) -> HttpResponse {
    let mut f = Fields::new();
    for k in [
        "version",
        "encoding",
        "signMethod",
        "txnType",
        "txnSubType",
        "bizType",
        "accessType",
        "merId",
        "orderId",
        "txnTime",
        "txnAmt",
        "origQryId",
        "reqReserved",
    ] {
        if let Some(v) = req.get(k) {
            f.insert(k.to_owned(), v.clone());
        }
    }
    f.insert("respCode".into(), code.into());
    f.insert("respMsg".into(), msg.into());
    for (k, v) in extra {
        f.insert((*k).to_owned(), v.clone());
    }
    text(sb.answer_text(f))
}

fn refuse(sb: &UnionpaySandbox, req: &Fields, (code, msg): Refusal) -> HttpResponse {
    answer(sb, req, code, &msg, &[])
}

fn need<'a>(f: &'a Fields, k: &str) -> Result<&'a str, Refusal> {
    f.get(k).map(String::as_str).filter(|v| !v.is_empty()).ok_or(("30", format!("报文格式错误: {k}")))
}

fn amount(f: &Fields) -> Result<i64, Refusal> {
    let v = need(f, "txnAmt")?;
    if v.len() > 12 || !v.bytes().all(|b| b.is_ascii_digit()) {
        return Err(("30", "报文格式错误: txnAmt".into()));
    }
    v.parse::<i64>().ok().filter(|a| *a > 0).ok_or(("30", "报文格式错误: txnAmt".into()))
}

/// Parses and verifies a merchant request: form fields, merchant known,
/// certId its certificate's serial, signature over the sent fields.
async fn verified(sb: &UnionpaySandbox, body: &[u8]) -> Result<Fields, (Fields, Refusal)> {
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_bytes(body).map_err(|_| (Fields::new(), ("30", "报文格式错误".to_owned())))?;
    let f: Fields = pairs.into_iter().collect();
    let check = async {
        if need(&f, "version")? != "5.1.0" || need(&f, "signMethod")? != "01" {
            return Err(("30", "报文格式错误: version/signMethod".to_owned()));
        }
        let mer_id = need(&f, "merId")?;
        let cert = sb.merchant_certificate(mer_id).await.ok_or(("31", "商户状态不正确".to_owned()))?;
        let serial = certificate_der(&cert).ok().and_then(|d| certificate_serial_decimal(&d).ok());
        if serial.as_deref() != Some(need(&f, "certId")?) {
            return Err(("11", "验证签名失败: certId".to_owned()));
        }
        let key = RsaPublicKey::from_certificate_pem(&cert).map_err(|_| ("11", "验证签名失败".to_owned()))?;
        let content = unionpay_request_content(f.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        if !unionpay_verify(&key, &content, need(&f, "signature")?) {
            return Err(("11", "验证签名失败".to_owned()));
        }
        Ok(())
    };
    match check.await {
        Ok(()) => Ok(f),
        Err(r) => Err((f, r)),
    }
}

/// A consumption's send time against the clock (see the module docs): never
/// ahead by more than the window; behind by more only for a web order whose
/// `payTimeout` has not passed.
fn check_txn_time(f: &Fields, front: bool, now: i64) -> Result<(), Refusal> {
    let bad = |what: &str| ("30", format!("报文格式错误: {what}"));
    let sent = gmt8::parse_compact(need(f, "txnTime")?).ok_or_else(|| bad("txnTime"))?;
    if sent > now + TXN_TIME_WINDOW_SECS {
        return Err(bad("txnTime is ahead of the gateway's clock"));
    }
    let open_until = match f.get("payTimeout") {
        Some(t) if front => Some(gmt8::parse_compact(t).ok_or_else(|| bad("payTimeout"))?),
        Some(_) | None => None,
    };
    match open_until {
        Some(until) if now > until => Err(bad("payTimeout has passed")),
        Some(_) => Ok(()),
        None if sent < now - TXN_TIME_WINDOW_SECS => Err(bad("txnTime is too far behind the gateway's clock")),
        None => Ok(()),
    }
}

/// Records (or finds, if repeated with the same terms) a consumption.
fn open_trade(sb: &UnionpaySandbox, f: &Fields, front: bool) -> Result<Trade, Refusal> {
    if need(f, "txnType")? != "01" || need(f, "txnSubType")? != "01" || need(f, "bizType")? != "000201" {
        return Err(("30", "报文格式错误: txnType/txnSubType/bizType".into()));
    }
    if need(f, "currencyCode")? != "156" || need(f, "accessType")? != "0" {
        return Err(("30", "报文格式错误: currencyCode/accessType".into()));
    }
    let order_id = need(f, "orderId")?;
    if !(8..=40).contains(&order_id.len()) || !order_id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(("30", "报文格式错误: orderId".into()));
    }
    let key = (need(f, "merId")?.to_owned(), order_id.to_owned());
    let t = Trade {
        mer_id: key.0.clone(),
        order_id: key.1.clone(),
        txn_time: need(f, "txnTime")?.to_owned(),
        amount: amount(f)?,
        back_url: need(f, "backUrl")?.to_owned(),
        front_url: if front { Some(need(f, "frontUrl")?.to_owned()) } else { None },
        req_reserved: f.get("reqReserved").cloned(),
        tn: digits(21),
        state: State::Unpaid,
        refunded: 0,
        revoked: false,
    };
    if let Some(old) = sb.trades.get(&key) {
        if old.amount == t.amount && old.txn_time == t.txn_time {
            return Ok(old.clone());
        }
        return Err(("12", "重复交易".into()));
    }
    check_txn_time(f, front, gmt8::now())?;
    sb.by_tn.insert(t.tn.clone(), key.clone());
    sb.trades.insert(key, t.clone());
    Ok(t)
}

async fn front(sb: web::Data<UnionpaySandbox>, body: web::Bytes) -> HttpResponse {
    let f = match verified(&sb, &body).await {
        Ok(f) => f,
        Err((_, (code, msg))) => return page::error(code, &msg),
    };
    match open_trade(&sb, &f, true) {
        Ok(t) => page::cashier_page(&t),
        Err((code, msg)) => page::error(code, &msg),
    }
}

async fn app(sb: web::Data<UnionpaySandbox>, body: web::Bytes) -> HttpResponse {
    let f = match verified(&sb, &body).await {
        Ok(f) => f,
        Err((f, r)) => return refuse(&sb, &f, r),
    };
    match open_trade(&sb, &f, false) {
        Ok(t) => answer(&sb, &f, "00", "成功[0000000]", &[("tn", t.tn)]),
        Err(r) => refuse(&sb, &f, r),
    }
}

async fn query(sb: web::Data<UnionpaySandbox>, body: web::Bytes) -> HttpResponse {
    let f = match verified(&sb, &body).await {
        Ok(f) => f,
        Err((f, r)) => return refuse(&sb, &f, r),
    };
    let run = || -> Result<HttpResponse, Refusal> {
        if need(&f, "txnType")? != "00" {
            return Err(("30", "报文格式错误: txnType".into()));
        }
        let key = (need(&f, "merId")?.to_owned(), need(&f, "orderId")?.to_owned());
        let txn_time = need(&f, "txnTime")?;
        if let Some(t) = sb.trades.get(&key).filter(|t| t.txn_time == txn_time) {
            let (orig, msg, qid) = match &t.state {
                State::Paid { query_id, .. } => ("00", "成功[0000000]", Some(query_id.clone())),
                State::Unpaid => ("05", "交易处理中", None),
                State::Cancelled => ("01", "交易失败", None),
            };
            let mut extra = vec![
                ("origRespCode", orig.to_owned()),
                ("origRespMsg", msg.to_owned()),
                ("txnAmt", t.amount.to_string()),
            ];
            extra.push(("txnType", "01".to_owned()));
            extra.push(("txnSubType", "01".to_owned()));
            if let Some(q) = qid {
                extra.push(("queryId", q));
            }
            return Ok(answer(&sb, &f, "00", "成功[0000000]", &extra));
        }
        if let Some(b) = sb.backs.get(&key).filter(|b| b.txn_time == txn_time) {
            let extra = [
                ("origRespCode", "00".to_owned()),
                ("origRespMsg", "成功[0000000]".to_owned()),
                ("txnType", b.txn_type.clone()),
                ("txnAmt", b.amount.to_string()),
                ("queryId", b.query_id.clone()),
                ("origQryId", b.orig_qry_id.clone()),
            ];
            return Ok(answer(&sb, &f, "00", "成功[0000000]", &extra));
        }
        Err(("34", "查无此交易".into()))
    };
    run().unwrap_or_else(|r| refuse(&sb, &f, r))
}

async fn back(sb: web::Data<UnionpaySandbox>, body: web::Bytes) -> HttpResponse {
    let f = match verified(&sb, &body).await {
        Ok(f) => f,
        Err((f, r)) => return refuse(&sb, &f, r),
    };
    let txn_type = f.get("txnType").cloned().unwrap_or_default();
    let done = match apply_back(&sb, &f, &txn_type) {
        Ok(b) => b,
        Err(r) => return refuse(&sb, &f, r),
    };
    let (code, msg) =
        if done.amount == UNKNOWN_REFUND_AMOUNT { ("05", "交易处理中") } else { ("00", "成功[0000000]") };
    let resp = answer(&sb, &f, code, msg, &[("queryId", done.query_id.clone())]);
    // The result follows the answer at backUrl.
    let mut n = f.clone();
    for k in ["certId", "signature", "backUrl", "channelType"] {
        n.remove(k);
    }
    n.insert("respCode".into(), "00".into());
    n.insert("respMsg".into(), "成功[0000000]".into());
    n.insert("queryId".into(), done.query_id);
    n.insert("traceNo".into(), digits(6));
    n.insert("traceTime".into(), gmt8::compact(gmt8::now())[4..].to_owned());
    let lost = done.amount == SILENT_REFUND_AMOUNT;
    if let Some(url) = f.get("backUrl").cloned().filter(|_| !lost) {
        let sb = sb.clone();
        tokio::spawn(async move { sb.notify(&url, n).await });
    }
    resp
}

/// Applies a refund (04) or revoke (31); a repeated orderId is refused as a
/// duplicate (`12`).
fn apply_back(sb: &UnionpaySandbox, f: &Fields, txn_type: &str) -> Result<Back, Refusal> {
    if txn_type != "04" && txn_type != "31" {
        return Err(("30", "报文格式错误: txnType".into()));
    }
    need(f, "backUrl")?;
    let mer_id = need(f, "merId")?.to_owned();
    let order_id = need(f, "orderId")?.to_owned();
    let orig = need(f, "origQryId")?.to_owned();
    let amt = amount(f)?;
    let key = (mer_id.clone(), order_id);
    let tkey = sb.by_query_id.get(&orig).map(|k| k.clone()).ok_or(("34", "查无此交易: origQryId".to_owned()))?;
    // Holding the original trade serializes its refunds and revokes.
    let mut t = sb.trades.get_mut(&tkey).ok_or(("34", "查无此交易".to_owned()))?;
    if sb.backs.contains_key(&key) {
        return Err(("12", "重复交易".into()));
    }
    if t.mer_id != mer_id {
        return Err(("34", "查无此交易".into()));
    }
    let paid_at = match &t.state {
        State::Paid { paid_at, .. } => *paid_at,
        State::Unpaid | State::Cancelled => return Err(("01", "原交易状态不正确".into())),
    };
    if txn_type == "31" && (amt != t.amount || t.refunded != 0 || gmt8::date(paid_at) != gmt8::date(gmt8::now())) {
        return Err(("01", "只能当日全额撤销".into()));
    }
    if t.refunded + amt > t.amount {
        return Err(("01", "退货金额超限".into()));
    }
    t.refunded += amt;
    t.revoked |= txn_type == "31";
    let b = Back {
        txn_type: txn_type.to_owned(),
        orig_qry_id: orig,
        txn_time: need(f, "txnTime")?.to_owned(),
        amount: amt,
        query_id: digits(21),
    };
    sb.backs.insert(key, b.clone());
    Ok(b)
}
