pub(crate) mod apps;
mod charges;
pub(crate) mod events;
mod meta;
mod notify;
pub(crate) mod refunds;
pub(crate) mod webhooks;

use actix_web::web;

pub use meta::OPENAPI;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/health", web::get().to(meta::health))
        .route("/ready", web::get().to(meta::ready))
        .route("/openapi.json", web::get().to(meta::openapi))
        .route("/notify/{channel}/{app}/{mode}", web::post().to(notify::receive))
        .route("/platform_public_key.pem", web::get().to(webhooks::platform_public_key))
        .service(
            web::scope("/v1")
                .route("/charges", web::post().to(charges::create))
                .route("/charges", web::get().to(charges::list))
                .route("/charges/{id}", web::get().to(charges::retrieve))
                .route("/charges/{id}/reverse", web::post().to(charges::reverse))
                .route("/charges/{id}/refunds", web::post().to(refunds::create))
                .route("/charges/{id}/refunds", web::get().to(refunds::list))
                .route("/charges/{id}/refunds/{re}", web::get().to(refunds::retrieve))
                .route("/events", web::get().to(events::list))
                .route("/events/resend_failed", web::post().to(webhooks::resend_failed))
                .route("/events/{id}", web::get().to(events::retrieve))
                .route("/events/{id}/redeliver", web::post().to(webhooks::redeliver))
                .route("/apps/{id}/webhook_endpoints", web::post().to(webhooks::create))
                .route("/apps/{id}/webhook_endpoints", web::get().to(webhooks::list))
                .route("/apps/{id}/webhook_endpoints/{we}", web::get().to(webhooks::retrieve))
                .route("/apps/{id}/webhook_endpoints/{we}", web::post().to(webhooks::update))
                .route("/apps/{id}/webhook_endpoints/{we}", web::delete().to(webhooks::delete))
                .route("/apps/{id}/webhook_endpoints/{we}/rotate_secret", web::post().to(webhooks::rotate_secret))
                .route("/apps/{id}/channels", web::get().to(apps::list_channels))
                .route("/apps/{id}/channels/{channel}", web::put().to(apps::put_channel)),
        )
        .service(crate::admin::scope())
        .service(unicharge_dashboard::scope())
        .default_service(web::to(meta::not_found));
}
