//! The one JSON error type of the API: `{"error": {"code", "message", "field"?}}` with its HTTP
//! status, mapped to a response in one `IntoResponse` impl.

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use ntm_field::protocol::{ApiError as WireError, ErrorBody};

use crate::storage::StoreError;

/// An API error: the status, a stable code, a message that says what to do next, and the field
/// at fault when there is one.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub field: Option<String>,
    pub expected_seq: Option<u64>,
    /// Extra headers (e.g. `Tus-Resumable` on tus errors, `Retry-After` on 429).
    pub headers: Vec<(&'static str, String)>,
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            field: None,
            expected_seq: None,
            headers: Vec::new(),
        }
    }

    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    pub fn with_header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
            .with_header("WWW-Authenticate", "Bearer")
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, message)
    }

    pub fn too_large(message: impl Into<String>) -> Self {
        Self::new(StatusCode::PAYLOAD_TOO_LARGE, "too_large", message)
    }

    pub fn too_many_attempts(message: impl Into<String>, retry_after_s: u64) -> Self {
        Self::new(StatusCode::TOO_MANY_REQUESTS, "too_many_attempts", message)
            .with_header("Retry-After", retry_after_s.to_string())
    }

    pub fn unsupported_media(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            message,
        )
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", message)
    }

    /// A body that could not be read as the declared type.
    pub fn invalid_body(message: impl Into<String>) -> Self {
        Self::bad_request("invalid_body", message)
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::AlreadyExists(what) => ApiError::conflict(
                "already_exists",
                format!("{what} already exists; choose another id or update it instead"),
            ),
            StoreError::NotFound(what) => ApiError::not_found(format!("{what} does not exist")),
            StoreError::Invalid { field, message } => {
                ApiError::bad_request("invalid", message).with_field(field)
            }
            StoreError::Backend(m) => {
                tracing::error!(error = %m, "storage failure");
                ApiError::internal("the server could not use its storage; try again later and tell the administrator")
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: WireError {
                code: self.code.to_owned(),
                message: self.message,
                field: self.field,
            },
            expected_seq: self.expected_seq,
        };
        let mut response = (self.status, axum::Json(body)).into_response();
        for (name, value) in self.headers {
            if let Ok(v) = HeaderValue::from_str(&value) {
                response.headers_mut().insert(name, v);
            }
        }
        response
    }
}

impl From<axum::extract::rejection::QueryRejection> for ApiError {
    fn from(e: axum::extract::rejection::QueryRejection) -> Self {
        ApiError::bad_request(
            "invalid_query",
            format!("{}; check the query parameters", e.body_text()),
        )
    }
}

impl From<axum::extract::rejection::PathRejection> for ApiError {
    fn from(e: axum::extract::rejection::PathRejection) -> Self {
        ApiError::bad_request(
            "invalid_path",
            format!("{}; check the address", e.body_text()),
        )
    }
}
