//! Apple's messages, with Apple's field names: the JWS header, the decoded
//! transaction (`JWSTransactionDecodedPayload`), the decoded notification
//! (`ResponseBodyV2DecodedPayload` and its `data`), the transaction lookup
//! answer (`TransactionInfoResponse`), and legacy `verifyReceipt`.

use crate::ChannelError;
use serde::{Deserialize, Serialize};

/// The protected header of an Apple JWS.
#[derive(Debug, Deserialize)]
pub struct JwsHeader {
    pub alg: String,
    #[serde(default)]
    pub x5c: Option<Vec<String>>,
}

/// `JWSTransactionDecodedPayload`, the fields Unicharge uses.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct TransactionPayload {
    pub transaction_id: Option<String>,
    pub original_transaction_id: Option<String>,
    pub bundle_id: Option<String>,
    pub product_id: Option<String>,
    pub purchase_date: Option<i64>,
    pub quantity: Option<i64>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub signed_date: Option<i64>,
    pub environment: Option<String>,
    /// Milliunits of `currency` (1 yuan = 1000).
    pub price: Option<i64>,
    pub currency: Option<String>,
    pub revocation_date: Option<i64>,
    pub revocation_reason: Option<i64>,
}

/// A transaction with every field the channel relies on present.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transaction {
    pub transaction_id: String,
    pub original_transaction_id: String,
    pub bundle_id: String,
    pub product_id: String,
    pub purchase_date_ms: i64,
    pub quantity: i64,
    pub environment: String,
    pub price_milli: Option<i64>,
    pub currency: Option<String>,
    pub revoked_at_ms: Option<i64>,
}

impl TryFrom<TransactionPayload> for Transaction {
    type Error = ChannelError;
    fn try_from(p: TransactionPayload) -> Result<Self, ChannelError> {
        let need = |v: Option<String>, name: &str| {
            v.filter(|s| !s.is_empty()).ok_or_else(|| ChannelError::Malformed(format!("transaction lacks {name}")))
        };
        let transaction_id = need(p.transaction_id, "transactionId")?;
        Ok(Self {
            original_transaction_id: p.original_transaction_id.unwrap_or_else(|| transaction_id.clone()),
            transaction_id,
            bundle_id: need(p.bundle_id, "bundleId")?,
            product_id: need(p.product_id, "productId")?,
            purchase_date_ms: p
                .purchase_date
                .ok_or_else(|| ChannelError::Malformed("transaction lacks purchaseDate".into()))?,
            quantity: p.quantity.unwrap_or(1),
            environment: need(p.environment, "environment")?,
            price_milli: p.price,
            currency: p.currency,
            revoked_at_ms: p.revocation_date,
        })
    }
}

/// `ResponseBodyV2DecodedPayload`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NotificationPayload {
    pub notification_type: String,
    pub subtype: Option<String>,
    #[serde(rename = "notificationUUID")]
    pub notification_uuid: Option<String>,
    pub data: Option<NotificationData>,
    pub version: Option<String>,
    pub signed_date: Option<i64>,
}

/// The `data` object of a notification.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NotificationData {
    pub app_apple_id: Option<i64>,
    pub bundle_id: Option<String>,
    pub environment: Option<String>,
    pub signed_transaction_info: Option<String>,
}

/// The body Apple POSTs: `{"signedPayload": JWS}`.
#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NotificationBody {
    pub signed_payload: String,
}

/// `GET /inApps/v1/transactions/{transactionId}` answer.
#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TransactionInfoResponse {
    pub signed_transaction_info: String,
}

/// The App Store Server API's error body.
#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiErrorBody {
    pub error_code: Option<i64>,
    pub error_message: Option<String>,
}

/// Legacy `verifyReceipt` request.
#[derive(Debug, Serialize, Deserialize)]
pub struct VerifyReceiptRequest {
    #[serde(rename = "receipt-data")]
    pub receipt_data: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub password: Option<String>,
    #[serde(rename = "exclude-old-transactions", default)]
    pub exclude_old_transactions: bool,
}

/// Legacy `verifyReceipt` answer (the fields Unicharge uses).
#[derive(Debug, Deserialize, Serialize, Default)]
pub struct VerifyReceiptResponse {
    pub status: i64,
    #[serde(default)]
    pub environment: Option<String>,
    #[serde(default)]
    pub receipt: Option<Receipt>,
    #[serde(default)]
    pub latest_receipt_info: Option<Vec<InApp>>,
}

#[derive(Debug, Deserialize, Serialize, Default)]
pub struct Receipt {
    pub bundle_id: Option<String>,
    #[serde(default)]
    pub in_app: Vec<InApp>,
}

/// One purchase of a receipt. Apple sends numbers as strings here.
#[derive(Debug, Clone, Deserialize, Serialize, Default)]
pub struct InApp {
    pub product_id: Option<String>,
    pub transaction_id: Option<String>,
    pub original_transaction_id: Option<String>,
    pub purchase_date_ms: Option<String>,
    pub quantity: Option<String>,
    pub cancellation_date_ms: Option<String>,
}

impl TryFrom<(&InApp, &str, &str)> for Transaction {
    type Error = ChannelError;
    /// An `in_app` entry with its receipt's bundle id and environment.
    fn try_from((i, bundle_id, environment): (&InApp, &str, &str)) -> Result<Self, ChannelError> {
        let num = |v: &Option<String>, name: &str| {
            v.as_deref()
                .and_then(|s| s.parse::<i64>().ok())
                .ok_or_else(|| ChannelError::Malformed(format!("receipt in_app lacks {name}")))
        };
        let transaction_id = i
            .transaction_id
            .clone()
            .filter(|s| !s.is_empty())
            .ok_or_else(|| ChannelError::Malformed("receipt in_app lacks transaction_id".into()))?;
        Ok(Self {
            original_transaction_id: i.original_transaction_id.clone().unwrap_or_else(|| transaction_id.clone()),
            transaction_id,
            bundle_id: bundle_id.to_owned(),
            product_id: i
                .product_id
                .clone()
                .ok_or_else(|| ChannelError::Malformed("receipt in_app lacks product_id".into()))?,
            purchase_date_ms: num(&i.purchase_date_ms, "purchase_date_ms")?,
            quantity: i.quantity.as_deref().and_then(|q| q.parse().ok()).unwrap_or(1),
            environment: environment.to_owned(),
            price_milli: None,
            currency: None,
            revoked_at_ms: i.cancellation_date_ms.as_deref().and_then(|s| s.parse().ok()),
        })
    }
}
