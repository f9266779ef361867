//! The webhook dispatcher. Events and their deliveries are written in the
//! transaction of the state change (the outbox); dispatchers on any number
//! of nodes claim due deliveries with a lease, sign and POST them, record
//! each attempt, and schedule retries. Nothing is lost if a node dies: its
//! leases run out and another node takes the deliveries over.

mod claimed;
mod dispatcher;
mod guard;
mod job;
mod outbound;
mod payload;
mod recorder;
mod resolver;
mod schedule;
pub mod secrets;
mod signing;
mod wakeups;

pub use dispatcher::{Dispatcher, DispatcherConfig, DispatcherError, Wakeup};
pub use guard::GuardConfig;
pub use outbound::{check_destination, OutboundError};
pub use payload::{event_object, webhook_body};
pub use resolver::{PublicOnlyResolver, ResolveError};
pub use schedule::RetrySchedule;
pub use signing::{signature_header, verify_signature, SignatureError};
pub use wakeups::spawn_redis_wakeups;
