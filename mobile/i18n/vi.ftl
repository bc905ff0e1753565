# ntm-field — ứng dụng thu thập (tiếng Việt, ngôn ngữ mặc định).
# Số đã được định dạng sẵn theo kiểu Việt Nam trước khi đưa vào ({ $count } = "1.830").

app-name = NTM Thực địa
action-back = ‹ Quay lại
action-save = Lưu
action-keep = Giữ lại
resolve-keep-question = Từ nay chỉ bản này được tính; { $others } bản còn lại không còn được tính nữa (vẫn giữ trong lịch sử). Giữ bản này?
resolve-keep-confirm = Giữ bản này
resolve-observed-on = Ngày quan sát: { $date } (bản giữ lại vẫn tính vào ngày này)
records-more = Xem thêm (đang hiện { $shown } hồ sơ mới nhất)
draft-discard = Bỏ bản nháp
draft-discard-confirm = Xoá bản nháp
draft-discard-question = { $photos ->
    [0] Xoá những gì đã nhập trong bản nháp này? Không lấy lại được.
   *[other] Xoá những gì đã nhập và { $photos } ảnh đã chụp cho bản nháp này? Không lấy lại được.
}
draft-discarded = Đã bỏ bản nháp
action-change = Đổi
answer-yes = Có
answer-no = Không
field-village = Thôn
field-choose = — Chọn —
field-note = Ghi chú
observed-on-hint = Sửa hồ sơ về sau vẫn giữ ngày này; báo cáo theo kỳ tính theo ngày này.
filter-all-villages = Tất cả các thôn
saved = Đã lưu trên máy. Sẽ gửi khi có mạng.

## Đăng ký máy
enroll-title = Đăng ký máy
enroll-intro = Nhập địa chỉ máy chủ và mã đăng ký do UBND xã cấp.
enroll-server = Địa chỉ máy chủ
enroll-code = Mã đăng ký
enroll-device-name = Tên máy (không bắt buộc)
enroll-device-name-hint = Ví dụ: Máy chị Hà – thôn 3
enroll-submit = Đăng ký
enroll-working = Đang đăng ký…
enroll-done = Đã đăng ký. Đang tải danh sách hộ về máy…
enroll-again-notice = Dữ liệu trên máy này được khôi phục từ bản sao. Hãy đăng ký lại để tiếp tục ghi; những gì đã lưu vẫn sẽ được gửi đi.

## Màn hình chính
home-online = ● Đã kết nối máy chủ
home-offline = ● Không có mạng — vẫn ghi bình thường
home-syncing = ● Đang đồng bộ…
home-not-synced-yet = ● Chưa đồng bộ lần nào
home-waiting = Chờ gửi: { $count } bản ghi, { $photos } ảnh
home-nothing-waiting = Không còn gì chờ gửi
home-last-sync = Đồng bộ lần cuối: { $when }
home-never-synced = Chưa đồng bộ lần nào
home-attention = { $count } bản ghi bị máy chủ từ chối — xem “Hồ sơ của tôi”
home-recording = Đang ghi tuyến đường: { $length } — bấm để xem
home-check-household = Kiểm tra hộ
home-record-road = Ghi tuyến đường
home-place-sign = Đặt biển báo
home-drafts-title = Bản nháp chưa lưu ({ $count })
home-draft-edit = Sửa: { $kind }
home-draft-resume = Tiếp tục
home-draft-no-village = chưa chọn thôn
home-draft-discard-question = { $photos ->
    [0] Xoá bản nháp “{ $what }” ({ $where })? Những gì đã nhập sẽ mất, không lấy lại được.
   *[other] Xoá bản nháp “{ $what }” ({ $where }) và { $photos } ảnh đã chụp cho nó? Không lấy lại được.
}
home-draft-discard-track = Tuyến đã ghi ({ $length }, { $points } điểm) cũng bị xoá.

## Danh sách hộ
households-title = Hộ gia đình
households-count = { $count } hộ
households-search = Tìm theo mã hộ hoặc tên chủ hộ
households-empty = Không có hộ nào phù hợp. Nếu máy chưa đồng bộ lần nào, hãy đồng bộ để tải danh sách hộ.
households-status-all = Tất cả
households-status-not-checked = Chưa kiểm tra
households-status-passes = Đạt 17.6
households-status-fails = Chưa đạt
households-status-conflict = Xung đột
households-draft = Có bản nháp

## Phiếu kiểm tra hộ
check-title = Kiểm tra hộ
check-observed-on = Ngày kiểm tra
check-verdict-sanitation = 17.6 Nhà tiêu, nhà tắm, bể nước, 3 sạch
check-verdict-livestock = 17.7 Chuồng trại chăn nuôi
verdict-met = ĐẠT
verdict-not-met = CHƯA ĐẠT
verdict-incomplete = Chưa đủ câu trả lời
verdict-not-applicable = Không chăn nuôi
check-section-toilet = Nhà tiêu
check-toilet-type = Loại nhà tiêu
check-checklist = Đánh dấu các yêu cầu đạt (QCVN 01:2011/BYT)
check-meets-standard = Nhà tiêu đạt chuẩn hợp vệ sinh?
check-section-bath = Nhà tắm và bể nước
check-bathroom = Nhà tắm hợp vệ sinh?
check-water-tank = Bể chứa nước sinh hoạt hợp vệ sinh?
check-section-cleans = 3 sạch
check-clean-house = Sạch nhà?
check-clean-kitchen = Sạch bếp?
check-clean-lane = Sạch ngõ?
check-section-water = Nước sinh hoạt
check-water-hygienic = Dùng nước hợp vệ sinh?
check-water-clean = Dùng nước sạch (QCVN 02:2009/BYT)?
check-section-livestock = Chăn nuôi
check-raises-livestock = Hộ có chăn nuôi?
check-pen-hygienic = Chuồng trại đảm bảo vệ sinh môi trường?
check-section-environment = Rác thải và nước thải
check-waste = Rác thải được thu gom, xử lý?
check-drainage = Nước thải thoát xa nhà?
check-section-people = Bảo hiểm y tế và trẻ em
check-members = Số nhân khẩu
check-insured = Số người có thẻ BHYT
check-children-measured = Trẻ dưới 5 tuổi được cân đo
check-children-stunted = Trong đó thấp còi
check-section-evidence = Ảnh và ghi chú
check-photo = Ảnh nhà tiêu / khu vệ sinh
check-location-known = Đã có vị trí ({ $accuracy })
check-location-unknown = Chưa có vị trí GPS (không bắt buộc với phiếu hộ)

toilet-septic = Tự hoại
toilet-double_vault = Khô nổi hai ngăn
toilet-single_vault = Khô nổi một ngăn
toilet-sunken_dry = Khô chìm
toilet-pour_flush = Thấm dội nước
toilet-none = Không có nhà tiêu
toilet-other = Loại khác (cầu tõm, hố mở…)

chk-not_flood_prone = Không xây ở nơi hay ngập úng
chk-water_source_10m = Cách nguồn nước ăn uống, sinh hoạt từ 10 m trở lên
chk-pit_raised_20cm = Miệng hố cao hơn mặt đất xung quanh ít nhất 20 cm
chk-no_rainwater_inflow = Nước mưa không tràn vào hố
chk-floor_smooth = Sàn, rãnh dẫn nước tiểu nhẵn, không đọng nước, không nứt vỡ
chk-hole_lids = Lỗ tiêu có nắp đậy kín
chk-roof_walls_door = Mái che mưa; cửa và vách kín đáo
chk-vent_pipe = Ống thông hơi ≥ 90 mm, cao hơn mái ≥ 400 mm
chk-clean_no_smell = Sạch sẽ, không có mùi hôi
chk-no_flies = Không có ruồi, côn trùng
chk-cover_material = Đủ chất độn, đổ sau mỗi lần đi
chk-tank_sealed = Bể chứa phân kín, không rò rỉ, không nứt
chk-tank_vent = Bể có ống thông hơi
chk-water_seal_pan = Bệ xí có nút nước
chk-outflow_safe = Nước thải ra cống hoặc hố thấm, không chảy tràn ra mặt đất
chk-flush_water = Đủ nước dội

## Ghi tuyến đường
road-title = Ghi tuyến đường
road-state-idle = Đứng ở đầu tuyến rồi bấm “Bắt đầu ghi”
road-state-recording = Đang ghi — đi dọc tuyến đường
road-state-paused = Đã tạm dừng
road-state-stopped = Đã kết thúc ghi
road-start = ▶ Bắt đầu ghi
road-pause = ❚❚ Tạm dừng
road-resume = ▶ Tiếp tục
road-stop = ■ Kết thúc
road-discard = Xoá đường đã ghi
road-continue = ▶ Ghi tiếp
road-idle-good = GPS đã tốt: có thể bấm “Bắt đầu ghi”
road-idle-poor = Chờ GPS tốt hơn (dưới { $gate }) rồi mới bắt đầu
road-discard-question = Xoá { $length } đường đã ghi ({ $points } điểm)? Không lấy lại được.
road-discard-confirm = Xoá đường đã ghi
road-enter-details = Nhập thông tin tuyến
road-points = Số điểm
road-accuracy = Độ chính xác
road-waiting-gps = Đang chờ GPS…
road-dropped = { $count } điểm kém chính xác không được tính
road-hint = Chiều dài tính bằng cùng công thức với máy chủ. Giữ máy ở nơi thoáng, tránh đứng dưới mái che.
road-details-title = Thông tin tuyến đường
road-details-summary = Chiều dài { $length } · { $points } điểm
road-length-manual = { $length } (nhập tay)
road-name = Tên tuyến
road-name-hint = Ví dụ: Đường nội đồng Đồng Bến
road-class = Loại đường
road-surface = Mặt đường
road-width = Bề rộng mặt đường
road-works = Loại công trình
road-status = Tình trạng
road-observed-on = Ngày ghi nhận (ngày hoàn thành, nếu đã xong)
road-photo-start = Ảnh đầu tuyến
road-photo-end = Ảnh cuối tuyến
road-manual-notice = Tuyến có ít hơn 2 điểm GPS dùng được. Có thể nhập chiều dài bằng tay kèm lý do; bản ghi sẽ được đánh dấu.
road-manual-length = Chiều dài nhập tay
road-manual-reason = Lý do không ghi được GPS
road-class-commune = Đường trục xã (2.1)
road-class-village_axis = Đường trục thôn, liên thôn (2.2)
road-class-alley = Đường ngõ, xóm (2.3)
road-class-field_main = Đường trục chính nội đồng (2.4)
surface-asphalt = Nhựa
surface-concrete = Bê tông xi măng
surface-crushed_stone = Đá dăm
surface-brick = Lát gạch
surface-gravel = Cấp phối
surface-earth = Đất
works-upgrade = Cứng hóa đường có sẵn
works-new = Làm đường mới
road-status-planned = Kế hoạch
road-status-under_construction = Đang thi công
road-status-completed = Đã hoàn thành

## Biển báo
sign-title = Đặt biển cấm đổ rác
sign-section-position = Vị trí biển
sign-take-position = Lấy vị trí (đứng yên cạnh biển)
sign-collecting = Đang lấy vị trí… (bấm để lấy lại)
sign-position = Vị trí trung bình { $accuracy } từ { $used }/{ $taken } lần đo
sign-position-none = Chưa lấy vị trí
sign-position-none-pass = { $taken } lần đo, chưa lần nào đủ chính xác
sign-position-kept = Giữ vị trí đã ghi trước đây
sign-gate = Cần sai số không quá { $gate } (đổi trong Cài đặt)
sign-condition = Tình trạng biển
sign-observed-on = Ngày thấy biển
sign-condition-good = Tốt
sign-condition-damaged = Hư hỏng
sign-condition-missing = Bị mất
sign-responsible = Hộ chịu trách nhiệm
sign-photo = Ảnh biển báo

## Ảnh
photo-take = Chụp / chọn ảnh
photo-retake = Chụp lại
photo-working = Đang xử lý ảnh…
photo-taken = ✓ Đã có ảnh

## Tiến độ
progress-title = Tiến độ
progress-offline-note = Tính trên máy từ dữ liệu đang có, cùng cách tính với máy chủ
progress-none = Chưa có dữ liệu. Hãy đăng ký và đồng bộ.
progress-summary = Đạt { $met }/{ $total } tiêu chí theo { $edition } (đến ngày { $date })
progress-activity = Kết quả thực hiện so với chỉ tiêu
progress-unknown = Chưa đánh giá
progress-threshold = chỉ tiêu { $threshold }
progress-gap = Còn thiếu { $amount }
progress-coverage = Đã kiểm tra { $checked }/{ $registered } hộ
progress-conflicts = { $count } bản ghi đang xung đột
unit-points = điểm %
unit-households = hộ
unit-people = người
unit-children = trẻ
unit-million-vnd = triệu đồng/người/năm
measure-signs_placed = Biển báo đã đặt
measure-field_road_km = Đường nội đồng đã cứng hóa
measure-village_road_km = Đường trục thôn đã cứng hóa
measure-alley_km = Đường ngõ xóm đã cứng hóa
measure-commune_road_km = Đường trục xã đã nhựa/bê tông hóa
measure-households_checked = Hộ đã kiểm tra

## Hồ sơ của tôi
records-title = Hồ sơ của tôi
records-tab-pending = Chờ gửi
records-tab-synced = Đã gửi
records-tab-rejected = Bị từ chối
records-tab-conflict = Xung đột
records-waiting = Chờ gửi (xã khác)
records-waiting-commune = Lưu cho xã { $commune }, máy nay đăng ký ở nơi khác nên chưa gửi được. Hồ sơ vẫn nằm trên máy; báo cán bộ xã để xuất tệp và nhập trên trang quản lý.
records-export = Xuất hồ sơ chờ (xã khác) ra tệp
records-exported = Đã xuất { $count } hồ sơ vào tệp { $path }. Gửi tệp này cho cán bộ xã để nhập trên trang quản lý (Nhập hồ sơ chờ gửi từ điện thoại). Hồ sơ vẫn nằm trên máy.
records-export-failed = Chưa xuất được tệp ({ $error }). Kiểm tra bộ nhớ còn trống rồi thử lại.
records-empty = Không có bản ghi nào.
records-edit = Sửa
records-resolve = Giải quyết
records-dismiss = Đã xem
records-rejected-reason = Lý do: { $reason }
kind-household = Hộ gia đình
kind-household_check = Phiếu kiểm tra hộ
kind-road_segment = Tuyến đường
kind-trash_sign = Biển cấm đổ rác
kind-assessment = Đánh giá
resolve-title = Giải quyết xung đột
resolve-intro = Bản ghi này được sửa trên hai máy cùng lúc. Chọn bản đúng để giữ; các bản khác vẫn được lưu lại làm bằng chứng.
resolve-keep = Giữ bản này
resolve-nothing = Bản ghi này không còn xung đột.
resolve-done = Đã giải quyết xung đột.

## Đồng bộ
sync-title = Đồng bộ
sync-now = Đồng bộ ngay
sync-phase-idle = Sẵn sàng
sync-phase-pushing = Đang gửi bản ghi…
sync-phase-pulling = Đang tải dữ liệu về…
sync-phase-photos = Đang gửi ảnh…
sync-phase-waiting = Chờ thử lại…
sync-phase-offline = Không có mạng
sync-records = Bản ghi
sync-photos = Ảnh
sync-bytes-label = Dung lượng ảnh
sync-of = { $done }/{ $total }
sync-bytes = { $done }/{ $total } KB
sync-pulled = Đã tải về { $count } bản ghi

## Cài đặt
settings-title = Cài đặt
settings-language = Ngôn ngữ
settings-photo-size = Kích thước ảnh
settings-photo-px = { $px } px
settings-accuracy-gate = Sai số GPS tối đa cho biển báo
settings-accuracy-gate-hint = Lần đo kém hơn mức này không được dùng để tính vị trí biển.
settings-server = Máy chủ
settings-server-address = Địa chỉ
settings-commune = Xã
settings-enrolled-at = Đăng ký lúc
settings-not-enrolled = Máy chưa đăng ký.
settings-enroll-again = Đăng ký lại
settings-device = Thiết bị
settings-device-name = Tên máy
settings-device-id = Mã thiết bị
settings-platform = Nền tảng
settings-data-dir = Thư mục dữ liệu

## Lỗi — nói rõ cần làm gì
err-answer-required = Hãy trả lời câu này.
err-whole-number = Hãy nhập một số nguyên, ví dụ 4.
err-decimal = Hãy nhập một số, ví dụ 3,5.
err-form-has-problems = Phiếu còn chỗ cần sửa — xem các dòng báo đỏ.
err-toilet-cannot-meet = Không có nhà tiêu hoặc loại khác thì không thể đạt chuẩn.
err-checklist-item-not-met = Yêu cầu này chưa đạt nên nhà tiêu chưa đạt chuẩn: đánh dấu yêu cầu, hoặc chọn “Không” ở câu đạt chuẩn.
err-clean-needs-hygienic = Nước sạch cũng là nước hợp vệ sinh: hãy chọn “Có” ở câu nước hợp vệ sinh.
err-pen-hygienic = Chỉ trả lời về chuồng trại khi hộ có chăn nuôi.
err-insured-more-than-members = Số người có BHYT không thể nhiều hơn số nhân khẩu.
err-members-range = Số nhân khẩu không hợp lý (tối đa 100).
err-stunted-more-than-measured = Số trẻ thấp còi không thể nhiều hơn số trẻ được cân đo.
err-children-range = Số trẻ không hợp lý (tối đa 50).
err-note-too-long = Ghi chú quá dài (tối đa 2.000 ký tự).
err-road-name = Hãy nhập tên tuyến đường.
err-road-width = Bề rộng phải lớn hơn 0 và không quá 60 m.
err-road-track = Tuyến đã hoàn thành cần ít nhất 2 điểm GPS, hoặc chiều dài nhập tay kèm lý do.
err-road-track-point = Một điểm GPS của tuyến không hợp lệ; hãy ghi lại tuyến.
err-manual-length = Chiều dài nhập tay phải lớn hơn 0 và không quá 100 km.
err-manual-reason = Hãy ghi lý do nhập chiều dài bằng tay.
err-location-required = Cần vị trí GPS cho bản ghi này.
err-observed-on = Chọn một ngày từ năm 2000 đến hôm nay.
err-location-invalid = Vị trí GPS không hợp lệ; hãy lấy lại vị trí.
err-village-required = Hãy chọn thôn.
err-photos = Quá nhiều ảnh hoặc ảnh bị trùng.
err-photo-required = Hãy chụp ảnh biển báo.
err-position-needed = Hãy bấm “Lấy vị trí” khi đứng cạnh biển.
err-position-not-accurate = Vị trí chưa đủ chính xác. Ra chỗ thoáng và lấy lại vị trí.
err-field-invalid = Giá trị không hợp lệ ({ $detail }).
err-enroll-first = Máy chưa đăng ký: vào Cài đặt › Đăng ký lại.
err-enroll-code = Mã đăng ký không đúng hoặc đã hết hạn. Xin mã mới ở UBND xã.
err-server-unreachable = Không kết nối được máy chủ. Kiểm tra địa chỉ và mạng rồi thử lại.
err-server-failed = Máy chủ đang gặp sự cố. Thử lại sau ít phút.
err-store = Không lưu được trên máy. Khởi động lại ứng dụng; nếu vẫn lỗi, báo cán bộ phụ trách.
err-disk-full = Bộ nhớ máy đã đầy, hồ sơ chưa được lưu. Xoá bớt ảnh hoặc ứng dụng không dùng rồi bấm Lưu lại.
err-sync-failed = Chưa gửi được. Dữ liệu vẫn an toàn trên máy; ứng dụng sẽ tự thử lại khi có mạng.
err-sync-refused = Máy chủ không còn nhận máy này. Dữ liệu vẫn an toàn trên máy; xin mã đăng ký mới ở UBND xã rồi vào Cài đặt › Đăng ký lại.
err-sync-rejected = Máy chủ từ chối dữ liệu máy này gửi lên. Dữ liệu vẫn an toàn trên máy; hãy cập nhật ứng dụng, nếu vẫn lỗi, báo cán bộ phụ trách.
err-sync-photo-damaged = Một ảnh trên máy bị hỏng, không gửi được. Vào Hồ sơ của tôi và chụp lại ảnh đó.
err-location-denied = Ứng dụng chưa được phép dùng vị trí. Hãy cho phép trong cài đặt của điện thoại.
err-no-fix = Chưa bắt được GPS. Ra chỗ thoáng, bật định vị và chờ thêm.
err-photo-denied = Ứng dụng chưa được phép dùng máy ảnh. Hãy cho phép trong cài đặt của điện thoại.
err-photo-unreadable = Không đọc được ảnh này. Hãy chụp lại.
err-unsupported = Máy này chưa hỗ trợ chức năng này.
err-platform-other = Điện thoại báo lỗi. Thử lại.
