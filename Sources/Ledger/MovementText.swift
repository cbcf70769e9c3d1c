import Core
import Foundation

/// The texts finance staff give a movement of credits: an external reference (an order id, a
/// bank transfer id) and an adjustment's reason, as they are recorded.
public enum MovementText {
    /// A reference as recorded and compared: without the whitespace around it (a copied
    /// "REF-1 " or "REF-1" and a no-break space is REF-1, so it is granted or paid once), never
    /// blank, one line, and without invisible formatting characters (a zero-width space would
    /// make a second reference that reads the same). The ledger stores it in Unicode
    /// normalization form NFKC, so a compatibility form (a fullwidth digit) is its plain form.
    public static func reference(_ raw: String, field: String = "reference") throws -> String {
        let reference = raw.trimmingWhitespace()
        guard !reference.isEmpty else { throw AppError.invalidParams(field: field, reason: "must not be blank") }
        // Format characters and every other default-ignorable code point (a combining grapheme
        // joiner, variation selectors, Hangul fillers): each shows as nothing.
        if let bad = reference.unicodeScalars.first(where: {
            $0.breaksALine || $0.properties.generalCategory == .format || $0.properties.isDefaultIgnorableCodePoint
        }) {
            throw AppError.invalidParams(
                field: field, reason: "must be one line of visible characters: \(bad.codePoint) is a control, reordering or invisible character")
        }
        // Nor only characters that show as nothing on their own (a lone combining mark, the
        // blank Braille pattern): the reference would read as blank.
        guard NameRule.hasVisibleCharacter(reference) else {
            throw AppError.invalidParams(field: field, reason: "must have a character that can be seen, not only invisible ones")
        }
        // The bound holds for the form stored: a ligature such as "ﬃ" is three letters there.
        let stored = reference.precomposedStringWithCompatibilityMapping.unicodeScalars.count
        guard stored <= maxReferenceCharacters else {
            throw AppError.invalidParams(
                field: field, reason: "is \(stored) characters in the form the ledger stores (Unicode NFKC); at most \(maxReferenceCharacters)")
        }
        return reference
    }

    /// The longest reference the ledger records, in characters of its stored (NFKC) form.
    public static let maxReferenceCharacters = 200

    /// An adjustment's reason as recorded: without the whitespace around it, and saying
    /// something a reader can see (a correction is only as good as its reason): zero-width or
    /// other invisible characters alone read as blank in every statement and file.
    public static func reason(_ raw: String, field: String = "reason") throws -> String {
        let reason = raw.trimmingWhitespace()
        guard !reason.isEmpty else { throw AppError.invalidParams(field: field, reason: "must not be blank: say why the account is corrected") }
        guard NameRule.hasVisibleCharacter(reason) else {
            throw AppError.invalidParams(
                field: field, reason: "must have a character that can be seen, not only invisible ones: say why the account is corrected")
        }
        return reason
    }
}
