/// The characters a person's text must not bring to someone else's screen as they are: C0 and
/// C1 controls and DEL (which move a terminal's cursor, clear it or retitle its window) and the
/// marks that reorder text (bidirectional embeddings, overrides and isolates), which make what
/// follows them read differently from what it is.
extension Unicode.Scalar {
    public var isControlCharacter: Bool { value < 0x20 || (0x7F...0x9F).contains(value) }

    public var isBidiControl: Bool {
        (0x202A...0x202E).contains(value) || (0x2066...0x2069).contains(value) || value == 0x200E || value == 0x200F || value == 0x061C
    }

    /// A line break anywhere text is shown: LF, VT, FF, CR, NEL and the Unicode line and
    /// paragraph separators (UAX #14's mandatory breaks).
    public var isLineBreak: Bool { (0x0A...0x0D).contains(value) || value == 0x85 || value == 0x2028 || value == 0x2029 }

    /// What a one-line text (a name) must not hold: a control, a line break or a reordering mark.
    public var breaksALine: Bool { isControlCharacter || isLineBreak || isBidiControl }

    /// The scalar as an error names it: `U+` and at least four hex digits (U+001B, U+202E), the
    /// same wherever it is found.
    public var codePoint: String {
        let digits = String(value, radix: 16, uppercase: true)
        return "U+" + String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}
