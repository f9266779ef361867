//! Unicharge's HTTP server: the Ping++-compatible tenant API (`/v1`), the
//! channels' notification endpoints (`/notify`), and the built-in sandbox
//! provider (`/sandbox`).

pub mod admin;
mod apple_iap;
pub mod auth;
mod body;
pub mod channel_settings;
mod error;
mod idempotency;
mod listing;
pub mod ops;
pub mod payments;
pub mod render;
mod routes;
pub mod sandbox_apple_keys;
pub mod sandbox_apps;
pub mod sandbox_merchants;
mod state;
pub mod sweep;

pub use error::ApiError;
pub use routes::OPENAPI;
pub use state::{AppState, Sandboxes, ServerSettings};

use actix_web::{dev::Server, middleware, web, App, HttpServer};
use std::net::TcpListener;

/// Starts serving on an already-bound listener (tests bind port 0).
pub fn serve(listener: TcpListener, state: AppState, workers: usize) -> std::io::Result<Server> {
    let workers = workers.max(1);
    let server = HttpServer::new(move || {
        // Built on the worker's own thread: see `Store::for_worker`.
        let mut local = state.clone();
        local.store = state.store.for_worker(workers as u32);
        let data = web::Data::new(local);
        let sandbox = data.sandbox.clone();
        let alipay = data.alipay_sandbox.clone();
        let wechat = data.wechat_sandbox.clone();
        let unionpay = data.unionpay_sandbox.clone();
        let apple = data.apple_sandbox.clone();
        App::new()
            .app_data(data.clone())
            // Path only: query strings carry sandbox pay-URL tokens and
            // notify parameters that have no place in logs.
            .wrap(
                middleware::Logger::new("%{METHOD}xi %U %s %Dms")
                    .custom_request_replace("METHOD", |req| req.method().to_string())
                    .exclude("/health")
                    .exclude("/ready"),
            )
            // Before `/sandbox`, whose scope would otherwise claim these paths.
            .configure(|cfg| unicharge_sandboxes::alipay::configure(cfg, alipay))
            .configure(|cfg| unicharge_sandboxes::wechat::configure(cfg, wechat))
            .configure(|cfg| unicharge_sandboxes::unionpay::configure(cfg, unionpay))
            .configure(|cfg| unicharge_sandboxes::apple::configure(cfg, apple))
            .configure(|cfg| unicharge_sandboxes::sandbox::configure(cfg, sandbox))
            .configure(routes::configure)
    })
    .workers(workers)
    .backlog(2048)
    .listen(listener)?
    .run();
    Ok(server)
}
