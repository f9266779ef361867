//! Prints an answer signed by the UnionPay sandbox exactly as its gateway
//! sends one (raw `k=v&…`, not URL-encoded), for the independent verifier
//! in `tests/channels/unionpay/xcheck.py`. Fields come as JSON on stdin.

use std::io::Read;
use std::sync::Arc;
use unicharge_sandboxes::unionpay::{InMemoryMerchants, UnionpaySandbox};

fn main() {
    let mut input = String::new();
    std::io::stdin().read_to_string(&mut input).expect("stdin");
    let fields = serde_json::from_str(&input).expect("fields json");
    let sb = UnionpaySandbox::new(Arc::new(InMemoryMerchants::default()), reqwest::Client::new(), 1).expect("sandbox");
    print!("{}", sb.answer_text(fields));
}
