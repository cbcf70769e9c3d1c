extension JSON {
    /// Compact serialization on one line (no raw newlines ever appear: they are escaped).
    /// Object keys are written in sorted order so output is deterministic.
    public func serialized() -> String {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        write(to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Writes UTF-8 bytes; strings are copied in runs between the characters that need escaping.
    public func write(to out: inout [UInt8]) {
        switch self {
        case .null: out.append(contentsOf: JSON.nullBytes)
        case .bool(let b): out.append(contentsOf: b ? JSON.trueBytes : JSON.falseBytes)
        case .int(let i): out.append(contentsOf: String(i).utf8)
        case .number(let lexeme): out.append(contentsOf: lexeme.utf8)
        case .string(let s): JSON.writeString(s, to: &out)
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                item.write(to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let fields):
            out.append(UInt8(ascii: "{"))
            for (i, key) in fields.keys.sorted().enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                JSON.writeString(key, to: &out)
                out.append(UInt8(ascii: ":"))
                fields[key]!.write(to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    static let nullBytes = Array("null".utf8)
    static let trueBytes = Array("true".utf8)
    static let falseBytes = Array("false".utf8)
    static let hexDigits = Array("0123456789abcdef".utf8)

    static func writeString(_ s: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var contiguous = s
        contiguous.withUTF8 { escape($0, to: &out) }
        out.append(UInt8(ascii: "\""))
    }

    private static func escape(_ bytes: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        var runStart = 0
        var i = 0
        func flush() {
            if runStart < i { out.append(contentsOf: bytes[runStart..<i]) }
        }
        while i < bytes.count {
            let b = bytes[i]
            var replacement: [UInt8]? = nil
            switch b {
            case UInt8(ascii: "\""): replacement = [0x5C, 0x22]
            case UInt8(ascii: "\\"): replacement = [0x5C, 0x5C]
            case 0x0A: replacement = [0x5C, UInt8(ascii: "n")]
            case 0x0D: replacement = [0x5C, UInt8(ascii: "r")]
            case 0x09: replacement = [0x5C, UInt8(ascii: "t")]
            case 0x00..<0x20:
                replacement = Array("\\u00".utf8) + [hexDigits[Int(b >> 4)], hexDigits[Int(b & 0xF)]]
            case 0xE2 where i + 2 < bytes.count && bytes[i + 1] == 0x80 && (bytes[i + 2] == 0xA8 || bytes[i + 2] == 0xA9):
                // U+2028 / U+2029 break lines in some readers: escape them too.
                flush()
                out.append(contentsOf: Array((bytes[i + 2] == 0xA8 ? "\\u2028" : "\\u2029").utf8))
                i += 3
                runStart = i
                continue
            default: break
            }
            if let replacement {
                flush()
                out.append(contentsOf: replacement)
                runStart = i + 1
            }
            i += 1
        }
        flush()
    }
}
