/// Why a channel call failed. Each variant maps to one HTTP status and code
/// in the server's error mapping.
#[derive(Debug, thiserror::Error)]
pub enum ChannelError {
    /// The channel is not configured, or its configuration is invalid.
    #[error("channel configuration invalid: {0}")]
    Config(String),
    /// The provider refused the request; `code` is the provider's own.
    #[error("channel refused: {code}: {message}")]
    Refused { code: String, message: String },
    /// The provider could not be reached or answered garbage.
    #[error("channel unavailable: {0}")]
    Unavailable(String),
    /// A response or notification failed signature verification.
    #[error("signature verification failed: {0}")]
    BadSignature(String),
    /// A notification is authentic but addressed to another merchant account.
    #[error("notification does not match: {0}")]
    Mismatch(String),
    /// A notification was malformed.
    #[error("malformed notification: {0}")]
    Malformed(String),
}
