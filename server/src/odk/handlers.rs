//! The OpenRosa endpoints under a device's server URL `/odk/key/{token}`, as ODK Collect and
//! KoboCollect use them (`../shared/reference/odk-openrosa.md`): the form list, each form, its
//! media manifest and files, and `submission` (HEAD first, 204 only; then multipart POSTs).
//! Every answer carries `X-OpenRosa-Version: 1.0`; errors are an `OpenRosaResponse` with
//! `nature="error"`, a message in Vietnamese and English, and the real status.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::extract::{Path, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use chrono::Utc;
use ntm_field::config::CommuneConfig;
use ntm_field::ids::Slug;
use ntm_field::protocol::PushStatus;
use ntm_field::record::Kind;
use sha2::{Digest, Sha256};

use super::forms::{self, Media, FORMS};
use super::settings::may_submit;
use super::submission::{self, MapError};
use super::xml::{self, XmlError};
use crate::auth::{token_hash, DEVICE_TOKEN_PREFIX};
use crate::storage::odk::{SubmissionOutcome, SubmissionPost};
use crate::storage::{Device, ENTITY_PAGE};
use crate::{blocking, AppState};

/// What `HEAD /submission` advertises as `X-OpenRosa-Accept-Content-Length`: Collect's own
/// default. Collect splits a submission into POSTs of at most this many bytes of files (a larger
/// photo goes alone), each repeating the XML.
pub const ACCEPT_CONTENT_LENGTH: usize = 10_000_000;
/// Collect puts at most this many files in one POST.
pub const MAX_FILES_PER_POST: usize = 100;

/// The OpenRosa endpoints' own state: each commune's media files, made again only when the
/// commune's versions moved (its `server_head`).
#[derive(Default)]
pub struct OdkState {
    media: Mutex<HashMap<Slug, (u64, Arc<Media>)>>,
}

/// An OpenRosa error answer.
#[derive(Debug)]
pub struct OdkError {
    pub status: StatusCode,
    pub vi: String,
    pub en: String,
}

impl OdkError {
    pub fn new(status: StatusCode, vi: impl Into<String>, en: impl Into<String>) -> Self {
        OdkError {
            status,
            vi: vi.into(),
            en: en.into(),
        }
    }

    fn bad(vi: impl Into<String>, en: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, vi, en)
    }

    fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Máy chủ đang gặp sự cố; Collect sẽ gửi lại sau, hoặc báo quản trị viên.",
            "The server could not store this; send it again later, or tell the administrator.",
        )
    }
}

impl From<crate::error::ApiError> for OdkError {
    fn from(e: crate::error::ApiError) -> Self {
        if e.status.is_server_error() {
            return OdkError::internal();
        }
        OdkError::new(e.status, e.message.clone(), e.message)
    }
}

impl From<crate::storage::StoreError> for OdkError {
    fn from(e: crate::storage::StoreError) -> Self {
        crate::error::ApiError::from(e).into()
    }
}

fn openrosa(status: StatusCode, content_type: &'static str, body: Vec<u8>) -> Response {
    let mut r = (status, body).into_response();
    let h = r.headers_mut();
    h.insert("X-OpenRosa-Version", HeaderValue::from_static("1.0"));
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

const XML: &str = "text/xml; charset=utf-8";

impl IntoResponse for OdkError {
    fn into_response(self) -> Response {
        let message = format!("{} / {}", self.vi, self.en);
        openrosa(
            self.status,
            XML,
            xml::openrosa_response(&message, true).into_bytes(),
        )
    }
}

fn success(message_vi: &str, message_en: &str) -> Response {
    let body = xml::openrosa_response(&format!("{message_vi} / {message_en}"), false);
    openrosa(StatusCode::CREATED, XML, body.into_bytes())
}

type OdkResult<T = Response> = Result<T, OdkError>;

/// The device whose token is in the path, and its commune. An unknown or revoked token closes
/// the whole URL.
async fn device(state: &Arc<AppState>, token: &str) -> OdkResult<(Device, CommuneConfig)> {
    let refused = || {
        OdkError::new(
            StatusCode::FORBIDDEN,
            "Địa chỉ máy chủ này không còn dùng được; xin cán bộ xã mã QR mới.",
            "This server address no longer works; ask a commune officer for a new QR code.",
        )
    };
    if !token.starts_with(DEVICE_TOKEN_PREFIX) || token.len() > 100 {
        return Err(refused());
    }
    let storage = state.storage.clone();
    let hash = token_hash(token);
    let Some(device) = blocking(move || Ok(storage.device_by_token(&hash)?)).await? else {
        return Err(refused());
    };
    if device.revoked_at.is_some() {
        return Err(OdkError::new(
            StatusCode::FORBIDDEN,
            "Điện thoại này đã bị thu hồi; xin cán bộ xã mã QR mới.",
            "This phone was revoked; ask a commune officer for a new QR code.",
        ));
    }
    // A phone of a commune a merger put into another works for the new one.
    let device = crate::auth::moved(state, device).await?;
    let storage = state.storage.clone();
    let id = device.commune_id.clone();
    match blocking(move || Ok(storage.commune_config(&id)?)).await? {
        Some(config) => Ok((device, config)),
        None => Err(refused()),
    }
}

/// The address Collect reached the server at (its download URLs use the same).
fn base_url(parts: &Parts, token: &str) -> String {
    format!(
        "{}/odk/key/{token}",
        crate::dashboard::admin::server_base(parts)
    )
}

/// The forms the commune has on.
async fn forms_on(state: &Arc<AppState>, commune: &Slug) -> OdkResult<Vec<&'static forms::Form>> {
    let storage = state.storage.clone();
    let id = commune.clone();
    let off = blocking(move || Ok(storage.odk_forms_off(&id)?)).await?;
    Ok(FORMS.iter().filter(|f| !off.contains(f.id)).collect())
}

async fn form_on(
    state: &Arc<AppState>,
    commune: &Slug,
    form_id: &str,
) -> OdkResult<&'static forms::Form> {
    forms_on(state, commune)
        .await?
        .into_iter()
        .find(|f| f.id == form_id)
        .ok_or_else(|| {
            OdkError::new(
                StatusCode::NOT_FOUND,
                format!("Xã không dùng biểu mẫu {form_id}; tải lại danh sách biểu mẫu."),
                format!("The commune does not use form {form_id}; get the blank forms again."),
            )
        })
}

/// `GET /odk/key/{token}/formList`.
pub async fn form_list(
    State(state): State<Arc<AppState>>,
    Path(token): Path<String>,
    parts: Parts,
) -> OdkResult {
    let (device, _) = device(&state, &token).await?;
    let base = base_url(&parts, &token);
    let listed: Vec<xml::ListedForm> = forms_on(&state, &device.commune_id)
        .await?
        .into_iter()
        .map(|f| xml::ListedForm {
            form_id: f.id,
            name: f.name,
            version: f.version,
            md5_hex: f.md5_hex().to_owned(),
            download_url: format!("{base}/forms/{}/form.xml", f.id),
            manifest_url: Some(format!("{base}/forms/{}/manifest", f.id)),
        })
        .collect();
    Ok(openrosa(
        StatusCode::OK,
        XML,
        xml::form_list(&listed).into_bytes(),
    ))
}

/// `GET /odk/key/{token}/forms/{form_id}/form.xml`: the XForm, byte for byte as hashed.
pub async fn form_xml(
    State(state): State<Arc<AppState>>,
    Path((token, form_id)): Path<(String, String)>,
) -> OdkResult {
    let (device, _) = device(&state, &token).await?;
    let form = form_on(&state, &device.commune_id, &form_id).await?;
    Ok(openrosa(StatusCode::OK, XML, form.xml.to_vec()))
}

async fn media(
    state: &Arc<AppState>,
    odk: &OdkState,
    config: &CommuneConfig,
) -> OdkResult<Arc<Media>> {
    let storage = state.storage.clone();
    let log: Vec<Slug> = std::iter::once(config.commune.id.clone())
        .chain(config.merged_from.iter().cloned())
        .collect();
    let communes = log.clone();
    // The latest head of the commune and of those a merger made it from.
    let head = blocking(move || {
        let mut head = 0;
        for c in &communes {
            head = head.max(storage.server_head(c)?);
        }
        Ok(head)
    })
    .await?;
    let cached = odk
        .media
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get(&config.commune.id)
        .filter(|(h, _)| *h == head)
        .map(|(_, m)| m.clone());
    if let Some(m) = cached {
        return Ok(m);
    }
    let storage = state.storage.clone();
    let commune = config.commune.clone();
    let made = Arc::new(
        blocking(move || {
            // Only the registry: households, read a page at a time (never the roads' tracks).
            // And those of the communes a merger made it from (`Media::of` keeps its villages').
            let mut households = Vec::new();
            for c in &log {
                storage.for_each_entity(c, ENTITY_PAGE, &mut |page| {
                    households.extend(page.iter().filter(|v| v.kind() == Kind::Household).cloned());
                    Ok(())
                })?;
            }
            Ok(Media::of(&commune, &households))
        })
        .await?,
    );
    odk.media
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(config.commune.id.clone(), (head, made.clone()));
    Ok(made)
}

/// `GET /odk/key/{token}/forms/{form_id}/manifest`.
pub async fn manifest(
    State(state): State<Arc<AppState>>,
    Extension(odk): Extension<Arc<OdkState>>,
    Path((token, form_id)): Path<(String, String)>,
    parts: Parts,
) -> OdkResult {
    let (device, config) = device(&state, &token).await?;
    let form = form_on(&state, &device.commune_id, &form_id).await?;
    let media = media(&state, &odk, &config).await?;
    let base = base_url(&parts, &token);
    let files: Vec<(&str, String, String)> = form
        .media()
        .iter()
        .map(|name| {
            (
                *name,
                forms::md5_hex(media.file(name).unwrap_or_default()),
                format!("{base}/forms/{}/media/{name}", form.id),
            )
        })
        .collect();
    Ok(openrosa(
        StatusCode::OK,
        XML,
        xml::manifest(&files).into_bytes(),
    ))
}

/// `GET /odk/key/{token}/forms/{form_id}/media/{file}`.
pub async fn media_file(
    State(state): State<Arc<AppState>>,
    Extension(odk): Extension<Arc<OdkState>>,
    Path((token, form_id, file)): Path<(String, String, String)>,
) -> OdkResult {
    let (device, config) = device(&state, &token).await?;
    let form = form_on(&state, &device.commune_id, &form_id).await?;
    if !form.media().contains(&file.as_str()) {
        return Err(OdkError::new(
            StatusCode::NOT_FOUND,
            format!("Biểu mẫu không có tệp {file}."),
            format!("The form has no file {file}."),
        ));
    }
    let media = media(&state, &odk, &config).await?;
    Ok(openrosa(
        StatusCode::OK,
        "text/csv; charset=utf-8",
        media.file(&file).unwrap_or_default().to_vec(),
    ))
}

/// `HEAD` (and `GET`) `/odk/key/{token}/submission`: 204 with the size Collect may send.
pub async fn submission_head(
    State(state): State<Arc<AppState>>,
    Path(token): Path<String>,
) -> OdkResult {
    device(&state, &token).await?;
    let mut r = openrosa(StatusCode::NO_CONTENT, XML, Vec::new());
    r.headers_mut().insert(
        "X-OpenRosa-Accept-Content-Length",
        HeaderValue::from(ACCEPT_CONTENT_LENGTH),
    );
    Ok(r)
}

/// The parts of one POST.
struct Received {
    xml: Vec<u8>,
    incomplete: bool,
    files: Vec<(String, Vec<u8>, String)>,
}

fn too_large() -> OdkError {
    OdkError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "Phiếu hoặc ảnh quá lớn; chụp ảnh nhỏ hơn hoặc gửi ít ảnh hơn mỗi lần.",
        "The form or a photo is too large; take smaller photos or send fewer at a time.",
    )
}

fn multipart_error(e: axum::extract::multipart::MultipartError) -> OdkError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return too_large();
    }
    OdkError::bad(
        format!("Không đọc được phần gửi lên ({}); gửi lại.", e.body_text()),
        format!(
            "The upload could not be read ({}); send it again.",
            e.body_text()
        ),
    )
}

fn idle() -> OdkError {
    OdkError::new(
        StatusCode::REQUEST_TIMEOUT,
        "Kết nối quá chậm hoặc bị ngắt; Collect sẽ gửi lại.",
        "The connection stalled or dropped; Collect will send it again.",
    )
}

/// The content type a photo part is stored with: the part's own when it is an image, else by
/// the file's extension.
fn photo_type(name: &str, declared: Option<&str>) -> Option<String> {
    match declared {
        Some(t) if t.starts_with("image/") => Some(t.to_owned()),
        _ => {
            let lower = name.to_ascii_lowercase();
            if lower.ends_with(".jpg") || lower.ends_with(".jpeg") {
                Some("image/jpeg".into())
            } else if lower.ends_with(".png") {
                Some("image/png".into())
            } else {
                None
            }
        }
    }
}

async fn read_parts(state: &AppState, mut multipart: Multipart) -> OdkResult<Received> {
    let idle_for = state.limits.upload_idle_timeout;
    let mut received = Received {
        xml: Vec::new(),
        incomplete: false,
        files: Vec::new(),
    };
    let mut has_xml = false;
    loop {
        let next = tokio::time::timeout(idle_for, multipart.next_field())
            .await
            .map_err(|_| idle())?
            .map_err(multipart_error)?;
        let Some(mut field) = next else { break };
        let name = field.name().unwrap_or("").to_owned();
        let file_name = field.file_name().map(str::to_owned);
        let content_type = field.content_type().map(str::to_owned);
        let limit = match name.as_str() {
            "xml_submission_file" => xml::MAX_XML_BYTES,
            "*isIncomplete*" => 16,
            _ => state.limits.max_photo_bytes as usize,
        };
        let mut bytes = Vec::new();
        loop {
            let chunk = tokio::time::timeout(idle_for, field.chunk())
                .await
                .map_err(|_| idle())?
                .map_err(multipart_error)?;
            let Some(chunk) = chunk else { break };
            if bytes.len() + chunk.len() > limit {
                return Err(too_large());
            }
            bytes.extend_from_slice(&chunk);
        }
        match name.as_str() {
            "xml_submission_file" => {
                has_xml = true;
                received.xml = bytes;
            }
            "*isIncomplete*" => received.incomplete = bytes.trim_ascii() == b"yes",
            _ => {
                if received.files.len() == MAX_FILES_PER_POST {
                    return Err(OdkError::new(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        format!("Mỗi lần gửi tối đa {MAX_FILES_PER_POST} tệp."),
                        format!("At most {MAX_FILES_PER_POST} files per POST."),
                    ));
                }
                // Collect names each file part by the file's base name.
                let raw = file_name.unwrap_or(name);
                let base = raw.rsplit(['/', '\\']).next().unwrap_or("").to_owned();
                let Some(ct) = photo_type(&base, content_type.as_deref()) else {
                    return Err(OdkError::new(
                        StatusCode::UNSUPPORTED_MEDIA_TYPE,
                        format!("Tệp {base} không phải là ảnh."),
                        format!("The file {base} is not a photo."),
                    ));
                };
                received.files.push((base, bytes, ct));
            }
        }
    }
    if !has_xml {
        return Err(OdkError::bad(
            "Thiếu phần xml_submission_file; gửi lại từ ODK Collect.",
            "The xml_submission_file part is missing; send it again from ODK Collect.",
        ));
    }
    Ok(received)
}

fn xml_error(e: XmlError) -> OdkError {
    match e {
        XmlError::TooLarge => too_large(),
        e => OdkError::bad(
            format!("Phiếu không đọc được: {e}."),
            format!("The submission cannot be read: {e}."),
        ),
    }
}

fn map_error(e: MapError) -> OdkError {
    OdkError::bad(
        format!(
            "Phiếu chưa đúng ở câu {}: {}. Sửa phiếu rồi gửi lại.",
            e.field, e.reason
        ),
        format!(
            "The submission is wrong at {}: {}. Correct it and send it again.",
            e.field, e.reason
        ),
    )
}

/// `POST /odk/key/{token}/submission`: one POST of a submission (see `storage::odk`).
pub async fn submit(
    State(state): State<Arc<AppState>>,
    Path(token): Path<String>,
    multipart: Result<Multipart, MultipartRejection>,
) -> OdkResult {
    let (device, config) = device(&state, &token).await?;
    if !may_submit(device.role) {
        return Err(OdkError::new(
            StatusCode::FORBIDDEN,
            "Vai trò xem không gửi được phiếu.",
            "A viewer cannot send submissions.",
        ));
    }
    let multipart = multipart.map_err(|e| {
        OdkError::bad(
            format!("Cần gửi multipart/form-data ({}).", e.body_text()),
            format!("Send multipart/form-data ({}).", e.body_text()),
        )
    })?;
    let received = read_parts(&state, multipart).await?;
    let instance = xml::parse_instance(&received.xml).map_err(xml_error)?;
    let header = submission::header(&instance).map_err(map_error)?;
    form_on(&state, &device.commune_id, header.form.id).await?;
    let named = submission::named_files(header.form, &instance);
    if let Some((stray, _, _)) = received.files.iter().find(|(n, _, _)| !named.contains(n)) {
        return Err(OdkError::bad(
            format!("Tệp {stray} không thuộc phiếu này; không có gì được lưu."),
            format!("The file {stray} is not named in this submission; nothing was stored."),
        ));
    }
    let replaces = match &header.deprecated_id {
        None => None,
        Some(old) => {
            let storage = state.storage.clone();
            let old_id = old.clone();
            let recorded = blocking(move || Ok(storage.odk_submission(&old_id)?)).await?;
            match recorded {
                None => {
                    return Err(OdkError::new(
                        StatusCode::NOT_FOUND,
                        format!("Không có phiếu gốc {old} để sửa; gửi phiếu gốc trước."),
                        format!("There is no submission {old} to edit; send the original first."),
                    ))
                }
                Some(s) if s.commune_id != device.commune_id => {
                    return Err(other_commune());
                }
                Some(s) => Some(s),
            }
        }
    };
    let drafts = submission::drafts(
        &header,
        &instance,
        device.device_id,
        &config.commune,
        replaces.as_ref(),
    )
    .map_err(map_error)?;

    // The photos first, so that a version never names a photo the server cannot serve.
    let st = state.clone();
    let files = received.files;
    let stored_files = blocking(move || {
        let mut out = Vec::with_capacity(files.len());
        for (name, bytes, content_type) in files {
            let id = st.photos.put(&bytes).map_err(|e| {
                crate::error::ApiError::internal(format!("cannot store a photo: {e}"))
            })?;
            st.storage
                .insert_photo(&id, bytes.len() as u64, &content_type, Utc::now())?;
            out.push((name, id));
        }
        Ok(out)
    })
    .await?;
    let post = SubmissionPost {
        instance_id: header.instance_id.clone(),
        device_id: device.device_id,
        commune_id: device.commune_id.clone(),
        form_id: header.form.id.to_owned(),
        xml_sha256: Sha256::digest(&received.xml).into(),
        expected: named,
        files: stored_files,
        drafts,
        received_at: Utc::now(),
    };
    let storage = state.storage.clone();
    let outcome = blocking(move || Ok(storage.receive_odk_submission(&post)?)).await?;
    match outcome {
        SubmissionOutcome::Waiting { missing } if received.incomplete => Ok(success(
            &format!("Đã nhận phần này; còn chờ {} ảnh.", missing.len()),
            &format!("Received; {} more files to come.", missing.len()),
        )),
        SubmissionOutcome::Waiting { missing } => Err(OdkError::bad(
            format!("Còn thiếu ảnh {}; phiếu được giữ lại chờ ảnh: gửi lại phiếu này.", missing.join(", ")),
            format!("Files {} are missing; the submission waits for them: send it again.", missing.join(", ")),
        )),
        SubmissionOutcome::Stored { results } => {
            if let Some(r) = results.iter().find(|r| r.status == PushStatus::Rejected) {
                let reason = r.reason.clone().unwrap_or_default();
                return Err(OdkError::bad(
                    format!("Phiếu không được nhận: {reason}."),
                    format!("The submission was refused: {reason}."),
                ));
            }
            tracing::info!(device = %device.device_id, form = header.form.id, versions = results.len(), "OpenRosa submission stored");
            Ok(success("Đã nhận phiếu.", "Submission received."))
        }
        SubmissionOutcome::OtherXml => Err(OdkError::new(
            StatusCode::CONFLICT,
            "Phiếu này đã được gửi với nội dung khác; hãy sửa phiếu (tạo bản sửa) thay vì gửi lại.",
            "This submission was already sent with other content; edit it instead of sending it again.",
        )),
        SubmissionOutcome::OtherFile(name) => Err(OdkError::new(
            StatusCode::CONFLICT,
            format!("Ảnh {name} đã được gửi với nội dung khác."),
            format!("The file {name} was already sent with other content."),
        )),
        SubmissionOutcome::OtherCommune => Err(other_commune()),
    }
}

fn other_commune() -> OdkError {
    OdkError::new(
        StatusCode::FORBIDDEN,
        "Phiếu này thuộc xã khác; không có gì được lưu.",
        "This submission belongs to another commune; nothing was stored.",
    )
}
