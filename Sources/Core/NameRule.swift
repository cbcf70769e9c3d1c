import Foundation

/// The one rule for a name a person gives: a service's name, a person's first and last name
/// (and an expert's display name). Stored without the Unicode white space around it and in
/// Unicode NFC, so "Cafe\u{301} " and "Café" are stored alike; two service names are the same
/// service when their `key`s are equal. Every path that writes or matches such a name goes
/// through here (service.create, person.create, person.set_profile, bootstrap, the imports).
public enum NameRule {
    /// The name as stored; blank (white space alone) is refused, naming `field`, and so is a name
    /// nobody can see: one of invisible characters alone (zero-width spaces and joiners, soft
    /// hyphens, tag characters, Hangul fillers: Unicode's default-ignorable code points), which
    /// would show as an empty name wherever it is read.
    public static func stored(_ text: String, field: String) throws -> String {
        let name = form(text)
        try requireSeen(name, field: field)
        // Nor hidden marks inside it: "Sa\u{200B}m" would be a second Sam nobody can tell apart.
        if let hidden = HiddenMarks.first(in: name) { throw AppError.invalidParams(field: field, reason: hiddenMarkReason(hidden)) }
        return name
    }

    static func hiddenMarkReason(_ mark: Unicode.Scalar) -> String {
        "must not hold invisible characters (found \(mark.codePoint)), which make one name pass for another"
    }

    /// Text people read (a name, a message, a choice from a list) must show something: white
    /// space alone is blank, and invisible characters alone are refused too, naming `field`.
    public static func requireSeen(_ text: String, field: String) throws {
        guard !text.unicodeScalars.allSatisfy(\.properties.isWhitespace) else { throw AppError.invalidParams(field: field, reason: "must not be blank") }
        guard hasVisibleCharacter(text) else {
            throw AppError.invalidParams(field: field, reason: "must have a character that can be seen, not only invisible ones")
        }
    }

    /// Whether the text has a character that shows: not white space, not a default-ignorable
    /// code point (zero-width spaces and joiners, soft hyphens, tag characters, Hangul fillers),
    /// not a combining mark with nothing to sit on, not the blank Braille pattern (U+2800).
    public static func hasVisibleCharacter(_ text: String) -> Bool {
        text.unicodeScalars.contains { s in
            // Nor a mark alone (it sits on nothing), nor the blank Braille pattern.
            !s.properties.isWhitespace && !s.properties.isDefaultIgnorableCodePoint && s.value != 0x2800
                && ![.nonspacingMark, .enclosingMark].contains(s.properties.generalCategory)
        }
    }

    /// What two names are compared by: the stored form, lower-cased by Unicode's full mapping
    /// ("İ" becomes "i" and U+0307, as ICU's root locale does; "ß" stays), with the Greek final
    /// sigma "ς" read as "σ" (ICU lower-cases a capital Σ to either by where it stands in a
    /// word, Swift always to "σ": "ΟΔΟΣ" and "οδος" are one name). Names stored before the rule
    /// may not be in their stored form, so both sides are keyed. Its SQL twin, which the
    /// database compares stored names by, is `ml_name_key` (sql/migrations/0077_name_keys.sql,
    /// lower-casing by ICU since 0079, the final sigma since 0103).
    public static func key(_ text: String) -> String {
        form(text).lowercased().replacingOccurrences(of: "\u{3C2}", with: "\u{3C3}")
    }

    /// Trimmed of the Unicode white space around it, in NFC.
    static func form(_ text: String) -> String {
        text.trimmingWhitespace().precomposedStringWithCanonicalMapping
    }
}
