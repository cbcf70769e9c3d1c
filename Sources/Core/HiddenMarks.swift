/// Marks that show nothing where they stand, so text with them reads as text without ("Sa\u{200B}m"
/// passes for "Sam"; tag characters carry text nobody sees): Unicode's default-ignorable code
/// points (zero-width space, word joiner, byte-order mark, soft hyphen, combining grapheme
/// joiner, tags, Hangul fillers …) but where one shapes the character before it: a joiner in an
/// emoji sequence or in a script that joins (Arabic, the Indic scripts …), a variation selector
/// after an emoji or an ideograph, Mongolian's own selectors, the tags of a flag (🏴 and its
/// subdivision). Decided scalar by scalar, each beside the one before it.
public enum HiddenMarks {
    public static func isHidden(_ scalar: Unicode.Scalar, after previous: Unicode.Scalar?) -> Bool {
        guard scalar.properties.isDefaultIgnorableCodePoint, !scalar.isBidiControl else { return false }
        guard let p = previous else { return true }
        switch scalar.value {
        case 0x200D: return !(isPictograph(p) || p.value == 0xFE0F || joins(p))
        case 0x200C: return !joins(p)
        case 0xFE00...0xFE0F: return !(isPictograph(p) || p.properties.isIdeographic)
        case 0xE0100...0xE01EF: return !p.properties.isIdeographic
        case 0x180B...0x180F: return !(0x1800...0x18AF).contains(p.value)
        case 0xE0020...0xE007E: return !(p.value == 0x1F3F4 || (0xE0020...0xE007E).contains(p.value))
        case 0xE007F: return !(0xE0020...0xE007E).contains(p.value)
        default: return true
        }
    }

    /// `text` without its marks that show nothing, each judged beside the character before it
    /// that stays (a run of tags after a letter goes whole; a flag's stay).
    public static func removed(from text: String) -> String {
        var out = String.UnicodeScalarView()
        for s in text.unicodeScalars where !isHidden(s, after: out.last) { out.append(s) }
        return String(out)
    }

    /// The first mark of `text` that shows nothing where it stands.
    public static func first(in text: String) -> Unicode.Scalar? {
        var previous: Unicode.Scalar?
        for s in text.unicodeScalars {
            if isHidden(s, after: previous) { return s }
            previous = s
        }
        return nil
    }

    /// An emoji (not the digits, # and * that may start a keycap).
    static func isPictograph(_ s: Unicode.Scalar) -> Bool { s.value >= 0x80 && (s.properties.isEmoji || s.properties.isEmojiModifier) }

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
