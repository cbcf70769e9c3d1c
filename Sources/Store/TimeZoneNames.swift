import Core
import Foundation
import Postgres
import Scheduling

/// The one check for a time zone name, wherever one is given or read back to be used:
/// `TimeZones`' rule with PostgreSQL's own list (`pg_timezone_names`, less the names it reads
/// as a different abbreviation; read once per process).
public enum TimeZoneNames {
    private static let cache = Locked<Set<String>?>(nil)

    /// The name as PostgreSQL's list spells it (`america/new_york` is `America/New_York`: zone
    /// names never differ by case alone), or -32602 naming `field`. `storedIn` says where a
    /// stored name came from, so the reader knows what to fix.
    @discardableResult
    public static func require(_ name: String, field: String = "time_zone", storedIn: String? = nil, on db: Connection) throws -> String {
        let listed = try names(db)
        let spelled = TimeZones.canonical(name, among: listed)
        try check(spelled, field: field, storedIn: storedIn, databaseNames: TimeZones.isKnown(spelled) ? listed : nil)
        return spelled
    }

    /// `require(_:field:storedIn:on:)` for a decision, on the names every connection reads as it
    /// opens (`RequestPipeline.db`).
    @discardableResult
    public static func require(_ name: String, field: String = "time_zone") throws -> String {
        let loaded = try loaded()
        let spelled = TimeZones.canonical(name, among: loaded)
        try check(spelled, field: field, storedIn: nil, databaseNames: TimeZones.isKnown(spelled) ? loaded : nil)
        return spelled
    }

    /// The names every connection reads as it opens (`RequestPipeline.db`), for a decision.
    public static func loaded() throws -> Set<String> {
        guard let loaded = cache.withLock({ $0 }) else { throw AppError.internalError() }
        return loaded
    }

    static func check(_ name: String, field: String, storedIn: String?, databaseNames: Set<String>?) throws {
        guard let reason = TimeZones.refusal(name, databaseNames: databaseNames) else { return }
        if let storedIn {
            throw AppError.invalidParams(
                field: field, reason: "\"\(name.prefix(TimeZones.maxNameBytes))\" stored in \(storedIn) \(reason); set a valid one there first")
        }
        throw AppError.invalidParams(field: field, reason: reason)
    }

    /// The names PostgreSQL reads as the zones themselves.
    public static func names(_ db: Connection) throws -> Set<String> {
        if let cached = cache.withLock({ $0 }) { return cached }
        let listed = try db.query("SELECT name FROM pg_timezone_names").map { try $0.string("name") }
        var abbreviations: [String: Int64] = [:]
        for row in try db.query("SELECT abbrev, extract(epoch FROM utc_offset)::bigint AS seconds FROM pg_timezone_abbrevs") {
            abbreviations[try row.string("abbrev")] = try row.int("seconds")
        }
        let loaded = TimeZones.databaseNames(listed: listed, abbreviationOffsetSeconds: abbreviations)
        cache.withLock { $0 = loaded }
        return loaded
    }
}
