//! API v1 (product.md §4 and Appendix A).

pub mod accounts;
pub mod blobs;
pub mod communes;
pub mod devices;
pub mod reports;
pub mod sync;

use ntm_field::ids::Slug;

use crate::error::{ApiError, ApiResult};

/// A commune or village id from the path.
pub(crate) fn slug(s: &str, field: &str) -> ApiResult<Slug> {
    Slug::parse(s).map_err(|e| {
        ApiError::bad_request("invalid_id", format!("{field} {e}")).with_field(field.to_owned())
    })
}
