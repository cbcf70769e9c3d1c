import Core

/// Text on its way to a terminal. Another person's name, topic, note or reason must not reach it
/// as control sequences (clear the screen, retitle the window, move back over the line that
/// shows credits, reverse a line), so what a terminal would act on is shown as a visible escape:
/// C0 controls, DEL and C1 controls as `\e`, `\r`, `\n`, `\t` or `\x07`, bidirectional
/// overrides and isolates, the line and paragraph separators and the marks that show nothing
/// where they stand (zero-width space, tags: `HiddenMarks`) as `\u{202E}`. Decided on Unicode scalars, since CR LF is one Swift
/// Character equal to neither CR nor LF.
enum TerminalText {
    /// One line: every control shown, line breaks included.
    static func line(_ text: String) -> String { escaped(text, keepingLineEnds: false) }

    /// Lines meetctl laid out itself (tables, records, help): LF kept as the line end, every other
    /// control shown. Their cells were escaped as one line each before the layout.
    static func block(_ text: String) -> String { escaped(text, keepingLineEnds: true) }

    /// A document meant for a file (CSV, an .ics) that is going to a terminal instead: its own layout
    /// (LF, a CR that ends a line before its LF, TAB) kept, every other control and reordering
    /// mark shown. A CR inside a cell is shown: on a terminal it would return to the line's start
    /// and the rest of the cell would be written over the row's own id and status.
    static func document(_ text: String) -> String { escaped(text, keepingLineEnds: true, keepingTabs: true, keepingCRBeforeLF: true) }

    private static func escaped(_ text: String, keepingLineEnds: Bool, keepingTabs: Bool = false, keepingCRBeforeLF: Bool = false) -> String {
        var out = String.UnicodeScalarView()
        let scalars = Array(text.unicodeScalars)
        // Marks that show nothing, judged on the text as written (a mark beside an escaped one
        // shapes nothing, so it is escaped too).
        let hidden = HiddenMarks.flags(scalars)
        for (i, scalar) in scalars.enumerated() {
            let next = i + 1 < scalars.count ? scalars[i + 1] : nil
            let kept = (keepingLineEnds && scalar == "\n") || (keepingTabs && scalar == "\t") || (keepingCRBeforeLF && scalar == "\r" && next == "\n")
            if !kept, let shown = visible(scalar, hidden: hidden[i]) {
                out.append(contentsOf: shown.unicodeScalars)
            } else {
                out.append(scalar)
            }
        }
        return String(out)
    }

    private static let hexDigits = Array("0123456789abcdef")

    /// How a scalar that a terminal would act on is shown; nil for any other.
    static func visible(_ scalar: Unicode.Scalar, hidden: Bool) -> String? {
        switch scalar.value {
        case 0x1B: return "\\e"
        case 0x0D: return "\\r"
        case 0x0A: return "\\n"
        case 0x09: return "\\t"
        case 0x00...0x1F, 0x7F...0x9F: return "\\x" + String([hexDigits[Int(scalar.value >> 4)], hexDigits[Int(scalar.value & 0x0F)]])
        default:
            // Every mark that reorders text (Core's one list of them), the one-character ones too,
            // and the line and paragraph separators a terminal may break a line at.
            // And marks that show nothing, so two texts that differ by them are told apart.
            let shown = scalar.isBidiControl || scalar.value == 0x2028 || scalar.value == 0x2029 || hidden
            return shown ? "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}" : nil
        }
    }
}
