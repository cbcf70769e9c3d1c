extension JSON {
    /// Compact serialization on one line (no raw newlines ever appear: they are escaped).
    /// Object keys are written in sorted order so output is deterministic, unless `sortingKeys`
    /// is false: for a reader to whom order means nothing (PostgreSQL's jsonb orders keys its
    /// own way), the sort is work for nobody.
    public func serialized(sortingKeys: Bool = true) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        write(to: &out, sortingKeys: sortingKeys)
        return String(decoding: out, as: UTF8.self)
    }

    /// Writes UTF-8 bytes; strings are copied in runs between the characters that need escaping.
    public func write(to out: inout [UInt8], sortingKeys: Bool = true) {
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
                item.write(to: &out, sortingKeys: sortingKeys)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let fields):
            out.append(UInt8(ascii: "{"))
            // Sorted as pairs: each value is at hand, not looked up again by its key.
            let ordered = sortingKeys ? fields.sorted(by: { $0.key < $1.key }) : Array(fields)
            for (i, field) in ordered.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                JSON.writeString(field.key, to: &out)
                out.append(UInt8(ascii: ":"))
                field.value.write(to: &out, sortingKeys: sortingKeys)
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
            case 0x7F:
                replacement = Array("\\u007f".utf8)
            case 0xC2, 0xD8, 0xE2:
                // Written as \u escapes, which every reader takes for the same text: C1 controls
                // (U+0085, U+009B act on some terminals), U+2028 / U+2029 (they break lines in
                // some readers) and the marks that reorder text, so a log line or a --json
                // answer shown on a terminal cannot be acted on or disguised.
                let width = b == 0xE2 ? 3 : 2
                guard i + width <= bytes.count else { break }
                let value = b == 0xE2
                    ? (UInt32(b & 0x0F) << 12) | (UInt32(bytes[i + 1] & 0x3F) << 6) | UInt32(bytes[i + 2] & 0x3F)
                    : (UInt32(b & 0x1F) << 6) | UInt32(bytes[i + 1] & 0x3F)
                guard let scalar = Unicode.Scalar(value),
                    (0x80...0x9F).contains(value) || value == 0x2028 || value == 0x2029 || scalar.isBidiControl
                else { break }
                flush()
                out.append(contentsOf: Array("\\u".utf8))
                for shift in stride(from: 12, through: 0, by: -4) { out.append(hexDigits[Int((value >> UInt32(shift)) & 0xF)]) }
                i += width
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
