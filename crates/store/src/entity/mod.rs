//! sea-orm entities, one per table. Timestamps are Unix seconds, money is
//! i64 minor units, and JSON blobs are stored as text so SQLite and
//! PostgreSQL hold byte-identical values.

pub mod api_key;
pub mod app;
pub mod channel_config;
pub mod charge;
pub mod event;
pub mod idempotency_key;
pub mod refund;
pub mod setting;
pub mod tenant;
pub mod webhook_attempt;
pub mod webhook_delivery;
pub mod webhook_endpoint;
