import Core
import RPC
import Pipeline

/// The worked calls `rpc.discover` publishes for the main methods: the walkthrough of
/// examples/quickstart.ndjson (Sam books Talia for CHEM101, Talia confirms, Sam cancels late),
/// with fixed ids. scripts/validate_openrpc.py checks every example against its method's params
/// and result schemas, so they cannot drift from what meetingd answers.
enum Examples {
    static let admin = "per_01a2361473e37e1e8a8d1b4c5c6d7e8f"
    static let sam = "per_01a2361473e7716d8b383a6791c06c4c"
    static let talia = "per_01a2361473e479b18a0e463bfee30c92"
    static let fiona = "per_01a2361473e97c2a9e3d4f5a6b7c8d9e"
    static let noa = "per_01a2361473ea97c2a9e3d4f5a6b7c8d0"
    static let chem = "svc_01a2361473ea7b3c8d9e0f1a2b3c4d5e"
    static let room = "loc_01a2361473e27a1b2c3d4e5f6a7b8c9d"
    static let meeting = "mtg_01a2361473ff7a1c8b2d3e4f5a6b7c8d"
    static let hold = "trf_01a2361473ff7a1c9d336de58041e39f"
    static let wallet = "acc_01a2361473e7756da58f02ba7b980274"
    static let issuance = "acc_01a2361473117a29b6dae9b0c9a18249"

    static func meetingJSON(
        status: String, creditStatus: String, expertApproved: Bool, version: Int64, awaiting: String?, calendarSequence: Int64 = 0,
        updatedAt: String = "2030-03-04T12:00:00Z"
    ) -> JSON {
        [
            "id": .string(meeting), "status": .string(status), "credit_status": .string(creditStatus),
            "start": "2030-03-11T15:00:00Z", "end": "2030-03-11T16:00:00Z", "length_minutes": 60, "price_credits": 100, "price_source": "service",
            "held_credits": creditStatus == "blocked" ? 100 : 0, "charged_credits": creditStatus == "paid" ? 100 : nil,
            "returned_credits": creditStatus == "returned" ? 100 : nil, "follows_meeting_id": nil,
            "service_id": .string(chem), "skill": nil, "user_id": .string(sam), "expert_id": .string(talia), "user_name": "Sam Lee",
            "expert_name": "Talia Kim", "location_id": .string(room), "expert_approved": .bool(expertApproved), "user_approved": true,
            "proposed_by": "user", "alternate": nil, "awaiting_action_by": .optional(awaiting), "topic": "Stoichiometry",
            "agenda_answers": ["Balancing equations"], "agenda_questions": ["What do you want to work on?"], "session_type": nil, "class_name": nil, "room": nil,
            "hold_transfer_id": creditStatus == "blocked" ? .string(hold) : nil, "conflict_accepted": false, "note": nil, "video_url": nil,
            "series_id": nil, "occurrence_date": nil, "attendance": nil, "duration_minutes": nil, "feedback": nil,
            "calendar_sequence": .int(calendarSequence), "version": .int(version), "created_at": "2030-03-04T12:00:00Z",
            "updated_at": .string(updatedAt),
            "student_id": nil, "student_name": nil, "awaiting_processing": false, "pending_holds_slot": true, "decline_reason": nil,
            "details_hidden": false,
        ]
    }

    static let ping = MethodExample(
        "A healthy service, with the time of the admin's community", params: ["actor": .string(admin)],
        result: [
            "version": "0.2.0", "now": "2030-03-04T12:00:00Z", "database": "ok", "build_schema_version": .int(Int64(Release.schemaVersion)),
            "schema_version": .int(Int64(Release.schemaVersion)),
        ])

    static let pingDatabaseDown = MethodExample(
        "The database does not answer: the service's own time, and no schema version of the database (only the one this meetingd is written for)",
        params: [:], result: ["version": "0.2.0", "now": "2030-03-04T12:00:00Z", "database": "unavailable", "build_schema_version": .int(Int64(Release.schemaVersion))])

    static let personCreate = MethodExample(
        "An admin adds a user",
        params: ["actor": .string(admin), "email": "sam@demo.example", "first_name": "Sam", "last_name": "Lee", "roles": ["user"],
                 "time_zone": "Europe/Prague"],
        result: ["id": .string(sam), "email": "sam@demo.example", "first_name": "Sam", "last_name": "Lee", "roles": ["user"],
                 "time_zone": "Europe/Prague", "suspended_until": nil])

    static let serviceCreate = MethodExample(
        "A generic course of one hour for 100 credits",
        params: ["actor": .string(admin), "name": "CHEM101", "kind": "generic", "default_length_minutes": 60, "price_credits": 100,
                 "agenda_questions": ["What do you want to work on?"]],
        result: ["id": .string(chem), "name": "CHEM101", "kind": "generic", "expert_id": nil, "default_length_minutes": 60, "price_credits": 100,
                 "skills": [], "agenda_questions": ["What do you want to work on?"], "active": true])

    static let serviceUpdate = MethodExample(
        "CHEM101 renamed and its price raised: booked meetings keep theirs",
        params: ["actor": .string(admin), "service_id": .string(chem), "name": "CHEM 101: General Chemistry", "price_credits": 120],
        result: ["id": .string(chem), "name": "CHEM 101: General Chemistry", "kind": "generic", "expert_id": nil, "default_length_minutes": 60,
                 "price_credits": 120, "skills": [], "agenda_questions": ["What do you want to work on?"], "active": true])

    static let locationRetire = MethodExample(
        "The library room closes: nothing is booked there any more",
        params: ["actor": .string(admin), "location_id": "loc_01a20440e2a3fcd0a1b2c3d4e5f60718", "active": false],
        result: ["id": "loc_01a20440e2a3fcd0a1b2c3d4e5f60718", "name": "Library Room 101", "kind": "in_person", "active": false,
                 "waiting_meetings": [], "waiting_meetings_count": 0, "active_series": [], "active_series_count": 0])

    static let studentLink = MethodExample(
        "An admin lets Sam (a parent) book for Noa, paid from Sam's wallet",
        params: ["actor": .string(admin), "customer_id": .string(sam), "student_id": .string(noa)],
        result: ["customer_id": .string(sam), "student_id": .string(noa), "linked": true])

    static let creditsGrant = MethodExample(
        "Finance adds 500 purchased credits to a wallet",
        params: ["actor": .string(fiona), "user_id": .string(sam), "credits": 500, "reference": "order-1001", "idempotency_key": "grant-order-1001"],
        result: ["id": "trf_01a2361473f37d2e8c1b0a9f8e7d6c5b", "kind": "grant", "credits": 500, "seq": 1, "created_at": "2030-03-04T12:00:00Z",
                 "debit_account_id": .string(issuance), "credit_account_id": .string(wallet)])

    static let search = MethodExample(
        "Free CHEM101 slots on one morning",
        params: ["actor": .string(sam), "service_id": .string(chem), "from": "2030-03-11T09:00:00-04:00", "to": "2030-03-11T10:00:00-04:00"],
        result: ["service_id": .string(chem), "length_minutes": 60, "truncated": false, "next_cursor": nil, "experts_not_assigned": 0, "full_weeks": [], "slots": [
            ["start": "2030-03-11T13:00:00Z", "end": "2030-03-11T14:00:00Z", "experts": [["expert_id": .string(talia), "location_ids": [.string(room)]]]],
            ["start": "2030-03-11T13:30:00Z", "end": "2030-03-11T14:30:00Z", "experts": [["expert_id": .string(talia), "location_ids": [.string(room)]]]],
        ], "experts": [
            ["person_id": .string(talia), "display_name": "Talia Kim", "bio": "", "photo_url": nil, "languages": []],
        ]])

    static let request = MethodExample(
        "Sam books a slot: 100 credits are held and Talia is asked",
        params: ["actor": .string(sam), "service_id": .string(chem), "expert_id": .string(talia), "start": "2030-03-11T11:00:00-04:00",
                 "location_id": .string(room), "topic": "Stoichiometry", "agenda_answers": ["Balancing equations"], "idempotency_key": "sam-request-1"],
        result: meetingJSON(status: "awaiting_approval", creditStatus: "blocked", expertApproved: false, version: 1, awaiting: "expert"))

    static let confirm = MethodExample(
        "Talia confirms: the meeting is agreed",
        params: ["actor": .string(talia), "meeting_id": .string(meeting)],
        result: meetingJSON(status: "agreed", creditStatus: "blocked", expertApproved: true, version: 2, awaiting: nil))

    static let cancel = MethodExample(
        "Sam cancels a day ahead (2030-03-10T15:00Z), inside the 48-hour window: the late-cancel charge is kept",
        params: ["actor": .string(sam), "meeting_id": .string(meeting), "reason_code": "illness", "confirm_late": true],
        result: meetingJSON(
            status: "cancelled", creditStatus: "paid", expertApproved: true, version: 3, awaiting: nil, calendarSequence: 1,
            updatedAt: "2030-03-10T15:00:00Z"))

    static let balance = MethodExample(
        "Sam's wallet while a meeting holds 100 credits",
        params: ["actor": .string(sam), "person_id": .string(sam)],
        result: [
            "account_id": .string(wallet), "kind": "user_wallet", "owner_id": .string(sam), "as_of": "2030-03-04T12:00:00Z",
            "posted": 500, "blocked": 100, "available": 400, "incoming": 0,
            "debits_posted": 0, "credits_posted": 500, "debits_pending": 100, "credits_pending": 0,
            "accounts": [[
                "account_id": .string(wallet), "kind": "user_wallet", "owner_id": .string(sam), "as_of": "2030-03-04T12:00:00Z",
                "posted": 500, "blocked": 100, "available": 400, "incoming": 0,
                "debits_posted": 0, "credits_posted": 500, "debits_pending": 100, "credits_pending": 0,
            ]],
        ])
}
