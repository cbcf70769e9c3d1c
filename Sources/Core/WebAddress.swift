/// A web address a person's screen will open (a profile photo, a meeting's video link):
/// `https://host/path…` and nothing else — no other scheme (a `javascript:` or `data:` URL runs
/// in the front end that shows it), no credentials, ASCII without spaces or controls (so no
/// line break reaches a mail, an invitation or a CSV cell), a host with a dot.
public enum WebAddress {
    public static func https(_ text: String, field: String, maxCharacters: Int, example: String) throws -> String {
        func refuse(_ why: String) -> AppError { AppError.invalidParams(field: field, reason: why) }
        guard text.count <= maxCharacters else { throw refuse("must have at most \(maxCharacters) characters") }
        guard text.lowercased().hasPrefix("https://") else { throw refuse("must be an https:// URL") }
        guard !text.unicodeScalars.contains(where: { $0.value <= 0x20 || $0.value >= 0x7F }) else {
            throw refuse("must be written in ASCII without spaces or control characters (percent-encode the rest)")
        }
        let rest = text.dropFirst("https://".count)
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        guard !authority.contains("@") else { throw refuse("must not carry a user name or password") }
        let host = authority.split(separator: ":", maxSplits: 1).first.map(String.init) ?? ""
        let hostCharacters = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-")
        guard host.contains("."), !host.hasPrefix("."), !host.hasSuffix("."), host.allSatisfy(hostCharacters.contains) else {
            throw refuse("must name a host, like \(example)")
        }
        return text
    }
}
