/// A web address a person's screen will open (a profile photo, a meeting's video link):
/// `https://host/path…` and nothing else — no other scheme (a `javascript:` or `data:` URL runs
/// in the front end that shows it), no credentials, ASCII without spaces, controls or the
/// characters a URL never holds as they are (quotes, angle brackets, braces…) (so no
/// line break reaches a mail, an invitation or a CSV cell), a host name with a dot (labels that
/// neither start nor end with a hyphen), a port from 1 to 65535 if any, and well-formed percent
/// escapes. The scheme is kept in its canonical lower case (RFC 3986 §3.1: `HTTPS://` is the same).
public enum WebAddress {
    /// The rule as the published schema says it, beside `pattern`.
    public static let description = "Must be an https:// URL (the scheme in any case) naming a host with a dot: "
        + "ASCII without spaces or control characters, no user name or password, a port from 1 to 65535 if any, none of \" < > \\ ^ ` { | } "
        + "and a % only before two hexadecimal digits"

    /// `https` as a JSON Schema pattern (ECMA-262, Python `re` and ICU alike): what a client
    /// checking the schema refuses is what `https` refuses, the length aside (the schema's maxLength).
    public static let pattern = "^[Hh][Tt][Tt][Pp][Ss]://\(label)(\\.\(label))+(:0*(\(port)))?([/?#](\(pathCharacter)|%[0-9A-Fa-f]{2})*)?$"
    static let label = "[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?"
    static let port = "[1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5]"
    /// Printable ASCII but % and what a URL never holds as it is: " < > \ ^ ` { | }.
    static let pathCharacter = "[\\x21\\x23\\x24\\x26-\\x3b\\x3d\\x3f-\\x5b\\x5d\\x5f\\x61-\\x7a\\x7e]"

    public static func https(_ text: String, field: String, maxCharacters: Int, example: String) throws -> String {
        func refuse(_ why: String) -> AppError { AppError.invalidParams(field: field, reason: why) }
        guard text.count <= maxCharacters else { throw refuse("must have at most \(maxCharacters) characters") }
        guard text.lowercased().hasPrefix("https://") else { throw refuse("must be an https:// URL") }
        guard !text.unicodeScalars.contains(where: { $0.value <= 0x20 || $0.value >= 0x7F }) else {
            throw refuse("must be written in ASCII without spaces or control characters (percent-encode the rest)")
        }
        // ASCII no URL holds as it is (RFC 3986): a front end that pastes the address into markup
        // must not meet a quote or an angle bracket.
        if let bad = text.first(where: { "\"<>\\^`{|}".contains($0) }) {
            throw refuse("must not contain \(bad) (RFC 3986: percent-encode it)")
        }
        let rest = text.dropFirst("https://".count)
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        guard !authority.contains("@") else { throw refuse("must not carry a user name or password") }
        let parts = authority.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        let host = parts.first.map(String.init) ?? ""
        let hostCharacters = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-")
        let labels = host.split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count > 1, labels.allSatisfy({ !$0.isEmpty && !$0.hasPrefix("-") && !$0.hasSuffix("-") && $0.allSatisfy(hostCharacters.contains) }) else {
            throw refuse("must name a host, like \(example)")
        }
        if parts.count == 2 {
            guard parts[1].allSatisfy({ $0.isASCII && $0.isNumber }), let port = Int(parts[1]), (1...65535).contains(port) else {
                throw refuse("has a port that is not a number from 1 to 65535")
            }
        }
        let scalars = Array(text.unicodeScalars)
        for (i, s) in scalars.enumerated() where s == "%" {
            guard i + 2 < scalars.count, scalars[i + 1].properties.isASCIIHexDigit, scalars[i + 2].properties.isASCIIHexDigit else {
                throw refuse("has a % that is not followed by two hexadecimal digits (write a % itself as %25)")
            }
        }
        return "https://" + rest
    }
}
