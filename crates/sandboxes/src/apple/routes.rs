//! HTTP: Apple's endpoints, then the test-only control endpoints.

use super::signing::ChainKind;
use super::{now_ms, AppleSandbox, StoredTransaction};
use actix_web::{web, HttpRequest, HttpResponse};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde::Deserialize;
use serde_json::{json, Map, Value};
use std::time::Duration;
use unicharge_crypto::{p256_spki_der, CompactJws};

pub fn configure(cfg: &mut web::ServiceConfig, sandbox: web::Data<AppleSandbox>) {
    cfg.service(
        web::scope("/sandbox/apple")
            .app_data(sandbox)
            .route("/inApps/v1/transactions/{id}", web::get().to(lookup))
            .route("/verifyReceipt", web::post().to(verify_receipt_production))
            .route("/sandbox/verifyReceipt", web::post().to(verify_receipt_sandbox))
            .route("/control/purchase", web::post().to(purchase))
            .route("/control/notify", web::post().to(notify))
            .route("/control/root.pem", web::get().to(root_pem)),
    );
}

fn api_error(status: u16, code: i64, message: &str) -> HttpResponse {
    HttpResponse::build(
        actix_web::http::StatusCode::from_u16(status).unwrap_or(actix_web::http::StatusCode::BAD_REQUEST),
    )
    .json(json!({ "errorCode": code, "errorMessage": message }))
}

#[derive(Deserialize)]
struct BearerHeader {
    alg: String,
    kid: Option<String>,
}

#[derive(Deserialize)]
struct BearerClaims {
    iss: Option<String>,
    iat: Option<i64>,
    exp: Option<i64>,
    aud: Option<String>,
    bid: Option<String>,
}

/// Checks an App Store Server API bearer token as Apple does: ES256 with
/// the registered key named by `kid`, its issuer, `aud`, an unexpired `exp`
/// at most an hour out (`iat` optional: Apple's Python library omits it).
/// Returns the token's `bid`.
async fn check_bearer(sb: &AppleSandbox, req: &HttpRequest) -> Result<String, String> {
    let token = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or("no bearer token")?;
    let jws = CompactJws::parse(token).map_err(|e| e.to_string())?;
    let header: BearerHeader = serde_json::from_slice(&jws.header).map_err(|e| e.to_string())?;
    if header.alg != "ES256" {
        return Err("alg is not ES256".into());
    }
    let kid = header.kid.ok_or("no kid")?;
    let key = sb.keys.key(&kid).await.ok_or("unknown kid")?;
    let spki = pem::parse(key.public_key_pem.trim()).map_err(|e| e.to_string())?;
    let point = spki.contents().get(26..).ok_or("short key")?;
    if p256_spki_der(point) != spki.contents() {
        return Err("registered key is not P-256".into());
    }
    jws.verify_es256(point).map_err(|e| e.to_string())?;
    let c: BearerClaims = serde_json::from_slice(&jws.payload).map_err(|e| e.to_string())?;
    let now = now_ms() / 1000;
    let exp = c.exp.ok_or("no exp")?;
    if exp <= now || exp - c.iat.unwrap_or(now) > 3600 || exp - now > 3600 {
        return Err("exp outside the hour Apple allows".into());
    }
    if c.iss.as_deref() != Some(key.issuer_id.as_str()) {
        return Err("iss is not the key's issuer".into());
    }
    if c.aud.as_deref() != Some("appstoreconnect-v1") {
        return Err("aud is not appstoreconnect-v1".into());
    }
    c.bid.filter(|b| !b.is_empty()).ok_or_else(|| "no bid".into())
}

fn signed_transaction(sb: &AppleSandbox, t: &StoredTransaction, kind: ChainKind) -> Result<String, String> {
    let mut payload = t.payload.clone();
    payload.insert("signedDate".into(), json!(now_ms()));
    sb.chain(kind).sign(&Value::Object(payload)).map_err(|e| e.to_string())
}

async fn lookup(sb: web::Data<AppleSandbox>, req: HttpRequest, path: web::Path<String>) -> HttpResponse {
    let bid = match check_bearer(&sb, &req).await {
        Ok(bid) => bid,
        Err(why) => {
            tracing::warn!(reason = %why, "apple sandbox: bearer token refused");
            return HttpResponse::Unauthorized().finish();
        }
    };
    match sb.transaction(&path).filter(|t| t.bundle_id == bid) {
        None => api_error(404, 4040010, "Transaction id not found."),
        Some(t) => match signed_transaction(&sb, &t, ChainKind::Valid) {
            Ok(jws) => HttpResponse::Ok().json(json!({ "signedTransactionInfo": jws })),
            Err(e) => api_error(500, 5000000, &e),
        },
    }
}

#[derive(Deserialize)]
struct ReceiptRequest {
    #[serde(rename = "receipt-data")]
    receipt_data: Option<String>,
}

/// Production `verifyReceipt`: every receipt the sandbox issues is a
/// sandbox receipt, so a known one gets Apple's 21007.
async fn verify_receipt_production(sb: web::Data<AppleSandbox>, body: web::Json<ReceiptRequest>) -> HttpResponse {
    let known = body.receipt_data.as_deref().is_some_and(|r| sb.receipts.contains_key(r));
    HttpResponse::Ok().json(json!({ "status": if known { 21007 } else { 21002 } }))
}

fn in_app(t: &StoredTransaction) -> Value {
    let s = |k: &str| t.payload.get(k).map(|v| v.to_string().trim_matches('"').to_owned()).unwrap_or_default();
    let mut entry = json!({
        "product_id": s("productId"),
        "transaction_id": s("transactionId"),
        "original_transaction_id": s("originalTransactionId"),
        "purchase_date_ms": s("purchaseDate"),
        "quantity": s("quantity"),
    });
    if t.payload.contains_key("revocationDate") {
        entry["cancellation_date_ms"] = json!(s("revocationDate"));
    }
    entry
}

async fn verify_receipt_sandbox(sb: web::Data<AppleSandbox>, body: web::Json<ReceiptRequest>) -> HttpResponse {
    let Some(ids) = body.receipt_data.as_deref().and_then(|r| sb.receipts.get(r).map(|v| v.clone())) else {
        return HttpResponse::Ok().json(json!({ "status": 21002 }));
    };
    let txs: Vec<StoredTransaction> = ids.iter().filter_map(|id| sb.transaction(id)).collect();
    let bundle = txs.first().map(|t| t.bundle_id.clone()).unwrap_or_default();
    let entries: Vec<Value> = txs.iter().map(in_app).collect();
    HttpResponse::Ok().json(json!({
        "status": 0,
        "environment": "Sandbox",
        "receipt": { "bundle_id": bundle, "in_app": entries },
        "latest_receipt_info": [],
    }))
}

#[derive(Deserialize)]
struct PurchaseRequest {
    bundle_id: String,
    product_id: String,
    /// Milliunits; omitted from the transaction when absent.
    price: Option<i64>,
    currency: Option<String>,
    quantity: Option<i64>,
    environment: Option<String>,
    signing: Option<ChainKind>,
}

/// What StoreKit does on a device: records a purchase and returns its
/// signed transaction (`jwsRepresentation`) and an app receipt.
async fn purchase(sb: web::Data<AppleSandbox>, body: web::Json<PurchaseRequest>) -> HttpResponse {
    let b = body.into_inner();
    let id = format!("2000000{:09}", rand::random::<u32>() % 1_000_000_000);
    let now = now_ms();
    let mut p = Map::new();
    p.insert("transactionId".into(), json!(id));
    p.insert("originalTransactionId".into(), json!(id));
    p.insert("bundleId".into(), json!(b.bundle_id));
    p.insert("productId".into(), json!(b.product_id));
    p.insert("purchaseDate".into(), json!(now));
    p.insert("originalPurchaseDate".into(), json!(now));
    p.insert("quantity".into(), json!(b.quantity.unwrap_or(1)));
    p.insert("type".into(), json!("Consumable"));
    p.insert("inAppOwnershipType".into(), json!("PURCHASED"));
    p.insert("environment".into(), json!(b.environment.unwrap_or_else(|| "Sandbox".into())));
    p.insert("transactionReason".into(), json!("PURCHASE"));
    p.insert("storefront".into(), json!("CHN"));
    p.insert("storefrontId".into(), json!("143465"));
    if let Some(price) = b.price {
        p.insert("price".into(), json!(price));
        p.insert("currency".into(), json!(b.currency.unwrap_or_else(|| "CNY".into())));
    }
    let t = StoredTransaction { payload: p, bundle_id: b.bundle_id };
    let signed = match signed_transaction(&sb, &t, b.signing.unwrap_or(ChainKind::Valid)) {
        Ok(s) => s,
        Err(e) => return api_error(500, 5000000, &e),
    };
    sb.transactions.insert(id.clone(), t);
    let receipt = STANDARD.encode(unicharge_crypto::random_bytes(48));
    sb.receipts.insert(receipt.clone(), vec![id.clone()]);
    HttpResponse::Ok().json(json!({
        "transaction_id": id,
        "original_transaction_id": id,
        "signed_transaction": signed,
        "receipt_data": receipt,
    }))
}

#[derive(Deserialize)]
struct NotifyRequest {
    transaction_id: String,
    notification_type: String,
    subtype: Option<String>,
    url: String,
    app_apple_id: Option<i64>,
    signing: Option<ChainKind>,
}

/// Sends an App Store Server Notification V2 about a purchase; `REFUND` and
/// `REVOKE` first mark the purchase revoked, as Apple's lookup then shows.
async fn notify(sb: web::Data<AppleSandbox>, body: web::Json<NotifyRequest>) -> HttpResponse {
    let b = body.into_inner();
    let now = now_ms();
    let Some(mut t) = sb.transaction(&b.transaction_id) else {
        return api_error(404, 4040010, "Transaction id not found.");
    };
    if matches!(b.notification_type.as_str(), "REFUND" | "REVOKE") {
        t.payload.insert("revocationDate".into(), json!(now));
        t.payload.insert("revocationReason".into(), json!(if b.notification_type == "REFUND" { 0 } else { 1 }));
        sb.transactions.insert(b.transaction_id.clone(), t.clone());
    }
    let kind = b.signing.unwrap_or(ChainKind::Valid);
    let signed_tx = match signed_transaction(&sb, &t, kind) {
        Ok(s) => s,
        Err(e) => return api_error(500, 5000000, &e),
    };
    let env = t.payload.get("environment").cloned().unwrap_or(json!("Sandbox"));
    let uuid = uuid_v4();
    let mut data = json!({
        "bundleId": t.bundle_id,
        "bundleVersion": "1.0",
        "environment": env,
        "signedTransactionInfo": signed_tx,
    });
    if let Some(id) = b.app_apple_id {
        data["appAppleId"] = json!(id);
    }
    let mut payload = json!({ "notificationType": b.notification_type, "notificationUUID": uuid, "data": data, "version": "2.0", "signedDate": now });
    if let Some(s) = b.subtype {
        payload["subtype"] = json!(s);
    }
    let signed = match sb.chain(kind).sign(&payload) {
        Ok(s) => s,
        Err(e) => return api_error(500, 5000000, &e.to_string()),
    };
    let body = json!({ "signedPayload": signed });
    // Apple's sandbox environment sends each notification once.
    let status = match sb.http.post(&b.url).json(&body).timeout(Duration::from_secs(15)).send().await {
        Ok(r) => r.status().as_u16(),
        Err(e) => {
            tracing::warn!(error = %e, "apple sandbox: notification not delivered");
            0
        }
    };
    HttpResponse::Ok().json(json!({ "notification_uuid": uuid, "status": status, "body": body }))
}

async fn root_pem() -> HttpResponse {
    HttpResponse::Ok().content_type("application/x-pem-file").body(super::ROOT_PEM)
}

fn uuid_v4() -> String {
    let mut b = unicharge_crypto::random_bytes(16);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    format!("{}-{}-{}-{}-{}", &h[..8], &h[8..12], &h[12..16], &h[16..20], &h[20..])
}
