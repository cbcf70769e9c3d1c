/// Opaque, time-ordered ids with a type prefix (`mtg_…`): a UUIDv7 (48-bit millisecond
/// timestamp, version and variant bits, random rest) written as 32 lowercase hex digits.
public enum IdKind: String, Sendable, CaseIterable {
    case community = "com"
    case person = "per"
    case service = "svc"
    case location = "loc"
    case meeting = "mtg"
    case account = "acc"
    case transfer = "trf"
    case series = "ser"
    case event = "evt"
    case message = "msg"
    case outbox = "out"
    case availability = "avl"
    case conversation = "cnv"
}

public enum Identifier {
    /// Characters in an id: a three-letter prefix, `_`, 32 hex digits.
    public static let length = 36

    public static func make(_ kind: IdKind, now: Instant = SystemClock.now()) -> String {
        var bytes = [UInt8](repeating: 0, count: 16)
        let ms = UInt64(max(0, now.microseconds / 1000))
        for i in 0..<6 { bytes[i] = UInt8((ms >> (8 * UInt64(5 - i))) & 0xFF) }
        // Two draws of the system's generator (each one getrandom call), not one per byte.
        var rng = SystemRandomNumberGenerator()
        let random = (rng.next(), rng.next())
        for i in 6..<14 { bytes[i] = UInt8(truncatingIfNeeded: random.0 >> (8 * UInt64(i - 6))) }
        for i in 14..<16 { bytes[i] = UInt8(truncatingIfNeeded: random.1 >> (8 * UInt64(i - 14))) }
        bytes[6] = (bytes[6] & 0x0F) | 0x70
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        let hexDigits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(32)
        for b in bytes {
            out.append(hexDigits[Int(b >> 4)])
            out.append(hexDigits[Int(b & 0xF)])
        }
        return kind.rawValue + "_" + String(decoding: out, as: UTF8.self)
    }

    /// True when `text` looks like an id of `kind` (prefix and 32 hex digits).
    public static func isValid(_ text: String, kind: IdKind) -> Bool {
        let expectedPrefix = kind.rawValue + "_"
        guard text.hasPrefix(expectedPrefix), text.utf8.count == expectedPrefix.utf8.count + 32 else { return false }
        return text.utf8.dropFirst(expectedPrefix.utf8.count).allSatisfy {
            ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102)
        }
    }
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

public enum SystemClock {
    public static func now() -> Instant {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Instant(microseconds: Int64(ts.tv_sec) * 1_000_000 + Int64(ts.tv_nsec) / 1000)
    }

    /// A monotonic reading in nanoseconds for durations.
    public static func monotonicNanoseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }
}
