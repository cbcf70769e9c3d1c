import Core
import Foundation

/// An RFC 5322 email for one outbox notification: headers with RFC 2047 encoded words where
/// the text is not ASCII, a quoted-printable UTF-8 plain-text body (safe through any relay,
/// 8BITMIME or not). Lines end in LF: sendmail-compatible programs take local line ends.
struct MailMessage {
    let from: Address
    let to: Address
    let cc: [String]
    let subject: String
    let body: String
    let date: Instant
    let messageId: String
    var extraHeaders: [(String, String)] = []

    struct Address {
        let email: String
        let name: String?

        /// `Name <local@domain>`, `"Name" <local@domain>` or a bare address.
        init?(_ text: String) {
            let trimmed = text.trimmingCharacters(in: " ")
            if let inner = MailMessage.angleAddress(trimmed) {
                let name = String(trimmed[..<trimmed.lastIndex(of: "<")!]).trimmingCharacters(in: " \"")
                email = inner
                self.name = name.isEmpty ? nil : name
            } else {
                email = trimmed
                name = nil
            }
            guard MailMessage.isPlainAddress(email) else { return nil }
        }

        init(email: String, name: String?) {
            self.email = email
            self.name = name
        }

        /// As a header shows it: the name as a phrase (RFC 2047 words when not ASCII), then the address.
        var header: String { name.map { "\(MailMessage.phrase($0)) <\(email)>" } ?? email }
    }

    struct Invalid: Error {
        let reason: String
    }

    /// The message for a claimed notification; Message-ID is the outbox id, so a retried
    /// delivery is recognisably the same message.
    static func notification(_ message: JSON, from: String, now: Instant) throws -> MailMessage {
        guard let id = message["id"]?.stringValue else { throw Invalid(reason: "the message has no id") }
        guard let email = message["recipient"]?["email"]?.stringValue else { throw Invalid(reason: "the message has no recipient email") }
        guard let subject = message["rendered"]?["subject"]?.stringValue, let text = message["rendered"]?["text"]?.stringValue else {
            throw Invalid(reason: "the message has no rendered subject and text")
        }
        let name = [message["recipient"]?["first_name"]?.stringValue, message["recipient"]?["last_name"]?.stringValue]
            .compactMap { $0 }.joined(separator: " ")
        let cc = (message["cc"]?.arrayValue ?? []).compactMap(\.stringValue)
        for address in [email] + cc where !isPlainAddress(address) {
            throw Invalid(reason: "\(address.debugDescription) is not an email address")
        }
        guard let sender = Address(from) else { throw Invalid(reason: "the From address \(from.debugDescription) is not an email address") }
        let domain = sender.email.split(separator: "@").last.map(String.init) ?? "meetingledger.invalid"
        return MailMessage(
            from: sender, to: Address(email: email, name: name.isEmpty ? nil : name), cc: cc, subject: subject, body: text, date: now,
            messageId: "<\(id)@\(domain)>",
            extraHeaders: [("X-MeetingLedger-Outbox-Id", id), ("X-MeetingLedger-Kind", message["kind"]?.stringValue ?? "notification")])
    }

    var rendered: String {
        var headers: [(String, String)] = [
            ("From", from.header),
            ("To", to.header),
        ]
        if !cc.isEmpty { headers.append(("Cc", cc.joined(separator: ", "))) }
        headers += [
            ("Subject", Self.headerText(subject)),
            ("Date", Self.rfc5322Date(date)),
            ("Message-ID", messageId),
            ("MIME-Version", "1.0"),
            ("Content-Type", "text/plain; charset=utf-8"),
            ("Content-Transfer-Encoding", "quoted-printable"),
        ] + extraHeaders
        return headers.map { "\($0.0): \($0.1)" }.joined(separator: "\n") + "\n\n" + Self.quotedPrintable(body)
    }

    // MARK: Addresses

    /// `local@domain` with no spaces, angle brackets, quotes or line breaks.
    static func isPlainAddress(_ s: String) -> Bool {
        let parts = s.split(separator: "@", omittingEmptySubsequences: false)
        return parts.count == 2 && !parts[0].isEmpty && !parts[1].isEmpty
            && s.unicodeScalars.allSatisfy { $0.value > 32 && $0.value < 127 && !"<>()[],;:\\\"".unicodeScalars.contains($0) }
    }

    /// The address inside `Name <address>`.
    static func angleAddress(_ s: String) -> String? {
        guard let open = s.lastIndex(of: "<"), let close = s.lastIndex(of: ">"), open < close else { return nil }
        return String(s[s.index(after: open)..<close])
    }

    // MARK: Header text (RFC 5322, RFC 2047)

    /// A display name: as it is when it is plain ASCII words, quoted when it has specials,
    /// encoded words when it is not ASCII.
    static func phrase(_ name: String) -> String {
        let clean = oneLine(name)
        if !clean.unicodeScalars.allSatisfy(\.isASCII) { return encodedWords(clean) }
        if clean.unicodeScalars.allSatisfy({ RFC5322.atext.contains($0) || $0 == " " }) { return clean }
        return "\"" + clean.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    /// Unstructured header text (Subject): ASCII as it is, otherwise encoded words.
    static func headerText(_ text: String) -> String {
        let clean = oneLine(text)
        return clean.unicodeScalars.allSatisfy(\.isASCII) ? clean : encodedWords(clean)
    }

    /// Line breaks in header values would start new headers: they become spaces.
    static func oneLine(_ text: String) -> String {
        String(text.unicodeScalars.map { $0 == "\r" || $0 == "\n" || $0 == "\t" ? " " : Character($0) })
    }

    /// `=?UTF-8?B?…?=` words of at most 75 characters, split between characters (never inside
    /// one), folded onto continuation lines.
    static func encodedWords(_ text: String) -> String {
        let maxPayload = 39  // bytes per word: base64 of 39 bytes is 52 characters, 64 with the frame
        var words: [String] = []
        var chunk: [UInt8] = []
        for character in text {
            let bytes = Array(String(character).utf8)
            if chunk.count + bytes.count > maxPayload && !chunk.isEmpty {
                words.append("=?UTF-8?B?" + base64(chunk) + "?=")
                chunk = []
            }
            chunk += bytes
        }
        if !chunk.isEmpty { words.append("=?UTF-8?B?" + base64(chunk) + "?=") }
        return words.joined(separator: "\n ")
    }

    static func base64(_ bytes: [UInt8]) -> String { Data(bytes).base64EncodedString() }

    // MARK: Body (RFC 2045 quoted-printable)

    /// Quoted-printable of the UTF-8 text: lines of at most 76 characters with soft breaks,
    /// `=` and bytes outside printable ASCII as `=XX`, trailing spaces encoded.
    static func quotedPrintable(_ text: String) -> String {
        let hex = Array("0123456789ABCDEF")
        var out = ""
        let lines = text.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n", omittingEmptySubsequences: false)
        for (index, line) in lines.enumerated() {
            let bytes = Array(line.utf8)
            var current = ""
            for (i, b) in bytes.enumerated() {
                let isLast = i == bytes.count - 1
                let token: String
                if (b >= 33 && b <= 126 && b != 61) || ((b == 32 || b == 9) && !isLast) {
                    token = String(UnicodeScalar(b))
                } else {
                    token = "=" + String(hex[Int(b >> 4)]) + String(hex[Int(b & 0x0F)])
                }
                if current.count + token.count > 75 {
                    out += current + "=\n"
                    current = ""
                }
                current += token
            }
            out += current
            if index < lines.count - 1 { out += "\n" }
        }
        return out.hasSuffix("\n") ? out : out + "\n"
    }

    // MARK: Date (RFC 5322 §3.3)

    static func rfc5322Date(_ instant: Instant) -> String {
        let seconds = instant.epochSeconds
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let (y, m, d) = Civil.civilFromDays(days)
        let secondOfDay = seconds - days * 86_400
        func two(_ v: Int64) -> String { v < 10 ? "0\(v)" : "\(v)" }
        let weekday = PersonClock.weekdays[Civil.isoWeekday(days: days) - 1]
        return "\(weekday), \(d) \(PersonClock.months[Int(m) - 1]) \(y) \(two(secondOfDay / 3600)):\(two(secondOfDay / 60 % 60)):\(two(secondOfDay % 60)) +0000"
    }
}

/// RFC 5322 `atext`: the characters a display name may use without quotes.
enum RFC5322 {
    static let atext = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#$%&'*+-/=?^_`{|}~".unicodeScalars)
}
