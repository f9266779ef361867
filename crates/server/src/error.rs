//! API errors. Each variant maps to one HTTP status and one error code, and
//! renders as Ping++'s `{"error": {"type", "message", "code", "param"}}`.
//! `code` and `param` are omitted rather than null: the Go SDK panics on null.

use actix_web::{http::StatusCode, HttpResponse, ResponseError};
use serde_json::json;
use unicharge_channels::ChannelError;
use unicharge_domain::ParamError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    Param(#[from] ParamError),
    #[error("{message}")]
    BadRequest { code: &'static str, message: String, param: Option<String> },
    #[error("No API key provided or the API key is invalid.")]
    Unauthenticated,
    #[error("{0}")]
    BadSignature(&'static str),
    #[error("No such {kind}: {id}")]
    NotFound { kind: &'static str, id: String },
    #[error("Unrecognized request URL ({method}: {path}).")]
    NoRoute { method: String, path: String },
    #[error("Request body too large: at most {0} bytes.")]
    BodyTooLarge(usize),
    #[error("Idempotency-Key was used with a different request.")]
    IdempotencyMismatch,
    #[error("A request with this Idempotency-Key is still in progress; retry later.")]
    IdempotencyInFlight,
    #[error("{message}")]
    Channel { code: String, message: String },
    #[error("The payment channel is unavailable: {0}")]
    ChannelUnavailable(String),
    #[error("Internal error; it has been logged.")]
    Internal(String),
}

impl ApiError {
    pub fn bad(code: &'static str, message: impl Into<String>, param: Option<&str>) -> Self {
        ApiError::BadRequest { code, message: message.into(), param: param.map(str::to_owned) }
    }

    pub fn not_found(kind: &'static str, id: impl Into<String>) -> Self {
        ApiError::NotFound { kind, id: id.into() }
    }

    pub fn internal(e: impl std::fmt::Display) -> Self {
        ApiError::Internal(e.to_string())
    }

    /// The Ping++ error body.
    pub fn body(&self) -> serde_json::Value {
        let (_, kind, code, param) = self.parts();
        let mut err = json!({ "type": kind, "message": self.to_string(), "code": code });
        if let Some(p) = param {
            err["param"] = json!(p);
        }
        json!({ "error": err })
    }

    fn parts(&self) -> (StatusCode, &'static str, String, Option<String>) {
        match self {
            ApiError::Param(p) => {
                (StatusCode::BAD_REQUEST, "invalid_request_error", p.code.as_str().to_owned(), Some(p.param.clone()))
            }
            ApiError::BadRequest { code, param, .. } => {
                (StatusCode::BAD_REQUEST, "invalid_request_error", (*code).to_owned(), param.clone())
            }
            ApiError::Unauthenticated => {
                (StatusCode::UNAUTHORIZED, "invalid_request_error", "invalid_api_key".into(), None)
            }
            ApiError::BadSignature(_) => {
                (StatusCode::UNAUTHORIZED, "invalid_request_error", "invalid_request_signature".into(), None)
            }
            ApiError::NotFound { .. } => {
                (StatusCode::NOT_FOUND, "invalid_request_error", "resource_not_found".into(), Some("id".into()))
            }
            ApiError::NoRoute { .. } => (StatusCode::NOT_FOUND, "invalid_request_error", "no_such_route".into(), None),
            ApiError::BodyTooLarge(_) => {
                (StatusCode::PAYLOAD_TOO_LARGE, "invalid_request_error", "request_too_large".into(), None)
            }
            ApiError::IdempotencyMismatch => (
                StatusCode::BAD_REQUEST,
                "invalid_request_error",
                "idempotency_key_reused".into(),
                Some("Idempotency-Key".into()),
            ),
            ApiError::IdempotencyInFlight => {
                (StatusCode::CONFLICT, "invalid_request_error", "idempotency_key_in_use".into(), None)
            }
            ApiError::Channel { code, .. } => (StatusCode::PAYMENT_REQUIRED, "channel_error", code.clone(), None),
            ApiError::ChannelUnavailable(_) => {
                (StatusCode::BAD_GATEWAY, "channel_error", "channel_unavailable".into(), None)
            }
            ApiError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "api_error", "internal_error".into(), None),
        }
    }
}

impl From<unicharge_store::StoreError> for ApiError {
    fn from(e: unicharge_store::StoreError) -> Self {
        ApiError::Internal(e.to_string())
    }
}

impl From<ChannelError> for ApiError {
    fn from(e: ChannelError) -> Self {
        match e {
            ChannelError::Refused { code, message } => ApiError::Channel { code, message },
            ChannelError::Config(m) => ApiError::Channel {
                code: "channel_misconfigured".into(),
                message: format!("The channel is not configured correctly: {m}"),
            },
            ChannelError::Unavailable(m) => ApiError::ChannelUnavailable(m),
            ChannelError::BadSignature(m) | ChannelError::Malformed(m) | ChannelError::Mismatch(m) => {
                ApiError::ChannelUnavailable(format!("the channel's answer was rejected: {m}"))
            }
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.parts().0
    }

    fn error_response(&self) -> HttpResponse {
        if let ApiError::Internal(detail) = self {
            tracing::error!(error = %detail, "internal error");
        }
        HttpResponse::build(self.parts().0).json(self.body())
    }
}
