import XCTest

@testable import Core

/// Every detail an error is made with is a member of its data that rpc.discover publishes
/// (AppError.dataMembers), each with an example value and words for what it holds.
final class AppErrorTests: XCTestCase {
    func testEveryDetailAnErrorIsMadeWithIsPublished() {
        let week = (start: Instant(seconds: 0), end: Instant(seconds: 604_800))
        let made: [AppError] = [
            .invalidParams(field: "start", reason: "why"), .internalError(), .unknownActor(given: true), .forbidden("why"), .roleRequired("x.y", roles: ["admin"]), .notFound("meeting", "mtg_x"),
            .invalidState(status: "agreed", action: "decline"), .timeConflict(meetingIds: ["mtg_x"]), .timeConflictForUser(), .slotUnavailable("taken"),
            .meetingStarted(start: week.start), .meetingStarted(start: week.start, as: .waiting), .meetingStarted(start: week.start, as: .declined),
            .lateCancellationRequiresConfirmation(windowHours: 48, consequences: "Charged."), .insufficientCredits(available: 1, required: 2),
            .notEnrolled("why"), .usageLimitReached(limit: 1), .usageLimitReached(limit: 1, week: week), .suspended(until: week.end),
            .sessionLogRequired(meetingIds: ["mtg_x"]), .idempotencyKeyReused(), .databaseUnavailable(), .databaseRefused(), .databaseMisconfigured(),
            .shuttingDown(), .lockTimeout(), .statementTimeout(), .transactionIdleTimeout(), .settingsUnreadable(field: "platform_fee_percent", reason: "why"),
        ]
        for error in made {
            let members = Set(AppError.dataMembers[error.code]?.map(\.name) ?? [])
            XCTAssertTrue(Set(error.details.keys).isSubset(of: members), "\(error.dataCode): \(error.details.keys.sorted()) beyond \(members.sorted())")
            XCTAssertEqual(Set(error.publishedData.objectValue?.keys.map { $0 } ?? []), members.union(["code", "retryable"]), error.dataCode)
        }
        for (code, members) in AppError.dataMembers {
            XCTAssertEqual(Set(members.map(\.name)).count, members.count, "\(code): a member named twice")
            for member in members { XCTAssertFalse(member.about.isEmpty, "\(code) \(member.name)") }
        }
    }
}
