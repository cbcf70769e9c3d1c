import Core
import Foundation

/// Zone abbreviations ("EDT", "CET") read from the tz database's own files (TZif, RFC 8536),
/// without the C library's process-wide TZ variable: several threads may ask at once, and a
/// reader of the environment (libpq reconnecting) never sees it change.
///
/// The offset in force comes from `ZoneClock`; this only names it: the name of the transition
/// in force with that offset, or past the file's last transition, its footer rule's standard
/// or daylight name with that offset.
enum ZoneNames {
    struct Kind: Sendable {
        let offsetSeconds: Int64
        let name: String
    }

    struct Table: Sendable {
        /// Transition instants (seconds since the epoch), ascending, and the kind each starts.
        let transitions: [Int64]
        let kinds: [Int]
        let types: [Kind]
        /// The footer rule's names, for instants after the last transition.
        let footer: [Kind]

        func name(atEpochSeconds seconds: Int64, offsetSeconds: Int64) -> String? {
            var low = 0, high = transitions.count
            while low < high {
                let mid = (low + high) / 2
                if transitions[mid] <= seconds { low = mid + 1 } else { high = mid }
            }
            if low > 0, low < transitions.count || footer.isEmpty {
                let kind = types[kinds[low - 1]]
                if kind.offsetSeconds == offsetSeconds { return kind.name }
            }
            return footer.first { $0.offsetSeconds == offsetSeconds }?.name
                ?? types.last { $0.offsetSeconds == offsetSeconds }?.name
        }
    }

    private static let tables = Locked<[String: Table?]>([:])

    static func name(zone: String, atEpochSeconds seconds: Int64, offsetSeconds: Int64) -> String? {
        let table = tables.withLock { cache -> Table? in
            if let known = cache[zone] { return known }
            let loaded = TimeZones.isKnown(zone) ? FileManager.default.contents(atPath: TimeZones.directory + "/" + zone).flatMap { parse([UInt8]($0)) } : nil
            cache[zone] = .some(loaded)
            return loaded
        }
        return table?.name(atEpochSeconds: seconds, offsetSeconds: offsetSeconds)
    }

    /// The version 2+ data block (64-bit times) and the footer, or version 1's when that is all.
    static func parse(_ bytes: [UInt8]) -> Table? {
        func be(_ at: Int, _ width: Int) -> Int64? {
            guard at >= 0, at + width <= bytes.count else { return nil }
            var v: Int64 = 0
            for i in 0..<width { v = v << 8 | Int64(bytes[at + i]) }
            if width == 4, v & 0x8000_0000 != 0 { v -= 1 << 32 }
            return v
        }
        func block(at start: Int, timeWidth: Int) -> (Table, Int)? {
            guard bytes.count >= start + 44, bytes[start..<start + 4].elementsEqual("TZif".utf8) else { return nil }
            var counts: [Int] = []
            for i in 0..<6 {
                guard let c = be(start + 20 + 4 * i, 4), c >= 0 else { return nil }
                counts.append(Int(c))
            }
            let (isUTCCount, isStdCount, leapCount, timeCount, typeCount, charCount) = (counts[0], counts[1], counts[2], counts[3], counts[4], counts[5])
            var at = start + 44
            var transitions: [Int64] = []
            for _ in 0..<timeCount {
                guard let t = be(at, timeWidth) else { return nil }
                transitions.append(t)
                at += timeWidth
            }
            guard at + timeCount <= bytes.count else { return nil }
            let kinds = bytes[at..<at + timeCount].map { Int($0) }
            at += timeCount
            var raw: [(Int64, Int)] = []
            for _ in 0..<typeCount {
                guard let offset = be(at, 4), at + 6 <= bytes.count else { return nil }
                raw.append((offset, Int(bytes[at + 5])))
                at += 6
            }
            guard at + charCount <= bytes.count, kinds.allSatisfy({ $0 < typeCount }) else { return nil }
            let chars = Array(bytes[at..<at + charCount])
            at += charCount
            let types = raw.map { offset, index -> Kind in
                let end = chars[min(index, chars.count)...].firstIndex(of: 0) ?? chars.count
                return Kind(offsetSeconds: offset, name: String(decoding: chars[min(index, chars.count)..<end], as: UTF8.self))
            }
            at += leapCount * (timeWidth + 4) + isStdCount + isUTCCount
            return (Table(transitions: transitions, kinds: kinds, types: types, footer: []), at)
        }
        guard let (v1, end1) = block(at: 0, timeWidth: 4) else { return nil }
        guard bytes.count > 4, bytes[4] >= UInt8(ascii: "2"), let (v2, end2) = block(at: end1, timeWidth: 8) else { return v1 }
        var footer: [Kind] = []
        if end2 < bytes.count, bytes[end2] == 0x0A, let close = bytes[(end2 + 1)...].firstIndex(of: 0x0A) {
            footer = posixNames(String(decoding: bytes[(end2 + 1)..<close], as: UTF8.self))
        }
        return Table(transitions: v2.transitions, kinds: v2.kinds, types: v2.types, footer: footer)
    }

    /// The standard and daylight names of a POSIX TZ rule ("EST5EDT,M3.2.0,M11.1.0",
    /// "<+0530>-5:30") with their offsets east of UTC.
    static func posixNames(_ rule: String) -> [Kind] {
        var s = Substring(rule)
        func name() -> String? {
            if s.first == "<" {
                guard let close = s.firstIndex(of: ">") else { return nil }
                defer { s = s[s.index(after: close)...] }
                return String(s[s.index(after: s.startIndex)..<close])
            }
            let letters = s.prefix { $0.isLetter }
            guard letters.count >= 3 else { return nil }
            s = s.dropFirst(letters.count)
            return String(letters)
        }
        func offset() -> Int64? {
            var sign: Int64 = 1
            if s.first == "+" || s.first == "-" {
                sign = s.first == "-" ? -1 : 1
                s = s.dropFirst()
            }
            let text = s.prefix { $0.isNumber || $0 == ":" }
            guard !text.isEmpty else { return nil }
            s = s.dropFirst(text.count)
            let parts = text.split(separator: ":").map { Int64($0) ?? 0 }
            let seconds = parts.enumerated().reduce(Int64(0)) { total, part in total + part.element * [3600, 60, 1][min(part.offset, 2)] }
            // POSIX offsets count west of UTC.
            return -sign * seconds
        }
        guard let standard = name(), let standardOffset = offset() else { return [] }
        var kinds = [Kind(offsetSeconds: standardOffset, name: standard)]
        if let daylight = name() {
            let daylightOffset = s.first == "," || s.isEmpty ? standardOffset + 3600 : (offset() ?? standardOffset + 3600)
            kinds.append(Kind(offsetSeconds: daylightOffset, name: daylight))
        }
        return kinds
    }
}
