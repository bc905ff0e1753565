# ntm-field collector app, English. Numbers arrive already formatted.

app-name = NTM Field
action-back = ‹ Back
action-save = Save
action-keep = Keep it
resolve-keep-question = From now on only this version counts; { $others ->
    [one] the other one no longer counts
   *[other] the { $others } others no longer count
} (they stay in the history). Keep this version?
resolve-keep-confirm = Keep this version
resolve-observed-on = Observed on { $date } (the version kept still counts on that day)
records-more = Show more (showing the { $shown } newest records)
draft-discard = Discard draft
draft-discard-confirm = Discard the draft
draft-discard-question = { $photos ->
    [0] Delete what was entered in this draft? It cannot be brought back.
    [one] Delete what was entered and the photo taken for this draft? It cannot be brought back.
   *[other] Delete what was entered and the { $photos } photos taken for this draft? It cannot be brought back.
}
draft-discarded = Draft discarded
action-change = Change
answer-yes = Yes
answer-no = No
field-village = Village
field-choose = — Choose —
field-note = Note
observed-on-hint = A later edit keeps this day; the period reports count by it.
filter-all-villages = All villages
saved = Saved on the phone. It will be sent when there is a network.

## Enroll
enroll-title = Enroll this phone
enroll-intro = Enter the server address and the enrollment code from the commune office.
enroll-server = Server address
enroll-code = Enrollment code
enroll-device-name = Phone name (optional)
enroll-device-name-hint = For example: Ms Hà's phone – village 3
enroll-submit = Enroll
enroll-working = Enrolling…
enroll-done = Enrolled. Downloading the household list…
enroll-again-notice = This phone's data was restored from a copy. Enroll again to keep recording; what was saved will still be sent.

## Home
home-online = ● Connected to the server
home-offline = ● No network — keep recording as usual
home-syncing = ● Syncing…
home-not-synced-yet = ● Not synced yet
home-waiting = Waiting to send: { $count } records, { $photos } photos
home-nothing-waiting = Nothing waiting to be sent
home-last-sync = Last sync: { $when }
home-never-synced = Never synced
home-attention = { $count } records refused by the server — see “My records”
home-recording = Recording a road: { $length } — tap to open
home-check-household = Check a household
home-record-road = Record a road
home-place-sign = Place a sign
home-drafts-title = Unsaved drafts ({ $count })
home-draft-edit = Edit: { $kind }
home-draft-resume = Resume
home-draft-no-village = no village chosen
home-draft-discard-question = { $photos ->
    [0] Delete the draft “{ $what }” ({ $where })? What was entered is lost for good.
   *[other] Delete the draft “{ $what }” ({ $where }) and the photos taken for it ({ $photos })? They are lost for good.
}
home-draft-discard-track = The recorded track ({ $length }, { $points } points) goes too.

## Households
households-title = Households
households-count = { $count } households
households-search = Search by household code or head's name
households-empty = No household matches. If this phone never synced, sync to download the household list.
households-status-all = All
households-status-not-checked = Not checked
households-status-passes = Meets 17.6
households-status-fails = Does not meet
households-status-conflict = Conflict
households-draft = Draft

## Household check
check-title = Household check
check-observed-on = Day of the visit
check-verdict-sanitation = 17.6 Toilet, bathroom, water tank, 3 cleans
check-verdict-livestock = 17.7 Livestock pen
verdict-met = MET
verdict-not-met = NOT MET
verdict-incomplete = Answers missing
verdict-not-applicable = No livestock
check-section-toilet = Toilet
check-toilet-type = Toilet type
check-checklist = Tick the requirements met (QCVN 01:2011/BYT)
check-meets-standard = Does the toilet meet the hygiene standard?
check-section-bath = Bathroom and water tank
check-bathroom = Hygienic bathroom?
check-water-tank = Hygienic domestic water tank?
check-section-cleans = 3 cleans
check-clean-house = Clean house?
check-clean-kitchen = Clean kitchen?
check-clean-lane = Clean lane?
check-section-water = Domestic water
check-water-hygienic = Uses hygienic water?
check-water-clean = Uses clean water (QCVN 02:2009/BYT)?
check-section-livestock = Livestock
check-raises-livestock = Does the household raise livestock?
check-pen-hygienic = Is the pen environmentally hygienic?
check-section-environment = Waste and wastewater
check-waste = Waste collected and treated?
check-drainage = Wastewater drained away from the house?
check-section-people = Health insurance and children
check-members = Household members
check-insured = Members with health insurance
check-children-measured = Children under 5 measured
check-children-stunted = Of whom stunted
check-section-evidence = Photo and note
check-photo = Photo of the toilet / sanitation area
check-location-known = Position known ({ $accuracy })
check-location-unknown = No GPS position yet (optional for a household check)

toilet-septic = Septic tank
toilet-double_vault = Raised dry, two chambers
toilet-single_vault = Raised dry, one chamber
toilet-sunken_dry = Sunken dry
toilet-pour_flush = Pour-flush
toilet-none = No toilet
toilet-other = Other (over a pond, open pit…)

chk-not_flood_prone = Not built where it often floods
chk-water_source_10m = At least 10 m from drinking or domestic water sources
chk-pit_raised_20cm = Pit mouth at least 20 cm above the ground around it
chk-no_rainwater_inflow = Rainwater cannot flow into the pit
chk-floor_smooth = Floor and urine channel smooth, not pooling, not cracked
chk-hole_lids = Squat holes have tight lids
chk-roof_walls_door = Roof keeps rain out; door and walls give privacy
chk-vent_pipe = Vent pipe ≥ 90 mm, ≥ 400 mm above the roof
chk-clean_no_smell = Clean, no foul smell
chk-no_flies = No flies or insects
chk-cover_material = Enough cover material, added after each use
chk-tank_sealed = Tank sealed, no leaks or cracks
chk-tank_vent = Tank has a vent pipe
chk-water_seal_pan = Water-seal pan
chk-outflow_safe = Outflow to a sewer or soak pit, never onto the ground
chk-flush_water = Enough flushing water

## Road recording
road-title = Record a road
road-state-idle = Stand at the start of the road and tap “Start”
road-state-recording = Recording — walk or ride along the road
road-state-paused = Paused
road-state-stopped = Recording finished
road-start = ▶ Start
road-pause = ❚❚ Pause
road-resume = ▶ Resume
road-stop = ■ Finish
road-discard = Delete the recording
road-continue = ▶ Continue
road-idle-good = The GPS is good: you can press Start
road-idle-poor = Wait for a better GPS fix (under { $gate }) before starting
road-discard-question = Delete the { $length } recorded ({ $points } points)? It cannot be brought back.
road-discard-confirm = Delete the recording
road-enter-details = Enter road details
road-points = Points
road-accuracy = Accuracy
road-waiting-gps = Waiting for GPS…
road-dropped = { $count } inaccurate points not counted
road-hint = The length is computed by the same code as on the server. Keep the phone in the open, not under a roof.
road-details-title = Road details
road-details-summary = Length { $length } · { $points } points
road-length-manual = { $length } (typed in)
road-name = Road name
road-name-hint = For example: Đồng Bến field road
road-class = Road class
road-surface = Surface
road-width = Carriageway width
road-works = Works
road-status = Status
road-observed-on = Observed on (the day it was completed, if it is)
road-photo-start = Photo at the start
road-photo-end = Photo at the end
road-manual-notice = The track has fewer than 2 usable GPS points. You may type the length with a reason; the record will be flagged.
road-manual-length = Typed-in length
road-manual-reason = Why GPS could not be recorded
road-class-commune = Commune road (2.1)
road-class-village_axis = Village axis road (2.2)
road-class-alley = Alley (2.3)
road-class-field_main = Main field road (2.4)
surface-asphalt = Asphalt
surface-concrete = Cement concrete
surface-crushed_stone = Crushed stone
surface-brick = Brick paving
surface-gravel = Gravel
surface-earth = Earth
works-upgrade = Harden an existing road
works-new = Build a new road
road-status-planned = Planned
road-status-under_construction = Under construction
road-status-completed = Completed

## Sign
sign-title = Place a no-dumping sign
sign-section-position = Sign position
sign-take-position = Take position (stand still by the sign)
sign-collecting = Taking position… (tap to start again)
sign-position = Averaged position { $accuracy } from { $used }/{ $taken } fixes
sign-position-none = No position yet
sign-position-none-pass = { $taken } fixes, none accurate enough
sign-position-kept = Keeping the position recorded before
sign-gate = Needs an accuracy of { $gate } or better (change in Settings)
sign-condition = Sign condition
sign-observed-on = Day the sign was seen
sign-condition-good = Good
sign-condition-damaged = Damaged
sign-condition-missing = Missing
sign-responsible = Household responsible
sign-photo = Photo of the sign

## Photos
photo-take = Take / choose a photo
photo-retake = Take again
photo-working = Processing the photo…
photo-taken = ✓ Photo taken

## Progress
progress-title = Progress
progress-offline-note = Computed on the phone from what it holds, the same way as the server
progress-none = No data yet. Enroll and sync first.
progress-summary = { $met }/{ $total } criteria met under { $edition } (as of { $date })
progress-activity = Work done against quotas
progress-unknown = Not assessed
progress-threshold = target { $threshold }
progress-threshold-none = target: none left
progress-gap = Still missing { $amount }
progress-coverage = Checked { $checked } of { $registered } households
progress-conflicts = { $count } records in conflict
unit-points = points
unit-households = households
unit-people = people
unit-children = children
unit-million-vnd = million VND/person/year
measure-signs_placed = Signs placed
measure-field_road_km = Field roads hardened
measure-village_road_km = Village roads hardened
measure-alley_km = Alleys hardened
measure-commune_road_km = Commune roads asphalted/concreted
measure-households_checked = Households checked

## My records
records-title = My records
records-tab-pending = Waiting
records-tab-synced = Sent
records-tab-rejected = Refused
records-tab-conflict = Conflict
records-waiting = Waiting (other commune)
records-waiting-commune = Saved for { $commune }; this phone is now enrolled elsewhere, so it cannot be sent. It stays on the phone; ask the commune officer to export it and import it on the dashboard.
records-export = Export waiting records (other commune) to a file
records-exported = Exported { $count } records to { $path }. Give this file to the commune officer to import on the dashboard (Import a phone's waiting records). The records stay on the phone.
records-export-failed = The file could not be written ({ $error }). Check that the phone has free space and try again.
records-empty = No records.
records-edit = Edit
records-resolve = Resolve
records-dismiss = Seen
records-rejected-reason = Reason: { $reason }
kind-household = Household
kind-household_check = Household check
kind-road_segment = Road segment
kind-trash_sign = No-dumping sign
kind-assessment = Assessment
resolve-title = Resolve a conflict
resolve-intro = This record was changed on two phones at once. Choose the right one to keep; the others stay stored as evidence.
resolve-keep = Keep this one
resolve-nothing = This record is no longer in conflict.
resolve-done = Conflict resolved.

## Sync
sync-title = Sync
sync-now = Sync now
sync-phase-idle = Ready
sync-phase-pushing = Sending records…
sync-phase-pulling = Downloading…
sync-phase-photos = Sending photos…
sync-phase-waiting = Waiting to retry…
sync-phase-offline = No network
sync-records = Records
sync-photos = Photos
sync-bytes-label = Photo data
sync-of = { $done }/{ $total }
sync-bytes = { $done }/{ $total } KB
sync-pulled = Downloaded { $count } records
sync-error-detail = Error details (for whoever helps you)

## Settings
settings-title = Settings
settings-language = Language
settings-photo-size = Photo size
settings-photo-px = { $px } px
settings-accuracy-gate = Maximum GPS error for signs
settings-accuracy-gate-hint = Fixes worse than this are not used for a sign's position.
settings-server = Server
settings-server-address = Address
settings-commune = Commune
settings-enrolled-at = Enrolled at
settings-not-enrolled = This phone is not enrolled.
settings-enroll-again = Enroll again
settings-device = Device
settings-device-name = Phone name
settings-device-id = Device id
settings-platform = Platform
settings-data-dir = Data folder

## Errors — say what to do
err-answer-required = Please answer this.
err-whole-number = Enter a whole number, for example 4.
err-decimal = Enter a number, for example 3.5.
err-form-has-problems = Some answers need fixing — see the lines in red.
err-toilet-cannot-meet = With no toilet, or another type, the toilet cannot meet the standard.
err-checklist-item-not-met = This requirement is not met, so the toilet does not meet the standard: tick it, or answer “No” to the standard question.
err-clean-needs-hygienic = Clean water is also hygienic water: answer “Yes” to hygienic water.
err-pen-hygienic = Answer about the pen only when the household raises livestock.
err-insured-more-than-members = Insured members cannot be more than the household's members.
err-members-range = That number of members is not plausible (at most 100).
err-stunted-more-than-measured = Stunted children cannot be more than the children measured.
err-children-range = That number of children is not plausible (at most 50).
err-note-too-long = The note is too long (at most 2,000 characters).
err-road-name = Enter the road's name.
err-road-width = The width must be more than 0 and at most 60 m.
err-road-track = A completed road needs at least 2 GPS points, or a typed-in length with a reason.
err-road-track-point = A GPS point of the track is invalid; record the road again.
err-manual-length = The typed-in length must be more than 0 and at most 100 km.
err-manual-reason = Say why the length was typed in.
err-location-required = This record needs a GPS position.
err-observed-on = Pick a day from the year 2000 up to today.
err-location-invalid = The GPS position is invalid; take it again.
err-village-required = Choose the village.
err-photos = Too many photos, or the same photo twice.
err-photo-required = Take a photo of the sign.
err-position-needed = Tap “Take position” standing by the sign.
err-position-not-accurate = The position is not accurate enough. Move into the open and take it again.
err-field-invalid = Invalid value ({ $detail }).
err-enroll-first = This phone is not enrolled: go to Settings › Enroll again.
err-enroll-code = The enrollment code is wrong or expired. Ask the commune office for a new one.
err-server-unreachable = Cannot reach the server. Check the address and the network, then try again.
err-server-failed = The server has a problem. Try again in a few minutes.
err-store = Could not save on the phone. Restart the app; if it happens again, tell your supervisor.
err-disk-full = The phone's storage is full; the record was not saved. Delete some photos or unused apps, then tap Save again.
err-sync-failed = Not sent yet. Your data is safe on the phone; the app retries by itself when there is a network.
err-sync-offline = Cannot reach the server. Your data is safe on this phone; the app sends it by itself once there is a connection.
err-sync-refused = The server no longer accepts this phone. Your data is safe on the phone; ask the commune office for a new enrollment code, then Settings › Enroll again.
err-sync-rejected = The server refused what this phone sent. Your data is safe on the phone; update the app, and if it happens again tell your supervisor.
err-sync-photo-damaged = A photo on the phone is damaged and cannot be sent. Open My records and take that photo again.
err-location-denied = The app may not use the location. Allow it in the phone's settings.
err-no-fix = No GPS fix yet. Move into the open, turn location on and wait a little.
err-photo-denied = The app may not use the camera. Allow it in the phone's settings.
err-photo-unreadable = This photo cannot be read. Take it again.
err-unsupported = This phone does not support this yet.
err-platform-other = The phone reported an error. Try again.
