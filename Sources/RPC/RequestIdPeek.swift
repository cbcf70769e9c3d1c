import Core

/// The id of a request too large to be read, from its first bytes: the error that refuses it
/// then carries the id the client sent, so the client can tell which request it was. Only a
/// member `"id"` of the top-level object whose whole value lies in those bytes counts, and only
/// a value an id may be (a string, an integer, null); anything else gives nil (the error's id
/// is then null, as JSON-RPC says for an id that cannot be read).
public enum RequestIdPeek {
    /// How many leading bytes a reader keeps of a message it skips.
    public static let headBytes = 1024

    public static func id(in head: [UInt8]) -> JSON? {
        // A frame's body may start with a byte-order mark (MessageReader.next).
        var scanner = Scanner(bytes: MessageReader.withoutBOM(head))
        guard scanner.skipSpace(), scanner.take(UInt8(ascii: "{")) else { return nil }
        while true {
            guard scanner.skipSpace(), let key = scanner.string(), scanner.skipSpace(), scanner.take(UInt8(ascii: ":")), scanner.skipSpace() else { return nil }
            if key == "id" { return scanner.idValue() }
            guard scanner.skipValue(), scanner.skipSpace(), scanner.take(UInt8(ascii: ",")) else { return nil }
        }
    }

    struct Scanner {
        let bytes: [UInt8]
        var i = 0

        init(bytes: [UInt8]) { self.bytes = bytes }

        var current: UInt8? { i < bytes.count ? bytes[i] : nil }

        /// Skips white space; false when the bytes ran out.
        mutating func skipSpace() -> Bool {
            while let b = current, b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D { i += 1 }
            return current != nil
        }

        mutating func take(_ byte: UInt8) -> Bool {
            guard current == byte else { return false }
            i += 1
            return true
        }

        /// A string whose closing quote lies within the bytes, read with JSONParser.
        mutating func string() -> String? {
            let start = i
            guard skipString() else { return nil }
            return (try? JSONParser.parse(Array(bytes[start..<i]), maxDepth: 1))?.stringValue
        }

        mutating func skipString() -> Bool {
            guard take(UInt8(ascii: "\"")) else { return false }
            while let b = current {
                i += 1
                if b == UInt8(ascii: "\\") {
                    i += 1
                } else if b == UInt8(ascii: "\"") {
                    return true
                }
            }
            return false
        }

        /// Any value whose end lies within the bytes: a string to its closing quote, an object or
        /// an array to its closing bracket, a number or literal up to the byte after it.
        mutating func skipValue() -> Bool {
            guard let first = current else { return false }
            if first == UInt8(ascii: "\"") { return skipString() }
            if first == UInt8(ascii: "{") || first == UInt8(ascii: "[") {
                var depth = 0
                while let b = current {
                    if b == UInt8(ascii: "\"") {
                        guard skipString() else { return false }
                        continue
                    }
                    i += 1
                    if b == UInt8(ascii: "{") || b == UInt8(ascii: "[") {
                        depth += 1
                    } else if b == UInt8(ascii: "}") || b == UInt8(ascii: "]") {
                        depth -= 1
                        if depth == 0 { return true }
                    }
                }
                return false
            }
            let ends: Set<UInt8> = [UInt8(ascii: ","), UInt8(ascii: "}"), UInt8(ascii: "]"), 0x20, 0x09, 0x0A, 0x0D]
            while let b = current, !ends.contains(b) { i += 1 }
            return current != nil
        }

        /// The id's value, if it is whole and of a kind an id may be.
        mutating func idValue() -> JSON? {
            let start = i
            guard skipValue() else { return nil }
            guard let value = try? JSONParser.parse(Array(bytes[start..<i]), maxDepth: 1) else { return nil }
            switch value {
            case .string, .null, .int: return value
            default: return nil
            }
        }
    }
}
