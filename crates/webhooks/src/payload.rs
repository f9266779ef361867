use serde_json::{json, Value};
use unicharge_store::EventRow;

/// The Ping++ event object, as the API returns it.
pub fn event_object(e: &EventRow) -> Value {
    let object: Value = serde_json::from_str(&e.data).unwrap_or(Value::Null);
    json!({
        "id": e.id,
        "object": "event",
        "livemode": e.livemode,
        "created": e.created,
        "type": e.kind,
        "data": { "object": object },
        "pending_webhooks": e.pending_webhooks,
        "request": e.request_id,
    })
}

/// The webhook body: the event object plus the normalized result fields the
/// platform promises (`result_code` 0 and `result_msg` "OK" on success).
pub fn webhook_body(e: &EventRow) -> Vec<u8> {
    let mut v = event_object(e);
    v["result_code"] = json!(0);
    v["result_msg"] = json!("OK");
    v["err_detail"] = json!("");
    v.to_string().into_bytes()
}
