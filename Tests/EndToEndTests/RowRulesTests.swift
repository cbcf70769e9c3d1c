import Foundation
import XCTest

/// The rules the database keeps on each row of the tables every request writes (meetings,
/// transfers, accounts, meeting_events, outbox), below meetingd: a write breaking any one of
/// them is refused with SQLSTATE 23514 and that rule's name, whoever writes. Each statement
/// breaks exactly one rule and runs inside a transaction that is rolled back.
final class RowRulesTests: EndToEndTestCase {
    private func assertRefused(_ cases: [(rule: String, statement: String)], file: StaticString = #filePath, line: UInt = #line) throws {
        for (rule, statement) in cases {
            let report = try refusedInRolledBackTransaction(statement, file: file, line: line)
            XCTAssertTrue(report.contains("23514") && report.contains("\"\(rule)\""), "\(rule) should refuse: \(statement)\n\(report)", file: file, line: line)
        }
    }

    func testEveryRowRuleRefusesABrokenRow() throws {
        let meetingd = try startMeetingd(["--test-clock"])
        let s = try SeededLedger.make(on: meetingd, #function)
        let c = s.communityLiteral, wallet = Psql.literal(s.wallet), meeting = Psql.literal(s.meetingId), hold = Psql.literal(s.holdId)
        let long = { (n: Int) in "repeat('x', \(n))" }

        func meetings(_ set: String) -> String { "UPDATE meetings SET \(set) WHERE community_id = \(c) AND id = \(meeting)" }
        // A meeting's parties never change, and its status moves only forward (triggers refuse
        // those first, migrations 0148 and 0159): replica mode skips triggers, not CHECKs, so the
        // rules on them are seen to hold beneath.
        func beneathTriggers(_ set: String) -> String { "SET LOCAL session_replication_role = replica; " + meetings(set) }
        let later = "start_at + interval '1 day'"
        try assertRefused([
            ("meetings_alternate_accepted_overlaps", meetings("alternate_accepted_overlaps = ARRAY[id]")),
            ("meetings_alternate_length_minutes_check", meetings("alternate_length_minutes = 2")),
            ("meetings_alternate_price", meetings("alternate_price_credits = 10")),
            ("meetings_alternate_price_credits_check",
             meetings("alternate_start_at = \(later), alternate_proposed_by = 'user', alternate_price_credits = -1")),
            ("meetings_alternate_proposed_by_check",
             meetings("alternate_start_at = \(later), alternate_proposed_by = 'admin', alternate_price_credits = 45")),
            ("meetings_attendance_check", meetings("attendance = 'late'")),
            ("meetings_check", beneathTriggers("user_id = expert_id")),
            ("meetings_check1", meetings("end_at = end_at + interval '1 minute'")),
            ("meetings_check2", meetings("status = 'agreed', expert_approved = false")),
            ("meetings_check3", meetings("alternate_start_at = \(later), alternate_price_credits = 45")),
            ("meetings_credit_status_check", meetings("credit_status = 'lost'")),
            ("meetings_decline_reason_check", meetings("decline_reason = '[]'::jsonb")),
            ("meetings_duration_minutes_check", meetings("duration_minutes = -1")),
            ("meetings_hold_matches_status", meetings("hold_transfer_id = NULL")),
            ("meetings_class_name_check", meetings("class_name = ''")),
            ("meetings_room_check", meetings("room = \(long(101))")),
            ("meetings_id_check", meetings("id = 'mtg_1'")),
            ("meetings_id_check", meetings("id = 'mtg_' || repeat('a', 31) || 'é'")),
            ("meetings_id_check", meetings("id = 'mtg_' || repeat('a', 31) || 'g'")),
            ("meetings_length_minutes_check", meetings("length_minutes = 2, end_at = start_at + interval '2 minutes'")),
            ("meetings_note_check", meetings("note = \(long(10_001))")),
            ("meetings_occurrence", meetings("occurrence_date = '2030-01-01'")),
            ("meetings_price_credits_check", meetings("price_credits = -1")),
            ("meetings_price_source_check", meetings("price_source = 'gift'")),
            ("meetings_proposed_by_check", meetings("proposed_by = 'admin'")),
            ("meetings_skill_check", meetings("skill = \(long(201))")),
            ("meetings_status_check", beneathTriggers("status = 'lost'")),
            ("meetings_student_not_expert", beneathTriggers("student_id = expert_id")),
            ("meetings_topic_check", meetings("topic = \(long(10_001))")),
            ("meetings_video_url_check", meetings("video_url = \(long(2_001))")),
            ("meetings_ended_holds_nothing", meetings("status = 'cancelled'")),
            ("meetings_ended_holds_nothing", meetings("status = 'expired'")),
            ("meetings_paid_once_ended", meetings("credit_status = 'paid', hold_transfer_id = NULL")),
            ("meetings_completed_logged", beneathTriggers("status = 'completed', credit_status = 'returned', hold_transfer_id = NULL")),
            // A session logged (attended, or the user absent) pays the expert; an expert's absence
            // does not (migration 0150).
            ("meetings_logged_session_paid", beneathTriggers(
                "status = 'completed', attendance = 'attended', logged_at = now(), duration_minutes = 60, credit_status = 'returned', hold_transfer_id = NULL")),
            ("meetings_expert_absence_unpaid", beneathTriggers(
                "status = 'completed', attendance = 'expert_no_show', logged_at = now(), duration_minutes = 0, credit_status = 'paid', hold_transfer_id = NULL")),
            // A version only moves on (the trigger below refuses an UPDATE first): the rule that a
            // new row meets, asked of the row with version 0.
            ("meetings_version_check",
             "SELECT ml_meetings_row_rules(jsonb_populate_record(m, '{\"version\": 0}'::jsonb)) FROM meetings m WHERE community_id = \(c) AND id = \(meeting)"),
        ])
        // A version never goes back (a trigger: the rule compares the row with its last version).
        let back = try refusedInRolledBackTransaction(meetings("version = version + 1") + "; " + meetings("version = version - 1"))
        XCTAssertTrue(back.contains("55000") && back.contains("would take it back"), back)

        // Transfers are append-only: each rule is met by a new row, a copy of the meeting's hold
        // with one thing changed (beneath the trigger that refuses a kind's wrong accounts first,
        // migration 0159, the copy keeping the hold's number).
        func transfer(_ changes: [String: String]) -> String {
            let columns = ["community_id", "id", "seq", "debit_account_id", "credit_account_id", "amount", "kind", "phase", "pending_id", "meeting_id",
                           "reference", "reason", "actor_id", "created_at", "debit_debits_posted", "debit_credits_posted", "debit_debits_pending",
                           "debit_credits_pending", "credit_debits_posted", "credit_credits_posted", "credit_debits_pending", "credit_credits_pending"]
            let base = ["id": "'trf_' || md5(random()::text)"]
            let values = columns.map { changes[$0] ?? base[$0] ?? $0 }
            return "SET LOCAL session_replication_role = replica; INSERT INTO transfers (\(columns.joined(separator: ", "))) SELECT \(values.joined(separator: ", ")) FROM transfers "
                + "WHERE community_id = \(c) AND id = \(hold)"
        }
        try assertRefused([
            ("transfers_amount_check", transfer(["amount": "0"])),
            ("transfers_check", transfer(["credit_account_id": "debit_account_id"])),
            ("transfers_check1", transfer(["pending_id": "id"])),
            ("transfers_check2", transfer(["kind": "'grant'"])),
            ("transfers_check3", transfer(["kind": "'capture'", "phase": "'posted'"])),
            ("transfers_check4", transfer(["kind": "'release'", "phase": "'posted'"])),
            ("transfers_id_check", transfer(["id": "'trf_1'"])),
            ("transfers_id_check", transfer(["id": "'trf_' || repeat('0', 33)"])),
            ("transfers_id_check", transfer(["id": "'TRF_' || repeat('0', 32)"])),
            ("transfers_kind_check", transfer(["kind": "'gift'", "phase": "'posted'"])),
            ("transfers_phase_check", transfer(["kind": "'grant'", "phase": "'settled'"])),
            ("transfers_reason_check", transfer(["reason": long(10_001)])),
            ("transfers_reference_check", transfer(["reference": long(201)])),
            ("transfers_fee_of_a_meeting", transfer(["kind": "'fee'", "phase": "'posted'", "meeting_id": "NULL"])),
        ])

        func account(_ set: String) -> String { "UPDATE accounts SET \(set) WHERE community_id = \(c) AND id = \(wallet)" }
        // An account's id, kind and owner never change (a trigger refuses that first): a new row,
        // a copy of the wallet with one thing changed, meets those rules.
        func newAccount(_ changes: String) -> String {
            "INSERT INTO accounts SELECT (jsonb_populate_record(a, '{\"id\": \"acc_\(String(repeating: "7", count: 32))\", \(changes)}'::jsonb)).* "
                + "FROM accounts a WHERE community_id = \(c) AND id = \(wallet)"
        }
        try assertRefused([
            ("accounts_credits_pending_check", account("credits_pending = -1")),
            ("accounts_credits_posted_check", account("credits_posted = -1")),
            ("accounts_debits_pending_check", account("debits_pending = -1")),
            ("accounts_debits_posted_check", account("debits_posted = -1")),
            ("accounts_id_check", newAccount("\"id\": \"acc_1\"")),
            ("accounts_kind_check", newAccount("\"kind\": \"gift\"")),
            ("accounts_no_overdraft", account("debits_posted = credits_posted + 1")),
            ("accounts_owner", newAccount("\"owner_id\": null")),
        ])

        func event(_ column: String, _ value: String) -> String {
            let columns = ["community_id", "id", "meeting_id", "kind", "actor_id", "actor_role", "reason_code", "note", "details", "created_at"]
            let values = columns.map { $0 == column ? value : $0 == "id" ? "'evt_' || md5(random()::text)" : $0 }
            return "INSERT INTO meeting_events (\(columns.joined(separator: ", "))) SELECT \(values.joined(separator: ", ")) FROM meeting_events "
                + "WHERE community_id = \(c) AND meeting_id = \(meeting) LIMIT 1"
        }
        func outbox(_ set: String) -> String { "UPDATE outbox SET \(set) WHERE community_id = \(c) AND meeting_id = \(meeting)" }
        // A message's id and channel never change (a trigger refuses that first): a new row, a
        // copy of one with one thing changed, meets those rules.
        func newOutbox(_ changes: String) -> String {
            "INSERT INTO outbox SELECT (jsonb_populate_record(o, '{\"id\": \"out_\(String(repeating: "7", count: 32))\", \(changes)}'::jsonb)).* "
                + "FROM outbox o WHERE community_id = \(c) AND meeting_id = \(meeting) LIMIT 1"
        }
        try assertRefused([
            ("meeting_events_actor_role_check", event("actor_role", "'robot'")),
            ("meeting_events_id_check", event("id", "'evt_1'")),
            ("outbox_attempts_check", outbox("attempts = -1")),
            ("outbox_channel_check", newOutbox("\"channel\": \"fax\"")),
            ("outbox_id_check", newOutbox("\"id\": \"out_1\"")),
            ("outbox_status_check", outbox("status = 'lost'")),
        ])
        XCTAssertEqual(try meetingd.result("ledger.reconcile", as: s.ledger.financeId)["ok"], true)
    }
}
