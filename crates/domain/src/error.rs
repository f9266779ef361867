use std::fmt;

/// Why a parameter was refused. Each variant is one stable `code` on the wire,
/// so clients can branch on it without parsing messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamErrorCode {
    Missing,
    Invalid,
    TooLong,
    OutOfRange,
    Unsupported,
    Duplicate,
}

impl ParamErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ParamErrorCode::Missing => "parameter_missing",
            ParamErrorCode::Invalid => "parameter_invalid",
            ParamErrorCode::TooLong => "parameter_too_long",
            ParamErrorCode::OutOfRange => "parameter_out_of_range",
            ParamErrorCode::Unsupported => "parameter_unsupported",
            ParamErrorCode::Duplicate => "parameter_duplicate",
        }
    }
}

/// A request parameter that failed validation. `param` uses the Ping++
/// spelling (`app[id]`, `extra[open_id]`), because SDKs surface it verbatim.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ParamError {
    pub param: String,
    pub code: ParamErrorCode,
    pub message: String,
}

impl fmt::Display for ParamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl ParamError {
    pub fn new(param: impl Into<String>, code: ParamErrorCode, message: impl Into<String>) -> Self {
        Self { param: param.into(), code, message: message.into() }
    }
    pub fn missing(param: &str) -> Self {
        Self::new(param, ParamErrorCode::Missing, format!("Missing required parameter: {param}."))
    }
    pub fn invalid(param: &str, why: impl fmt::Display) -> Self {
        Self::new(param, ParamErrorCode::Invalid, format!("Invalid parameter {param}: {why}."))
    }
    pub fn too_long(param: &str, max: usize) -> Self {
        Self::new(param, ParamErrorCode::TooLong, format!("Parameter {param} is too long: at most {max} characters."))
    }
    pub fn out_of_range(param: &str, why: impl fmt::Display) -> Self {
        Self::new(param, ParamErrorCode::OutOfRange, format!("Parameter {param} is out of range: {why}."))
    }
    pub fn unsupported(param: &str, why: impl fmt::Display) -> Self {
        Self::new(param, ParamErrorCode::Unsupported, format!("Unsupported value for {param}: {why}."))
    }
}
