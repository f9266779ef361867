//! Admin API errors: the tenant API's errors plus the dashboard's own
//! (sessions, CSRF, roles, throttling). Each maps to one status and one code
//! and renders in the Ping++ shape, like `/v1`.

use crate::ApiError;
use actix_web::{http::StatusCode, HttpResponse, ResponseError};
use serde_json::json;

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error(transparent)]
    Api(#[from] ApiError),
    #[error("Sign in to use the dashboard.")]
    NotSignedIn,
    #[error("The email or password is wrong.")]
    InvalidCredentials,
    #[error("{0}")]
    Csrf(&'static str),
    #[error("Only an operator may do this.")]
    Forbidden,
    #[error("Send the request body as application/json.")]
    JsonRequired,
    #[error("Too many failed sign-ins; try again in {0} seconds.")]
    TooManyAttempts(i64),
    #[error("{message}")]
    Refused { code: &'static str, message: String, param: Option<&'static str> },
}

impl AdminError {
    /// A request that does not apply to the object (400 with its own code).
    pub fn refused(code: &'static str, message: impl Into<String>, param: Option<&'static str>) -> Self {
        AdminError::Refused { code, message: message.into(), param }
    }

    fn parts(&self) -> (StatusCode, &'static str) {
        match self {
            AdminError::Api(_) => (StatusCode::INTERNAL_SERVER_ERROR, ""),
            AdminError::NotSignedIn => (StatusCode::UNAUTHORIZED, "not_signed_in"),
            AdminError::InvalidCredentials => (StatusCode::UNAUTHORIZED, "invalid_credentials"),
            AdminError::Csrf(_) => (StatusCode::FORBIDDEN, "csrf_failed"),
            AdminError::Forbidden => (StatusCode::FORBIDDEN, "forbidden"),
            AdminError::JsonRequired => (StatusCode::UNSUPPORTED_MEDIA_TYPE, "json_required"),
            AdminError::TooManyAttempts(_) => (StatusCode::TOO_MANY_REQUESTS, "too_many_attempts"),
            AdminError::Refused { code, .. } => (StatusCode::BAD_REQUEST, *code),
        }
    }
}

impl From<unicharge_store::StoreError> for AdminError {
    fn from(e: unicharge_store::StoreError) -> Self {
        AdminError::Api(e.into())
    }
}

impl From<unicharge_domain::ParamError> for AdminError {
    fn from(e: unicharge_domain::ParamError) -> Self {
        AdminError::Api(e.into())
    }
}

impl ResponseError for AdminError {
    fn status_code(&self) -> StatusCode {
        match self {
            AdminError::Api(e) => e.status_code(),
            other => other.parts().0,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let AdminError::Api(e) = self {
            return e.error_response();
        }
        let (status, code) = self.parts();
        let mut err = json!({ "type": "invalid_request_error", "message": self.to_string(), "code": code });
        if let AdminError::Refused { param: Some(p), .. } = self {
            err["param"] = json!(p);
        }
        let mut resp = HttpResponse::build(status);
        if let AdminError::TooManyAttempts(secs) = self {
            resp.insert_header(("Retry-After", secs.to_string()));
        }
        resp.json(json!({ "error": err }))
    }
}

pub type AdminResult<T> = Result<T, AdminError>;
