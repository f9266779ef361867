//! Black-box tests: a real server on a random port, real HTTP, a real
//! database (SQLite by default; PostgreSQL with UNICHARGE_TEST_POSTGRES).

mod admin_api;
mod admin_auth;
mod admin_client;
mod admin_isolation;
mod admin_manage;
mod alipay;
mod apple_iap;
mod auth;
mod cache;
mod channel_support;
mod charges;
mod concurrency;
mod events;
mod notify;
mod pay_statement;
mod refunds;
mod resend_bulk;
mod signing;
mod sweep;
mod unionpay;
mod unionpay_recovery;
mod validation;
mod webhooks;
mod webhooks_cluster;
mod webhooks_lease;
mod webhooks_order;
mod webhooks_redeliver;
mod wechat;
mod wechat_mtls;
mod wechat_notify;
mod wechat_notify_v2;
mod wechat_scan;
