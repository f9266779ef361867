//! A standalone UnionPay gateway sandbox on loopback, for SDK cross-checks
//! (point an `acp_sdk.properties` at it, or any client of gateway 5.1.0):
//!
//! ```text
//! cargo run -p unicharge-sandboxes --example unionpay_sandbox -- --port 8767 \
//!     --mer-id 777290058110048 --merchant-cert merchant_sign.pem [--time-scale 1]
//! ```
//!
//! `--merchant-cert` is the merchant signing certificate (PEM) whose serial
//! is the requests' `certId` (for the checked-in test PKCS#12,
//! `crates/sandboxes/fixtures/unionpay/merchant.pfx`, password `000000`,
//! extract it with `openssl pkcs12 -in merchant.pfx -clcerts -nokeys`).
//! Answers and notifications are signed with the sandbox's test signing
//! certificate, which chains to `fixtures/unionpay/{middle,root}.pem`.
//! Endpoints: `/sandbox/unionpay/gateway/api/{frontTransReq,appTransReq,
//! backTransReq,queryTrans}.do` and the cashier `/sandbox/unionpay/cashier/{tn}`.
//! Prints `listening on http://127.0.0.1:<port>` once it accepts requests.

use actix_web::{web, App, HttpServer};
use std::sync::Arc;
use unicharge_sandboxes::unionpay::{self, InMemoryMerchants, UnionpaySandbox};

fn usage() -> ! {
    eprintln!("usage: unionpay_sandbox --port N --mer-id M --merchant-cert FILE [--time-scale N]");
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
    while let Some(flag) = a.next() {
        let value = a.next().unwrap_or_else(|| usage());
        opt.insert(flag.trim_start_matches("--").to_owned(), value);
    }
    let get = |k: &str| opt.get(k).cloned().unwrap_or_else(|| usage());
    let port: u16 = get("port").parse().unwrap_or_else(|_| usage());
    let time_scale: u32 = opt.get("time-scale").map(|s| s.parse().unwrap_or_else(|_| usage())).unwrap_or(1);
    let merchants = Arc::new(InMemoryMerchants::default());
    merchants.register(&get("mer-id"), &read(&get("merchant-cert")));
    let sandbox = UnionpaySandbox::new(merchants, reqwest::Client::new(), time_scale).unwrap_or_else(|e| {
        eprintln!("{e}");
        std::process::exit(2)
    });
    let data = web::Data::new(sandbox);
    let server = HttpServer::new(move || App::new().configure(|cfg| unionpay::configure(cfg, data.clone())))
        .workers(2)
        .bind(("127.0.0.1", port))?
        .run();
    println!("listening on http://127.0.0.1:{port}");
    server.await
}
