/// The e-mail addresses the service keeps: the ones its mail can be sent to. One rule, for the
/// params that take an address and the people import, narrower than what meetctl's delivery
/// takes (MailMessage.isPlainAddress, which also takes an operator's From on a dotless host),
/// so an address taken is never one whose messages then die at delivery.
public enum EmailAddress {
    public static let rule = "must be " + shape
    static let shape = "an e-mail address such as sam@example.org: ASCII, no spaces, none of < > ( ) [ ] , ; : \\ \", and dots only between other characters"
    /// The rule as the published schema says it, beside `pattern`.
    public static let description = "Must be " + shape + "; at most 64 characters before the @, and a domain with a dot"

    /// `isValid` as a JSON Schema pattern (ECMA-262, Python `re` and ICU alike), published in
    /// place of `format: email` so a client checking the schema refuses what this refuses: one
    /// `@`, at most 64 characters before it (a lookahead), words joined by single dots on both
    /// sides of it, two at least after it.
    public static let pattern = "^(?=[^@]{1,64}@)\(labelCharacter)+(\\.\(labelCharacter)+)*@\(labelCharacter)+(\\.\(labelCharacter)+)+$"
    /// Printable ASCII but RFC 5322's specials, `@` and `.`: the characters of a word between dots.
    static let labelCharacter = "[\\x21\\x23-\\x27\\x2a\\x2b\\x2d\\x2f-\\x39\\x3d\\x3f\\x41-\\x5a\\x5e-\\x7e]"

    /// `local@domain`: printable ASCII without the characters that would need quoting in a mail
    /// header (RFC 5322's specials); both sides dot-atoms (RFC 5322 §3.2.3: words joined by single
    /// dots, so no dot first, last or beside another, which mail servers refuse unquoted), the
    /// domain with at least one dot.
    /// Why `s` is not an address kept here, the part of the rule it breaks named where it is the
    /// length before the @ or the domain's dot (a 65-character local part was told the shape
    /// alone, which it had); nil when it is one.
    public static func refusal(_ s: String) -> String? {
        guard !isValid(s) else { return nil }
        let parts = s.split(separator: "@", omittingEmptySubsequences: false)
        if parts.count == 2, parts[0].count > 64, isValid("a@" + parts[1]) {
            return "must have at most 64 characters before the @ (it has \(parts[0].count))"
        }
        if parts.count == 2, isValid(String(parts[0]) + "@" + parts[1] + ".org"), !parts[1].contains(".") {
            return "must have a domain with a dot after the @, such as example.org"
        }
        return rule
    }

    public static func isValid(_ s: String) -> Bool {
        let specials = Set("<>()[],;:\\\"".unicodeScalars)
        guard s.unicodeScalars.allSatisfy({ $0.value > 32 && $0.value < 127 && !specials.contains($0) }) else { return false }
        let parts = s.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[0].count <= 64 else { return false }
        let words = parts[0].split(separator: ".", omittingEmptySubsequences: false)
        let labels = parts[1].split(separator: ".", omittingEmptySubsequences: false)
        return words.allSatisfy { !$0.isEmpty } && labels.count >= 2 && labels.allSatisfy { !$0.isEmpty }
    }
}
