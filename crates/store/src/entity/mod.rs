//! sea-orm entities, one per table. Timestamps are Unix seconds, money is
//! i64 minor units, and JSON blobs are stored as text so SQLite and
//! PostgreSQL hold byte-identical values.

pub mod admin_login_failure;
pub mod admin_session;
pub mod admin_user;
pub mod api_key;
pub mod app;
pub mod apple_transaction;
pub mod channel_config;
pub mod channel_notification;
pub mod charge;
pub mod event;
pub mod idempotency_key;
pub mod refund;
pub mod setting;
pub mod tenant;
pub mod webhook_attempt;
pub mod webhook_delivery;
pub mod webhook_endpoint;
