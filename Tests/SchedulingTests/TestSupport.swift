import Core
import Foundation
import Scheduling

func utc(_ text: String) -> Instant {
    do { return try Instant(rfc3339: text) } catch { fatalError("test timestamp \(text): \(error)") }
}

func date(_ text: String) -> LocalDate {
    guard let date = LocalDate(text) else { fatalError("test date \(text)") }
    return date
}

func time(_ text: String) -> LocalTimeOfDay {
    guard let time = LocalTimeOfDay(text) else { fatalError("test time \(text)") }
    return time
}

func rule(_ weekday: Int, _ start: String, _ end: String, at locationIds: [String], services: [String]? = nil) -> WeeklyRule {
    do {
        return try WeeklyRule(weekday: weekday, start: time(start), end: time(end), locationIds: locationIds, serviceIds: services)
    } catch { fatalError("test rule: \(error)") }
}

func period(_ start: String, _ end: String) -> Period { Period(start: utc(start), end: utc(end)) }

/// Answers from `Reference/zone_reference.py`, which resolves local times with Python's
/// zoneinfo: tz rules applied by code that shares nothing with ZoneClock.
enum ZoneReference {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Reference/zone_reference.py")

    /// The UTC instant (fold=0) for each (zone, date, HH:MM).
    static func instants(_ cases: [(zone: String, date: String, time: String)]) throws -> [Instant] {
        try answers(cases.map { "local \($0.zone) \($0.date) \($0.time)" }).map { try Instant(rfc3339: $0) }
    }

    /// The local reading, `YYYY-MM-DD HH:MM OFFSET_SECONDS`, for each (zone, instant).
    static func readings(_ cases: [(zone: String, instant: Instant)]) throws -> [String] {
        try answers(cases.map { "utc \($0.zone) \($0.instant.rfc3339)" })
    }

    /// One python3 process answers the whole table.
    private static func answers(_ queries: [String]) throws -> [String] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script.path]
        let input = Pipe()
        let output = Pipe()
        let errors = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        // The script reads all of stdin before it writes, so writing first cannot deadlock.
        input.fileHandleForWriting.write(Data(queries.joined(separator: "\n").utf8 + [10]))
        try input.fileHandleForWriting.close()
        let answered = output.fileHandleForReading.readDataToEndOfFile()
        let complaints = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure(description: "zone_reference.py (needs python3 with zoneinfo) exited \(process.terminationStatus): "
                + String(decoding: complaints, as: UTF8.self))
        }
        let lines = String(decoding: answered, as: UTF8.self).split(separator: "\n").map(String.init)
        guard lines.count == queries.count else {
            throw Failure(description: "zone_reference.py answered \(lines.count) of \(queries.count) queries")
        }
        return lines
    }
}
