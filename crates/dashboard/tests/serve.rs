//! The dashboard scope over actix-web's test service: the real embedded
//! `dist/`, the real handler, headers as a browser sees them.

use actix_web::http::{header, StatusCode};
use actix_web::{test as web_test, App};

async fn get(path: &str) -> actix_web::dev::ServiceResponse {
    let app = web_test::init_service(App::new().service(unicharge_dashboard::scope())).await;
    web_test::call_service(&app, web_test::TestRequest::get().uri(path).to_request()).await
}

fn header_str(resp: &actix_web::dev::ServiceResponse, name: header::HeaderName) -> &str {
    resp.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
}

/// The hashed bundle that index.html loads, read from index.html itself.
fn entry_script() -> String {
    let index = unicharge_dashboard::embedded_files()
        .into_iter()
        .find(|a| a.path() == "index.html")
        .expect("dist/index.html is embedded");
    let html = std::str::from_utf8(index.contents()).expect("utf-8");
    let start = html.find("src=\"/dashboard/assets/").expect("index.html loads a hashed script") + 5;
    let end = start + html[start..].find('"').expect("closing quote");
    html[start..end].to_owned()
}

#[actix_web::test]
async fn index_is_served_with_no_cache_and_a_strict_csp() {
    for path in ["/dashboard", "/dashboard/"] {
        let resp = get(path).await;
        assert_eq!(resp.status(), StatusCode::OK, "{path}");
        assert_eq!(header_str(&resp, header::CONTENT_TYPE), "text/html; charset=utf-8");
        assert_eq!(header_str(&resp, header::CACHE_CONTROL), "no-cache");
        let csp = header_str(&resp, header::CONTENT_SECURITY_POLICY);
        assert!(csp.contains("script-src 'self'"), "{csp}");
        assert!(!csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"), "{csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
        assert_eq!(header_str(&resp, header::X_CONTENT_TYPE_OPTIONS), "nosniff");
    }
}

#[actix_web::test]
async fn client_side_routes_fall_back_to_index() {
    let index = web_test::read_body(get("/dashboard/").await).await;
    for path in ["/dashboard/charges", "/dashboard/charges/ch_abc123", "/dashboard/apps/app_x/keys"] {
        let resp = get(path).await;
        assert_eq!(resp.status(), StatusCode::OK, "{path}");
        assert_eq!(header_str(&resp, header::CACHE_CONTROL), "no-cache", "{path}");
        assert_eq!(web_test::read_body(resp).await, index, "{path}");
    }
}

#[actix_web::test]
async fn hashed_assets_are_immutable_with_their_content_type() {
    let script = entry_script();
    let resp = get(&script).await;
    assert_eq!(resp.status(), StatusCode::OK, "{script}");
    assert_eq!(header_str(&resp, header::CONTENT_TYPE), "text/javascript; charset=utf-8");
    assert_eq!(header_str(&resp, header::CACHE_CONTROL), "public, max-age=31536000, immutable");
    let css = unicharge_dashboard::embedded_files()
        .into_iter()
        .find(|a| a.path().starts_with("assets/") && a.path().ends_with(".css"))
        .expect("a hashed stylesheet is embedded");
    let resp = get(&format!("/dashboard/{}", css.path())).await;
    assert_eq!(header_str(&resp, header::CONTENT_TYPE), "text/css; charset=utf-8");
}

#[actix_web::test]
async fn a_missing_file_is_404_not_the_page() {
    for path in ["/dashboard/assets/index-gone.js", "/dashboard/nope.png", "/dashboard/../Cargo.toml"] {
        let resp = get(path).await;
        assert_eq!(resp.status(), StatusCode::NOT_FOUND, "{path}");
        assert!(!header_str(&resp, header::CONTENT_SECURITY_POLICY).is_empty(), "{path}");
    }
}

#[actix_web::test]
async fn revalidation_answers_304() {
    let resp = get("/dashboard/").await;
    let etag = header_str(&resp, header::ETAG).to_owned();
    assert!(etag.starts_with('"'), "{etag}");
    let app = web_test::init_service(App::new().service(unicharge_dashboard::scope())).await;
    let req = web_test::TestRequest::get()
        .uri("/dashboard/")
        .insert_header((header::IF_NONE_MATCH, etag.as_str()))
        .to_request();
    let resp = web_test::call_service(&app, req).await;
    assert_eq!(resp.status(), StatusCode::NOT_MODIFIED);
}

#[actix_web::test]
async fn only_get_and_head() {
    let app = web_test::init_service(App::new().service(unicharge_dashboard::scope())).await;
    let req = web_test::TestRequest::post().uri("/dashboard/").to_request();
    let resp = web_test::call_service(&app, req).await;
    assert_eq!(resp.status(), StatusCode::METHOD_NOT_ALLOWED);
}

#[actix_web::test]
async fn the_bundle_is_compressed_when_asked() {
    let app = web_test::init_service(App::new().service(unicharge_dashboard::scope())).await;
    let req =
        web_test::TestRequest::get().uri(&entry_script()).insert_header((header::ACCEPT_ENCODING, "gzip")).to_request();
    let resp = web_test::call_service(&app, req).await;
    assert_eq!(header_str(&resp, header::CONTENT_ENCODING), "gzip");
}

/// The CSP forbids inline script and style, so the build must not emit any:
/// every `<script>` has a `src`, and there is no `<style>` or `style=`.
#[test]
fn index_has_no_inline_script_or_style() {
    let index = unicharge_dashboard::embedded_files()
        .into_iter()
        .find(|a| a.path() == "index.html")
        .expect("dist/index.html is embedded");
    let html = std::str::from_utf8(index.contents()).expect("utf-8").to_ascii_lowercase();
    for (i, _) in html.match_indices("<script") {
        let tag_end = i + html[i..].find('>').expect("tag end");
        assert!(html[i..tag_end].contains(" src="), "inline script in index.html: {}", &html[i..tag_end]);
    }
    assert!(!html.contains("<style"), "inline <style> in index.html");
    assert!(!html.contains("style="), "inline style attribute in index.html");
}
