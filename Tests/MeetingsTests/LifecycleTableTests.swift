import Community
import Core
import XCTest

@testable import Meetings

/// Every (meeting state × command × actor) combination before the start, each with its
/// expected outcome: the resulting status, or the error code of the refusal.
final class LifecycleTableTests: XCTestCase {
    static let start = Instant(seconds: 2_000_000_000)
    static let before = start.adding(minutes: -7 * 24 * 60)
    static let settings: CommunitySettings = {
        var s = CommunitySettings()
        s.cancellationWindowHours = 48
        s.userLateCancelChargePercent = 100
        s.rejectionReasons = [Reason(code: "schedule_conflict", label: "Schedule conflict"), Reason(code: "other", label: "Other")]
        s.cancellationReasons = [Reason(code: "illness", label: "Illness"), Reason(code: "other", label: "Other")]
        return s
    }()

    static func state(_ status: MeetingStatus, _ credit: CreditStatus, user: Bool, expert: Bool, by: Party, alternate: Party? = nil) -> MeetingState {
        MeetingState(
            status: status, creditStatus: credit, start: start, lengthMinutes: 60, priceCredits: 100, expertApproved: expert, userApproved: user,
            proposedBy: by, alternate: alternate.map { Alternate(start: start.adding(minutes: 24 * 60), lengthMinutes: 60, priceCredits: 100, proposedBy: $0, note: nil) })
    }

    static let states: [(String, MeetingState)] = [
        ("user_request", state(.awaitingApproval, .blocked, user: true, expert: false, by: .user)),
        ("expert_proposal", state(.awaitingApproval, .none, user: false, expert: true, by: .expert)),
        ("agreed", state(.agreed, .blocked, user: true, expert: true, by: .user)),
        ("agreed_alt_by_user", state(.agreed, .blocked, user: true, expert: true, by: .user, alternate: .user)),
        ("agreed_alt_by_expert", state(.agreed, .blocked, user: true, expert: true, by: .user, alternate: .expert)),
        ("rejected", state(.rejected, .returned, user: true, expert: false, by: .user)),
        ("cancelled", state(.cancelled, .returned, user: true, expert: true, by: .user)),
        ("completed", state(.completed, .paid, user: true, expert: true, by: .user)),
        ("expired", state(.expired, .returned, user: true, expert: false, by: .user)),
        // Seed 003: the user accepted the expert's new date; the expert must make the session.
        ("awaiting_processing", state(.awaitingApproval, .blocked, user: true, expert: true, by: .expert)),
    ]

    static let commands: [(String, Command)] = [
        ("confirm", .confirm(acceptConflicts: false)),
        ("decline", .decline(reasonCode: "other", note: nil)),
        ("withdraw", .withdraw(note: nil)),
        ("cancel", .cancel(reasonCode: "illness", note: nil, confirmLate: false)),
        ("reschedule", .reschedule(start: start.adding(minutes: 2 * 24 * 60), lengthMinutes: 60, priceCredits: 100, note: "how about this")),
        ("confirm_alternate", .confirmAlternate(acceptConflicts: false)),
        ("reject_alternate", .rejectAlternate(reasonCode: "other", note: nil)),
        ("withdraw_alternate", .withdrawAlternate),
        ("log_session", .logSession(attendance: .attended, durationAdjustMinutes: 0, feedback: nil)),
        ("report_no_show", .reportNoShow),
        ("expire", .expire),
        ("skip_occurrence", .skipOccurrence(confirmLate: false)),
    ]

    static let actors: [(String, MeetingActor)] = [
        ("user", .party(.user)), ("expert", .party(.expert)), ("admin", .admin), ("office", .office), ("system", .system),
    ]

    /// What the office may do for an expert (seed 003), with the expert's outcome; every other
    /// command refuses it.
    static let officeCommands: Set<String> = ["confirm", "decline", "withdraw", "reschedule", "confirm_alternate", "reject_alternate", "withdraw_alternate"]

    /// Outcome per state → command → actor. A status name means allowed (the next status);
    /// anything else is the refusal's data.code. Party-only commands refuse admin and system.
    static func party(user: String, expert: String) -> [String: String] {
        ["user": user, "expert": expert, "admin": "forbidden", "system": "forbidden"]
    }
    static let refusedInState = party(user: "invalid_state", expert: "invalid_state")
    static let logOnly: [String: String] = ["user": "forbidden", "expert": "invalid_state", "admin": "forbidden", "system": "forbidden"]
    static let noShowOnly: [String: String] = ["user": "invalid_state", "expert": "forbidden", "admin": "invalid_state", "system": "forbidden"]
    static let expireOnly: [String: String] = ["user": "forbidden", "expert": "forbidden", "admin": "forbidden", "system": "invalid_state"]

    static let awaitingTheExpert: [String: [String: String]] = [
        "confirm": party(user: "invalid_state", expert: "agreed"),
        "decline": party(user: "invalid_state", expert: "rejected"),
        "withdraw": party(user: "cancelled", expert: "invalid_state"),
        "cancel": refusedInState,
        "reschedule": party(user: "awaiting_approval", expert: "awaiting_approval"),
        "confirm_alternate": refusedInState, "reject_alternate": refusedInState, "withdraw_alternate": refusedInState,
        "log_session": logOnly, "report_no_show": noShowOnly, "expire": expireOnly,
        "skip_occurrence": party(user: "cancelled", expert: "cancelled"),
    ]

    static let table: [String: [String: [String: String]]] = [
        "user_request": awaitingTheExpert,
        // Seed 003: a new date the user accepted answers like a request: the expert makes the
        // session or declines it, the user may withdraw.
        "awaiting_processing": awaitingTheExpert,
        "expert_proposal": [
            "confirm": party(user: "agreed", expert: "invalid_state"),
            "decline": party(user: "rejected", expert: "invalid_state"),
            "withdraw": party(user: "invalid_state", expert: "cancelled"),
            "cancel": refusedInState,
            "reschedule": party(user: "awaiting_approval", expert: "awaiting_approval"),
            "confirm_alternate": refusedInState, "reject_alternate": refusedInState, "withdraw_alternate": refusedInState,
            "log_session": logOnly, "report_no_show": noShowOnly, "expire": expireOnly,
            "skip_occurrence": party(user: "cancelled", expert: "cancelled"),
        ],
        "agreed": [
            "confirm": refusedInState, "decline": refusedInState, "withdraw": refusedInState,
            "cancel": party(user: "cancelled", expert: "cancelled"),
            "reschedule": party(user: "agreed", expert: "agreed"),
            "confirm_alternate": refusedInState, "reject_alternate": refusedInState, "withdraw_alternate": refusedInState,
            "log_session": logOnly, "report_no_show": noShowOnly, "expire": expireOnly,
            "skip_occurrence": party(user: "cancelled", expert: "cancelled"),
        ],
        "agreed_alt_by_user": [
            "confirm": refusedInState, "decline": refusedInState, "withdraw": refusedInState,
            "cancel": party(user: "cancelled", expert: "cancelled"),
            "reschedule": refusedInState,
            "confirm_alternate": party(user: "invalid_state", expert: "agreed"),
            "reject_alternate": party(user: "invalid_state", expert: "agreed"),
            "withdraw_alternate": party(user: "agreed", expert: "invalid_state"),
            "log_session": logOnly, "report_no_show": noShowOnly, "expire": expireOnly,
            "skip_occurrence": party(user: "cancelled", expert: "cancelled"),
        ],
        "agreed_alt_by_expert": [
            "confirm": refusedInState, "decline": refusedInState, "withdraw": refusedInState,
            "cancel": party(user: "cancelled", expert: "cancelled"),
            "reschedule": refusedInState,
            "confirm_alternate": party(user: "agreed", expert: "invalid_state"),
            "reject_alternate": party(user: "agreed", expert: "invalid_state"),
            "withdraw_alternate": party(user: "invalid_state", expert: "agreed"),
            "log_session": logOnly, "report_no_show": noShowOnly, "expire": expireOnly,
            "skip_occurrence": party(user: "cancelled", expert: "cancelled"),
        ],
        "rejected": [
            "confirm": refusedInState, "decline": refusedInState, "withdraw": refusedInState, "cancel": refusedInState,
            "reschedule": party(user: "awaiting_approval", expert: "awaiting_approval"),
            "confirm_alternate": refusedInState, "reject_alternate": refusedInState, "withdraw_alternate": refusedInState,
            "log_session": logOnly, "report_no_show": noShowOnly, "expire": expireOnly,
            "skip_occurrence": refusedInState,
        ],
    ]

    /// Ended meetings refuse every action (invalid_state for the right actor, forbidden otherwise).
    static let endedRow: [String: [String: String]] = [
        "confirm": refusedInState, "decline": refusedInState, "withdraw": refusedInState, "cancel": refusedInState, "reschedule": refusedInState,
        "confirm_alternate": refusedInState, "reject_alternate": refusedInState, "withdraw_alternate": refusedInState,
        "log_session": logOnly, "report_no_show": noShowOnly, "expire": expireOnly, "skip_occurrence": refusedInState,
    ]

    static func outcome(_ m: MeetingState, _ c: Command, _ a: MeetingActor, now: Instant) -> String {
        do {
            return try Lifecycle.decide(m, c, by: a, now: now, settings: settings).next.status.rawValue
        } catch let e as AppError {
            return e.dataCode
        } catch {
            return "unexpected \(error)"
        }
    }

    func testEveryCombinationBeforeTheStart() {
        var checked = 0
        for (stateName, m) in Self.states {
            let row = Self.table[stateName] ?? Self.endedRow
            for (commandName, c) in Self.commands {
                for (actorName, a) in Self.actors {
                    let expected = actorName == "office"
                        ? (Self.officeCommands.contains(commandName) ? row[commandName]!["expert"]! : "forbidden")
                        : row[commandName]![actorName]!
                    let got = Self.outcome(m, c, a, now: Self.before)
                    XCTAssertEqual(got, expected, "\(stateName) × \(commandName) × \(actorName)")
                    checked += 1
                }
            }
        }
        XCTAssertEqual(checked, Self.states.count * Self.commands.count * Self.actors.count)
    }

    /// What the office may not do is refused in a sentence that says who does it ("…may
    /// log_session it" read "may log session it").
    func testTheOfficeIsToldWhatItMayNotDoInPlainWords() {
        let agreed = Self.states.first { $0.0 == "agreed" }!.1
        var refusals: [String: String] = [:]
        for (commandName, c) in Self.commands where !Self.officeCommands.contains(commandName) {
            do {
                _ = try Lifecycle.decide(agreed, c, by: .office, now: Self.before, settings: Self.settings)
                XCTFail("\(commandName): the office was not refused")
            } catch let e as AppError {
                refusals[commandName] = e.message
            } catch {
                XCTFail("\(commandName): \(error)")
            }
        }
        let rule = "Forbidden: the office confirms, declines and proposes new dates for experts; "
        XCTAssertEqual(refusals, [
            "cancel": rule + "only the meeting's user or expert cancels it", "log_session": rule + "only the meeting's expert logs its session",
            "report_no_show": rule + "only the meeting's user (or an admin) reports that its expert did not come",
            "expire": rule + "only the scheduler expires a request", "skip_occurrence": rule + "only the series' user or expert skips one of its dates",
        ])
    }

    /// A free meeting cancelled late by the user costs nothing, and the confirmation says so.
    func testAFreeMeetingsLateCancellationSaysNothingIsCharged() {
        var free = Self.state(.agreed, .none, user: true, expert: true, by: .expert)
        free.priceCredits = 0
        XCTAssertThrowsError(try Lifecycle.decide(
            free, .cancel(reasonCode: "illness", note: nil, confirmLate: false), by: .party(.user), now: Self.start.adding(minutes: -60), settings: Self.settings)) { error in
            XCTAssertEqual((error as? AppError)?.details["consequences"], "Nothing is charged: the meeting is free.")
        }
    }

    /// After the start only logging, a no-show report and expiry remain; every other action is
    /// refused with meeting_started whatever the state. A no-show report waits for the end; an
    /// agreed meeting's open new date expires with the start.
    func testAfterTheStartOnlyLogReportAndExpire() {
        let after = Self.start.adding(minutes: 1)
        for (stateName, m) in Self.states {
            for (commandName, c) in Self.commands {
                for (actorName, a) in Self.actors {
                    let got = Self.outcome(m, c, a, now: after)
                    if actorName == "office" {
                        let started = m.status.isFinal ? Self.outcome(m, c, a, now: Self.before) : "meeting_started"
                        XCTAssertEqual(got, Self.officeCommands.contains(commandName) ? started : "forbidden", "\(stateName) × \(commandName) × office")
                        continue
                    }
                    switch commandName {
                    case "log_session":
                        let expected = actorName != "expert" ? "forbidden" : (m.status == .agreed ? "completed" : "invalid_state")
                        XCTAssertEqual(got, expected, "\(stateName) × \(commandName) × \(actorName)")
                    case "report_no_show":
                        let allowed = actorName == "user" || actorName == "admin"
                        XCTAssertEqual(got, allowed ? "invalid_state" : "forbidden", "\(stateName) × \(commandName) × \(actorName)")
                        let atTheEnd = Self.outcome(m, c, a, now: m.end)
                        XCTAssertEqual(atTheEnd, !allowed ? "forbidden" : (m.status == .agreed ? "completed" : "invalid_state"), "\(stateName) × \(commandName) × \(actorName) at the end")
                    case "expire":
                        // A request expires; an agreed meeting's open new date closes at the start
                        // (the meeting stays agreed).
                        let expired = m.status == .awaitingApproval ? "expired" : m.status == .agreed && m.alternate != nil ? "agreed" : "invalid_state"
                        let expected = actorName != "system" ? "forbidden" : expired
                        XCTAssertEqual(got, expected, "\(stateName) × \(commandName) × \(actorName)")
                    default:
                        // An ended meeting answers as it did before its start: for its state.
                        let expected = m.status.isFinal ? Self.outcome(m, c, a, now: Self.before) : "meeting_started"
                        XCTAssertEqual(got, expected, "\(stateName) × \(commandName) × \(actorName)")
                    }
                }
            }
        }
    }
}
