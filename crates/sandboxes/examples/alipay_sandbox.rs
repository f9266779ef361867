//! A standalone Alipay sandbox on loopback, for SDK cross-checks:
//!
//! ```text
//! cargo run -p unicharge-sandboxes --example alipay_sandbox -- --port 8765 \
//!     --app-id 2021000000000001 --app-public-key app_public.pem \
//!     --alipay-private-key alipay_private.pem [--seller-id 2088…] [--time-scale 1]
//! ```
//!
//! Prints `listening on http://127.0.0.1:<port>` once it accepts requests.

use actix_web::{web, App, HttpServer};
use secrecy::SecretString;
use std::sync::Arc;
use unicharge_sandboxes::alipay::{self, AlipaySandbox, InMemoryApps};

struct Args {
    port: u16,
    app_id: String,
    app_public_key: String,
    alipay_private_key: String,
    seller_id: String,
    time_scale: u32,
}

fn usage() -> ! {
    eprintln!(
        "usage: alipay_sandbox --port N --app-id ID --app-public-key FILE --alipay-private-key FILE \
         [--seller-id 2088…] [--time-scale N]"
    );
    std::process::exit(2)
}

fn parse_args() -> Args {
    let mut a = std::env::args().skip(1);
    let (mut port, mut app_id, mut app_pub, mut ali_priv) = (None, None, None, None);
    let (mut seller_id, mut time_scale) = ("2088000000000001".to_owned(), 1u32);
    while let Some(flag) = a.next() {
        let value = a.next().unwrap_or_else(|| usage());
        match flag.as_str() {
            "--port" => port = value.parse().ok(),
            "--app-id" => app_id = Some(value),
            "--app-public-key" => app_pub = Some(value),
            "--alipay-private-key" => ali_priv = Some(value),
            "--seller-id" => seller_id = value,
            "--time-scale" => time_scale = value.parse().unwrap_or_else(|_| usage()),
            _ => usage(),
        }
    }
    let read = |p: Option<String>| {
        let p = p.unwrap_or_else(|| usage());
        std::fs::read_to_string(&p).unwrap_or_else(|e| {
            eprintln!("cannot read {p}: {e}");
            std::process::exit(2)
        })
    };
    Args {
        port: port.unwrap_or_else(|| usage()),
        app_id: app_id.unwrap_or_else(|| usage()),
        app_public_key: read(app_pub),
        alipay_private_key: read(ali_priv),
        seller_id,
        time_scale,
    }
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let args = parse_args();
    let apps = Arc::new(InMemoryApps::default());
    apps.register(&args.app_id, &args.app_public_key, &args.seller_id);
    let key = SecretString::from(args.alipay_private_key);
    let sandbox = AlipaySandbox::new(&key, apps, reqwest::Client::new(), args.time_scale).unwrap_or_else(|e| {
        eprintln!("{e}");
        std::process::exit(2)
    });
    let data = web::Data::new(sandbox);
    let server = HttpServer::new(move || App::new().configure(|cfg| alipay::configure(cfg, data.clone())))
        .workers(2)
        .bind(("127.0.0.1", args.port))?
        .run();
    println!("listening on http://127.0.0.1:{}", args.port);
    server.await
}
