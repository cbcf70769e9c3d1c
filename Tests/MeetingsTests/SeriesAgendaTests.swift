import Core
import XCTest

@testable import Meetings

/// A weekly series' later dates carry the answers its booking gave with the questions they
/// answered, whatever the service asks by then; a series booked before meetings kept their
/// questions carries its answers while the service asks as many, and is booked without them after.
final class SeriesAgendaTests: XCTestCase {
    func series(answers: [String], questions: [String]?) -> Series {
        var s = Series(
            id: "ser_1", userId: "per_u", expertId: "per_e", serviceId: "svc_1", locationId: BookingRulesTableTests.location, timeZone: "UTC",
            firstDate: LocalDate("2030-03-06")!, localMinutes: 10 * 60, lengthMinutes: 60, weeks: 4, nextIndex: 1, status: "active")
        s.agendaAnswers = answers
        s.agendaQuestions = questions
        return s
    }

    /// The later date booked from `series` with the service asking `asked` now.
    func booked(_ series: Series, asked: [String]) throws -> Meeting {
        var c = try BookingRulesTableTests.context()
        c.service?.agendaQuestions = asked
        var change = SeriesChange(series: series, isNew: false)
        let date = LocalDate("2030-03-13")!
        SeriesDecider.book(&change, &c, date: date, start: try XCTUnwrap(series.start(on: date)), beyondHorizon: false, ids: MeetingDecider.defaultIds)
        XCTAssertEqual(change.skips, [])
        return try XCTUnwrap(change.meetings.first?.after)
    }

    func testALaterDateKeepsTheQuestionsItsAnswersAnswered() throws {
        let kept = series(answers: ["pass the exam"], questions: ["Goal?"])
        for asked in [["Goal?"], ["Which book?"], ["Goal?", "Chapter?"], []] {
            let m = try booked(kept, asked: asked)
            XCTAssertEqual(m.agendaAnswers, ["pass the exam"], "\(asked)")
            XCTAssertEqual(m.agendaQuestions, ["Goal?"], "\(asked)")
        }
    }

    func testASeriesWithoutItsQuestionsCarriesItsAnswersWhileTheyFit() throws {
        let older = series(answers: ["pass the exam"], questions: nil)
        let fits = try booked(older, asked: ["Goal?"])
        XCTAssertEqual(fits.agendaAnswers, ["pass the exam"])
        XCTAssertEqual(fits.agendaQuestions, ["Goal?"])
        let changed = try booked(older, asked: ["Goal?", "Chapter?"])
        XCTAssertEqual(changed.agendaAnswers, [])
        XCTAssertNil(changed.agendaQuestions)
    }
}
