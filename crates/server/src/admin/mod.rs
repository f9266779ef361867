//! The dashboard's JSON API under `/admin/api` (contract: docs/admin-api.md).
//! People sign in with email and password; a session is an HS256 JWT in an
//! HttpOnly cookie plus a CSRF token. Operators see every tenant; tenant
//! users only their own apps, enforced here on every route.
//!
//! Handlers reuse the tenant API's functions (refunds, redelivery, webhook
//! endpoints, channel configuration) so no money or delivery logic exists
//! twice.

mod apps;
mod channels;
mod charges;
mod detail;
mod endpoints;
pub mod error;
mod events;
pub mod export;
pub mod login;
pub mod notifications;
mod operator;
pub mod overview;
pub mod password;
mod refunds;
pub mod render;
pub mod scope;
pub mod session;
pub mod users;

use actix_web::{web, HttpResponse};

pub use error::AdminError;

/// The `/admin/api` scope. Unknown paths inside it get the JSON 404.
pub fn scope() -> actix_web::Scope {
    web::scope("/admin/api")
        .route("/session", web::post().to(login::login))
        .route("/session", web::get().to(login::me))
        .route("/session", web::delete().to(login::logout))
        .route("/overview", web::get().to(overview::overview))
        .route("/charges", web::get().to(charges::list))
        // Before `/charges/{id}`, which would otherwise take it.
        .route("/charges/export", web::get().to(export::export))
        .route("/charges/{id}", web::get().to(charges::retrieve))
        .route("/charges/{id}/refunds", web::post().to(charges::refund))
        .route("/charges/{id}/sandbox", web::post().to(charges::sandbox))
        .route("/refunds", web::get().to(refunds::list))
        .route("/refunds/{id}", web::get().to(refunds::retrieve))
        .route("/events", web::get().to(events::list))
        .route("/events/{id}", web::get().to(events::retrieve))
        .route("/events/{id}/resend", web::post().to(events::resend))
        .route("/apps", web::get().to(apps::list))
        .route("/apps", web::post().to(apps::create))
        .route("/apps/{app}", web::get().to(apps::retrieve))
        .route("/apps/{app}/webhook_endpoints", web::get().to(endpoints::list))
        .route("/apps/{app}/webhook_endpoints", web::post().to(endpoints::create))
        .route("/apps/{app}/webhook_endpoints/{we}", web::put().to(endpoints::update))
        .route("/apps/{app}/webhook_endpoints/{we}", web::delete().to(endpoints::delete))
        .route("/apps/{app}/webhook_endpoints/{we}/rotate_secret", web::post().to(endpoints::rotate_secret))
        .route("/apps/{app}/channels", web::get().to(channels::list))
        .route("/apps/{app}/channels/{channel}", web::put().to(channels::put))
        .route("/keys", web::get().to(apps::list_keys))
        .route("/keys", web::post().to(apps::create_key))
        .route("/keys/{id}", web::delete().to(apps::revoke_key))
        .route("/tenants", web::get().to(operator::list_tenants))
        .route("/tenants", web::post().to(operator::create_tenant))
        .route("/users", web::get().to(operator::list_users))
        .route("/users", web::post().to(operator::create))
        .route("/users/{id}", web::delete().to(operator::delete))
        .default_service(web::to(not_found))
}

async fn not_found(req: actix_web::HttpRequest) -> HttpResponse {
    use actix_web::ResponseError;
    crate::ApiError::NoRoute { method: req.method().to_string(), path: req.path().to_owned() }.error_response()
}
