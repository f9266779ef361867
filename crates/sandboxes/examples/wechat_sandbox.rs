//! A standalone WeChat Pay sandbox on loopback, for SDK cross-checks:
//!
//! ```text
//! cargo run -p unicharge-sandboxes --example wechat_sandbox -- --port 8766 \
//!     --mchid 1900000001 --appid wxd930ea5d5a258f4f \
//!     --merchant-public-key mch_cert_or_public.pem --merchant-serial 5157F09E… \
//!     --apiv3-key-file apiv3.key --api-key-file api.key \
//!     --platform-private-key platform_private.pem [--platform-cert platform.pem] \
//!     [--public-key-mode] [--time-scale 1]
//! ```
//!
//! Prints `platform_serial …`, `public_key_id …`, then
//! `listening on http://127.0.0.1:<port>` once it accepts requests.

use actix_web::{web, App, HttpServer};
use secrecy::SecretString;
use std::sync::Arc;
use unicharge_sandboxes::wechat::{self, InMemoryMerchants, PlatformKeyMode, SandboxMerchant, WechatSandbox};

fn usage() -> ! {
    eprintln!(
        "usage: wechat_sandbox --port N --mchid M --appid A --merchant-public-key FILE --merchant-serial S \
         --apiv3-key-file FILE --api-key-file FILE --platform-private-key FILE [--platform-cert FILE] \
         [--public-key-mode] [--time-scale N]"
    );
    std::process::exit(2)
}

fn read(p: &str) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| {
        eprintln!("cannot read {p}: {e}");
        std::process::exit(2)
    })
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let mut a = std::env::args().skip(1);
    let mut opt = std::collections::HashMap::new();
    let mut mode = PlatformKeyMode::Certificate;
    while let Some(flag) = a.next() {
        if flag == "--public-key-mode" {
            mode = PlatformKeyMode::PublicKey;
            continue;
        }
        let value = a.next().unwrap_or_else(|| usage());
        opt.insert(flag.trim_start_matches("--").to_owned(), value);
    }
    let get = |k: &str| opt.get(k).cloned().unwrap_or_else(|| usage());
    let port: u16 = get("port").parse().unwrap_or_else(|_| usage());
    let time_scale: u32 = opt.get("time-scale").map(|s| s.parse().unwrap_or_else(|_| usage())).unwrap_or(1);
    let merchants = Arc::new(InMemoryMerchants::default());
    merchants.register(
        &get("mchid"),
        SandboxMerchant {
            merchant_public_key_pem: read(&get("merchant-public-key")),
            merchant_serial_no: get("merchant-serial"),
            apiv3_key: SecretString::from(read(&get("apiv3-key-file")).trim().to_owned()),
            api_key: SecretString::from(read(&get("api-key-file")).trim().to_owned()),
            appids: get("appid").split(',').map(str::to_owned).collect(),
            platform_key_mode: mode,
        },
    );
    let key = SecretString::from(read(&get("platform-private-key")));
    let cert = opt.get("platform-cert").map(|p| read(p));
    let sandbox = WechatSandbox::new(&key, cert.as_deref(), merchants, reqwest::Client::new(), time_scale)
        .unwrap_or_else(|e| {
            eprintln!("{e}");
            std::process::exit(2)
        });
    println!("platform_serial {}", sandbox.platform_serial());
    println!("public_key_id {}", sandbox.public_key_id());
    let data = web::Data::new(sandbox);
    let server = HttpServer::new(move || App::new().configure(|cfg| wechat::configure(cfg, data.clone())))
        .workers(2)
        .bind(("127.0.0.1", port))?
        .run();
    println!("listening on http://127.0.0.1:{port}");
    server.await
}
