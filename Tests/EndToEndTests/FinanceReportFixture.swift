import Foundation
import XCTest

/// A community whose ledger has every kind of movement the finance reports tell apart, on a
/// New York clock, with a platform fee of 20 % and late cancellations charged at 50 %:
///
/// - 2031-01-06 12:00Z: grants (user A 500, user B 300); A books expert X (100) for 01-07 12:00
///   and 01-07 15:00, B books expert Y (50) for 01-08 12:00; X and Y confirm.
/// - 2031-01-07 10:00Z: A cancels the 15:00 meeting late (50 captured, 50 returned; fee 10);
///   Y cancels B's meeting (released).
/// - 2031-02-01 03:00Z (still 31 January in New York): X logs A's meeting (100 captured, fee 20).
/// - 2031-02-10 12:00Z: finance takes 3 back from platform_revenue, pays X out 30, and B books Y
///   for 03-10 (50 held, still open).
struct ReportLedger {
    let meetingd: Meetingd
    let ledger: LedgerCommunity
    let userA: String
    let userB: String
    let expertX: String
    let expertY: String
    let walletA: String
    let capturedMeeting: String

    var finance: String { ledger.financeId }

    static func make(on meetingd: Meetingd, _ label: String) throws -> ReportLedger {
        let ledger = try LedgerCommunity.make(on: meetingd, label)
        try meetingd.result("community.update_settings", as: ledger.adminId, [
            "time_zone": "America/New_York", "platform_fee_percent": 20, "user_late_cancel_charge_percent": 50,
        ])
        func at(_ text: String) throws -> Date { try parseRFC3339(text) }
        try ledger.pinClock(on: meetingd, at: try at("2031-01-06T12:00:00Z"))
        let userA = try ledger.person(on: meetingd, ["user"]), userB = try ledger.person(on: meetingd, ["user"])
        let x = try BookableExpert.make(on: meetingd, ledger.community, priceCredits: 100, lengthMinutes: 60)
        let y = try BookableExpert.make(on: meetingd, ledger.community, priceCredits: 50, lengthMinutes: 60)
        try ledger.grant(on: meetingd, 500, to: userA)
        try ledger.grant(on: meetingd, 300, to: userB)
        let kept = try x.request(on: meetingd, by: userA, start: try at("2031-01-07T12:00:00Z"))["id"]!
        let lateCancelled = try x.request(on: meetingd, by: userA, start: try at("2031-01-07T15:00:00Z"))["id"]!
        let released = try y.request(on: meetingd, by: userB, start: try at("2031-01-08T12:00:00Z"))["id"]!
        for (expert, meeting) in [(x.expertId, kept), (x.expertId, lateCancelled), (y.expertId, released)] {
            try meetingd.result("meeting.confirm", as: expert, ["meeting_id": meeting])
        }
        try ledger.pinClock(on: meetingd, at: try at("2031-01-07T10:00:00Z"))
        try meetingd.result("meeting.cancel", as: userA, ["meeting_id": lateCancelled, "reason_code": "other", "confirm_late": true])
        try meetingd.result("meeting.cancel", as: y.expertId, ["meeting_id": released, "reason_code": "other", "confirm_late": true])
        try ledger.pinClock(on: meetingd, at: try at("2031-02-01T03:00:00Z"))
        try meetingd.result("meeting.log_session", as: x.expertId, ["meeting_id": kept, "attendance": "attended"])
        try ledger.pinClock(on: meetingd, at: try at("2031-02-10T12:00:00Z"))
        let revenue = try XCTUnwrap(try meetingd.result("ledger.accounts", as: ledger.financeId, ["kind": "platform_revenue"])["items"]?[0]?["account_id"])
        try meetingd.result("credits.adjust", as: ledger.financeId, ["account_id": revenue, "credits": -3, "reason": "refund of a fee"])
        try meetingd.result("payout.create", as: ledger.financeId, ["expert_id": .string(x.expertId), "credits": 30, "reference": "bank-1"])
        try y.request(on: meetingd, by: userB, start: try at("2031-03-10T12:00:00Z"))
        return ReportLedger(
            meetingd: meetingd, ledger: ledger, userA: userA, userB: userB, expertX: x.expertId, expertY: y.expertId,
            walletA: try meetingd.accountId(of: userA, kind: "user_wallet", as: userA), capturedMeeting: try XCTUnwrap(kept.string))
    }

    /// The trial balance's totals of one account kind, now or as of a time.
    func trial(_ kind: String, asOf: String? = nil) throws -> JSONValue { try meetingd.trialBalanceKind(kind, as: finance, asOf: asOf) }
}

/// The cells of one column of a parsed CSV (header first), by its name.
func csvColumn(_ rows: [[String]], _ name: String) throws -> [String] {
    guard let header = rows.first, let i = header.firstIndex(of: name) else { throw HarnessError("no column \(name) in \(rows.first ?? [])") }
    return rows.dropFirst().map { i < $0.count ? $0[i] : "" }
}
