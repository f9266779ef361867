mod apps;
mod charges;
mod events;
mod meta;
mod notify;
mod refunds;

use actix_web::web;

pub use meta::OPENAPI;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/health", web::get().to(meta::health))
        .route("/ready", web::get().to(meta::ready))
        .route("/openapi.json", web::get().to(meta::openapi))
        .route("/notify/{channel}/{app}/{mode}", web::post().to(notify::receive))
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
                .route("/events/{id}", web::get().to(events::retrieve))
                .route("/apps/{id}/channels", web::get().to(apps::list_channels))
                .route("/apps/{id}/channels/{channel}", web::put().to(apps::put_channel)),
        )
        .default_service(web::to(meta::not_found));
}
