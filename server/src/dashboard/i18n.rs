//! The dashboard's message catalog (Vietnamese first, English second) and the way Vietnam
//! writes numbers and dates: `24,62 %`, `1.830 hộ`, `dd/MM/yyyy`, Asia/Ho_Chi_Minh.
//!
//! Messages are keyed by short dotted names; a unit test reads the dashboard's sources and
//! fails when a key used there is missing here, so a page never shows a raw key.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Asia::Ho_Chi_Minh;

/// The language a page is shown in. Vietnamese unless the user chose English.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Vi,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Vi => "vi",
            Lang::En => "en",
        }
    }

    pub fn parse(s: &str) -> Option<Lang> {
        match s {
            "vi" => Some(Lang::Vi),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// A message of the catalog.
    pub fn t(self, key: &str) -> &'static str {
        match MESSAGES.iter().find(|(k, _, _)| *k == key) {
            Some((_, vi, en)) => match self {
                Lang::Vi => vi,
                Lang::En => en,
            },
            None => {
                debug_assert!(
                    false,
                    "message {key:?} is missing from the dashboard catalog"
                );
                "?"
            }
        }
    }

    /// Whether `key` is a message of the catalog.
    pub fn knows(key: &str) -> bool {
        MESSAGES.iter().any(|(k, _, _)| *k == key)
    }

    /// Picks the Vietnamese or English of a pair that comes with the data (catalog names).
    pub fn pick<'a>(self, vi: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Vi => vi,
            Lang::En => en,
        }
    }

    fn separators(self) -> (char, char) {
        match self {
            Lang::Vi => ('.', ','),
            Lang::En => (',', '.'),
        }
    }

    /// A number with at most `max_decimals` decimals (trailing zeros dropped) and grouped
    /// thousands: `1.830`, `24,62`, `6,6` in Vietnamese.
    pub fn num(self, x: f64, max_decimals: usize) -> String {
        if !x.is_finite() {
            return "–".to_owned();
        }
        let (group, decimal) = self.separators();
        let text = format!("{:.*}", max_decimals, x.abs());
        let (int_part, frac_part) = match text.split_once('.') {
            Some((i, f)) => (i.to_owned(), f.trim_end_matches('0').to_owned()),
            None => (text.clone(), String::new()),
        };
        let mut grouped = String::new();
        for (i, c) in int_part.chars().enumerate() {
            if i > 0 && (int_part.len() - i) % 3 == 0 {
                grouped.push(group);
            }
            grouped.push(c);
        }
        let negative = x < 0.0 && (int_part.chars().any(|c| c != '0') || !frac_part.is_empty());
        let mut out = String::new();
        if negative {
            out.push('-');
        }
        out.push_str(&grouped);
        if !frac_part.is_empty() {
            out.push(decimal);
            out.push_str(&frac_part);
        }
        out
    }

    /// A percentage 0–100: `24,62 %`.
    pub fn pct(self, x: f64) -> String {
        format!("{} %", self.num(x, 2))
    }

    /// A whole count: `1.830`.
    pub fn int(self, n: u64) -> String {
        self.num(n as f64, 0)
    }
}

/// `dd/MM/yyyy`, the way dates are written in Vietnam (in both languages of the dashboard).
pub fn date(d: NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

/// `dd/MM/yyyy HH:mm`, in Vietnam time.
pub fn datetime(t: DateTime<Utc>) -> String {
    t.with_timezone(&Ho_Chi_Minh)
        .format("%d/%m/%Y %H:%M")
        .to_string()
}

/// A device-written time, shown in Vietnam time whatever offset the phone used.
pub fn datetime_fixed(t: &chrono::DateTime<chrono::FixedOffset>) -> String {
    datetime(t.with_timezone(&Utc))
}

/// Catalog: (key, Vietnamese, English).
static MESSAGES: &[(&str, &str, &str)] = &[
    // Shell and navigation.
    ("app.title", "Nông thôn mới – Bảng theo dõi", "New Rural Development – Dashboard"),
    ("app.short", "NTM", "NTM"),
    ("nav.scorecard", "Bộ tiêu chí", "Scorecard"),
    ("nav.villages", "Các thôn", "Villages"),
    ("nav.map", "Bản đồ", "Map"),
    ("nav.records", "Hồ sơ", "Records"),
    ("nav.conflicts", "Xung đột", "Conflicts"),
    ("nav.reports", "Báo cáo", "Reports"),
    ("nav.settings", "Chỉ tiêu & phân công", "Targets & duties"),
    ("nav.devices", "Thiết bị", "Devices"),
    ("nav.households", "Nhập hộ", "Import households"),
    ("nav.overview", "Tổng quan", "Overview"),
    ("nav.users", "Tài khoản", "Accounts"),
    ("nav.communes", "Các xã", "Communes"),
    ("nav.logout", "Đăng xuất", "Log out"),
    ("nav.language", "English", "Tiếng Việt"),
    ("nav.signed_in_as", "Đăng nhập:", "Signed in:"),
    ("role.admin", "quản trị", "administrator"),
    ("role.officer", "cán bộ", "officer"),
    ("role.viewer", "xem", "viewer"),
    ("role.enumerator", "điều tra viên", "enumerator"),
    // Login.
    ("login.title", "Đăng nhập", "Log in"),
    ("login.username", "Tên đăng nhập", "User name"),
    ("login.password", "Mật khẩu", "Password"),
    ("login.submit", "Đăng nhập", "Log in"),
    ("login.failed", "Sai tên đăng nhập hoặc mật khẩu. Kiểm tra lại cả hai rồi thử lại.", "Wrong user name or password. Check both and try again."),
    ("login.throttled", "Đăng nhập sai quá nhiều lần. Hãy đợi 15 phút rồi thử lại.", "Too many failed logins. Wait 15 minutes and try again."),
    ("login.logged_out", "Bạn đã đăng xuất.", "You are logged out."),
    // Errors.
    ("error.title", "Không thực hiện được", "Could not do that"),
    ("error.csrf", "Biểu mẫu đã hết hạn hoặc không hợp lệ. Hãy tải lại trang rồi gửi lại.", "The form expired or is not valid. Reload the page and send it again."),
    ("error.forbidden", "Bạn không có quyền với trang này. Hãy liên hệ quản trị viên nếu cần quyền.", "You may not use this page. Ask an administrator if you need access."),
    ("error.not_found", "Không tìm thấy trang hoặc hồ sơ này.", "This page or record does not exist."),
    ("error.login", "Phiên đăng nhập đã hết hoặc chưa đăng nhập. Hãy đăng nhập lại rồi gửi lại.", "You are not logged in, or the session has ended. Log in and send it again."),
    ("error.back", "Quay lại", "Go back"),
    ("error.invalid", "Có giá trị chưa hợp lệ. Kiểm tra lại các ô rồi gửi lại.", "A value is not valid. Check the fields and send again."),
    ("error.server", "Máy chủ chưa lưu được. Hãy thử lại sau ít phút; nếu vẫn lỗi, báo quản trị viên.", "The server could not save this. Try again in a few minutes; if it keeps failing, tell the administrator."),
    ("error.too_many", "Bạn đã thử quá nhiều lần. Hãy đợi ít phút rồi thử lại.", "Too many attempts. Wait a few minutes and try again."),
    ("error.exists", "Mã hoặc tên này đã có. Hãy chọn mã hoặc tên khác.", "This id or name is taken. Choose another one."),
    ("error.threshold", "Mức phải là một số từ 0 trở lên (phần trăm không quá 100), ví dụ 50 hoặc 26,7.", "The threshold must be a number, 0 or more (a percentage at most 100), e.g. 50 or 26.7."),
    ("error.source", "Ghi rõ văn bản căn cứ của mức này (tối đa 500 ký tự).", "Say which decision the threshold comes from (at most 500 characters)."),
    ("error.indicator", "Chọn một chỉ tiêu có trong bộ tiêu chí (ví dụ 2.4, 17.6).", "Choose an indicator of the criteria catalog (e.g. 2.4, 17.6)."),
    ("error.quota", "Chỉ tiêu giao phải là một số từ 0 trở lên, và ngày bắt đầu tính là một ngày.", "The quota must be a number, 0 or more, and counted-from a date."),
    ("error.since", "Ngày bắt đầu tính phải từ năm 2000 đến năm 2100.", "Counted-from must be a date between 2000 and 2100."),
    ("error.village", "Chọn một thôn của xã này.", "Choose a village of this commune."),
    ("error.measure", "Chọn một nội dung có trong danh sách.", "Choose a measure from the list."),
    ("error.role", "Chọn vai trò: cán bộ hoặc tài khoản xem. Điều tra viên không dùng tài khoản mà đăng ký điện thoại bằng mã.", "Choose a role: officer or viewer. Enumerators have no account; they enroll a phone with a code."),
    ("error.hours", "Chọn vai trò, và hiệu lực của mã từ 1 đến 720 giờ (30 ngày).", "Choose a role, and a validity of 1 to 720 hours (30 days)."),
    ("error.holder", "Tên người dùng thiết bị phải từ 1 đến 200 ký tự.", "The holder's name must be 1 to 200 characters."),
    ("error.username", "Tên đăng nhập gồm 1 đến 64 chữ cái, chữ số hoặc . _ - @.", "A user name is 1 to 64 letters, digits or . _ - @."),
    ("error.password", "Mật khẩu cần ít nhất 8 ký tự.", "A password needs at least 8 characters."),
    ("error.scope", "Cán bộ và tài khoản xem cần đúng một phạm vi: một xã hoặc một tỉnh. Quản trị viên không có phạm vi.", "An officer or viewer needs exactly one scope: a commune or a province. Administrators have none."),
    ("error.province", "Ghi tên tỉnh.", "Give the province."),
    ("error.name", "Tên phải từ 1 đến 200 ký tự.", "A name must be 1 to 200 characters."),
    ("error.commune_id", "Mã xã chỉ gồm a-z, 0-9 và dấu '-'; chọn một vùng trong danh sách.", "A commune id uses only a-z, 0-9 and '-'; choose a region from the list."),
    ("error.villages", "Mỗi dòng một thôn: mã (a-z, 0-9, '-'), dấu phẩy, tên; từ 1 đến 500 thôn, không trùng mã.", "One village a line: its id (a-z, 0-9, '-'), a comma, its name; 1 to 500 villages, no id twice."),
    ("error.responsibility", "Chọn một tiêu chí hoặc chỉ tiêu có trong bộ tiêu chí; tên người phụ trách tối đa 500 ký tự.", "Choose a criterion or indicator of the catalog; at most 500 characters of names."),
    ("error.village_form", "Mã thôn chỉ gồm a-z, 0-9 và dấu '-'; tên thôn từ 1 đến 200 ký tự.", "A village id uses only a-z, 0-9 and '-'; a village name is 1 to 200 characters."),
    ("error.as_of", "Ngày phải có dạng năm-tháng-ngày, từ năm 2000 đến 2100, ví dụ 2020-06-30.", "The date must be year-month-day, from 2000 to 2100, e.g. 2020-06-30."),
    ("error.bad_form", "Không đọc được biểu mẫu gửi lên. Hãy tải lại trang rồi gửi lại.", "The form could not be read. Reload the page and send it again."),
    ("error.file", "Chọn một tệp CSV để nhập.", "Choose a CSV file to import."),
    ("error.merge", "Phiên bản hợp nhất không qua được kiểm tra. Hãy tải lại trang rồi chọn lại.", "The merge version did not pass validation. Reload the page and choose again."),
    // Scorecard.
    ("sc.title", "Bộ tiêu chí nông thôn mới", "New Rural Development scorecard"),
    ("sc.criteria_met", "tiêu chí đạt", "criteria met"),
    ("sc.no_data", "Chưa có dữ liệu", "No data yet"),
    ("sc.none_left", "không còn", "none left"),
    ("sc.threshold_note", "Mức đạt theo", "Thresholds of"),
    ("sc.threshold_note_overrides", "mức do tỉnh hoặc xã đặt ghi rõ nguồn ở từng dòng; rê chuột lên mức để xem trích dẫn.", "a threshold set by the province or the commune names its source on its row; hover a threshold for its citation."),
    ("sc.threshold_note_unconfirmed", "mức chưa đối chiếu được với văn bản gốc; tỉnh có thể đặt lại.", "not yet confirmed against the decision's text; the province may set it."),
    ("sc.none_checked", "Chưa có dữ liệu: chưa kiểm tra hộ nào", "No data yet: no household checked"),
    ("sc.as_of", "Tính đến ngày", "As of"),
    ("sc.show", "Xem", "Show"),
    ("sc.criterion", "Tiêu chí", "Criterion"),
    ("sc.indicator", "Chỉ tiêu", "Indicator"),
    ("sc.value", "Hiện trạng", "Value"),
    ("sc.threshold", "Mức yêu cầu", "Threshold"),
    ("sc.threshold_source", "Nguồn mức", "Threshold from"),
    ("sc.gap", "Còn thiếu", "Gap"),
    ("sc.coverage", "Độ phủ", "Coverage"),
    ("sc.conflicts", "Xung đột", "Conflicts"),
    ("sc.responsible", "Người phụ trách", "Responsible"),
    ("sc.basis", "Căn cứ", "Basis"),
    ("sc.met", "Đạt", "Met"),
    ("sc.not_met", "Chưa đạt", "Not met"),
    ("sc.unknown", "Chưa đánh giá", "Not assessed"),
    ("sc.bool_threshold", "Đạt", "Met"),
    ("sc.no_threshold", "chưa có mức", "no threshold"),
    ("sc.checked_of", "đã kiểm tra", "checked"),
    ("sc.of", "trên", "of"),
    ("sc.households", "hộ", "households"),
    ("sc.inner", "trong đó nước sạch", "of which clean water"),
    ("sc.estimate", "Ước tính từ điều tra hộ", "Household survey estimate"),
    ("sc.manual_lengths", "đoạn đường nhập tay chiều dài", "segments with a typed-in length"),
    ("sc.records", "hồ sơ", "records"),
    ("sc.trend", "Diễn biến theo tháng (số tiêu chí đạt, cuối mỗi tháng)", "Trend by month (criteria met, at each month end)"),
    ("sc.trend_indicators", "Diễn biến các chỉ tiêu đo tại thực địa (%)", "Trend of field-measured indicators (%)"),
    ("sc.conflicts_banner", "hồ sơ đang có xung đột; số liệu dùng phiên bản mới nhất. Hãy xử lý:", "records are in conflict; totals use the latest version. Resolve them:"),
    ("sc.measures", "Kết quả thực hiện theo chỉ tiêu giao", "Activity against quotas"),
    ("basis.field", "thực địa", "field"),
    ("basis.assessment", "đánh giá", "assessment"),
    ("basis.none", "chưa có", "none"),
    ("source.commune", "xã", "commune"),
    ("source.province", "tỉnh", "province"),
    ("source.region", "vùng", "region"),
    ("source.national", "chung toàn quốc", "national"),
    ("confidence.confirmed", "đã đối chiếu", "confirmed"),
    ("confidence.unconfirmed", "chưa đối chiếu", "unconfirmed"),
    ("unit.km", "km", "km"),
    ("unit.households", "hộ", "households"),
    ("unit.people", "người", "people"),
    ("unit.children", "trẻ", "children"),
    ("unit.percentage_points", "điểm %", "percentage points"),
    ("unit.million_vnd_per_person_year", "triệu đồng/người/năm", "million VND per person-year"),
    ("unit.count", "", ""),
    // Measures.
    ("measure.signs_placed", "Biển cấm đổ rác đã cắm", "No-dumping signs placed"),
    ("measure.field_road_km", "Đường trục chính nội đồng đã cứng hóa (km)", "Main intra-field roads hardened (km)"),
    ("measure.village_road_km", "Đường trục thôn đã cứng hóa (km)", "Village-axis roads hardened (km)"),
    ("measure.alley_km", "Đường ngõ xóm đã cứng hóa (km)", "Alleys hardened (km)"),
    ("measure.commune_road_km", "Đường trục xã nhựa/bê tông (km)", "Commune roads asphalt/concrete (km)"),
    ("measure.households_checked", "Hộ đã kiểm tra vệ sinh", "Households checked"),
    ("measure.quota", "Chỉ tiêu giao", "Quota"),
    ("measure.done", "Đã thực hiện", "Done"),
    // Villages.
    ("vil.title", "Kết quả theo thôn", "Results by village"),
    ("vil.village", "Thôn", "Village"),
    ("vil.indicators", "Chỉ tiêu theo thôn", "Indicators by village"),
    ("vil.commune", "Toàn xã", "Whole commune"),
    ("vil.no_quota", "chưa giao", "no quota"),
    // Map.
    ("map.title", "Bản đồ đường giao thông và biển báo", "Map of roads and signs"),
    ("map.note", "Bản đồ vẽ trên nền trơn, không cần Internet. Màu theo loại đường, nét đứt là đường chưa cứng hóa (kể cả đường theo kế hoạch hoặc đang thi công).", "The map is drawn on a plain background and needs no Internet. Colour shows the road class; dashed lines are not hardened (planned or unfinished roads included)."),
    ("map.features", "Các đối tượng trên bản đồ", "Features on the map"),
    ("map.legend", "Chú giải", "Legend"),
    ("map.sign", "Biển cấm đổ rác", "No-dumping sign"),
    ("map.no_js", "Bản đồ cần JavaScript; danh sách dưới đây có đủ các đối tượng.", "The map needs JavaScript; the list below has every feature."),
    // Records.
    ("rec.title", "Hồ sơ thực địa", "Field records"),
    ("rec.kind", "Loại", "Kind"),
    ("rec.all_kinds", "Tất cả", "All"),
    ("rec.filter", "Lọc", "Filter"),
    ("rec.captured_at", "Thời điểm ghi", "Captured"),
    ("rec.observed_on", "Ngày quan sát", "Observed on"),
    ("rec.author", "Người ghi", "Recorded by"),
    ("rec.village", "Thôn", "Village"),
    ("rec.summary", "Nội dung", "Summary"),
    ("rec.photos", "Ảnh", "Photos"),
    ("rec.open", "Xem", "Open"),
    ("rec.none", "Chưa có hồ sơ.", "No records yet."),
    ("rec.more", "Trang sau", "Next page"),
    ("rec.entity", "Hồ sơ", "Record"),
    ("rec.history", "Lịch sử phiên bản", "Version history"),
    ("rec.version", "Phiên bản", "Version"),
    ("rec.parents", "Thay cho", "Replaces"),
    ("rec.device", "Thiết bị", "Device"),
    ("rec.server_seq", "Số thứ tự máy chủ", "Server order"),
    ("rec.flags", "Cảnh báo", "Flags"),
    ("rec.head", "hiện hành", "current"),
    ("rec.deleted", "đã xóa", "deleted"),
    ("rec.location", "Vị trí", "Location"),
    ("rec.accuracy", "Sai số GPS", "GPS accuracy"),
    ("rec.length", "Chiều dài", "Length"),
    ("rec.manual", "nhập tay", "typed in"),
    ("rec.track_points", "điểm GPS", "GPS points"),
    ("rec.body", "Chi tiết", "Details"),
    ("rec.raw", "Dữ liệu gốc (JSON)", "Raw data (JSON)"),
    ("rec.evidence", "Ảnh minh chứng", "Photo evidence"),
    ("rec.no_photos", "Hồ sơ này không có ảnh.", "This record has no photos."),
    ("rec.photo_missing", "Ảnh chưa được tải lên máy chủ.", "The photo has not been uploaded yet."),
    ("rec.exif_time", "Giờ chụp (EXIF)", "Taken at (EXIF)"),
    ("rec.exif_position", "Vị trí chụp (EXIF)", "Taken at position (EXIF)"),
    ("rec.exif_none", "ảnh không có thông tin EXIF", "the photo has no EXIF data"),
    ("rec.distance", "cách vị trí hồ sơ", "from the record's position"),
    ("rec.time_diff", "lệch giờ so với hồ sơ", "apart from the record's time"),
    ("rec.far_warning", "Cảnh báo: ảnh chụp xa vị trí hồ sơ. Hãy kiểm tra lại minh chứng.", "Warning: the photo was taken far from the record's position. Check the evidence."),
    ("rec.time_warning", "Cảnh báo: giờ chụp ảnh lệch nhiều so với giờ ghi hồ sơ.", "Warning: the photo was taken long before or after the record."),
    ("rec.full_image", "Ảnh đầy đủ", "Full image"),
    ("rec.original", "Tệp gốc (có EXIF)", "Original file (with EXIF)"),
    ("flag.clock_ahead", "đồng hồ máy chạy nhanh", "device clock ahead"),
    ("flag.clock_far_behind", "đồng hồ máy chậm hơn 1 năm", "device clock over a year behind"),
    ("flag.clock_went_back", "đồng hồ máy bị lùi", "device clock went back"),
    // Conflicts.
    ("cf.title", "Hồ sơ xung đột", "Records in conflict"),
    ("cf.none", "Không có xung đột nào.", "There are no conflicts."),
    ("cf.explain", "Hai người đã sửa cùng một hồ sơ. Cả hai phiên bản đều được giữ; số liệu đang dùng phiên bản mới nhất. Chọn phiên bản đúng để hợp nhất.", "Two people edited the same record. Both versions are kept; totals use the latest. Choose the right one to merge."),
    ("cf.heads", "phiên bản hiện hành", "current versions"),
    ("cf.keep", "Giữ phiên bản này", "Keep this version"),
    ("cf.keep_confirm", "Từ nay chỉ phiên bản này được tính; các phiên bản còn lại không còn được tính nữa (vẫn giữ trong lịch sử).", "From now on only this version counts; the others no longer count (they stay in the history)."),
    ("cf.keep_do", "Chỉ giữ phiên bản này", "Keep only this version"),
    ("cf.resolved", "Đã hợp nhất: phiên bản mới thay cho tất cả phiên bản hiện hành.", "Merged: a new version replaces every current version."),
    ("cf.stale", "Hồ sơ đã thay đổi từ khi bạn mở trang. Hãy xem lại rồi chọn lần nữa.", "The record changed since you opened the page. Look again and choose once more."),
    // Kinds.
    ("kind.household", "Hộ gia đình", "Household"),
    ("kind.household_check", "Kiểm tra hộ", "Household check"),
    ("kind.road_segment", "Đoạn đường", "Road segment"),
    ("kind.trash_sign", "Biển báo", "Sign"),
    ("kind.assessment", "Đánh giá", "Assessment"),
    // Road vocabulary.
    ("road.commune", "Đường trục xã", "Commune road"),
    ("road.village_axis", "Đường trục thôn", "Village-axis road"),
    ("road.alley", "Đường ngõ xóm", "Alley"),
    ("road.field_main", "Đường trục chính nội đồng", "Main intra-field road"),
    ("surface.asphalt", "nhựa", "asphalt"),
    ("surface.concrete", "bê tông xi măng", "cement concrete"),
    ("surface.crushed_stone", "đá dăm", "crushed stone"),
    ("surface.brick", "gạch", "brick"),
    ("surface.gravel", "cấp phối/sỏi", "gravel"),
    ("surface.earth", "đất", "earth"),
    ("status.planned", "kế hoạch", "planned"),
    ("status.under_construction", "đang thi công", "under construction"),
    ("status.completed", "hoàn thành", "completed"),
    ("works.upgrade", "nâng cấp", "upgrade"),
    ("works.new", "làm mới", "new"),
    ("condition.good", "tốt", "good"),
    ("condition.damaged", "hư hỏng", "damaged"),
    ("condition.missing", "mất", "missing"),
    ("check.sanitation_ok", "đạt 17.6", "meets 17.6"),
    ("check.sanitation_fail", "chưa đạt 17.6", "fails 17.6"),
    ("check.pen_ok", "chuồng trại hợp vệ sinh", "hygienic pen"),
    ("check.pen_fail", "chuồng trại chưa hợp vệ sinh", "pen not hygienic"),
    ("check.insured", "có BHYT", "insured"),
    // Settings (targets, quotas, responsibilities).
    ("set.title", "Chỉ tiêu, chỉ tiêu giao và phân công", "Targets, quotas and responsibilities"),
    ("set.targets", "Mức yêu cầu riêng của xã", "The commune's own thresholds"),
    ("set.targets_help", "Mức của xã được ưu tiên hơn mức của tỉnh, vùng và toàn quốc. Ghi rõ văn bản căn cứ.", "A commune threshold wins over the province's, the region's and the national one. Cite the decision."),
    ("set.indicator", "Chỉ tiêu", "Indicator"),
    ("set.threshold", "Mức (%, hoặc đơn vị của chỉ tiêu)", "Threshold (%, or the indicator's unit)"),
    ("set.source", "Căn cứ (văn bản)", "Source (decision)"),
    ("set.save", "Lưu", "Save"),
    ("set.saved", "Đã lưu.", "Saved."),
    ("set.current", "Mức đang áp dụng", "Threshold in force"),
    ("set.remove", "Bỏ mức riêng", "Remove override"),
    ("set.quotas", "Chỉ tiêu giao cho thôn", "Village quotas"),
    ("set.measure", "Nội dung", "Measure"),
    ("set.target", "Chỉ tiêu", "Target"),
    ("set.since", "Tính từ ngày", "Counted from"),
    ("set.responsibilities", "Phân công phụ trách", "Responsibilities"),
    ("set.responsible_for", "Tiêu chí hoặc chỉ tiêu", "Criterion or indicator"),
    ("set.person", "Người phụ trách", "Responsible person"),
    ("set.villages", "Các thôn", "Villages"),
    ("set.village_id", "Mã thôn", "Village id"),
    ("set.village_name", "Tên thôn", "Village name"),
    ("set.viewer_note", "Tài khoản xem không được thay đổi các mức này.", "A viewer account cannot change these."),
    // Devices and enrollment.
    ("dev.title", "Thiết bị và mã đăng ký", "Devices and enrollment codes"),
    ("dev.name", "Tên thiết bị", "Device name"),
    ("dev.holder", "Người dùng", "Holder"),
    ("dev.platform", "Nền tảng", "Platform"),
    ("dev.enrolled", "Đăng ký lúc", "Enrolled"),
    ("dev.acked", "Đã nhận đến số", "Received through"),
    ("dev.state", "Trạng thái", "State"),
    ("dev.active", "đang dùng", "active"),
    ("dev.revoked", "đã thu hồi", "revoked"),
    ("dev.revoke", "Thu hồi", "Revoke"),
    ("dev.revoke_confirm", "Thu hồi thiết bị này? Thiết bị sẽ không gửi được dữ liệu nữa; những gì chưa gửi vẫn nằm trên máy cho đến khi máy được đăng ký lại.", "Revoke this device? It will not be able to send data any more; what it has not sent stays on it until it is enrolled again."),
    ("dev.revoke_do", "Thu hồi thiết bị này", "Revoke this device"),
    ("dev.revoked_done", "Đã thu hồi thiết bị. Lần gửi tiếp theo của thiết bị sẽ bị từ chối.", "The device is revoked. Its next push will be refused."),
    ("dev.new_code", "Tạo mã đăng ký thiết bị", "Create an enrollment code"),
    ("dev.role", "Vai trò", "Role"),
    ("dev.expires_in", "Hiệu lực (giờ)", "Valid for (hours)"),
    ("dev.create", "Tạo mã", "Create code"),
    ("dev.code", "Mã đăng ký", "Enrollment code"),
    ("dev.code_help", "Nhập mã này (hoặc quét mã QR) trên điện thoại. Mã chỉ dùng một lần và hết hạn lúc", "Type this code (or scan the QR code) on the phone. It works once and expires at"),
    ("dev.none", "Chưa có thiết bị nào.", "No devices yet."),
    ("dev.app", "Ứng dụng trên điện thoại", "App on the phone"),
    ("dev.app_ntm", "ntm-field", "ntm-field"),
    ("dev.app_odk", "ODK Collect / KoboCollect", "ODK Collect / KoboCollect"),
    ("odk.settings", "Cài đặt cho ODK Collect / KoboCollect", "Settings for ODK Collect / KoboCollect"),
    ("odk.step_install", "Cài ODK Collect (hoặc KoboCollect) từ Google Play.", "Install ODK Collect (or KoboCollect) from Google Play."),
    ("odk.step_scan", "Mở ứng dụng, chọn “Cấu hình bằng mã QR” (Thêm dự án) và quét mã này.", "Open the app, choose “Configure with QR code” (Add project) and scan this code."),
    ("odk.step_forms", "Chọn “Tải biểu mẫu trống”, điền phiếu và bấm “Gửi”.", "Choose “Download form”, fill in the forms and press “Send”."),
    ("odk.url", "Hoặc nhập địa chỉ máy chủ này:", "Or type this server address:"),
    ("odk.once", "Mã và địa chỉ này chỉ hiện một lần và là mật khẩu của điện thoại: quét ngay, đừng chia sẻ. Mất thì thu hồi thiết bị và tạo mã mới.", "This code and address are shown once and are the phone’s password: scan them now and do not share them. If lost, revoke the device and create a new one."),
    ("odk.forms", "Biểu mẫu cho ODK Collect", "Forms for ODK Collect"),
    ("odk.forms_help", "Điện thoại dùng ODK Collect của xã chỉ nhận các biểu mẫu được chọn (lần cập nhật biểu mẫu tiếp theo).", "The commune’s ODK Collect phones get only the forms checked (at their next form update)."),
    ("rec.track_spread", "thời điểm các điểm được chia đều (ODK Collect không ghi thời điểm)", "point times spread evenly (ODK Collect records none)"),
    // Household import.
    ("hh.title", "Nhập danh sách hộ từ tệp CSV", "Import households from a CSV file"),
    ("hh.help", "Tệp CSV mã hóa UTF-8, dòng đầu là tên cột: code,village_id,head_name,members,address. Mọi dòng được kiểm tra; nếu có lỗi thì không dòng nào được nhập.", "A UTF-8 CSV file whose first line names the columns: code,village_id,head_name,members,address. Every line is checked; if any has an error, nothing is imported."),
    ("hh.file", "Tệp CSV", "CSV file"),
    ("hh.import", "Nhập", "Import"),
    ("hh.errors", "Tệp có lỗi, chưa nhập hộ nào:", "The file has errors; nothing was imported:"),
    ("hh.line", "Dòng", "Line"),
    ("hh.imported", "Đã nhập", "Imported"),
    ("hh.skipped", "bỏ qua vì đã có mã hộ", "skipped because the code exists"),
    ("hh.registered", "Số hộ đã đăng ký", "Registered households"),
    ("hh.err_header", "Dòng đầu phải là tên các cột: code,village_id,head_name,members,address", "The first line must name the columns code,village_id,head_name,members,address"),
    ("hh.err_csv", "Không đọc được dòng này; kiểm tra số cột và dấu ngoặc kép", "This line cannot be read; check the number of columns and the quotes"),
    ("hh.err_twice", "Mã hộ xuất hiện hai lần trong tệp", "This household code appears twice in the file"),
    ("hh.err_village", "Mã thôn không thuộc xã này", "This village_id is not a village of the commune"),
    ("hh.err_members", "Số nhân khẩu phải là số nguyên", "members must be a whole number"),
    ("hh.err_invalid", "Có giá trị chưa hợp lệ", "A value is not valid"),
    ("hh.err_utf8", "Tệp không phải văn bản UTF-8; hãy lưu lại dưới dạng CSV UTF-8", "The file is not UTF-8 text; save it as CSV UTF-8"),
    ("hh.err_rejected", "Máy chủ từ chối hộ này", "The server refused this household"),
    // Import of a phone's exported waiting records.
    ("iw.title", "Nhập hồ sơ chờ gửi từ điện thoại", "Import a phone's waiting records"),
    ("iw.help", "Tệp JSON mà điện thoại xuất ra (Hồ sơ của tôi → Xuất hồ sơ chờ) khi nó đã chuyển sang xã khác. Hồ sơ đã có trên máy chủ không được lưu lại lần nữa; nhập lại cùng tệp là an toàn.", "The JSON file a phone exported (My records → Export waiting records) after it moved to another commune. Records the server already holds are not stored again; importing the same file twice is safe."),
    ("iw.file", "Tệp hồ sơ chờ (.json)", "Waiting records file (.json)"),
    ("iw.import", "Nhập", "Import"),
    ("iw.link", "Nhập hồ sơ chờ gửi từ điện thoại", "Import a phone's waiting records"),
    ("iw.stored", "Đã lưu", "Stored"),
    ("iw.duplicate", "Đã có trên máy chủ", "Already on the server"),
    ("iw.rejected", "Bị từ chối", "Refused"),
    ("iw.version", "Phiên bản", "Version"),
    ("iw.result", "Kết quả", "Result"),
    ("iw.other_commune", "hồ sơ của xã khác; hãy nhập ở trang của xã đó", "a record of another commune; import it on that commune's page"),
    ("iw.err_file", "Không đọc được tệp; hãy chọn đúng tệp JSON mà điện thoại đã xuất", "The file cannot be read; choose the JSON file the phone exported"),
    ("iw.err_format", "Tệp không phải tệp hồ sơ chờ của ứng dụng; hãy xuất lại trên điện thoại", "This is not the app's waiting records file; export it again on the phone"),
    // Users and communes.
    ("usr.title", "Tài khoản", "Accounts"),
    ("usr.username", "Tên đăng nhập", "User name"),
    ("usr.password", "Mật khẩu (ít nhất 8 ký tự)", "Password (8 characters or more)"),
    ("usr.role", "Vai trò", "Role"),
    ("usr.scope", "Phạm vi", "Scope"),
    ("usr.commune", "Xã", "Commune"),
    ("usr.province", "Tỉnh", "Province"),
    ("usr.former_district", "Huyện cũ", "Former district"),
    ("usr.all", "toàn bộ", "everything"),
    ("usr.create", "Tạo tài khoản", "Create account"),
    ("usr.scope_help", "Cán bộ và tài khoản xem thuộc một xã hoặc một tỉnh (cán bộ tỉnh). Từ 01/7/2025 không còn cấp huyện: tài khoản huyện cũ vẫn xem được các xã của huyện đó. Quản trị viên không giới hạn.", "Officers and viewers belong to one commune or to a province (provincial officials). Districts were abolished on 01/7/2025: an account of a former district still sees that district's communes. Administrators see everything."),
    ("usr.created", "Đã tạo tài khoản.", "Account created."),
    ("com.title", "Các xã", "Communes"),
    ("com.id", "Mã xã", "Commune id"),
    ("com.name", "Tên xã", "Name"),
    ("com.province", "Tỉnh", "Province"),
    ("com.district", "Huyện cũ (trước 01/7/2025)", "Former district (before 01/7/2025)"),
    ("com.region", "Vùng", "Region"),
    ("com.villages", "Các thôn (mỗi dòng: mã, tên)", "Villages (one a line: id, name)"),
    ("com.create", "Tạo xã", "Create commune"),
    ("com.created", "Đã tạo xã.", "Commune created."),
    ("com.village_count", "Số thôn", "Villages"),
    // Overview.
    ("ov.title", "Tổng quan các xã", "Communes at a glance"),
    ("ov.commune", "Xã", "Commune"),
    ("ov.met", "Tiêu chí đạt", "Criteria met"),
    ("ed.refused", "Xã chưa chấm được theo bộ tiêu chí đang áp dụng", "Communes that cannot be scored under the edition that applies"),
    ("ed.no_group", "Bộ tiêu chí này chia ngưỡng theo nhóm xã mà xã chưa có nhóm: hãy đặt nhóm xã (nhóm 1, 2 hoặc 3) kèm quyết định phân nhóm", "This edition sets thresholds by commune group and the commune has none: set its group (1, 2 or 3) with the decision that assigns it"),
    ("ed.none", "Không có bộ tiêu chí nào có hiệu lực vào ngày này: hãy chọn ngày từ 01/12/2016", "No criteria edition is in force on this date: choose a date from 01/12/2016"),
    ("ed.unknown", "Hồ sơ đang mở của xã ghi một bộ tiêu chí không có trong chương trình: hãy sửa hồ sơ", "The commune's open dossier names an edition the program does not know: correct the dossier"),
    ("ed.edition", "Bộ tiêu chí", "Criteria edition"),
    ("ed.dossier", "theo hồ sơ đang mở", "for the open dossier"),
    ("ed.outside", "ngoài giai đoạn của bộ tiêu chí (chưa có bộ mới có hiệu lực)", "outside the edition's period (no later edition in force yet)"),
    ("mg.merged_from", "Xã hình thành do sắp xếp từ", "Commune formed by merging"),
    ("mg.on", "từ ngày", "from"),
    ("mg.sum_of_parts", "Ngày này trước khi sắp xếp: mỗi số liệu là tổng tử số và mẫu số của các xã cũ (không lấy trung bình tỷ lệ).", "This date is before the merger: each figure adds the old communes' numerators and denominators (never an average of percentages)."),
    ("mg.merged_into", "Xã đã sáp nhập vào", "This commune was merged into"),
    ("mg.last_figures", "số liệu dưới đây là số liệu cuối cùng, ngày", "the figures below are its last, as of"),
    ("mg.gave_away", "Xã đã chuyển các thôn sau sang xã", "This commune gave these villages to"),
    ("mg.new_assessment", "cần đánh giá mới: kết quả đạt/không đạt của các xã cũ không được chuyển sang", "needs a new assessment: the old communes' verdicts are not carried over"),
    ("ov.furthest", "Chỉ tiêu còn xa mức yêu cầu nhất", "Indicators furthest from target"),
    ("ov.sort", "Sắp xếp", "Sort"),
    ("ov.sort_name", "theo tên", "by name"),
    ("ov.sort_met", "theo số tiêu chí đạt", "by criteria met"),
    ("ov.sort_gap", "theo khoảng cách lớn nhất", "by largest gap"),
    ("ov.province_targets", "Mức yêu cầu do tỉnh quy định", "Thresholds set by the province"),
    ("ov.province_help", "Mức của tỉnh áp dụng cho mọi xã trong tỉnh, trừ khi xã có mức riêng. Ghi rõ quyết định của tỉnh.", "A province's threshold applies to every commune of the province unless the commune has its own. Cite the province's decision."),
    ("ov.scope", "Phạm vi của bạn", "Your scope"),
    ("ov.none", "Chưa có xã nào trong phạm vi của bạn.", "No commune is in your scope yet."),
    // Reports.
    ("rep.title", "Báo cáo và xuất dữ liệu", "Reports and exports"),
    ("rep.xlsx", "Báo cáo định kỳ (Excel)", "Period report (Excel)"),
    ("rep.xlsx_help", "Báo cáo tháng hoặc quý bằng tiếng Việt: tổng hợp 19 tiêu chí, chi tiết chỉ tiêu, theo thôn, đường, biển báo, kiểm tra hộ, và thay đổi trong kỳ.", "A monthly or quarterly report in Vietnamese: the 19 criteria, indicator details, villages, roads, signs, household checks, and the change over the period."),
    ("rep.period", "Kỳ báo cáo", "Period"),
    ("rep.period_help", "Tháng (2020-03) hoặc quý (2020-Q1)", "A month (2020-03) or a quarter (2020-Q1)"),
    ("rep.download", "Tải về", "Download"),
    ("rep.csv", "Dữ liệu CSV theo loại", "CSV by kind"),
    ("rep.geojson", "Bản đồ GeoJSON (mở bằng QGIS)", "GeoJSON map (opens in QGIS)"),
    ("rep.indicators", "Chỉ tiêu", "Indicators"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_written_the_vietnamese_way() {
        assert_eq!(Lang::Vi.pct(6.4 / 26.0 * 100.0), "24,62 %");
        assert_eq!(Lang::Vi.pct(90.5), "90,5 %");
        assert_eq!(Lang::Vi.int(1830), "1.830");
        assert_eq!(Lang::Vi.num(6.6, 3), "6,6");
        assert_eq!(Lang::Vi.num(1234567.891, 2), "1.234.567,89");
        assert_eq!(Lang::En.num(1234567.891, 2), "1,234,567.89");
        assert_eq!(Lang::Vi.num(0.0, 2), "0");
        assert_eq!(Lang::Vi.num(-2.5, 1), "-2,5");
        assert_eq!(Lang::Vi.num(-0.001, 2), "0");
        assert_eq!(Lang::Vi.num(f64::NAN, 2), "–");
    }

    #[test]
    fn dates_are_day_month_year_in_vietnam_time() {
        assert_eq!(
            date(NaiveDate::from_ymd_opt(2020, 3, 5).unwrap()),
            "05/03/2020"
        );
        let t = DateTime::parse_from_rfc3339("2020-06-30T18:30:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(datetime(t), "01/07/2020 01:30");
    }

    #[test]
    fn every_message_key_used_by_the_dashboard_is_in_the_catalog() {
        let sources = [
            include_str!("layout.rs"),
            include_str!("session.rs"),
            include_str!("scorecard.rs"),
            include_str!("villages.rs"),
            include_str!("map.rs"),
            include_str!("records.rs"),
            include_str!("admin.rs"),
            include_str!("overview.rs"),
            include_str!("mod.rs"),
            include_str!("login.rs"),
            include_str!("chart.rs"),
        ];
        let mut missing = Vec::new();
        for src in sources {
            for piece in src.split(".t(\"").skip(1) {
                let key = piece.split('"').next().unwrap_or_default();
                if !MESSAGES.iter().any(|(k, _, _)| *k == key) {
                    missing.push(key.to_owned());
                }
            }
        }
        // Keys passed around as plain literals ("error.csrf" to an error page, "set.saved" to a
        // flash message): every literal of a catalog namespace must be a key.
        let namespaces: std::collections::BTreeSet<&str> = MESSAGES
            .iter()
            .filter_map(|(k, _, _)| k.split_once('.').map(|(n, _)| n))
            .collect();
        for src in sources {
            for piece in src.split('"').skip(1).step_by(2) {
                let Some((ns, rest)) = piece.split_once('.') else {
                    continue;
                };
                let looks_like_key = namespaces.contains(ns)
                    && !["js", "css", "png", "rs"].contains(&rest)
                    && !rest.is_empty()
                    && rest
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c == '_' || c.is_ascii_digit());
                if looks_like_key && !MESSAGES.iter().any(|(k, _, _)| *k == piece) {
                    missing.push(piece.to_owned());
                }
            }
        }
        assert!(missing.is_empty(), "missing message keys: {missing:?}");
        let mut keys: Vec<&str> = MESSAGES.iter().map(|(k, _, _)| *k).collect();
        keys.sort_unstable();
        let before = keys.len();
        keys.dedup();
        assert_eq!(before, keys.len(), "a message key appears twice");
    }
}
