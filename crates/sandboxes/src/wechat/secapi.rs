//! `secapi/pay/refund` and `secapi/pay/reverse` over mutual TLS, as WeChat
//! Pay serves them: a loopback HTTPS listener whose TLS handshake requires a
//! client certificate issued by the sandbox CA ([`super::mtls::ClientCa`]),
//! and whose answer then also requires that certificate to be the API
//! certificate of the `mch_id` in the request. The plain-HTTP sandbox refuses
//! these paths once a CA is configured.

use super::mtls::ClientIdentity;
use super::v2_methods::{secapi_call, Method};
use super::WechatSandbox;
use actix_web::web::{self, Bytes};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use std::sync::Arc;
use std::time::Duration;
use tokio_rustls::TlsAcceptor;

/// v2 requests are small XML documents.
const BODY_LIMIT: usize = 64 * 1024;
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, thiserror::Error)]
pub enum SecapiError {
    #[error("the WeChat Pay sandbox has no client CA configured")]
    NoCa,
    #[error("the secapi listener's certificate: {0}")]
    Certificate(#[from] super::PlatformError),
    #[error("the secapi listener's TLS settings: {0}")]
    Tls(#[from] rustls::Error),
    #[error("the secapi listener's client verifier: {0}")]
    Verifier(#[from] rustls::server::VerifierBuilderError),
    #[error("the secapi listener: {0}")]
    Io(#[from] std::io::Error),
}

/// Serves `secapi/*` on `listener` (bound by the caller, e.g. to
/// `127.0.0.1:0`) in the background on the current tokio runtime. Returns
/// the base URL to put in front of `/secapi/pay/refund`.
pub fn serve_secapi(sb: web::Data<WechatSandbox>, listener: std::net::TcpListener) -> Result<String, SecapiError> {
    let ca = sb.client_ca.clone().ok_or(SecapiError::NoCa)?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca.certificate_der())?;
    let verifier =
        rustls::server::WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone()).build()?;
    let (chain, key) = ca.server_identity()?;
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_client_cert_verifier(verifier)
        .with_single_cert(chain, key)?;
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let addr = listener.local_addr()?;
    listener.set_nonblocking(true)?;
    let listener = tokio::net::TcpListener::from_std(listener)?;
    tokio::spawn(async move {
        loop {
            let (tcp, peer) = match listener.accept().await {
                Ok(c) => c,
                Err(e) => {
                    tracing::warn!(error = %e, "sandbox WeChat secapi: accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            let (acceptor, sb) = (acceptor.clone(), sb.clone());
            tokio::spawn(async move {
                let tls = match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                    Ok(Ok(t)) => t,
                    Ok(Err(e)) => {
                        tracing::info!(%peer, error = %e, "sandbox WeChat secapi: TLS handshake refused");
                        return;
                    }
                    Err(_) => return,
                };
                let client = tls
                    .get_ref()
                    .1
                    .peer_certificates()
                    .and_then(|c| c.first())
                    .and_then(|c| ClientIdentity::from_der(c));
                let Some(client) = client else { return };
                let client = Arc::new(client);
                let service = hyper::service::service_fn(move |req| handle(sb.clone(), client.clone(), req));
                if let Err(e) =
                    hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(tls), service).await
                {
                    tracing::debug!(error = %e, "sandbox WeChat secapi: connection ended");
                }
            });
        }
    });
    let host = match addr.ip() {
        std::net::IpAddr::V6(ip) => format!("[{ip}]"),
        std::net::IpAddr::V4(ip) => ip.to_string(),
    };
    Ok(format!("https://{host}:{}/sandbox/wechat", addr.port()))
}

fn method_of(path: &str) -> Option<Method> {
    // As on the plain listener, callers may sign paths with or without the
    // mount prefix.
    match path.strip_prefix("/sandbox/wechat").unwrap_or(path) {
        "/secapi/pay/refund" => Some(Method::Refund),
        "/secapi/pay/reverse" => Some(Method::Reverse),
        _ => None,
    }
}

fn reply(status: StatusCode, content_type: &'static str, body: String) -> Response<Full<Bytes>> {
    let mut res = Response::new(Full::new(Bytes::from(body)));
    *res.status_mut() = status;
    res.headers_mut().insert(hyper::header::CONTENT_TYPE, hyper::header::HeaderValue::from_static(content_type));
    res
}

async fn handle(
    sb: web::Data<WechatSandbox>,
    client: Arc<ClientIdentity>,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, std::convert::Infallible> {
    let Some(m) = method_of(req.uri().path()).filter(|_| req.method() == hyper::Method::POST) else {
        let body = r#"{"code":"RESOURCE_NOT_EXISTS","message":"请求的资源不存在"}"#.to_owned();
        return Ok(reply(StatusCode::NOT_FOUND, "application/json", body));
    };
    let body = match Limited::new(req.into_body(), BODY_LIMIT).collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => return Ok(reply(StatusCode::PAYLOAD_TOO_LARGE, "text/plain", String::new())),
    };
    let xml = secapi_call(&sb, &body, m, &client).await;
    Ok(reply(StatusCode::OK, "text/xml; charset=utf-8", xml))
}
