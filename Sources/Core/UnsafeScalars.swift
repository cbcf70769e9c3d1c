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

    /// A mark that shows nothing and shapes nothing beside it, so text with it reads as text
    /// without it ("Sa\u{200B}m" passes for "Sam", tag characters carry text nobody sees): the
    /// default-ignorable code points (zero-width space, word joiner, byte-order mark, soft
    /// hyphen, combining grapheme joiner, tags, Hangul fillers …) but the joiners (ZWJ, ZWNJ),
    /// the variation selectors and Mongolian's shaping marks, which shape the letters or emoji
    /// they stand between.
    public var isHiddenMark: Bool {
        properties.isDefaultIgnorableCodePoint && !isBidiControl && value != 0x200C && value != 0x200D
            && !(0x180B...0x180F).contains(value) && !(0xFE00...0xFE0F).contains(value) && !(0xE0100...0xE01EF).contains(value)
    }

    /// What a one-line text (a name) must not hold: a control, a line break or a reordering mark.
    public var breaksALine: Bool { isControlCharacter || isLineBreak || isBidiControl }
}
