//! ODK Collect and KoboCollect submit to ntm-field over OpenRosa (product.md §8,
//! `../shared/reference/odk-openrosa.md`). Each enrolled device has its own server URL,
//! `/odk/key/{token}` (the device token of an ordinary enrollment, in the path as ODK Central
//! does it); under it Collect finds the form list, the three forms with their per-commune media
//! files, and `submission`. Every submission becomes versions through the core's validation and
//! the push's storage path, so facts, conflicts, the scorecard, the dashboard and the reports
//! follow as for the app's own records.
//!
//! | module | what |
//! |---|---|
//! | [`xml`] | safe parsing of submissions (no DTD, bounded size and nodes); form list, manifest and OpenRosaResponse documents |
//! | [`forms`] | the committed XForms (`assets/odk/`) and the media files made from a commune's registry |
//! | [`submission`] | an instance to the versions it becomes (ids from the instanceID, edits, geopoint and geotrace) |
//! | [`handlers`] | the HTTP endpoints |
//! | [`settings`] | Collect's server URL and settings QR code for a device |

pub mod forms;
pub mod handlers;
pub mod settings;
pub mod submission;
pub mod xml;

use std::borrow::Cow;
use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, Request};
use axum::http::Method;
use axum::routing::get;
use axum::{Extension, Router};

use crate::AppState;

/// The routes under `/odk/key/{token}`.
pub fn router(state: &AppState) -> Router<Arc<AppState>> {
    let body_limit = handlers::ACCEPT_CONTENT_LENGTH.max(state.limits.max_photo_bytes as usize)
        + xml::MAX_XML_BYTES
        + (1 << 20);
    Router::new()
        .route("/odk/key/{token}/formList", get(handlers::form_list))
        .route(
            "/odk/key/{token}/forms/{form_id}/form.xml",
            get(handlers::form_xml),
        )
        .route(
            "/odk/key/{token}/forms/{form_id}/manifest",
            get(handlers::manifest),
        )
        .route(
            "/odk/key/{token}/forms/{form_id}/media/{file}",
            get(handlers::media_file),
        )
        .route(
            "/odk/key/{token}/submission",
            get(handlers::submission_head)
                .head(handlers::submission_head)
                .post(handlers::submit)
                .layer(DefaultBodyLimit::max(body_limit)),
        )
        .layer(Extension(Arc::new(handlers::OdkState::default())))
}

/// A POST of a submission: on 2G it may take minutes, so it is not held to the request
/// timeout; it reads its body with an idle timeout instead (`handlers::read_parts`).
pub fn is_submission_post(req: &Request) -> bool {
    req.method() == Method::POST
        && req.uri().path().starts_with("/odk/key/")
        && req.uri().path().ends_with("/submission")
}

/// A request path as logged: the token of `/odk/key/{token}/...` is a password and never
/// reaches a log.
pub fn redact_path(path: &str) -> Cow<'_, str> {
    match path.strip_prefix("/odk/key/") {
        Some(rest) => {
            let tail = rest.find('/').map_or("", |i| &rest[i..]);
            Cow::Owned(format!("/odk/key/[token]{tail}"))
        }
        None => Cow::Borrowed(path),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logged_paths_never_carry_the_token() {
        assert_eq!(
            redact_path("/odk/key/ntmd_secret/forms/x/form.xml"),
            "/odk/key/[token]/forms/x/form.xml"
        );
        assert_eq!(redact_path("/odk/key/ntmd_secret"), "/odk/key/[token]");
        assert_eq!(redact_path("/api/v1/sync/push"), "/api/v1/sync/push");
    }
}
