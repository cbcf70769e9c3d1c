/// How many columns of a terminal a text takes, so that a table whose cells hold Japanese names
/// or an emoji still lines up: East Asian Wide and Fullwidth characters (UAX #11) and emoji take
/// two columns, combining marks and zero-width characters none, every other character one.
/// Measured per Unicode scalar (a base and its combining marks are one Character, several
/// scalars); controls take none, since a terminal shows them as nothing or acts on them.
extension Unicode.Scalar {
    public var terminalWidth: Int {
        let v = value
        if v < 0x20 || (0x7F...0x9F).contains(v) { return 0 }
        if v < 0x300 { return 1 }
        if Self.isZeroWidth(self) { return 0 }
        return Self.wideRanges.contains { $0.contains(v) } ? 2 : 1
    }

    /// Combining marks (general category Mn, Me), the zero-width space, joiners and marks, word
    /// joiner and invisible operators, the byte-order mark, and the Hangul vowels and final
    /// consonants that join the syllable before them.
    private static func isZeroWidth(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .nonspacingMark, .enclosingMark: return true
        default: break
        }
        let v = scalar.value
        return (0x200B...0x200F).contains(v) || (0x2060...0x2064).contains(v) || v == 0xFEFF || (0x1160...0x11FF).contains(v)
            || (0xD7B0...0xD7FF).contains(v)
    }

    /// East Asian Wide and Fullwidth blocks, and the emoji a terminal draws two columns wide.
    private static let wideRanges: [ClosedRange<UInt32>] = [
        0x1100...0x115F,  // Hangul Jamo, leading consonants
        0x231A...0x231B, 0x2329...0x232A, 0x23E9...0x23EC, 0x23F0...0x23F0, 0x23F3...0x23F3,  // watch, hourglass, brackets
        0x25FD...0x25FE, 0x2614...0x2615, 0x2648...0x2653, 0x267F...0x267F, 0x2693...0x2693, 0x26A1...0x26A1,
        0x26AA...0x26AB, 0x26BD...0x26BE, 0x26C4...0x26C5, 0x26CE...0x26CE, 0x26D4...0x26D4, 0x26EA...0x26EA,
        0x26F2...0x26F3, 0x26F5...0x26F5, 0x26FA...0x26FA, 0x26FD...0x26FD, 0x2705...0x2705, 0x270A...0x270B,
        0x2728...0x2728, 0x274C...0x274C, 0x274E...0x274E, 0x2753...0x2755, 0x2757...0x2757, 0x2795...0x2797,
        0x27B0...0x27B0, 0x27BF...0x27BF, 0x2B1B...0x2B1C, 0x2B50...0x2B50, 0x2B55...0x2B55,  // emoji presentation
        0x2E80...0x303E,  // CJK radicals, Kangxi radicals, CJK symbols and punctuation
        0x3041...0x33FF,  // Hiragana, Katakana, Bopomofo, Hangul compatibility Jamo, enclosed CJK, CJK compatibility
        0x3400...0x4DBF,  // CJK Unified Ideographs Extension A
        0x4E00...0x9FFF,  // CJK Unified Ideographs
        0xA000...0xA4CF,  // Yi
        0xA960...0xA97F,  // Hangul Jamo Extended-A
        0xAC00...0xD7A3,  // Hangul syllables
        0xF900...0xFAFF,  // CJK Compatibility Ideographs
        0xFE10...0xFE19, 0xFE30...0xFE6F,  // vertical forms, CJK compatibility forms, small form variants
        0xFF00...0xFF60, 0xFFE0...0xFFE6,  // fullwidth forms
        0x16FE0...0x16FE4, 0x17000...0x18CFF, 0x1B000...0x1B2FF,  // Tangut, Kana supplement and extensions
        0x1F004...0x1F004, 0x1F0CF...0x1F0CF, 0x1F18E...0x1F18E, 0x1F191...0x1F19A, 0x1F200...0x1F2FF,  // enclosed ideographs
        0x1F300...0x1F64F,  // pictographs, emoticons
        0x1F680...0x1F6FF,  // transport and map symbols
        0x1F7E0...0x1F7EB,  // coloured circles and squares
        0x1F900...0x1F9FF,  // supplemental symbols and pictographs
        0x1FA70...0x1FAFF,  // symbols and pictographs extended-A
        0x20000...0x2FFFD, 0x30000...0x3FFFD,  // CJK Unified Ideographs Extension B and later
    ]
}

extension StringProtocol {
    /// The columns a terminal gives this text (see `Unicode.Scalar.terminalWidth`).
    public var terminalWidth: Int { unicodeScalars.reduce(0) { $0 + $1.terminalWidth } }
}

extension String {
    /// The text cut to at most `width` terminal columns, ending in "…" when anything was cut.
    /// Cut between Characters, so a combining mark stays with its letter; a wide character that
    /// would cross the limit is left out whole (the result is then one column narrower).
    public func truncated(toTerminalWidth width: Int) -> String {
        guard terminalWidth > width else { return self }
        guard width > 0 else { return "" }
        var kept = ""
        var used = 0
        for character in self {
            let w = String(character).terminalWidth
            if used + w > width - 1 { break }
            kept.append(character)
            used += w
        }
        return kept + "…"
    }
}
