//! The web dashboard's static front end, embedded in the binary and served at
//! `/dashboard`.
//!
//! The assets are built from `web/` (Vite + Preact) into `dist/`, and `dist/`
//! is committed, so `cargo build` never needs Node. CI rebuilds `dist/` from
//! source and fails if the result differs from what is committed.
//!
//! The page itself talks only to the JSON admin API under `/admin/api`; this
//! crate serves files and nothing else, so it needs no application state.

mod assets;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::{middleware, web, HttpRequest, HttpResponse, Scope};

pub use assets::{all as embedded_files, Asset, CONTENT_SECURITY_POLICY};

/// Where the dashboard is mounted. The front end is built with the same base
/// (`web/vite.config.ts`), so the two must change together.
pub const BASE: &str = "/dashboard";

/// The actix-web scope that serves the dashboard. Mount it before the
/// server's default service.
pub fn scope() -> Scope<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    web::scope(BASE)
        // The JS bundle compresses to about a third; nothing else on the
        // server is compressed, so this is scoped here.
        .wrap(middleware::Compress::default())
        .default_service(web::to(serve))
}

/// Serves one request under `/dashboard`: an embedded file, or `index.html`
/// for a client-side route.
async fn serve(req: HttpRequest) -> HttpResponse {
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return with_security_headers(
            HttpResponse::build(StatusCode::METHOD_NOT_ALLOWED)
                .insert_header((header::ALLOW, "GET, HEAD"))
                .content_type("text/plain; charset=utf-8")
                .body("method not allowed"),
        );
    }
    let rel = req.path().strip_prefix(BASE).unwrap_or("").trim_start_matches('/');
    match assets::resolve(rel) {
        Some(asset) => respond(&req, asset),
        None => {
            with_security_headers(HttpResponse::NotFound().content_type("text/plain; charset=utf-8").body("not found"))
        }
    }
}

fn respond(req: &HttpRequest, asset: Asset) -> HttpResponse {
    let etag = asset.etag();
    let fresh = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
    let mut resp = if fresh { HttpResponse::NotModified() } else { HttpResponse::Ok() };
    resp.insert_header((header::CACHE_CONTROL, asset.cache_control())).insert_header((header::ETAG, etag.as_str()));
    let resp = if fresh {
        resp.finish()
    } else {
        resp.insert_header((header::CONTENT_TYPE, asset.content_type())).body(asset.contents())
    };
    with_security_headers(resp)
}

/// Headers on every dashboard response, including errors. The CSP allows
/// scripts and styles from this origin only: the build emits no inline
/// script, and the page sets styles only through the CSSOM.
fn with_security_headers(mut resp: HttpResponse) -> HttpResponse {
    let h = resp.headers_mut();
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CONTENT_SECURITY_POLICY));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    resp
}
