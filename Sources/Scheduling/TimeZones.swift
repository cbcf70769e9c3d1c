import Core
import Foundation

/// Which time zone names this service accepts: IANA names the C library reads from a real
/// tzdata file (never a POSIX TZ string such as `GMT+5`, which the C library reads as +05:00
/// while PostgreSQL reads it as −05:00) and, where a database's list is given, names
/// PostgreSQL lists in `pg_timezone_names`. Both sides then give every instant the same offset.
public enum TimeZones {
    public static let maxNameBytes = 64
    public static let refusalReason =
        "is not an IANA time zone name that both this service and PostgreSQL know; use one such as Europe/Prague or America/New_York "
        + "(for a fixed offset use Etc/GMT-5, which is UTC+05:00)"
    /// Files in the tz folder that are not zones of their own, and folders holding copies of
    /// every zone under other rules (`right/` counts leap seconds, which PostgreSQL refuses).
    static let notZones: Set<String> = ["localtime", "posixrules", "Factory"]
    static let copyFolders: Set<Substring> = ["posix", "right"]

    /// Where the C library reads zones (glibc honours TZDIR).
    static var directory: String { ProcessInfo.processInfo.environment["TZDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/usr/share/zoneinfo" }

    private static let confirmed = Locked<Set<String>>([])

    /// Nil when `name` is accepted; otherwise the reason it is not. `databaseNames` is
    /// PostgreSQL's `pg_timezone_names` where a database is at hand.
    public static func refusal(_ name: String, databaseNames: Set<String>? = nil) -> String? {
        guard isReadByTheCLibrary(name) else { return refusalReason }
        if let databaseNames, !databaseNames.contains(name) { return refusalReason }
        return nil
    }

    public static func isKnown(_ name: String) -> Bool { refusal(name) == nil }

    /// `name` as `names` spell it when it is one of them in another case (`america/new_york`),
    /// else as it is. Zone names never differ by case alone.
    public static func canonical(_ name: String, among names: Set<String>?) -> String {
        guard let names, !names.contains(name) else { return name }
        let key = name.lowercased()
        return names.first { $0.lowercased() == key } ?? name
    }

    /// The names of `listed` (`pg_timezone_names`) that PostgreSQL reads as the zone itself.
    /// PostgreSQL reads a name that is also an abbreviation (`pg_timezone_abbrevs`) as that
    /// abbreviation's fixed offset in `AT TIME ZONE`: `CET` is always +01:00 there, while the
    /// zone has summer time. Such a name is kept only when its zone never leaves that offset.
    public static func databaseNames(listed: [String], abbreviationOffsetSeconds: [String: Int64]) -> Set<String> {
        Set(listed.filter { name in
            guard let fixed = abbreviationOffsetSeconds[name] else { return true }
            return hasOnlyOffset(name, seconds: fixed)
        })
    }

    /// Every 30 days from 1970 to 2070, the C library gives `name` the offset `seconds`.
    static func hasOnlyOffset(_ name: String, seconds: Int64) -> Bool {
        guard let zone = TimeZone(identifier: name) else { return false }
        let step: TimeInterval = 30 * 86_400
        return stride(from: 0, through: 100 * 365.25 * 86_400, by: step).allSatisfy {
            Int64(zone.secondsFromGMT(for: Date(timeIntervalSince1970: $0))) == seconds
        }
    }

    /// An IANA-shaped name (`Area/Location`, each part starting with a letter; no dots, so no
    /// `..`) naming a tzdata file that Foundation loads.
    static func isReadByTheCLibrary(_ name: String) -> Bool {
        if confirmed.withLock({ $0.contains(name) }) { return true }
        guard !name.isEmpty, name.utf8.count <= maxNameBytes, !notZones.contains(name) else { return false }
        let parts = name.split(separator: "/", omittingEmptySubsequences: false)
        guard !copyFolders.contains(parts[0]) else { return false }
        func isLetter(_ c: Unicode.Scalar) -> Bool { ("A"..."Z").contains(c) || ("a"..."z").contains(c) }
        for part in parts {
            guard let first = part.unicodeScalars.first, isLetter(first),
                part.unicodeScalars.allSatisfy({ isLetter($0) || ("0"..."9").contains($0) || "_+-".unicodeScalars.contains($0) })
            else { return false }
        }
        guard isTZifFile(directory + "/" + name), TimeZone(identifier: name) != nil else { return false }
        confirmed.withLock { _ = $0.insert(name) }
        return true
    }

    /// A regular file (after links) that starts with the tzdata magic "TZif".
    static func isTZifFile(_ path: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else { return false }
        return (try? handle.read(upToCount: 4)) == Data("TZif".utf8)
    }
}
