/// Marks that show nothing where they stand, so text with them reads as text without ("Sa\u{200B}m"
/// passes for "Sam"; tag characters carry text nobody sees): Unicode's default-ignorable code
/// points (zero-width space, word joiner, byte-order mark, soft hyphen, combining grapheme
/// joiner, tags, Hangul fillers …) but where one shapes what stands beside it: a joiner between
/// two emoji or inside a script that joins (Arabic, the Indic scripts …), a variation selector
/// after an emoji, a keycap's digit, an ideograph or a letter that has variants, Mongolian's own
/// selectors, and the tags of a subdivision flag (🏴, two to seven lower-case letters or digits,
/// the cancel tag). Judged on the text as written, each mark beside its neighbours there: a
/// mark next to another hidden one shapes nothing.
public enum HiddenMarks {
    /// For each scalar of `scalars`, whether it is a mark that shows nothing where it stands.
    public static func flags(_ scalars: [Unicode.Scalar]) -> [Bool] {
        var hidden = [Bool](repeating: false, count: scalars.count)
        var i = 0
        while i < scalars.count {
            if let end = flagSequenceEnd(scalars, from: i) {
                i = end
                continue
            }
            let s = scalars[i]
            let before = i > 0 ? scalars[i - 1] : nil, after = i + 1 < scalars.count ? scalars[i + 1] : nil
            hidden[i] = isHidden(s, between: before, and: after)
            i += 1
        }
        return hidden
    }

    /// `text` without its marks that show nothing.
    public static func removed(from text: String) -> String {
        let scalars = Array(text.unicodeScalars)
        var out = String.UnicodeScalarView()
        for (s, hidden) in zip(scalars, flags(scalars)) where !hidden { out.append(s) }
        return String(out)
    }

    /// The first mark of `text` that shows nothing where it stands.
    public static func first(in text: String) -> Unicode.Scalar? {
        let scalars = Array(text.unicodeScalars)
        return zip(scalars, flags(scalars)).first { $0.1 }?.0
    }

    /// Format characters that show nothing where they stand though Unicode does not call them
    /// default-ignorable: the interlinear annotation marks (U+FFF9–U+FFFB), and the Egyptian
    /// hieroglyph format controls (U+13430–U+1343F) but between two hieroglyphs, whose
    /// arrangement they shape there as a joiner does in a script that joins.
    static let annotationMarks: ClosedRange<UInt32> = 0xFFF9...0xFFFB
    static let hieroglyphFormatControls: ClosedRange<UInt32> = 0x13430...0x1343F
    static let hieroglyphs: ClosedRange<UInt32> = 0x13000...0x1345F

    static func isHidden(_ s: Unicode.Scalar, between before: Unicode.Scalar?, and after: Unicode.Scalar?) -> Bool {
        if annotationMarks.contains(s.value) { return true }
        if hieroglyphFormatControls.contains(s.value) {
            guard let p = before, let n = after else { return true }
            return !(hieroglyphs.contains(p.value) && hieroglyphs.contains(n.value))
        }
        guard s.properties.isDefaultIgnorableCodePoint, !s.isBidiControl else { return false }
        guard let p = before else { return true }
        switch s.value {
        case 0x200D:
            guard let n = after else { return true }
            let emoji = (isPictograph(p) || p.value == 0xFE0F) && isPictograph(n)
            return !(emoji || (joins(p) && joins(n)))
        case 0x200C:
            guard let n = after else { return true }
            return !(joins(p) && joins(n))
        case 0xFE0E, 0xFE0F:
            // After an emoji, or a keycap's base (0–9, #, *) before its combining keycap.
            let keycap = (p.value >= 0x30 && p.value <= 0x39 || p.value == 0x23 || p.value == 0x2A) && after?.value == 0x20E3
            return !(isPictograph(p) || keycap || hasVariants(p))
        case 0xFE00...0xFE0D: return !hasVariants(p)
        case 0xE0100...0xE01EF: return !p.properties.isIdeographic
        case 0x180B...0x180F: return !(0x1800...0x18AF).contains(p.value)
        default: return true
        }
    }

    /// The end (exclusive) of a subdivision flag starting at `i`: 🏴, two to seven tags of a
    /// lower-case letter or digit, then the cancel tag.
    static func flagSequenceEnd(_ scalars: [Unicode.Scalar], from i: Int) -> Int? {
        guard scalars[i].value == 0x1F3F4 else { return nil }
        var j = i + 1
        while j < scalars.count, j - i <= 7, (0xE0030...0xE0039).contains(scalars[j].value) || (0xE0061...0xE007A).contains(scalars[j].value) {
            j += 1
        }
        guard (3...8).contains(j - i), j < scalars.count, scalars[j].value == 0xE007F else { return nil }
        return j + 1
    }

    /// An emoji (not the digits, # and * that may start a keycap).
    static func isPictograph(_ s: Unicode.Scalar) -> Bool { s.value >= 0x80 && (s.properties.isEmoji || s.properties.isEmojiModifier) }

    /// A character with standardized variants a selector picks: an ideograph, a mathematical
    /// symbol, a letter of Myanmar or of the scripts around it.
    static func hasVariants(_ s: Unicode.Scalar) -> Bool {
        s.properties.isIdeographic || s.properties.generalCategory == .mathSymbol || (0x1000...0x109F).contains(s.value)
            || (0xA9E0...0xA9FF).contains(s.value) || (0xAA60...0xAA7F).contains(s.value)
    }

    /// A letter or mark of a script whose letters the joiners shape: Arabic and its neighbours
    /// (Syriac, Thaana, N'Ko), the Indic scripts, Tibetan, Myanmar, Khmer, Mongolian, Phags-pa.
    static func joins(_ s: Unicode.Scalar) -> Bool {
        switch s.value {
        case 0x0600...0x08FF, 0x0900...0x0DFF, 0x0F00...0x0FFF, 0x1000...0x109F, 0x1780...0x18AF, 0xA840...0xA87F, 0xFB50...0xFDFF, 0xFE70...0xFEFC:
            return true
        default: return false
        }
    }
}
